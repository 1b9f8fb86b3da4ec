"""preview destroy / prune end to end: the managed previews to delete -> a plan -> deletes on Astro."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from compiler.errors import OperationError
from compiler.live.astro_run import owner
from compiler.live.session import Console, Outcome, run_apply
from compiler.model.frozen import field, frozen
from compiler.model.secrets import SecretValues
from compiler.sync.changeset import Plan
from compiler.validate.project import Project


@frozen
class PreviewPlan:
    """What `preview destroy|prune` deletes (read like a Planned by the reporters)."""

    plan: Plan
    workspace: str
    values: SecretValues = field(default_factory=SecretValues)


def preview(
    root: Path, environ: Mapping[str, str], console: Console, *, branch: str | None, remote: str, auto_approve: bool
) -> Outcome:
    """Delete the managed previews of `branch` (destroy), or of every branch `remote` lost (prune)."""
    from compiler.live.saved_plans import fingerprint_key
    from compiler.remote.astro import connect
    from compiler.remote.astro_target import AstroTarget

    project = console.project()
    key = fingerprint_key(environ)  # refused (or registered for masking) before any request
    api = connect(environ)
    try:
        planned = preview_plan(project, root, branch=branch, remote=remote, api=api, key=key)
        console.plan(planned)
        if not planned.plan.has_changes:
            return Outcome(planned)
        if not auto_approve and not console.confirm("Delete these?"):
            raise OperationError("preview cancelled; nothing was deleted")
        target = AstroTarget(api)
        target.confirm([w for c in planned.plan.changes for w in c.writes])
        applied = run_apply(planned, target, console)
    finally:
        api.close()
    return Outcome(planned, applied)


def preview_plan(
    project: Project, root: Path, *, branch: str | None, remote: str, api: Any, key: str | None
) -> PreviewPlan:
    """The plan that deletes the managed previews of `branch` (destroy), or of every branch the
    remote no longer has (prune, asked with `git ls-remote --heads`). With `key`
    (ASTRO_GITOPS_FINGERPRINT_KEY) only previews whose marker signature verifies are ours."""
    from compiler.sync import previews

    sync_owner = owner(project)
    workspace = project.model.workspace
    assert workspace is not None
    if branch is not None:
        wanted: Callable[[str], bool] = branch.__eq__
        scope = f"preview destroy (branch {branch})"
    else:
        from compiler.load import gitrefs

        heads = gitrefs.remote_branches(root, remote)
        if not heads:
            raise OperationError(f"remote '{remote}' lists no branch: refusing to prune every preview")
        wanted = previews.gone(heads)
        scope = f"preview prune (remote {remote})"
    keep = set(project.model.deployment_names)
    listed = api.read(workspace.name, [])
    signing = key.encode() if key else None
    found = previews.previews(listed, sync_owner, signing)
    names = [dep.name for dep, b in found if wanted(b) and dep.name not in keep]
    live = api.read(workspace.name, names) if names else listed
    return PreviewPlan(previews.destroy_plan(live, sync_owner, signing, wanted, scope, keep), workspace.name)
