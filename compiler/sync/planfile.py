"""Saved plans (`plan --out PLAN`, `apply PLAN`), for the Astro and the Airflow target alike.

A saved plan is the plan's JSON report with an `apply` entry: what it was made from (a hash
of the repository files, the scope and, keyed, the secret values), the live state of every
object it touches, and a digest of its changes. `apply PLAN` plans again and refuses a plan
that any of them no longer matches. It holds no secret value.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from ..errors import OperationError
from ..pipeline import Selection
from ..project import Project
from ..secrets import SecretValues
from . import report
from .changeset import Plan

PLAN_VERSION = 1


class StalePlan(OperationError):
    def __str__(self) -> str:
        return f"error[stale-plan]: the saved plan is stale: {super().__str__()}"


def fingerprint_key(environ: Mapping[str, str]) -> str | None:
    """ASTRO_GITOPS_FINGERPRINT_KEY: it keys the fingerprints of secret values (unset: none)."""
    return environ.get("ASTRO_GITOPS_FINGERPRINT_KEY") or None


def inputs(project: Project, scope: str, values: SecretValues | None, key: str | None) -> str:
    """A hash of what a plan was made from: the repository files, the scope and the secret values."""
    digest = hashlib.sha256()
    for document in sorted(project.documents, key=lambda d: d.path):
        digest.update(f"{document.path}\0{document.text}\0".encode())
    digest.update(scope.encode())
    if key and values is not None:
        # Secret values enter only as an HMAC: a rotated secret makes a saved plan stale.
        keyed = hmac.new(key.encode(), json.dumps(sorted(values.values.items())).encode(), hashlib.sha256)
        digest.update(keyed.digest())
    return digest.hexdigest()


def changes_digest(plan: Plan, workspace: str) -> str:
    return hashlib.sha256(report.as_json(plan, workspace).encode()).hexdigest()


def text(plan: Plan, workspace: str, entry: dict[str, Any]) -> str:
    """The saved plan: the plan's JSON report with `entry` (what apply checks) as `apply`."""
    data = report.as_data(plan, workspace)
    data["apply"] = {"version": PLAN_VERSION, **entry}
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def selection_entry(selection: Selection, adopt: bool) -> dict[str, Any]:
    return {"branch": selection.branch, "deployment": selection.deployment, "all": selection.all, "adopt": adopt}


def write(path: Path, text: str) -> None:
    """Atomically (a temporary file beside it, then a rename); it holds no secret value."""
    import os
    import tempfile

    try:
        handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent or ".")
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
        os.replace(temporary, path)
    except OSError as exc:
        raise OperationError(f"cannot write the plan to {path}: {type(exc).__name__}") from None


def read(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        saved = data["apply"]
        if saved["version"] != PLAN_VERSION:
            raise ValueError
    except (OSError, ValueError, KeyError, TypeError):
        raise OperationError(f"{path} is not a plan written by 'astro-gitops plan --out'") from None
    return saved  # type: ignore[no-any-return]


def saved_adopt(saved: Mapping[str, Any]) -> bool:
    return bool((saved.get("selection") or {}).get("adopt"))


def saved_selection(saved: Mapping[str, Any]) -> Selection:
    chosen = saved.get("selection") or {}
    return Selection(branch=chosen.get("branch"), deployment=chosen.get("deployment"), all=bool(chosen.get("all")))


def check_fresh(
    saved: Mapping[str, Any], inputs: str, changes: str, state: Callable[[str], str | None], live: str
) -> None:
    """Refuse a plan made from other files, other live objects, or that now plans otherwise.

    `state` gives a touched object's live state now (as the plan recorded it); `live` names
    what was read ("Astro", "Airflow").
    """
    reasons = []
    if saved.get("inputs") != inputs:
        reasons.append("the repository (or a secret value) changed since the plan was made")
    moved = sorted(k for k, at in (saved.get("touched") or {}).items() if state(k) != at)
    if moved:
        reasons.append(f"{len(moved)} live object(s) it touches changed or went away since")
    if not reasons and saved.get("changes") != changes:
        reasons.append(f"live {live} changed since the plan was made")
    if reasons:
        raise StalePlan("; ".join(reasons) + ": run plan again")
