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

from compiler.diagnostics import Diagnostic
from compiler.errors import OperationError
from compiler.model.secrets import SecretValues
from compiler.render.pipeline import Selection
from compiler.sync import changeset
from compiler.sync.changeset import Plan
from compiler.validate.project import Project

PLAN_VERSION = 1


class StalePlan(OperationError):
    code = "stale-plan"

    def __init__(self, reasons: str) -> None:
        super().__init__(f"the saved plan is stale: {reasons}")


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
    return hashlib.sha256(changeset.document_json(plan, workspace).encode()).hexdigest()


def text(plan: Plan, workspace: str, entry: dict[str, Any]) -> str:
    """The saved plan: the plan's JSON report with `entry` (what apply checks) as `apply`."""
    data = changeset.document(plan, workspace)
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
    from compiler.limits import read_regular_file

    text = read_regular_file(path, str(path))  # a missing file, a folder, a loop: said as such
    if isinstance(text, Diagnostic):
        raise OperationError(f"cannot read the plan {path}", [str(text)])
    try:
        data = json.loads(text.decode("utf-8"))
        saved = data["apply"]
        if saved["version"] != PLAN_VERSION:
            raise ValueError
    except (OSError, ValueError, KeyError, TypeError):
        raise OperationError(f"{path} is not a plan written by 'astro-gitops plan --out'") from None
    return saved  # type: ignore[no-any-return]


def chosen(selection: Selection, adopt: bool, saved: Mapping[str, Any] | None) -> tuple[Selection, bool]:
    """What to plan and whether to adopt: the saved plan's when applying one, else the options'."""
    if not saved:
        return selection, adopt
    entry = saved.get("selection") or {}
    found = Selection(branch=entry.get("branch"), deployment=entry.get("deployment"), all=bool(entry.get("all")))
    return found, bool(entry.get("adopt"))


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
