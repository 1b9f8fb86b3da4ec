"""plan / apply against one Airflow (`--airflow URL`, SPEC 7.7), end to end.

A Deployment D (by --deployment, or the one the branch maps to) -> its resolved objects ->
that Airflow's live connections, variables and pools (through remote/, lazily) -> a plan in
the change model of sync/astro_plan.py -> writes through remote.airflow.AirflowTarget. The same owner,
marker, fingerprints, secret modes, saved plans, reporters and exit codes as the Astro target.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from compiler.errors import UsageError
from compiler.live import saved_plans
from compiler.live.astro_run import locator, owner
from compiler.live.session import Console, Outcome, Request, present, run_apply
from compiler.model import secrets
from compiler.model.frozen import frozen
from compiler.model.secrets import SecretValues
from compiler.render.pipeline import Selection, current_branch, resolve_selection
from compiler.resolve.deployment import ResolvedDeployment
from compiler.sync import airflow_plan
from compiler.sync.airflow_state import KINDS, LiveAirflow
from compiler.sync.changeset import Options, Plan
from compiler.validate.project import Project


@frozen
class AirflowPlanned:
    plan: Plan
    deployment: ResolvedDeployment
    live: LiveAirflow
    values: SecretValues | None
    workspace: str
    inputs: str = ""  # hash of what the plan was made from (repository files, scope, secrets)


def sync(
    request: Request,
    saved: Mapping[str, Any] | None,
    root: Path,
    environ: Mapping[str, str],
    console: Console,
    *,
    apply: bool,
) -> Outcome:
    """plan or apply with --airflow URL (or a plan saved with it): one Deployment's connections,
    variables and pools on one Airflow."""
    from compiler.remote.airflow import AirflowClient, AirflowTarget, Credentials

    url = str(request.airflow or (saved or {}).get("airflow") or "")
    selection, adopt = saved_plans.chosen(
        request.selection, request.adopt, saved, lambda flag: current_branch(root, flag, environ)
    )
    saved_plans.fingerprint_key(environ)  # refused (or registered for masking) before any request
    project = console.project()
    sync_owner = owner(project)
    dep = deployment(project, root, selection, environ)
    values = secret_values(dep, request.secrets, environ)
    with AirflowClient(url, Credentials.from_env(environ), environ) as client:
        live = client.read()
        planned = make_plan(project, dep, live, owner=sync_owner, values=values, adopt=adopt, environ=environ)
        if saved is not None:
            check_fresh(saved, planned)
        if not present(planned, request, saved, console, lambda: plan_file(planned, selection, adopt), apply=apply):
            return Outcome(planned)
        applied = run_apply(planned, AirflowTarget(client), console)
    return Outcome(planned, applied)


def deployment(project: Project, root: Path, selection: Selection, environ: Mapping[str, str]) -> ResolvedDeployment:
    """The one Deployment an Airflow mirrors: --deployment D, or the branch's Deployment or preview."""
    if selection.all:
        raise UsageError("--airflow targets one Deployment: pass --deployment D (not --all)")
    return resolve_selection(project, root, selection, environ)[0]


def secret_values(dep: ResolvedDeployment, mode: str, environ: Mapping[str, str]) -> SecretValues | None:
    """The values of every secret the Deployment's objects name; None under --secrets redact."""
    if secrets.parse_mode(mode)[0] == "redact":
        return None
    names = {s.name for o in dep.objects if o.kind in KINDS for s in secrets.referenced(o.fields())}
    return secrets.load(mode, names, environ)


def make_plan(
    project: Project,
    dep: ResolvedDeployment,
    live: LiveAirflow,
    *,
    owner: str,
    values: SecretValues | None,
    adopt: bool,
    environ: Mapping[str, str],
) -> AirflowPlanned:
    key = saved_plans.fingerprint_key(environ)
    options = Options(owner, adopt, key.encode() if key else None, values, locator(project))
    wanted = airflow_plan.desired(project.model, dep)
    scope = f"{dep.name} on Airflow {live.url}"
    made = airflow_plan.plan(wanted, live, options, scope)
    workspace = project.model.workspace.name if project.model.workspace else ""
    return AirflowPlanned(made, dep, live, values, workspace, saved_plans.inputs(project, scope, values, key))


# --- saved plans (plan --out, apply PLAN) -----------------------------------------------------


def _state(planned: AirflowPlanned, kind: str, key: str) -> str:
    """A live object's fingerprint in a saved plan: Airflow keeps no updatedAt, so its content
    (masked values as read) stands in for one; absent when the object does not exist."""
    found = next((o for o in planned.live.objects.values() if (o.kind, o.key) == (kind, key)), None)
    if found is None:
        return "absent"
    content = json.dumps([found.description, dict(found.fields)], sort_keys=True, default=str)
    return hashlib.sha256(content.encode()).hexdigest()[:16]


def plan_file(planned: AirflowPlanned, selection: Selection, adopt: bool) -> str:
    return saved_plans.text(
        planned.plan,
        planned.workspace,
        {
            "airflow": planned.live.url,
            "selection": saved_plans.selection_entry(selection, adopt),
            "inputs": planned.inputs,
            "touched": {f"{c.kind}/{c.key}": _state(planned, c.kind, c.key) for c in planned.plan.changes},
            "changes": saved_plans.changes_digest(planned.plan, planned.workspace),
        },
    )


def check_fresh(saved: Mapping[str, Any], planned: AirflowPlanned) -> None:
    """Refuse a plan made from other files, other live objects, or that now plans otherwise."""
    changes = saved_plans.changes_digest(planned.plan, planned.workspace)
    touched = {f"{c.kind}/{c.key}" for c in planned.plan.changes}
    state = lambda k: _state(planned, *k.split("/", 1))  # noqa: E731
    saved_plans.check_fresh(saved, planned.inputs, changes, state, "Airflow", touched)
