"""The pools of Astro Deployments, planned and written through each one's Airflow (SPEC 7.7).

The Environment Manager has no pools: an Astro plan gets the pool changes of each Deployment in
scope, each planned against that Deployment's Airflow (`webServerAirflowApiUrl`, the Astro
token as bearer), and an Astro apply sends those writes there.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from compiler.diagnostics import Diagnostic, warning
from compiler.errors import OperationError
from compiler.model.frozen import replace
from compiler.model.secrets import SecretValues
from compiler.resolve.deployment import ResolvedDeployment
from compiler.sync import airflow_plan
from compiler.sync.airflow_plan import AirflowDesired
from compiler.sync.airflow_state import Kind, LiveAirflow, LiveObject
from compiler.sync.astro_state import PENDING_ID, LiveDeployment, LiveState
from compiler.sync.changeset import Options, Plan
from compiler.validate.project import Project

if TYPE_CHECKING:
    from compiler.remote.airflow import Credentials

AIRFLOW_READS = 8  # Deployments' Airflows read at the same time


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
    reachable: list[tuple[ResolvedDeployment, LiveDeployment, AirflowDesired]] = []
    for dep in resolved:
        found = next((d for d in live.deployments if d.name == dep.name), None)
        if found is None:
            continue  # the Astro plan reports a missing Deployment
        if found.id == PENDING_ID:
            continue  # a preview this apply creates: its pools follow once it is ready (live/preview_ready.py)
        wanted = airflow_plan.desired(project.model, dep, ("pool",))
        if found.airflow_api_url:
            reachable.append((dep, found, wanted))
        else:
            creating = found.status not in ("", "HEALTHY")  # a preview still starting: not an Astro fault
            reason = (
                f"is {found.status} and has no Airflow yet"
                if creating
                else "reports no Airflow API URL (webServerAirflowApiUrl)"
            )
            diagnostics += _not_applied(wanted, options, f"Deployment '{dep.name}' {reason}")
    with ThreadPoolExecutor(max_workers=AIRFLOW_READS, thread_name_prefix="airflow-read") as pool:
        reads = [pool.submit(_live_pools, found.airflow_api_url, environ) for _, found, _ in reachable]
    for (dep, _, wanted), read in zip(reachable, reads, strict=True):
        try:
            airflow = read.result()
        except OperationError as exc:  # a new preview's Airflow still starting, say: the rest still plans
            reason = f"cannot be read now ({exc})"
            diagnostics += _not_applied(wanted, options, f"the Airflow of Deployment '{dep.name}' {reason}")
            continue
        planned = airflow_plan.plan(wanted, airflow, options, made.scope)
        changes += planned.changes
        diagnostics += planned.diagnostics
    return replace(made, changes=tuple(changes), diagnostics=tuple(diagnostics))


def _not_applied(wanted: AirflowDesired, options: Options, what: str) -> list[Diagnostic]:
    """A warning at the first pool of a Deployment whose Airflow cannot take them (none without pools)."""
    if not wanted.objects:
        return []
    first = wanted.objects[0]
    return [warning(options.locate(first.path, first.ypath), "pools-not-applied", f"{what}: its pools are not applied")]


def _credentials(environ: Mapping[str, str]) -> Credentials:
    """A Deployment's Airflow takes the Astro token as bearer."""
    from compiler.remote.airflow import Credentials

    return Credentials(token=environ.get("ASTRO_API_TOKEN", ""))


def _live_pools(url: str, environ: Mapping[str, str]) -> LiveAirflow:
    """The pools of the Airflow at url, read with the Astro token; OperationError when it cannot be read."""
    from compiler.remote.airflow import AirflowClient

    with AirflowClient(url, _credentials(environ), environ) as client:
        pools: dict[tuple[Kind, str], LiveObject] = {("pool", o.key): o for o in client.read_kind("pool")}
        return LiveAirflow(client.root, client.version, MappingProxyType(pools))


class WithPools:
    """The target of an Astro apply that also sets pools: a pool's write goes to its Deployment's
    Airflow, every other write to the Astro target."""

    def __init__(self, astro: Any, live: LiveState, environ: Mapping[str, str]) -> None:
        self.astro, self.live, self.environ = astro, live, environ
        self._targets: dict[str, Any] = {}

    def write(self, write: Any, values: SecretValues) -> None:
        if write.target != airflow_plan.TARGET:
            self.astro.write(write, values)
            return
        self._target(write.key.scope_entity_id).write(write, values)

    def _target(self, deployment: str) -> Any:
        from compiler.remote.airflow import AirflowClient, AirflowTarget

        if deployment not in self._targets:
            url = next(d.airflow_api_url for d in self.live.deployments if d.name == deployment)
            client = AirflowClient(url, _credentials(self.environ), self.environ)
            self._targets[deployment] = AirflowTarget(client)
        return self._targets[deployment]

    def close(self) -> None:
        for target in self._targets.values():
            target.client.close()
