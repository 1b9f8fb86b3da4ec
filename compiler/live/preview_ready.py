"""A new preview's readiness: apply waits for it, then applies its pools in the same run.

A preview created by this apply has no Airflow yet, so its pools cannot be planned with the
rest. As astronomer/deploy-action waits for a new Deployment to become HEALTHY, apply polls
the created Deployment (`GET /deployments/{id}`) until its `status` is `HEALTHY` and it reports
a `webServerAirflowApiUrl`, within a bounded wait, saying each poll; then it plans the preview's
pools against that Airflow and applies them.

Configuration: ASTRO_GITOPS_PREVIEW_WAIT (seconds, default 900; 0 polls once) and
ASTRO_GITOPS_PREVIEW_POLL (seconds between polls, default 10).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any

from compiler.errors import OperationError
from compiler.live.astro_pools import WithPools, with_astro_pools
from compiler.live.session import Console, run_apply
from compiler.model.frozen import replace
from compiler.resolve.deployment import ResolvedDeployment
from compiler.sync.apply import Applied
from compiler.sync.astro_state import PENDING_ID, LiveDeployment
from compiler.sync.changeset import Plan

WAIT = "ASTRO_GITOPS_PREVIEW_WAIT"
POLL = "ASTRO_GITOPS_PREVIEW_POLL"
DEFAULT_WAIT = 900.0  # seconds
DEFAULT_POLL = 10.0  # seconds


def seconds(environ: Mapping[str, str], name: str, default: float) -> float:
    """A non-negative number of seconds from `name`; OperationError names a bad value."""
    text = environ.get(name, "").strip()
    if not text:
        return default
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not value >= 0 or value == float("inf"):
        raise OperationError(f"{name} must be a number of seconds (0 or more), not {text!r}")
    return value


def wait_settings(environ: Mapping[str, str]) -> tuple[float, float]:
    """(the longest wait, the time between polls) in seconds; OperationError names a bad value."""
    return seconds(environ, WAIT, DEFAULT_WAIT), seconds(environ, POLL, DEFAULT_POLL)


def pending_preview(planned: Any) -> ResolvedDeployment | None:
    """The preview this plan creates (it stands under the placeholder ID), if any."""
    return next(
        (d for d in planned.scope.resolved if d.is_preview and planned.live.deployment_id(d.name) == PENDING_ID), None
    )


def wait_ready(
    read: Callable[[], LiveDeployment],
    name: str,
    environ: Mapping[str, str],
    say: Callable[[str], None],
    *,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> LiveDeployment:
    """The Deployment once HEALTHY with an Airflow API URL; OperationError when the wait runs out."""
    limit, poll = wait_settings(environ)
    deadline = clock() + limit
    while True:
        found = read()
        if found.status == "HEALTHY" and found.airflow_api_url:
            say(f"preview '{name}' is HEALTHY")
            return found
        status = found.status or "no status"
        left = deadline - clock()
        if left <= 0:
            raise OperationError(
                f"preview '{name}' is not ready after {limit:g} s ({WAIT}): its status is {status}"
                f"{'' if found.airflow_api_url else ', with no Airflow API URL yet'}; its Deployment settings "
                "and objects are applied, its pools are not: run apply again once it is HEALTHY"
            )
        say(f"waiting for preview '{name}': {status} ({left:.0f} s left of {limit:g} s)")
        sleep(min(poll, left))


def apply_pools_when_ready(
    planned: Any, target: WithPools, api: Any, environ: Mapping[str, str], console: Console, applied: Applied
) -> Applied:
    """`applied` and, when the plan created a preview, the steps of its pools once it is ready."""
    preview = pending_preview(planned)
    created = target.astro.created.get(PENDING_ID)
    if preview is None or created is None or planned.context is None:
        return applied
    project, options = planned.context
    ready = wait_ready(lambda: api.deployment(created), preview.name, environ, console.progress)
    live = replace(
        planned.live, deployments=tuple(ready if d.id == PENDING_ID else d for d in planned.live.deployments)
    )
    pools = with_astro_pools(Plan(planned.plan.scope, ()), project, [preview], live, options, environ)
    console.diagnostics(pools.diagnostics)
    if not pools.changes:
        return applied
    target.live = live
    more = run_apply(replace(planned, plan=pools, live=live), target, console)
    return Applied(applied.steps + more.steps)
