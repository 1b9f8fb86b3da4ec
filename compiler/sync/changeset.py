"""The value a plan is: changes (what a reviewer reads) and the writes that make them.

A change is `compiler.changes.ObjectChange`, the model `diff` uses too, with the `Write`s that
make it; a Deployment-settings change, a preview change or an Airflow target's change is
another `ObjectChange` with its own `Write`s. Shared by planning, applying and the reporters.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from ..changes import Action, ObjectChange
from ..diagnostics import Diagnostic, Location
from ..load import YPath
from ..secrets import SecretValues
from .state import ObjectKey

SECRET_CHANGED = "secret changed"
SECRET_UNKNOWN = "secret: cannot compare, will be sent"
TYPED = {"CONNECTION": "connection", "AIRFLOW_VARIABLE": "airflowVariable"}
KIND = {"CONNECTION": "connection", "AIRFLOW_VARIABLE": "variable"}


@dataclass(frozen=True)
class Write:
    """One request: bodies hold `Secret` values, put in only when sent."""

    op: Literal["create", "update", "delete"]
    key: ObjectKey
    object_id: str | None = None
    body: Any = None
    # What the write is to: a target performs the kinds it knows (an Environment Manager
    # object here; a Deployment's settings or an Airflow pool are other kinds).
    target: str = "environment-object"


@dataclass(frozen=True)
class Plan:
    scope: str
    changes: tuple[ObjectChange, ...]
    diagnostics: tuple[Diagnostic, ...] = ()
    secrets_sent_blind: bool = False  # no fingerprint key: every secret is sent

    @property
    def has_changes(self) -> bool:
        return bool(self.changes)

    @property
    def ok(self) -> bool:
        return not any(d.is_error for d in self.diagnostics)

    def count(self, action: Action) -> int:
        return sum(1 for c in self.changes if c.operation == action)


@dataclass(frozen=True)
class Options:
    owner: str
    adopt: bool = False
    key: bytes | None = None  # ASTRO_GITOPS_FINGERPRINT_KEY
    values: SecretValues | None = None  # None: --secrets redact (secrets are not compared)
    locate: Callable[[str, YPath], Location] = field(default=lambda path, ypath: Location(path))
