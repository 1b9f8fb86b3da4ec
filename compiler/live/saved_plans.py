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
from collections.abc import Callable, Collection, Mapping
from pathlib import Path
from typing import Any

from compiler.diagnostics import Diagnostic
from compiler.errors import OperationError, UsageError
from compiler.escaping import undecodable_json
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


MIN_KEY_BYTES = 16  # an HMAC key shorter than this is guessable: refused (README "Secrets in plan and apply")


def fingerprint_key(environ: Mapping[str, str]) -> str | None:
    """ASTRO_GITOPS_FINGERPRINT_KEY: it keys the fingerprints of secret values (unset: none).
    A key that is not UTF-8 text, or shorter than MIN_KEY_BYTES, is an OperationError."""
    key = environ.get("ASTRO_GITOPS_FINGERPRINT_KEY") or None
    if key is None:
        return None
    try:
        size = len(key.encode("utf-8"))
    except UnicodeEncodeError:
        raise OperationError("ASTRO_GITOPS_FINGERPRINT_KEY is not UTF-8 text") from None
    if size < MIN_KEY_BYTES:
        raise OperationError(f"ASTRO_GITOPS_FINGERPRINT_KEY is too short: at least {MIN_KEY_BYTES} bytes")
    from compiler.redaction import register

    register(key)
    return key


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
    return undecodable_json(json.dumps(data, indent=2, ensure_ascii=False)) + "\n"


def selection_entry(selection: Selection, adopt: bool) -> dict[str, Any]:
    return {"branch": selection.branch, "deployment": selection.deployment, "all": selection.all, "adopt": adopt}


def write(path: Path, text: str) -> None:
    """Atomically (a temporary file beside it, then a rename); it holds no secret value."""
    import os
    import tempfile

    from compiler.atomic import refuse_special

    refuse_special(path)  # `--out /dev/full` is refused, never replaced by a rename
    temporary = None
    try:
        handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent or ".")
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
        os.replace(temporary, path)
    except (OSError, UnicodeEncodeError) as exc:
        if temporary is not None:
            Path(temporary).unlink(missing_ok=True)
        raise OperationError(f"cannot write the plan to {path}: {type(exc).__name__}") from None


def read(path: Path) -> dict[str, Any]:
    """The `apply` entry of a saved plan, its shape checked (`selection`, `inputs`, `touched`,
    `changes`, `airflow`), with `shown`: the digest of the changes the file displays. A file that
    is not such a plan (not JSON, nested too deeply, a field of the wrong type) is an
    OperationError naming the file."""
    from compiler.limits import read_regular_file

    text = read_regular_file(path, str(path))  # a missing file, a folder, a loop: said as such
    if isinstance(text, Diagnostic):
        raise OperationError(f"cannot read the plan {path}", [str(text)])
    try:
        data = json.loads(text.decode("utf-8"))
        saved = _entry(data)
        shown = {k: v for k, v in data.items() if k != "apply"}
        digest = hashlib.sha256((json.dumps(shown, indent=2, ensure_ascii=False) + "\n").encode())
    except (ValueError, KeyError, TypeError, RecursionError, UnicodeError):
        raise OperationError(f"{path} is not a plan written by 'astro-gitops plan --out'") from None
    return {**saved, "shown": digest.hexdigest()}


def _entry(data: Any) -> dict[str, Any]:
    """The `apply` entry when every field has its type; else ValueError."""
    saved = data["apply"] if isinstance(data, dict) else None
    if not isinstance(saved, dict) or saved.get("version") != PLAN_VERSION or "shown" in saved:
        raise ValueError
    selection = saved.get("selection")
    touched = saved.get("touched")
    if (
        not isinstance(selection, dict)
        or not all(isinstance(selection.get(k), (str, type(None))) for k in ("branch", "deployment"))
        or not all(isinstance(selection.get(k), bool) for k in ("all", "adopt"))
        or not isinstance(saved.get("inputs"), str)
        or not isinstance(saved.get("changes"), str)
        or not isinstance(saved.get("airflow", ""), str)
        or not isinstance(touched, dict)
        or not all(isinstance(k, str) and isinstance(v, str) for k, v in touched.items())
    ):
        raise ValueError
    return saved


def chosen(
    selection: Selection, adopt: bool, saved: Mapping[str, Any] | None, branch: Callable[[str | None], str]
) -> tuple[Selection, bool]:
    """What to plan and whether to adopt: the saved plan's when applying one, else the options'.

    A saved plan applies on the branch it was made for, and only there: `branch(flag)` is the
    branch of this run (SPEC 3's order). A plan made on the sync branch and replayed on a
    feature branch (same files) is refused, as is a selection flag naming another scope than
    the plan's (a usage error: the plan holds its own selection, and a flag is never ignored)."""
    if not saved:
        return selection, adopt
    entry = saved.get("selection") or {}
    found = Selection(branch=entry.get("branch"), deployment=entry.get("deployment"), all=bool(entry.get("all")))
    given = (selection.branch, selection.deployment, selection.all)
    if any(given) and given != (found.branch, found.deployment, found.all):
        raise UsageError(
            f"PLAN was made for {_scope_named(found)}, and {_scope_named(selection)} names another scope: "
            "apply PLAN without it, or plan again for that scope"
        )
    if found.branch is not None:
        here = branch(selection.branch)
        if here != found.branch:
            raise OperationError(
                f"PLAN was made on branch '{found.branch}' and this run is on branch '{here}': "
                "apply a saved plan on the branch it was made for (or plan again here)"
            )
    return found, bool(entry.get("adopt"))


def refuse_unheld_flags(saved: Mapping[str, Any], adopt: bool, airflow: str | None) -> None:
    """`apply PLAN` applies exactly that plan: a planning flag the plan does not hold (as
    terraform's "Can't set variables when applying a saved plan") is a usage error naming it,
    never dropped. `--adopt` and `--airflow URL` are checked here; the scope flags by `chosen`.
    A flag that repeats what the plan holds is accepted. (`--secrets MODE` is where apply reads
    the values the plan does not hold: it is used, and a changed value makes the plan stale.)"""
    entry = saved.get("selection") or {}
    if adopt and not entry.get("adopt"):
        raise UsageError(
            "--adopt: PLAN was made without --adopt, and apply PLAN applies exactly that plan: "
            "plan again with it (plan --adopt --out PLAN), or apply PLAN without --adopt"
        )
    if airflow:
        made_for = saved.get("airflow")
        if made_for is None:
            raise UsageError(
                "--airflow: PLAN was made for Astro, and apply PLAN applies exactly that plan: "
                "plan again with it (plan --deployment D --airflow URL --out PLAN), or apply PLAN without --airflow"
            )
        from compiler.remote.airflow import api_root

        if api_root(airflow) != made_for:
            raise UsageError(
                f"--airflow: PLAN was made for another Airflow ({made_for}), and apply PLAN applies exactly that "
                "plan: plan again with this URL (plan --deployment D --airflow URL --out PLAN), or apply PLAN without --airflow"
            )


def _scope_named(selection: Selection) -> str:
    if selection.all:
        return "--all"
    if selection.deployment is not None:
        return f"--deployment {selection.deployment}"
    return f"branch '{selection.branch}'"


def check_fresh(
    saved: Mapping[str, Any],
    inputs: str,
    changes: str,
    state: Callable[[str], str | None],
    live: str,
    touched: Collection[str],
) -> None:
    """Refuse a plan made from other files, other live objects, or that now plans otherwise.

    `state` gives a touched object's live state now (as the plan recorded it); `live` names
    what was read ("Astro", "Airflow"); `touched` names what the plan made now touches. What the
    file records is not trusted (issue 21, K7): the objects it says it touches must be the ones
    the plan touches now (an emptied `touched` cannot skip the check), and the changes it
    displays must be the changes planned now (an edited display cannot be approved).
    """
    reasons = []
    if saved.get("inputs") != inputs:
        reasons.append("the repository (or a secret value) changed since the plan was made")
    recorded = saved.get("touched") or {}
    if set(recorded) != set(touched):
        reasons.append("the live objects it records are not the ones the plan touches (was the file edited?)")
    moved = sorted(k for k, at in recorded.items() if state(k) != at)
    if moved:
        reasons.append(f"{len(moved)} live object(s) it touches changed or went away since")
    if not reasons and saved.get("changes") != changes:
        reasons.append(f"live {live} changed since the plan was made")
    if not reasons and saved.get("shown") not in (None, changes):
        reasons.append("the changes it displays are not the changes it records (was the file edited?)")
    if reasons:
        raise StalePlan("; ".join(reasons) + ": run plan again")
