"""plan / apply end to end: scope -> desired -> live (through remote/) -> plan -> writes.

The one module of sync/ that reaches remote/ (lazily); planning itself stays pure.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .. import secrets
from ..diagnostics import Diagnostic, Location, error
from ..errors import InvalidEnvironments, OperationError, UsageError
from ..model import MAPPINGS, Secret
from ..pipeline import Selection, resolve_selection, target
from ..project import Project
from ..resolve import ResolvedDeployment
from ..secrets import SecretValues
from . import deployments as deployment_stage
from . import desired as desired_state
from . import report
from .airflowrun import with_astro_pools
from .apply import Applied, Step, Target, apply
from .changeset import Options, Plan
from .plan import plan
from .state import LiveState

PLAN_VERSION = 1


@dataclass(frozen=True)
class Scope:
    label: str
    full: bool
    resolved: tuple[ResolvedDeployment, ...]
    selection: Selection


@dataclass(frozen=True)
class Planned:
    plan: Plan
    workspace: str
    scope: Scope
    values: SecretValues | None
    inputs: str  # hash of what the plan was made from (repository files, scope, secrets)
    live: LiveState
    adopt: bool = False


def owner(project: Project) -> str:
    workspace = project.model.workspace
    assert workspace is not None
    if workspace.sync_owner:
        return workspace.sync_owner
    document = project.document(workspace.path)
    where = (
        document.locate(("sync",), at="key")
        if document and "sync" in (document.data or {})
        else Location(workspace.path)
    )
    message = "plan and apply need 'sync: {owner: NAME}' in workspace.yaml: the marker of every object this repository manages"
    raise InvalidEnvironments([error(where, "missing-sync-owner", message)])


def scope(project: Project, root: Path, selection: Selection, environ: Mapping[str, str]) -> Scope:
    """SPEC 7.2: --all or the sync branch is everything; a Deployment's or a preview's branch is its part."""
    workspace = project.model.workspace
    assert workspace is not None
    if selection.all:
        resolved = resolve_selection(project, root, Selection(all=True), environ)
        return Scope("all", True, tuple(resolved), Selection(all=True))
    if selection.deployment:
        resolved = resolve_selection(project, root, selection, environ)
        return Scope(selection.deployment, False, tuple(resolved), selection)
    found = target(project, root, selection.branch, environ)
    pinned = Selection(branch=found.branch)
    if found.branch == workspace.sync_branch:
        resolved = resolve_selection(project, root, Selection(all=True), environ)
        return Scope(f"{found.base} (branch {found.branch})", True, tuple(resolved), pinned)
    dep = resolve_selection(project, root, pinned, environ)
    kind = "preview " if found.is_preview else ""
    return Scope(f"{kind}{dep[0].name} (branch {found.branch})", False, tuple(dep), pinned)


def _secret_values(mode: str, wanted: set[str], optional: set[str], environ: Mapping[str, str]) -> SecretValues | None:
    kind, _ = secrets.parse_mode(mode)
    if kind == "redact":
        return None
    try:
        return secrets.load(mode, wanted | optional, environ)
    except OperationError:
        return secrets.load(mode, wanted, environ)  # says which required names are missing


def _needed(state: desired_state.Desired) -> tuple[set[str], set[str]]:
    """Secret names a plan needs (parts, Deployment-scoped objects, own fields when full) and
    those it can use (own fields elsewhere: to prove a masked value unchanged)."""
    wanted: set[str] = set()
    optional: set[str] = set()
    for obj in state.objects:
        (wanted if state.full or obj.scope == "DEPLOYMENT" else optional).update(_names(obj.fields))
        for part in obj.parts.values():
            if part.overrides:
                wanted.update(_names(part.overrides))
    return wanted, optional


def _names(value: Any) -> Iterator[str]:
    """The secret names referenced inside a desired value."""
    if isinstance(value, Secret):
        yield value.name
    elif isinstance(value, desired_state.JsonText):
        yield from _names(value.value)
    elif isinstance(value, MAPPINGS):
        for child in value.values():
            yield from _names(child)
    elif isinstance(value, (list, tuple)):
        for child in value:
            yield from _names(child)


def _missing_deployments(project: Project, chosen: Scope, live: LiveState) -> list[Diagnostic]:
    problems = []
    for dep in chosen.resolved:
        if live.deployment_id(dep.name) is not None or dep.is_preview:
            continue  # a missing preview is created by its branch's apply
        spec = project.model.deployment(dep.base)
        path = spec.path if spec else project.model.workspace.path if project.model.workspace else ""
        document = project.document(path)
        where = document.locate(("name",)) if document and spec else Location(path)
        message = f"Deployment '{dep.name}' not found in workspace '{live.workspace_name}'"
        problems.append(error(where, "deployment-not-found", message))
    return problems


def make_plan(
    project: Project,
    root: Path,
    selection: Selection,
    *,
    mode: str,
    adopt: bool,
    environ: Mapping[str, str],
    api: Any,
) -> Planned:
    sync_owner = owner(project)
    workspace = project.model.workspace
    assert workspace is not None
    chosen = scope(project, root, selection, environ)
    # Live state is read while the desired state is built: the read is mostly waiting (the API's
    # 25 GET/s limit), the build is CPU, so the plan takes about the longer of the two, not both.
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="astro-read") as reading:
        read = reading.submit(api.read, workspace.name, [d.name for d in chosen.resolved])
        state = desired_state.build(project.model, workspace.name, chosen.resolved, full=chosen.full)
        wanted, optional = _needed(state)
        wanted |= deployment_stage.secret_names(chosen.resolved)
        values = _secret_values(mode, wanted, optional, environ)
        live = deployment_stage.with_pending_previews(read.result(), chosen.resolved)
    missing = _missing_deployments(project, chosen, live)
    if missing:
        raise InvalidEnvironments(missing)
    key = environ.get("ASTRO_GITOPS_FINGERPRINT_KEY") or None
    options = Options(sync_owner, adopt, key.encode() if key else None, values, _locator(project))
    made = deployment_stage.combine(
        deployment_stage.plan_for(project, chosen.resolved, live, options, full=chosen.full),
        plan(state, live, options, chosen.label),
        options,
    )
    made = with_astro_pools(made, project, chosen.resolved, live, options, environ)
    return Planned(made, workspace.name, chosen, values, _inputs(project, chosen, values, key), live, adopt)


def _locator(project: Project) -> Callable[[str, Any], Location]:
    def locate(path: str, ypath: Any) -> Location:
        document = project.document(path)
        return document.locate(ypath, at="key") if document and ypath else Location(path)

    return locate


def _inputs(project: Project, chosen: Scope, values: SecretValues | None, key: str | None) -> str:
    digest = hashlib.sha256()
    for document in sorted(project.documents, key=lambda d: d.path):
        digest.update(f"{document.path}\0{document.text}\0".encode())
    digest.update(chosen.label.encode())
    if key and values is not None:
        # Secret values enter only as an HMAC: a rotated secret makes a saved plan stale.
        keyed = hmac.new(key.encode(), json.dumps(sorted(values.values.items())).encode(), hashlib.sha256)
        digest.update(keyed.digest())
    return digest.hexdigest()


# --- saved plans ---------------------------------------------------------------------------


def plan_file(planned: Planned) -> str:
    data = report.as_data(planned.plan, planned.workspace)
    selection = planned.scope.selection
    data["apply"] = {
        "version": PLAN_VERSION,
        "selection": {
            "branch": selection.branch,
            "deployment": selection.deployment,
            "all": selection.all,
            "adopt": planned.adopt,
        },
        "inputs": planned.inputs,
        "touched": dict(sorted({i: u for c in planned.plan.changes for i, u in c.touched}.items())),
        "changes": _changes_digest(planned),
    }
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def write_plan_file(path: Path, text: str) -> None:
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


def _changes_digest(planned: Planned) -> str:
    return hashlib.sha256(report.as_json(planned.plan, planned.workspace).encode()).hexdigest()


def read_plan_file(path: Path) -> dict[str, Any]:
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


def check_fresh(saved: Mapping[str, Any], planned: Planned) -> None:
    """Refuse a plan made from other files, other live objects, or that now plans otherwise."""
    reasons = []
    if saved.get("inputs") != planned.inputs:
        reasons.append("the repository (or a secret value) changed since the plan was made")
    now = {o.id: o.updated_at for o in planned.live.objects}
    now.update((d.id, d.updated_at) for d in planned.live.deployments)
    moved = sorted(i for i, at in (saved.get("touched") or {}).items() if now.get(i) != at)
    if moved:
        reasons.append(f"{len(moved)} live object(s) it touches changed or went away since")
    if not reasons and saved.get("changes") != _changes_digest(planned):
        reasons.append("live Astro changed since the plan was made")
    if reasons:
        raise StalePlan("; ".join(reasons) + ": run plan again")


class StalePlan(OperationError):
    def __str__(self) -> str:
        return f"error[stale-plan]: the saved plan is stale: {super().__str__()}"


def refuse_redact(mode: str) -> None:
    if secrets.parse_mode(mode)[0] == "redact":
        raise UsageError("apply needs secret values: --secrets env (the default) or dotenv:PATH, not redact")


def run_apply(planned: Planned, target: Target, on_step: Callable[[Step], None]) -> Applied:
    assert planned.values is not None
    return apply(planned.plan, target, planned.values, on_step)


# --- preview destroy / prune ---------------------------------------------------------------------


@dataclass(frozen=True)
class PreviewPlan:
    """What `preview destroy|prune` deletes (read like a Planned by the reporters)."""

    plan: Plan
    workspace: str
    values: SecretValues = field(default_factory=SecretValues)


def preview_plan(project: Project, root: Path, *, branch: str | None, remote: str, api: Any) -> PreviewPlan:
    """The plan that deletes the managed previews of `branch` (destroy), or of every branch the
    remote no longer has (prune, asked with `git ls-remote --heads`)."""
    from . import previews

    sync_owner = owner(project)
    workspace = project.model.workspace
    assert workspace is not None
    if branch is not None:
        wanted: Callable[[str], bool] = branch.__eq__
        scope = f"preview destroy (branch {branch})"
    else:
        from .. import gitrefs

        heads = gitrefs.remote_branches(root, remote)
        if not heads:
            raise OperationError(f"remote '{remote}' lists no branch: refusing to prune every preview")
        wanted = previews.gone(heads)
        scope = f"preview prune (remote {remote})"
    keep = set(project.model.deployment_names)
    listed = api.read(workspace.name, [])
    names = [dep.name for dep, b in previews.previews(listed, sync_owner) if wanted(b) and dep.name not in keep]
    live = api.read(workspace.name, names) if names else listed
    return PreviewPlan(previews.destroy_plan(live, sync_owner, wanted, scope, keep), workspace.name)
