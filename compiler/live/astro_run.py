"""plan / apply on Astro end to end: scope -> desired -> live (through remote/) -> plan -> writes.

It reaches remote/ lazily, as do airflowrun, astropools and previewrun; planning stays pure.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Mapping
from concurrent.futures import Future
from pathlib import Path
from typing import Any

from compiler.diagnostics import Diagnostic, Location, did_you_mean, error
from compiler.errors import InvalidEnvironments, OperationError
from compiler.live import saved_plans
from compiler.live.astro_pools import WithPools, with_astro_pools
from compiler.live.early_read import LiveRead
from compiler.live.session import Console, Outcome, Request, present, run_apply
from compiler.load import ci
from compiler.model import secrets
from compiler.model.branches import Target
from compiler.model.frozen import field, frozen, replace
from compiler.model.objects import MAPPINGS, Secret
from compiler.model.secrets import SecretValues
from compiler.render.pipeline import Selection, current_branch, resolve_selection, target
from compiler.resolve.deployment import ResolvedDeployment
from compiler.sync import deployments as deployment_stage
from compiler.sync import desired as desired_state
from compiler.sync import previews
from compiler.sync.astro_plan import plan
from compiler.sync.astro_state import LiveState
from compiler.sync.changeset import Options, Plan
from compiler.validate.project import Project


@frozen
class Scope:
    label: str
    full: bool
    resolved: tuple[ResolvedDeployment, ...]
    selection: Selection


@frozen
class Planned:
    plan: Plan
    workspace: str
    scope: Scope
    values: SecretValues | None
    inputs: str  # hash of what the plan was made from (repository files, scope, secrets)
    live: LiveState
    adopt: bool = False
    # What a later plan of the same run needs (a new preview's pools): the project and the options.
    context: tuple[Project, Options] | None = field(default=None, compare=False, repr=False)
    duplicates: LiveState | None = None  # live as read, when duplicate previews were set aside


def sync(
    request: Request,
    saved: Mapping[str, Any] | None,
    root: Path,
    environ: Mapping[str, str],
    console: Console,
    *,
    apply: bool,
) -> Outcome:
    """plan or apply on Astro (a plan saved by plan --out as `saved`): the scope's objects,
    Deployment settings and previews, and the pools through each Deployment's Airflow."""
    from compiler.remote.astro import connect
    from compiler.remote.astro_target import AstroTarget

    selection, adopt = saved_plans.chosen(
        request.selection, request.adopt, saved, lambda flag: current_branch(root, flag, environ)
    )
    saved_plans.fingerprint_key(environ)  # refused (or registered for masking) before any request
    reading = LiveRead.start(root, environ)  # before validating: see live/early_read.py
    # What is loaded by now (the modules of plan and of the HTTP client: some 40,000 objects)
    # lives until exit: the collector need not scan it again while the repository is read
    # (about 10 ms of a 1000x50 plan's CPU, issue 26; the CLI freezes the project after validation too).
    gc.freeze()
    try:
        # Every Deployment is resolved next (the scope's, or all of them for the deferred changes
        # of a narrower scope): kept from validation, not resolved a second time (issue 26).
        project = console.project(resolved=True)
        owner(project)
        reading = reading or LiveRead(connect(environ))
        planned = make_plan(
            project, root, selection, mode=request.secrets, adopt=adopt, environ=environ, reading=reading
        )
    finally:
        if reading is not None:
            reading.close()
    if saved is not None:
        check_fresh(saved, planned)
    if not present(planned, request, saved, console, lambda: plan_file(planned), apply=apply):
        return Outcome(planned)
    from compiler.live.preview_ready import apply_pools_when_ready, wait_settings

    wait_settings(environ)  # a bad value is refused before the first write
    api = connect(environ)
    read = planned.duplicates or planned.live  # the duplicates set aside are known objects too
    known = frozenset({o.id for o in read.objects} | {d.id for d in (*read.deployments, *planned.live.deployments)})
    astro = AstroTarget(api, known)
    target = WithPools(astro, planned.live, environ)  # pools go to each Deployment's Airflow
    try:
        astro.confirm([w for c in planned.plan.changes for w in c.writes], planned.live)
        applied = run_apply(planned, target, console)
        if applied.ok:  # a preview created now: wait for it, then apply its pools
            applied = apply_pools_when_ready(planned, target, api, environ, console, applied)
    finally:
        target.close()
        api.close()
    return Outcome(planned, applied)


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
        _confirm_sync_branch(project, found, environ)
        resolved = resolve_selection(project, root, Selection(all=True), environ)
        return Scope(f"{found.base} (branch {found.branch})", True, tuple(resolved), pinned)
    dep = resolve_selection(project, root, pinned, environ)
    kind = "preview " if found.is_preview else ""
    return Scope(f"{kind}{dep[0].name} (branch {found.branch})", False, tuple(dep), pinned)


def _confirm_sync_branch(project: Project, found: Target, environ: Mapping[str, str]) -> None:
    """The sync branch applies everything (SPEC 7.2), and the checked-out `workspace.yaml`,
    which any branch can edit, names it: a feature branch that names itself the sync branch
    would change production. Refused (exit 1, before any request): a sync branch whose rule
    makes a preview (previews are never in that scope), and a branch other than the one CI
    names as the sync branch or the repository's default branch (load/ci.py), where it names one;
    and, in a CI run that names none (a GitHub `schedule` event's payload), every branch unless
    ASTRO_GITOPS_SYNC_BRANCH names it: a check that cannot be made does not pass."""
    workspace = project.model.workspace
    assert workspace is not None
    document = project.document(workspace.path)
    sync = (document.data or {}).get("sync") if document else None
    where = document.locate(("sync", "branch")) if document and isinstance(sync, dict) and "branch" in sync else None
    where = where or Location(workspace.path)
    if found.is_preview:
        message = (
            f"the sync branch '{found.branch}' maps to a preview; it must map to a Deployment (it applies every one)"
        )
        raise InvalidEnvironments([error(where, "sync-branch-preview", message)])
    trusted = ci.sync_branch(environ)
    if trusted is not None and trusted.name is None:
        message = (
            f"this checkout's workspace.yaml makes '{found.branch}' the sync branch, which applies every Deployment, "
            f"but this CI run cannot confirm it: {trusted.source}; set ASTRO_GITOPS_SYNC_BRANCH to the sync branch "
            "in CI (the reusable workflow's sync-branch input)"
        )
        raise InvalidEnvironments([error(where, "sync-branch-unconfirmed", message)])
    if trusted is not None and trusted.name != found.branch:
        message = (
            f"this checkout's workspace.yaml makes '{found.branch}' the sync branch, which applies every Deployment, "
            f"but {trusted.source} is '{trusted.name}': a branch cannot give itself that scope; merge the change "
            f"into '{trusted.name}' (for a sync branch that is not the default branch, set ASTRO_GITOPS_SYNC_BRANCH "
            "in CI: the reusable workflow's sync-branch input)"
        )
        raise InvalidEnvironments([error(where, "sync-branch-unconfirmed", message)])


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
    read: set[int] = set()  # objects share parts mappings (sync/desired.py): each is read once
    for obj in state.objects:
        into = wanted if state.full or obj.scope == "DEPLOYMENT" else optional
        for value in obj.fields.values():
            _add_names(value, into)
        if id(obj.parts) in read:
            continue
        read.add(id(obj.parts))  # the mappings live as long as `state`: an id is not reused
        for part in obj.parts.values():
            for value in part.overrides.values():
                _add_names(value, wanted)
    return wanted, optional


def _add_names(value: Any, into: set[str]) -> None:
    """Adds the secret names referenced inside a desired value to `into` (a set, changed in place:
    one call per field, not a generator per nested value, issue 26)."""
    if isinstance(value, str):  # most values: asked first
        return
    if isinstance(value, Secret):
        into.add(value.name)
    elif isinstance(value, desired_state.JsonText):
        _add_names(value.value, into)
    elif isinstance(value, MAPPINGS):
        for child in value.values():
            _add_names(child, into)
    elif isinstance(value, (list, tuple)):
        for child in value:
            _add_names(child, into)


def _live_state(project: Project, read: Future[LiveState]) -> LiveState:
    """The live read's result; a workspace the organization lacks is located in workspace.yaml,
    with the near name among the live ones."""
    from compiler.remote.astro import WorkspaceNotFound

    try:
        return read.result()
    except WorkspaceNotFound as exc:
        workspace = project.model.workspace
        path = workspace.path if workspace else ""
        document = project.document(path)
        where = document.locate(("workspace",)) if document else Location(path)
        names = ", ".join(f"'{n}'" for n in exc.live) or "none"
        message = (
            f"no workspace named '{exc.name}' in organization {exc.organization}{did_you_mean(exc.name, exc.live)}; "
            f"the token sees: {names}"
        )
        raise InvalidEnvironments([error(where, "workspace-not-found", message)]) from None


def _missing_deployments(project: Project, chosen: Scope, live: LiveState) -> list[Diagnostic]:
    problems = []
    names = sorted(d.name for d in live.deployments)
    for dep in chosen.resolved:
        if live.deployment_id(dep.name) is not None or dep.is_preview:
            continue  # a missing preview is created by its branch's apply
        spec = project.model.deployment(dep.base)
        path = spec.path if spec else project.model.workspace.path if project.model.workspace else ""
        document = project.document(path)
        where = document.locate(("name",)) if document and spec else Location(path)
        listed = ", ".join(f"'{n}'" for n in names) or "none"
        message = (
            f"Deployment '{dep.name}' not found in workspace '{live.workspace_name}'{did_you_mean(dep.name, names)}; "
            f"its Deployments: {listed}"
        )
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
    reading: LiveRead,
) -> Planned:
    sync_owner = owner(project)
    workspace = project.model.workspace
    assert workspace is not None
    chosen = scope(project, root, selection, environ)
    # Live state is read while the desired state is built: the read is mostly waiting (the API's
    # 25 GET/s limit), the build is CPU, so the plan takes about the longer of the two, not both.
    read = reading.state(workspace.name, [d.name for d in chosen.resolved])
    state = desired_state.build(project.model, workspace.name, chosen.resolved, full=chosen.full)
    wanted, optional = _needed(state)
    wanted |= deployment_stage.secret_names(chosen.resolved)
    values = _secret_values(mode, wanted, optional, environ)
    names = [d.name for d in chosen.resolved]
    key = saved_plans.fingerprint_key(environ)
    signing = key.encode() if key else None
    settled, duplicates = previews.settle_duplicates(_live_state(project, read), sync_owner, signing, names)
    live = deployment_stage.with_pending_previews(settled, chosen.resolved)
    missing = _missing_deployments(project, chosen, live)
    if missing:
        raise InvalidEnvironments(missing)
    options = Options(sync_owner, adopt, signing, values, locator(project), workspace.sync_branch)
    made = deployment_stage.combine(
        deployment_stage.plan_for(project, chosen.resolved, live, options, full=chosen.full),
        plan(state, live, options, chosen.label),
        options,
    )
    made = with_astro_pools(made, project, chosen.resolved, live, options, environ)
    if not chosen.full:
        from compiler.live.other_deployments import deferred_changes

        every = deferred_changes(project, root, state, made.deferred, live, options, environ)
        made = replace(made, deferred=every)
    made = replace(made, changes=(*made.changes, *duplicates.changes))  # previews go last
    said = {(d.code, d.message) for d in project.diagnostics}  # validate showed them already
    made = replace(made, diagnostics=tuple(d for d in made.diagnostics if (d.code, d.message) not in said))
    inputs = saved_plans.inputs(project, chosen.label, values, key)
    read_live = read.result() if duplicates.changes else None
    return Planned(made, workspace.name, chosen, values, inputs, live, adopt, (project, options), read_live)


def locator(project: Project) -> Callable[[str, Any], Location]:
    def locate(path: str, ypath: Any) -> Location:
        document = project.document(path)
        return document.locate(ypath, at="key") if document and ypath else Location(path)

    return locate


# --- saved plans ---------------------------------------------------------------------------


def plan_file(planned: Planned) -> str:
    selection = planned.scope.selection
    return saved_plans.text(
        planned.plan,
        planned.workspace,
        {
            "selection": saved_plans.selection_entry(selection, planned.adopt),
            "inputs": planned.inputs,
            "touched": dict(sorted({i: u for c in planned.plan.changes for i, u in c.touched}.items())),
            "changes": saved_plans.changes_digest(planned.plan, planned.workspace),
        },
    )


def check_fresh(saved: Mapping[str, Any], planned: Planned) -> None:
    """Refuse a plan made from other files, other live objects, or that now plans otherwise."""
    now: dict[str, str] = {}
    for state in (planned.duplicates, planned.live):
        if state is not None:
            now.update((o.id, o.updated_at) for o in state.objects)
            now.update((d.id, d.updated_at) for d in state.deployments)
    changes = saved_plans.changes_digest(planned.plan, planned.workspace)
    touched = {i for c in planned.plan.changes for i, _ in c.touched}
    saved_plans.check_fresh(saved, planned.inputs, changes, now.get, "Astro", touched)
