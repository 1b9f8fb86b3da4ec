"""A Deployment's settings in the Astro API's request shape: field names, spellings, worker
queues, hibernation schedules and environment variables (astro-cli
cloud/deployment/fromfile/fromfile.go maps the deployment file the same way).

Pure: no HTTP, no printing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from compiler.model.objects import Secret, thaw

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
}
# what an update requires, and the value when neither git nor live says
REQUIRED = {
    "type": "STANDARD",
    "executor": "CELERY",
    "schedulerSize": "SMALL",
    "isCicdEnforced": False,
    "isDagDeployEnabled": True,
    "isHighAvailability": False,
}
CREATE_ONLY = {"cloud_provider": "cloudProvider", "region": "region"}
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


def queue_request(queue: Mapping[str, Any], before: Mapping[str, Any] | None) -> dict[str, Any]:
    """A worker queue of the update request; a live queue of the same name lends its `id` and
    the counts the file leaves out."""
    name = str(queue.get("name", ""))
    entry: dict[str, Any] = {"name": name, "isDefault": name == "default"}
    if before is not None and before.get("id"):
        entry["id"] = before["id"]
    machine = queue.get("worker_type", queue.get("astroMachine")) or (before or {}).get("astroMachine")
    entry["astroMachine"] = normal("astroMachine", machine) if machine else "A5"
    for key, api_field in list(QUEUE_FIELDS.items())[1:]:
        value = queue.get(key, queue.get(api_field))
        entry[api_field] = value if value is not None else (before or {}).get(api_field, QUEUE_DEFAULTS[api_field])
    storage = queue.get("pod_ephemeral_storage", queue.get("podEphemeralStorage"))
    if storage:
        entry["podEphemeralStorage"] = str(storage)
    return entry


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
