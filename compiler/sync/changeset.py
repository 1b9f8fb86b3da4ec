"""The value a plan is: changes (what a reviewer reads) and the writes that make them.

A change is `compiler.review.changes.ObjectChange`, the model `diff` uses too, with the `Write`s that
make it; a Deployment-settings change, a preview change or an Airflow target's change is
another `ObjectChange` with its own `Write`s. Shared by planning, applying and the reporters.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from compiler.diagnostics import Diagnostic, Location
from compiler.escaping import undecodable_json
from compiler.load.documents import YPath
from compiler.model.frozen import field, frozen
from compiler.model.secrets import SecretValues
from compiler.review.changes import Action, FieldChange, ObjectChange, json_value

SECRET_CHANGED = "secret changed"
SECRET_UNKNOWN = "secret: cannot compare, will be sent"
TYPED = {"CONNECTION": "connection", "AIRFLOW_VARIABLE": "airflowVariable"}
KIND = {"CONNECTION": "connection", "AIRFLOW_VARIABLE": "variable"}


@frozen
class Plan:
    scope: str
    changes: tuple[ObjectChange, ...]
    diagnostics: tuple[Diagnostic, ...] = ()
    secrets_sent_blind: bool = False  # no fingerprint key: every secret is sent
    # Changes the repository holds that this scope does not apply (SPEC 7.2, 7.5): each names,
    # in its `note`, the branch whose apply makes it. Not counted, not written, not in --exit-code.
    deferred: tuple[ObjectChange, ...] = ()
    target: str = "Astro"  # what the plan is against: "Astro", or "Airflow URL" (--airflow)

    @property
    def has_changes(self) -> bool:
        return bool(self.changes)

    @property
    def ok(self) -> bool:
        return not any(d.is_error for d in self.diagnostics)

    def count(self, action: Action) -> int:
        return sum(1 for c in self.changes if c.operation == action)


@frozen
class Options:
    owner: str
    adopt: bool = False
    key: bytes | None = None  # ASTRO_GITOPS_FINGERPRINT_KEY
    values: SecretValues | None = None  # None: --secrets redact (secrets are not compared)
    locate: Callable[[str, YPath], Location] = field(default=lambda path, ypath: Location(path))
    sync_branch: str = "main"  # the branch whose apply writes objects' own fields (SPEC 7.2)


def document(plan: Plan, workspace: str) -> dict[str, Any]:
    """The plan as the JSON document `plan --format json` prints (SPEC 7.5) and `plan --out` keeps:
    values as `json_value` holds them, so a secret appears only as `<secret:NAME>`; every text
    guarded (compiler/redaction.py): a live value, a name or a note that holds a credential or a
    secret value in any form is masked or withheld (SPEC 7.4, 7.5)."""
    from compiler.redaction import guarded_data

    # The keys, the counts and the flag are the plan's own, never a value: not guarded, so a
    # secret such as `1` or `true` cannot turn them into text (`--exit-code` and CI scripts read them).
    return {
        "workspace": guarded_data(workspace),
        "scope": guarded_data(plan.scope),
        "changes": guarded_data([_change_data(c) for c in plan.changes]),
        "summary": {a: plan.count(a) for a in ("create", "update", "replace", "delete")},
        # Not applied by this scope; each says which branch applies it (`applied_by`).
        "deferred": guarded_data([_change_data(c) for c in plan.deferred]),
        "secrets_compared": not plan.secrets_sent_blind,
    }


def _change_data(c: ObjectChange) -> dict[str, Any]:
    data: dict[str, Any] = {
        "action": c.operation,
        "kind": c.kind,
        "key": c.key,
        "deployment": c.deployment,
        "fields": [_field_data(f) for f in c.fields],
    }
    if c.note:
        data["note"] = c.note.strip("()")
    return data


def _field_data(f: FieldChange) -> dict[str, Any]:
    entry: dict[str, Any] = {"path": f.path, "before": json_value(f.before), "after": json_value(f.after)}
    if f.deployment:
        entry["deployment"] = f.deployment
    if f.note:
        entry["note"] = f.note
    if f.reach:
        entry["reach"] = f.reach
    return entry


def document_json(plan: Plan, workspace: str) -> str:
    # A server's string can hold a lone surrogate (`"\\udcff"` in its JSON): escaped, never raised on.
    return undecodable_json(json.dumps(document(plan, workspace), indent=2, ensure_ascii=False)) + "\n"
