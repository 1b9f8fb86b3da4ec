"""The local Astro API server's Deployments (ASTRO-API.md section 2).

Bodies and queries are checked against the generated types before these routes run
(contract.py: `CreateDeploymentRequest`, `UpdateDeploymentRequest`, unions on `type`), and every
response against `Deployment`; what remains here is what the types cannot say:
- list with `workspaceIds` / `names` filters (repeated parameters), paged like every list;
- get; create (200 with the Deployment; defaults filled; `environmentVariables` and
  `contactEmails` are not stored unless the switch `create_keeps_variables` is on: astro-cli
  notes the public create does not take them, which is not established either way);
  a created Deployment reads `CREATING` without an Airflow API URL for the first
  `creating_reads` reads (a switch, 0 by default), then `HEALTHY` with the Airflow API URL
  `new_airflow_url` (a switch) or a made-up one;
- update = POST on the Deployment, a full replacement of its type's member: its `type`
  cannot change; a runtime version is refused;
  environment variables missing from the update are deleted; a secret sent with `value: ""` is
  blanked, one sent without `value` keeps its stored value (a new secret without one is a 400);
  a worker queue with an `id` must be one of the Deployment's, one without is created;
- delete 204 (404 for an unknown ID);
- on read, a secret environment variable has no `value`.
Optional fields an update omits (workerQueues, scalingSpec, contactEmails, ...) keep their
stored values: what the platform does with them is not established.
"""

from __future__ import annotations

import copy
import re
from typing import Any, Protocol

OPTIONAL = (
    "description",
    "contactEmails",
    "defaultTaskPodCpu",
    "defaultTaskPodMemory",
    "resourceQuotaCpu",
    "resourceQuotaMemory",
    "isDevelopmentMode",
    "workloadIdentity",
    "drWorkloadIdentity",
    "remoteExecution",
    "clusterId",
    "scheduler",
    "taskPodNodePoolId",
)


ORGANIZATION = "org00000000000000000000001"
SUBJECT = {"id": "usr00000000000000000000001", "subjectType": "USER", "username": "admin@example.com"}


class Problem(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status, self.message = status, message


class Store(Protocol):
    config: dict[str, Any]
    deployments: list[dict[str, Any]]
    workspaces: list[dict[str, Any]]

    def new_id(self, prefix: str) -> str: ...

    def now(self) -> str: ...


def new_deployment(store: Store, fields: dict[str, Any]) -> dict[str, Any]:
    """A stored Deployment with the server's defaults for what `fields` does not say."""
    now = store.now()
    dep_id = fields.get("id") or store.new_id("dp")
    hybrid = fields.get("type") == "HYBRID"
    deployment = {
        "id": dep_id,
        "name": fields["name"],
        "workspaceId": fields["workspaceId"],
        "description": fields.get("description", ""),
        "type": fields.get("type", "STANDARD"),
        "executor": fields.get("executor", "CELERY"),
        "schedulerSize": fields.get("schedulerSize", "SMALL"),
        "isCicdEnforced": bool(fields.get("isCicdEnforced", False)),
        "isDagDeployEnabled": bool(fields.get("isDagDeployEnabled", True)),
        "isHighAvailability": bool(fields.get("isHighAvailability", False)),
        "isDevelopmentMode": bool(fields.get("isDevelopmentMode", False)),
        "runtimeVersion": fields.get("astroRuntimeVersion") or fields.get("runtimeVersion") or "3.1-14",
        "cloudProvider": fields.get("cloudProvider", "AWS"),
        "region": fields.get("region", "us-east-1"),
        "creatingReads": int(fields.get("creatingReads", 0)),
        "contactEmails": list(fields.get("contactEmails") or []),
        "environmentVariables": [],
        "workerQueues": [],
        "scalingSpec": copy.deepcopy(fields.get("scalingSpec")) if fields.get("scalingSpec") else None,
        "webServerAirflowApiUrl": fields.get("webServerAirflowApiUrl", f"{dep_id}.example.invalid/api/v2"),
        "status": "HEALTHY",
        "createdAt": now,
        "updatedAt": now,
    }
    for name in OPTIONAL:
        if name in fields and name not in deployment:
            deployment[name] = copy.deepcopy(fields[name])
    if hybrid:  # no scheduler size, high availability or development mode on HYBRID
        for name in ("schedulerSize", "isHighAvailability", "isDevelopmentMode"):
            deployment.pop(name, None)
        deployment.setdefault("scheduler", {"au": 5, "replicas": 1})
    deployment["environmentVariables"] = _variables([], fields.get("environmentVariables") or [], now)
    deployment["workerQueues"] = _queues(store, [], fields.get("workerQueues") or [])
    if not deployment["workerQueues"] and deployment["executor"] != "KUBERNETES":
        default = {"name": "default", "isDefault": True, "minWorkerCount": 0, "maxWorkerCount": 10,
                   "workerConcurrency": 5, **({"nodePoolId": "np-default"} if hybrid else {"astroMachine": "A5"})}  # fmt: skip
        deployment["workerQueues"] = _queues(store, [], [default])
    return deployment


RESPONSE_NAMES = {"workloadIdentity": "effectiveWorkloadIdentity", "drWorkloadIdentity": "effectiveDRWorkloadIdentity"}


def public(deployment: dict[str, Any]) -> dict[str, Any]:
    """The stored Deployment as the `Deployment` response type: request-only names become the
    response's (`effectiveWorkloadIdentity`, `schedulerAu`/`schedulerReplicas`, ...)."""
    out = copy.deepcopy(deployment)
    for request_name, response_name in RESPONSE_NAMES.items():
        if out.get(request_name) is not None:
            out[response_name] = out[request_name]
        out.pop(request_name, None)
    scheduler = out.pop("scheduler", None)
    if scheduler:
        out["schedulerAu"], out["schedulerReplicas"] = scheduler["au"], scheduler["replicas"]
    if isinstance(out.get("remoteExecution"), dict):
        out["remoteExecution"].setdefault("allowedIpAddressRanges", [])
        out["remoteExecution"]["remoteApiUrl"] = f"https://{deployment['id']}.remote.example.invalid"
    if out.pop("creatingReads", 0) > 0:
        out["status"], out["webServerAirflowApiUrl"] = "CREATING", ""
    host = f"{deployment['id']}.example.invalid"
    runtime = out.get("runtimeVersion") or "3.1-14"
    required = {"airflowVersion": "3.1.0", "apiUrl": f"https://{host}/api", "astroRuntimeVersion": runtime,
                "createdBy": SUBJECT, "imageRepository": "images.astronomer.cloud/runtime", "imageTag": runtime,
                "namespace": f"ns-{deployment['id']}", "organizationId": ORGANIZATION, "schedulerCpu": "1",
                "schedulerMemory": "2Gi", "schedulerReplicas": 1, "uiUrl": f"https://{host}", "updatedBy": SUBJECT,
                "webServerCpu": "0.5", "webServerIngressHostname": host, "webServerMemory": "1Gi",
                "webServerUrl": f"https://{host}/airflow"}  # fmt: skip
    for name, value in required.items():
        out.setdefault(name, value)
    for queue in out["workerQueues"]:
        if queue.get("astroMachine") is None:
            queue.pop("astroMachine", None)
    for variable in out["environmentVariables"]:
        if variable["isSecret"]:
            variable.pop("value", None)
    if out.get("scalingSpec") is None:
        out.pop("scalingSpec", None)
    return out


def read(deployment: dict[str, Any]) -> dict[str, Any]:
    """The Deployment as a GET shows it: one of its `creatingReads` spent."""
    shown = public(deployment)
    deployment["creatingReads"] = max(0, deployment.get("creatingReads", 0) - 1)
    return shown


def _variables(stored: list[dict[str, Any]], sent: list[Any], now: str) -> list[dict[str, Any]]:
    old = {v["key"]: v for v in stored}
    result = []
    for entry in sent:
        if not isinstance(entry, dict) or not isinstance(entry.get("key"), str) or "isSecret" not in entry:
            raise Problem(400, "environmentVariables: each needs key and isSecret")
        key, secret = entry["key"], bool(entry["isSecret"])
        before = old.get(key)
        if before is not None and before["isSecret"] and not secret:
            raise Problem(400, f"environment variable {key!r} is secret and cannot be made plain")
        if "value" in entry:
            value = entry["value"]
        elif before is not None and secret:
            value = before.get("value", "")  # no value: the stored secret is kept
        else:
            raise Problem(400, f"environment variable {key!r} needs a value")
        unchanged = before is not None and before.get("value") == value and before["isSecret"] == secret
        result.append({"key": key, "isSecret": secret, "value": value,
                       "updatedAt": before["updatedAt"] if unchanged and before else now})  # fmt: skip
    keys = [v["key"] for v in result]
    if len(keys) != len(set(keys)):
        raise Problem(400, "environmentVariables: duplicate key")
    return result


def _queues(store: Store, stored: list[dict[str, Any]], sent: list[Any]) -> list[dict[str, Any]]:
    known = {q["id"]: q for q in stored}
    result = []
    for entry in sent:
        for name in ("name", "isDefault", "minWorkerCount", "maxWorkerCount", "workerConcurrency"):
            if not isinstance(entry, dict) or name not in entry:
                raise Problem(400, f"workerQueues: {name} is required")
        queue_id = entry.get("id")
        if queue_id is not None and queue_id not in known:
            raise Problem(400, f"worker queue {queue_id!r} is not one of this deployment's")
        before = known[queue_id] if queue_id else {}
        machine = entry.get("astroMachine") or before.get("astroMachine") or (None if entry.get("nodePoolId") else "A5")
        queue = {"id": queue_id or store.new_id("wq"), "name": entry["name"], "isDefault": bool(entry["isDefault"]),
                 "astroMachine": machine,
                 "minWorkerCount": entry["minWorkerCount"], "maxWorkerCount": entry["maxWorkerCount"],
                 "workerConcurrency": entry["workerConcurrency"], "podCpu": "1", "podMemory": "2Gi"}  # fmt: skip
        if entry.get("podEphemeralStorage"):
            queue["podEphemeralStorage"] = entry["podEphemeralStorage"]
        if entry.get("nodePoolId") or before.get("nodePoolId"):
            queue["nodePoolId"] = entry.get("nodePoolId") or before["nodePoolId"]
        result.append(queue)
    if result and sum(1 for q in result if q["isDefault"]) != 1:
        raise Problem(400, "workerQueues: exactly one queue must be the default")
    return result


def create(store: Store, body: dict[str, Any]) -> dict[str, Any]:
    for name in ("name", "workspaceId"):
        if not isinstance(body.get(name), str) or not body[name]:
            raise Problem(400, f"{name} is required")
    if not any(w["id"] == body["workspaceId"] for w in store.workspaces):
        raise Problem(404, f"workspace {body['workspaceId']!r} not found")
    kept = ("environmentVariables", "contactEmails") if store.config.get("create_keeps_variables") else ()
    fields = {k: v for k, v in body.items() if k not in ("environmentVariables", "contactEmails") or k in kept}
    fields["creatingReads"] = int(store.config.get("creating_reads", 0))
    if store.config.get("new_airflow_url"):  # where a created Deployment's Airflow answers (a real one in tests)
        fields["webServerAirflowApiUrl"] = store.config["new_airflow_url"]
    deployment = new_deployment(store, fields)
    store.deployments.append(deployment)
    return public(deployment)


def update(store: Store, deployment: dict[str, Any], body: dict[str, Any]) -> dict[str, Any]:
    if body["workspaceId"] != deployment["workspaceId"]:
        raise Problem(400, "a deployment cannot move to another workspace")
    if body["type"] != deployment["type"]:
        raise Problem(400, f"a {deployment['type']} deployment cannot become {body['type']}")
    now = store.now()
    variables = _variables(deployment["environmentVariables"], body["environmentVariables"], now)
    queues = _queues(store, deployment["workerQueues"], body["workerQueues"]) if "workerQueues" in body else None
    for name in ("name", "executor", "schedulerSize", "isCicdEnforced", "isDagDeployEnabled",
                 "isHighAvailability", *OPTIONAL):  # fmt: skip
        if name in body:
            deployment[name] = copy.deepcopy(body[name])
    deployment["environmentVariables"] = variables
    if queues is not None:
        deployment["workerQueues"] = queues
    if "scalingSpec" in body:
        deployment["scalingSpec"] = copy.deepcopy(body["scalingSpec"])
    deployment["updatedAt"] = now
    return public(deployment)


ROUTE = re.compile(r"^/deployments(?:/([^/]+))?$")


def route(store: Store, method: str, rest: str, query: dict[str, str], body: Any, page: Any) -> tuple[int, Any] | None:
    """(status, payload) for a Deployment route, None when `rest` is not one."""
    found = ROUTE.match(rest)
    if not found:
        return None
    dep_id = found.group(1)
    if dep_id is None:
        if method == "GET":
            items = store.deployments
            if "workspaceIds" in query:  # arrays: repeated parameters (form, explode)
                items = [d for d in items if d["workspaceId"] in query["workspaceIds"]]
            if "names" in query:
                items = [d for d in items if d["name"] in query["names"]]
            listed = page(items, query, "deployments")
            listed["deployments"] = [read(d) for d in listed["deployments"]]
            return 200, listed
        if method == "POST":
            return 200, create(store, _body(body))
        raise Problem(405, "method not allowed")
    deployment = next((d for d in store.deployments if d["id"] == dep_id), None)
    if deployment is None:
        raise Problem(404, f"deployment {dep_id!r} not found")
    if method == "GET":
        return 200, read(deployment)
    if method == "POST":
        return 200, update(store, deployment, _body(body))
    if method == "DELETE":
        store.deployments.remove(deployment)
        return 204, None
    raise Problem(405, "method not allowed")


def _body(body: Any) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise Problem(400, "a JSON object body is required")
    return body
