"""A Deployment's settings in the Astro API's request shape: field names, spellings, worker
queues, hibernation schedules and environment variables (astro-cli
cloud/deployment/fromfile/fromfile.go maps the deployment file the same way).

`CreateDeploymentRequest` and `UpdateDeploymentRequest` are unions on `type`; each member has
its own fields (astronomer/astro-cli astro-client-v1/api.gen.go, commit ed93cc59e54d:
`Create|Update{Standard,Dedicated,Hybrid}DeploymentRequest`). A body is built for the
Deployment's type and holds only its member's fields; a field of the member that the
repository does not manage is carried over from the live Deployment (a full replacement).

Pure: no HTTP, no printing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from compiler.model.objects import Secret, thaw
from compiler.review.changes import FieldChange

# configuration key of the deployment file -> field of the update request
API_FIELDS = {
    "deployment_type": "type",
    "executor": "executor",
    "scheduler_size": "schedulerSize",
    "ci_cd_enforcement": "isCicdEnforced",
    "dag_deploy_enabled": "isDagDeployEnabled",
    "is_high_availability": "isHighAvailability",
    "is_development_mode": "isDevelopmentMode",
    "default_task_pod_cpu": "defaultTaskPodCpu",
    "default_task_pod_memory": "defaultTaskPodMemory",
    "resource_quota_cpu": "resourceQuotaCpu",
    "resource_quota_memory": "resourceQuotaMemory",
    "workload_identity": "workloadIdentity",
    "task_pod_node_pool_id": "taskPodNodePoolId",
}
SCHEDULER = {"scheduler_au": "au", "scheduler_count": "replicas"}  # HYBRID: `scheduler {au, replicas}`
TYPES = ("STANDARD", "DEDICATED", "HYBRID")
_HOSTED = frozenset({
    "contactEmails", "defaultTaskPodCpu", "defaultTaskPodMemory", "description", "drWorkloadIdentity",
    "environmentVariables", "executor", "isCicdEnforced", "isDagDeployEnabled", "isDevelopmentMode",
    "isHighAvailability", "name", "remoteExecution", "resourceQuotaCpu", "resourceQuotaMemory", "scalingSpec",
    "schedulerSize", "type", "workerQueues", "workloadIdentity", "workspaceId",
})  # fmt: skip
_HYBRID = frozenset({
    "contactEmails", "description", "drWorkloadIdentity", "environmentVariables", "executor", "isCicdEnforced",
    "isDagDeployEnabled", "name", "scheduler", "taskPodNodePoolId", "type", "workerQueues", "workloadIdentity",
    "workspaceId",
})  # fmt: skip
# The fields of each member of UpdateDeploymentRequest and CreateDeploymentRequest.
UPDATE_FIELDS = {"STANDARD": _HOSTED, "DEDICATED": _HOSTED, "HYBRID": _HYBRID}
CREATE_FIELDS = {
    "STANDARD": _HOSTED | {"astroRuntimeVersion", "cloudProvider", "clusterId", "region"},
    "DEDICATED": _HOSTED | {"astroRuntimeVersion", "clusterId"},
    "HYBRID": _HYBRID | {"astroRuntimeVersion", "clusterId"},
}
# The executors each member takes (HYBRID has no ASTRO).
TYPE_EXECUTORS = {"STANDARD": ("CELERY", "KUBERNETES", "ASTRO"), "DEDICATED": ("CELERY", "KUBERNETES", "ASTRO"),
                  "HYBRID": ("CELERY", "KUBERNETES")}  # fmt: skip
# what an update requires, and the value when neither git nor live says (HYBRID: no
# schedulerSize or isHighAvailability; its required `scheduler` has no default: see `scheduler`)
REQUIRED = {
    "type": "STANDARD",
    "executor": "CELERY",
    "schedulerSize": "SMALL",
    "isCicdEnforced": False,
    "isDagDeployEnabled": True,
    "isHighAvailability": False,
}
HYBRID_SCHEDULER = {"au": 5, "replicas": 1}  # the API's minimums (api.gen.go field comments)
CREATE_ONLY = {"cloud_provider": "cloudProvider", "region": "region", "cluster_id": "clusterId"}
EXECUTORS = {"CELERYEXECUTOR": "CELERY", "KUBERNETESEXECUTOR": "KUBERNETES", "ASTROEXECUTOR": "ASTRO"}
QUEUE_FIELDS = {"worker_type": "astroMachine", "min_worker_count": "minWorkerCount",
                "max_worker_count": "maxWorkerCount", "worker_concurrency": "workerConcurrency"}  # fmt: skip
QUEUE_DEFAULTS = {"minWorkerCount": 0, "maxWorkerCount": 10, "workerConcurrency": 5}


def normal(api_field: str, value: Any) -> Any:
    """A configuration value in the API's spelling (executor and sizes upper-cased, quantities text)."""
    if value is None:
        return None
    if api_field == "executor":
        text = str(value).upper()
        return EXECUTORS.get(text, text)
    if api_field in ("schedulerSize", "type", "astroMachine"):
        return str(value).upper()
    if api_field.startswith(("defaultTaskPod", "resourceQuota")):
        return str(value)
    return value


def env_text(value: Any) -> Any:
    """An environment variable's value as the deployment file renders it (secrets stay `Secret`)."""
    if isinstance(value, Secret):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def queue_request(
    queue: Mapping[str, Any], before: Mapping[str, Any] | None, deployment_type: str = "STANDARD"
) -> dict[str, Any]:
    """A worker queue of the request (`UpdateWorkerQueueRequest`/`WorkerQueueRequest`; for a
    HYBRID Deployment `nodePoolId` instead of `astroMachine`, as `HybridWorkerQueueRequest`);
    a live queue of the same name lends its `id` and what the file leaves out."""
    name = str(queue.get("name", ""))
    entry: dict[str, Any] = {"name": name, "isDefault": name == "default"}
    if before is not None and before.get("id"):
        entry["id"] = before["id"]
    if deployment_type == "HYBRID":
        pool = queue.get("node_pool_id", queue.get("nodePoolId")) or (before or {}).get("nodePoolId")
        if pool:
            entry["nodePoolId"] = str(pool)
    else:
        machine = queue.get("worker_type", queue.get("astroMachine")) or (before or {}).get("astroMachine")
        entry["astroMachine"] = normal("astroMachine", machine) if machine else "A5"
    for key, api_field in list(QUEUE_FIELDS.items())[1:]:
        value = queue.get(key, queue.get(api_field))
        entry[api_field] = value if value is not None else (before or {}).get(api_field, QUEUE_DEFAULTS[api_field])
    storage = queue.get("pod_ephemeral_storage", queue.get("podEphemeralStorage"))
    if deployment_type == "HYBRID":
        storage = None
    elif not storage and before is not None:
        storage = before.get("podEphemeralStorage")
    if storage:
        entry["podEphemeralStorage"] = str(storage)
    return entry


def compared_queue_fields(deployment_type: str) -> dict[str, str]:
    """The queue keys a plan compares: `node_pool_id` replaces `worker_type` on HYBRID."""
    if deployment_type != "HYBRID":
        return QUEUE_FIELDS
    return {"node_pool_id": "nodePoolId", **{k: v for k, v in QUEUE_FIELDS.items() if k != "worker_type"}}


def scheduler(astro: Mapping[str, Any], live: Mapping[str, Any]) -> dict[str, Any]:
    """A HYBRID Deployment's required `scheduler {au, replicas}`: the file's `scheduler_au` and
    `scheduler_count`, else live (`schedulerAu`, `schedulerReplicas`), else the API's minimums."""
    before = live.get("scheduler") or {}
    out = {}
    for key, name in SCHEDULER.items():
        value = astro.get(key, before.get(name))
        out[name] = int(value) if value is not None else HYBRID_SCHEDULER[name]
    return out


def deployment_type(astro: Mapping[str, Any], live: Mapping[str, Any]) -> str:
    """STANDARD, DEDICATED or HYBRID: the file's `deployment_type` (HOSTED_* spellings folded),
    else live's `type`, else STANDARD."""
    text = str(astro.get("deployment_type") or live.get("type") or "STANDARD").upper()
    return {"HOSTED_SHARED": "STANDARD", "HOSTED_STANDARD": "STANDARD", "HOSTED_DEDICATED": "DEDICATED"}.get(text, text)


def member_body(
    body: Mapping[str, Any], live: Mapping[str, Any], fields: frozenset[str], *, carry: bool
) -> dict[str, Any]:
    """`body` with only `fields` (one union member's), and, when `carry`, every one of those
    fields it lacks taken from `live` (in request names: `astro_state.as_request`)."""
    out = {k: v for k, v in body.items() if k in fields}
    if carry:
        for name in sorted(fields - out.keys()):
            value = live.get(name)
            if value is not None and name != "workerQueues":
                out[name] = thaw(value)
    return out


def live_queues(live: Mapping[str, Any], deployment_type: str) -> list[dict[str, Any]]:
    """The live worker queues as request queues (carried over when the file has none)."""
    return [queue_request({"name": q.get("name")}, q, deployment_type) for q in live.get("workerQueues") or ()]


def hibernation_request(schedules: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for s in schedules:
        entry = {
            "hibernateAtCron": s.get("hibernate_at"),
            "wakeAtCron": s.get("wake_at"),
            "isEnabled": bool(s.get("enabled", True)),
        }
        if s.get("description") is not None:
            entry["description"] = s["description"]
        out.append(entry)
    return out


def schedules_view(schedules: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    return [
        {"hibernate_at": s.get("hibernateAtCron"), "wake_at": s.get("wakeAtCron"), "enabled": bool(s.get("isEnabled")),
         "description": s.get("description") or None}
        for s in schedules
    ]  # fmt: skip


def queue_view(queue: Mapping[str, Any]) -> dict[str, Any]:
    return {key: thaw(queue.get(api_field)) for key, api_field in QUEUE_FIELDS.items()}


def kept_variable(variable: Mapping[str, Any]) -> dict[str, Any]:
    """A live environment variable sent back unchanged (a secret without `value`: kept)."""
    if variable.get("isSecret"):
        return {"key": variable["key"], "isSecret": True}
    return {"key": variable["key"], "isSecret": False, "value": variable.get("value", "")}


def created_fields(body: Mapping[str, Any], env_fields: Sequence[FieldChange]) -> tuple[FieldChange, ...]:
    """What a preview's create sets, as a reviewer reads it: its settings (the API's names), its
    worker queues by name, its environment variables (a secret by its name only)."""
    skip = {"name", "workspaceId", "description", "workerQueues"}
    fields = [
        FieldChange(k, None, v) for k, v in sorted(body.items()) if k not in skip and not isinstance(v, dict | list)
    ]
    queues = [str(q.get("name")) for q in body.get("workerQueues") or ()]
    if queues:
        fields.append(FieldChange("worker_queues", None, queues))
    for f in env_fields:
        secret = isinstance(f.after, str) and f.after.startswith("<secret:")
        fields.append(FieldChange(f.path, None, f.after, secret, f"secret {f.after[8:-1]}" if secret else None))
    return tuple(fields)
