"""A live Deployment's settings as its deployment file holds them: the inverse of settings.py.

`import --from-astro` writes these sections; `plan` right after compares them with the same
Deployment and finds nothing to change, because each value is read from the field the plan
compares it with (deployment_body.py's names, the request view of astro_state.as_request):

    astro                   runtime_version (runtimeVersion), deployment_type (type), executor,
                            scheduler_size, ci_cd_enforcement, dag_deploy_enabled,
                            is_high_availability, is_development_mode, task pod and quota sizes,
                            workload_identity, task_pod_node_pool_id (HYBRID), cloud_provider and
                            region (STANDARD) or cluster_id (DEDICATED, HYBRID),
                            scheduler_au/scheduler_count (HYBRID `scheduler`)
    worker_queues           [{name, worker_type (HYBRID: node_pool_id), min_worker_count,
                            max_worker_count, worker_concurrency, pod_ephemeral_storage}]
                            (none for KUBERNETES)
    environment_variables   {KEY: value}; a secret one's key is in `secret_env` (no value is read)
    alert_emails            contactEmails
    hibernation_schedules   scalingSpec.hibernationSpec.schedules (development mode only)

Only fields a type's update request takes (deployment_body.UPDATE_FIELDS) are written.
Pure: no HTTP, no printing.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from compiler.model.objects import thaw
from compiler.sync.astro_state import LiveDeployment
from compiler.sync.deployment_body import API_FIELDS, SCHEDULER, UPDATE_FIELDS, deployment_type, schedules_view

_QUEUE = {"min_worker_count": "minWorkerCount", "max_worker_count": "maxWorkerCount",
          "worker_concurrency": "workerConcurrency", "pod_ephemeral_storage": "podEphemeralStorage"}  # fmt: skip
# Where a Deployment is placed (create-only, written as the file holds it): STANDARD by cloud and
# region, DEDICATED and HYBRID by cluster (deployment_rules.PLACED_BY).
_PLACEMENT = {"STANDARD": {"cloud_provider": "cloudProvider", "region": "region"},
              "DEDICATED": {"cluster_id": "clusterId"}, "HYBRID": {"cluster_id": "clusterId"}}  # fmt: skip


def settings_sections(dep: LiveDeployment) -> tuple[dict[str, Any], tuple[str, ...]]:
    """(the deployment file's settings sections, the keys of its secret environment variables)."""
    live = dep.request
    kind = deployment_type({}, live)
    sections: dict[str, Any] = {"astro": _astro(live, kind)}
    if sections["astro"].get("executor") != "KUBERNETES" and live.get("workerQueues"):
        sections["worker_queues"] = [_queue(q, kind) for q in live["workerQueues"]]
    variables = live.get("environmentVariables") or ()
    sections["environment_variables"] = {
        str(v["key"]): ("" if v.get("isSecret") else str(v.get("value") or "")) for v in variables
    }
    secret = tuple(str(v["key"]) for v in variables if v.get("isSecret"))
    sections["alert_emails"] = [str(e) for e in live.get("contactEmails") or ()]
    spec = live.get("scalingSpec") or {}
    schedules = (spec.get("hibernationSpec") or {}).get("schedules") or ()
    if live.get("isDevelopmentMode") and kind != "HYBRID":
        sections["hibernation_schedules"] = [
            {k: v for k, v in s.items() if v is not None} for s in schedules_view([dict(s) for s in schedules])
        ]
    return sections, secret


def _astro(live: Mapping[str, Any], kind: str) -> dict[str, Any]:
    astro: dict[str, Any] = {}
    runtime = live.get("runtimeVersion") or live.get("astroRuntimeVersion")
    if runtime:
        astro["runtime_version"] = str(runtime)
    for key, api_field in API_FIELDS.items():
        value = live.get(api_field)
        if api_field == "type":
            astro[key] = kind
        elif (
            value is not None
            and api_field in UPDATE_FIELDS.get(kind, UPDATE_FIELDS["STANDARD"])
            and key != "task_pod_node_pool_id"
        ):
            astro[key] = thaw(value)
    if kind == "HYBRID":
        spec = live.get("scheduler") or {}
        astro.update({key: spec[name] for key, name in SCHEDULER.items() if spec.get(name) is not None})
    astro.update({key: live[name] for key, name in _PLACEMENT.get(kind, {}).items() if live.get(name)})
    return astro


def _queue(queue: Mapping[str, Any], kind: str) -> dict[str, Any]:
    # A HYBRID queue runs on a node pool (`node_pool_id`) and has no ephemeral storage setting.
    entry: dict[str, Any] = {"name": str(queue.get("name", ""))}
    if kind == "HYBRID":
        entry["node_pool_id"] = str(queue.get("nodePoolId") or "")
    else:
        entry["worker_type"] = str(queue.get("astroMachine") or "")
    fields = {k: v for k, v in _QUEUE.items() if not (kind == "HYBRID" and k == "pod_ephemeral_storage")}
    entry.update({key: thaw(queue[name]) for key, name in fields.items() if queue.get(name) is not None})
    return entry
