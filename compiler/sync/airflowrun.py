"""plan / apply against one Airflow (`--airflow URL`, SPEC 7.7), end to end.

A Deployment D (by --deployment, or the one the branch maps to) -> its resolved objects ->
that Airflow's live connections, variables and pools (through remote/, lazily) -> a plan in
the change model of plan.py -> writes through remote.airflow.AirflowTarget. The same owner,
marker, fingerprints, secret modes, reporters and exit codes as the Astro target.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

from .. import secrets
from ..diagnostics import Location, warning
from ..errors import OperationError, UsageError
from ..pipeline import Selection, resolve_selection
from ..project import Project
from ..resolve import ResolvedDeployment
from ..secrets import SecretValues
from . import airflowplan, report
from .airflowstate import KINDS, Kind, LiveAirflow, LiveObject
from .apply import Applied, Step, apply
from .changeset import Options, Plan
from .state import LiveDeployment, LiveState

AIRFLOW_READS = 8  # Deployments' Airflows read at the same time


@dataclass(frozen=True)
class AirflowPlanned:
    plan: Plan
    deployment: ResolvedDeployment
    live: LiveAirflow
    values: SecretValues | None
    workspace: str
    inputs: str = ""  # hash of what the plan was made from (repository files, scope, secrets)


def deployment(project: Project, root: Path, selection: Selection, environ: Mapping[str, str]) -> ResolvedDeployment:
    """The one Deployment an Airflow mirrors: --deployment D, or the branch's Deployment or preview."""
    if selection.all:
        raise UsageError("--airflow targets one Deployment: pass --deployment D (not --all)")
    return resolve_selection(project, root, selection, environ)[0]


def secret_values(
    dep: ResolvedDeployment, mode: str, environ: Mapping[str, str], kinds: tuple[Kind, ...] = KINDS
) -> SecretValues | None:
    """The values of every secret the Deployment's objects name; None under --secrets redact."""
    if secrets.parse_mode(mode)[0] == "redact":
        return None
    names = {s.name for o in dep.objects if o.kind in kinds for s in secrets.referenced(o.fields())}
    return secrets.load(mode, names, environ)


def locator(project: Project) -> Callable[[str, Any], Location]:
    def locate(path: str, ypath: Any) -> Location:
        document = project.document(path)
        return document.locate(ypath, at="key") if document and ypath else Location(path)

    return locate


def make_plan(
    project: Project,
    dep: ResolvedDeployment,
    live: LiveAirflow,
    *,
    owner: str,
    values: SecretValues | None,
    adopt: bool,
    environ: Mapping[str, str],
    kinds: tuple[Kind, ...] = KINDS,
    label: str | None = None,
) -> AirflowPlanned:
    key = environ.get("ASTRO_GITOPS_FINGERPRINT_KEY") or None
    options = Options(owner, adopt, key.encode() if key else None, values, locator(project))
    wanted = airflowplan.desired(project.model, dep, kinds)
    scope = label or f"{dep.name} on Airflow {live.url}"
    made = airflowplan.plan(wanted, live, options, scope)
    workspace = project.model.workspace.name if project.model.workspace else ""
    return AirflowPlanned(made, dep, live, values, workspace, _inputs(project, scope, values, key))


# --- saved plans (plan --out, apply PLAN) -----------------------------------------------------


def _inputs(project: Project, scope: str, values: SecretValues | None, key: str | None) -> str:
    digest = hashlib.sha256()
    for document in sorted(project.documents, key=lambda d: d.path):
        digest.update(f"{document.path}\0{document.text}\0".encode())
    digest.update(scope.encode())
    if key and values is not None:
        # Secret values enter only as an HMAC: a rotated secret makes a saved plan stale.
        keyed = hmac.new(key.encode(), json.dumps(sorted(values.values.items())).encode(), hashlib.sha256)
        digest.update(keyed.digest())
    return digest.hexdigest()


def _state(planned: AirflowPlanned, kind: str, key: str) -> str:
    """A live object's fingerprint in a saved plan: Airflow keeps no updatedAt, so its content
    (masked values as read) stands in for one; absent when the object does not exist."""
    found = next((o for o in planned.live.objects.values() if (o.kind, o.key) == (kind, key)), None)
    if found is None:
        return "absent"
    content = json.dumps([found.description, dict(found.fields)], sort_keys=True, default=str)
    return hashlib.sha256(content.encode()).hexdigest()[:16]


def _changes_digest(planned: AirflowPlanned) -> str:
    return hashlib.sha256(report.as_json(planned.plan, planned.workspace).encode()).hexdigest()


def plan_file(planned: AirflowPlanned, selection: Selection, adopt: bool) -> str:
    from .run import PLAN_VERSION  # run.py imports this module

    data = report.as_data(planned.plan, planned.workspace)
    data["apply"] = {
        "version": PLAN_VERSION,
        "airflow": planned.live.url,
        "selection": {"branch": selection.branch, "deployment": selection.deployment, "all": False, "adopt": adopt},
        "inputs": planned.inputs,
        "touched": {f"{c.kind}/{c.key}": _state(planned, c.kind, c.key) for c in planned.plan.changes},
        "changes": _changes_digest(planned),
    }
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def check_fresh(saved: Mapping[str, Any], planned: AirflowPlanned) -> None:
    """Refuse a plan made from other files, other live objects, or that now plans otherwise."""
    from .run import StalePlan  # run.py imports this module

    reasons = []
    if saved.get("inputs") != planned.inputs:
        reasons.append("the repository (or a secret value) changed since the plan was made")
    touched = saved.get("touched") or {}
    moved = sorted(k for k, at in touched.items() if _state(planned, *k.split("/", 1)) != at)
    if moved:
        reasons.append(f"{len(moved)} live object(s) it touches changed or went away since")
    if not reasons and saved.get("changes") != _changes_digest(planned):
        reasons.append("live Airflow changed since the plan was made")
    if reasons:
        raise StalePlan("; ".join(reasons) + ": run plan again")


def run_apply(planned: AirflowPlanned, target: Any, on_step: Callable[[Step], None] | None = None) -> Applied:
    assert planned.values is not None, "apply refuses --secrets redact before planning"
    return apply(planned.plan, target, planned.values, on_step)


# --- pools of Astro Deployments, through each one's Airflow (SPEC 7.7) -----------------------


def with_astro_pools(
    made: Plan,
    project: Project,
    resolved: Sequence[ResolvedDeployment],
    live: LiveState,
    options: Options,
    environ: Mapping[str, str],
) -> Plan:
    """An Astro plan with the pool changes of each Deployment in scope added, each planned against
    that Deployment's Airflow (`webServerAirflowApiUrl`, the Astro token as bearer): the
    Environment Manager has no pools. The Airflows are read at the same time, AIRFLOW_READS at
    most: each is another host, so the reads wait on the network, not on each other."""
    changes, diagnostics = list(made.changes), list(made.diagnostics)
    reachable: list[tuple[ResolvedDeployment, LiveDeployment, airflowplan.AirflowDesired]] = []
    for dep in resolved:
        found = next((d for d in live.deployments if d.name == dep.name), None)
        if found is None:
            continue  # the Astro plan reports a missing Deployment
        wanted = airflowplan.desired(project.model, dep, ("pool",))
        if found.airflow_api_url:
            reachable.append((dep, found, wanted))
        elif wanted.objects:
            first = wanted.objects[0]
            message = f"Deployment '{dep.name}' reports no Airflow API URL (webServerAirflowApiUrl): its pools are not applied"
            diagnostics.append(warning(options.locate(first.path, first.ypath), "pools-not-applied", message))
    with ThreadPoolExecutor(max_workers=AIRFLOW_READS, thread_name_prefix="airflow-read") as pool:
        reads = [pool.submit(_live_pools, found.airflow_api_url, environ) for _, found, _ in reachable]
    for (dep, _, wanted), read in zip(reachable, reads, strict=True):
        try:
            airflow = read.result()
        except OperationError as exc:  # a new preview's Airflow still starting, say: the rest still plans
            if wanted.objects:
                first = wanted.objects[0]
                message = (
                    f"the Airflow of Deployment '{dep.name}' cannot be read now ({exc}): its pools are not applied"
                )
                diagnostics.append(warning(options.locate(first.path, first.ypath), "pools-not-applied", message))
            continue
        planned = airflowplan.plan(wanted, airflow, options, made.scope)
        changes += planned.changes
        diagnostics += planned.diagnostics
    return Plan(made.scope, tuple(changes), tuple(diagnostics), made.secrets_sent_blind)


def _live_pools(url: str, environ: Mapping[str, str]) -> LiveAirflow:
    """The pools of the Airflow at url, read with the Astro token; OperationError when it cannot be read."""
    from ..remote.airflow import AirflowClient, Credentials

    with AirflowClient(url, Credentials(token=environ.get("ASTRO_API_TOKEN", ""))) as client:
        pools: dict[tuple[Kind, str], LiveObject] = {("pool", o.key): o for o in client.read_kind("pool")}
        return LiveAirflow(client.root, client.version, MappingProxyType(pools))


class WithPools:
    """The target of an Astro apply that also sets pools: a pool's write goes to its Deployment's
    Airflow, every other write to the Astro target."""

    def __init__(self, astro: Any, live: LiveState, environ: Mapping[str, str]) -> None:
        self.astro, self.live, self.environ = astro, live, environ
        self._targets: dict[str, Any] = {}

    def write(self, write: Any, values: SecretValues) -> None:
        if write.target != airflowplan.TARGET:
            self.astro.write(write, values)
            return
        self._target(write.key.scope_entity_id).write(write, values)

    def _target(self, deployment: str) -> Any:
        from ..remote.airflow import AirflowClient, AirflowTarget, Credentials

        if deployment not in self._targets:
            url = next(d.airflow_api_url for d in self.live.deployments if d.name == deployment)
            client = AirflowClient(url, Credentials(token=self.environ.get("ASTRO_API_TOKEN", "")))
            self._targets[deployment] = AirflowTarget(client)
        return self._targets[deployment]

    def close(self) -> None:
        for target in self._targets.values():
            target.client.close()
