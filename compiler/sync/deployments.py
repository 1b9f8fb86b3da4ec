"""The Deployments stage of a plan: each Deployment's desired settings read from the project,
a preview not yet live standing in under a placeholder ID, and the combined plan in SPEC 7.6's
order (create a missing preview; update Deployments; then the environment objects' changes)."""

from __future__ import annotations

from collections.abc import Sequence

from compiler.load.documents import YPath
from compiler.model import branches, secrets
from compiler.model.frozen import replace
from compiler.resolve.deployment import ResolvedDeployment
from compiler.sync.astro_state import PENDING_ID, LiveDeployment, LiveState
from compiler.sync.changeset import Options, Plan
from compiler.sync.settings import DesiredSettings, SettingsPlan, plan_settings
from compiler.validate.project import Project

SECTIONS = ("description", "worker_queues", "environment_variables", "alert_emails", "hibernation_schedules")


def desired_settings(project: Project, dep: ResolvedDeployment) -> DesiredSettings:
    spec = dep.spec
    document = project.document(spec.path)
    data = document.data if document is not None and isinstance(document.data, dict) else {}
    present = frozenset(k for k in SECTIONS if k in data)
    return DesiredSettings(
        name=dep.name,
        base=dep.base,
        is_preview=dep.is_preview,
        branch=dep.branch,
        description=spec.description,
        astro=spec.astro,
        worker_queues=spec.worker_queues,
        environment_variables=spec.environment_variables,
        alert_emails=spec.alert_emails,
        hibernation_schedules=spec.hibernation_schedules,
        present=present,
        path=spec.path,
        where=_where(project, dep),
    )


def _where(project: Project, dep: ResolvedDeployment) -> tuple[str, YPath]:
    """A Deployment's `name`, or a preview's rule (`preview.name`)."""
    workspace = project.model.workspace
    found = branches.match(workspace, dep.branch) if dep.is_preview and workspace is not None else None
    if found is not None:
        return found.rule.path, (*found.rule.ypath, "preview", "name")
    return dep.spec.path, ("name",)


def secret_names(resolved: Sequence[ResolvedDeployment]) -> set[str]:
    """The secrets of the environment variables of the Deployments in scope (apply sends them)."""
    return {s.name for dep in resolved for s in secrets.referenced(dep.spec.environment_variables)}


def with_pending_previews(live: LiveState, resolved: Sequence[ResolvedDeployment]) -> LiveState:
    """Live state with each missing preview present under the placeholder ID: the plan of its
    objects is made against it, and apply puts in the ID the preview's create returns."""
    pending = tuple(
        LiveDeployment(PENDING_ID, dep.name)
        for dep in resolved
        if dep.is_preview and live.deployment_id(dep.name) is None
    )
    return replace(live, deployments=(*live.deployments, *pending)) if pending else live


def plan_for(
    project: Project, resolved: Sequence[ResolvedDeployment], live: LiveState, options: Options, *, full: bool
) -> SettingsPlan:
    workspace = project.model.workspace
    assert workspace is not None
    desired = [desired_settings(project, dep) for dep in resolved]
    return plan_settings(desired, live, options, full=full, workspace_path=workspace.path)


def combine(settings: SettingsPlan, objects: Plan, options: Options) -> Plan:
    creates = [c for c in settings.changes if c.operation == "create"]
    updates = [c for c in settings.changes if c.operation != "create"]
    blind = objects.secrets_sent_blind or (options.key is None and options.values is not None and settings.secrets)
    return Plan(
        objects.scope,
        (*creates, *updates, *objects.changes),
        (*objects.diagnostics, *settings.diagnostics),
        blind,
        objects.deferred,
        objects.target,
    )
