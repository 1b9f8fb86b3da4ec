"""Live state as frozen values: what remote/ reads and planning compares (no HTTP here)."""

from __future__ import annotations

from collections.abc import Mapping
from functools import cached_property
from types import MappingProxyType
from typing import Any, Literal

from compiler.model.frozen import field, frozen
from compiler.review.changes import ObjectKey

ObjectType = Literal["CONNECTION", "AIRFLOW_VARIABLE"]
Scope = Literal["WORKSPACE", "DEPLOYMENT"]

_EMPTY: Mapping[str, Any] = MappingProxyType({})
# The ID a plan gives a preview Deployment that apply creates first (apply puts in the real one).
PENDING_ID = "pending-preview-deployment-id"


@frozen
class LiveLink:
    """A Deployment's link: its override fields as read (secrets omitted) and which are set."""

    deployment_id: str
    overrides: Mapping[str, Any] = field(default_factory=lambda: _EMPTY)
    set_fields: frozenset[str] = frozenset()


@frozen
class LiveObject:
    id: str
    key: ObjectKey
    description: str
    auto_link: bool
    links: tuple[LiveLink, ...]
    excludes: tuple[str, ...]
    fields: Mapping[str, Any]  # the typed member as read (secret values masked)
    set_fields: frozenset[str]
    is_secret: bool
    updated_at: str

    def link(self, deployment_id: str) -> LiveLink | None:
        return self._links.get(deployment_id)

    @cached_property
    def _links(self) -> dict[str, LiveLink]:
        return {link.deployment_id: link for link in self.links}


# A setting of the update/create request read from the response's field of another name
# (astro-cli astro-client-v1/api.gen.go, commit ed93cc59: `Deployment` has no `workloadIdentity`,
# `drWorkloadIdentity` or `scheduler`; `DeploymentRemoteExecution.remoteApiUrl` is response-only).
READ_NAMES = {"workloadIdentity": "effectiveWorkloadIdentity", "drWorkloadIdentity": "effectiveDRWorkloadIdentity"}
REQUEST_ONLY = ("workloadIdentity", "drWorkloadIdentity", "scheduler")
REMOTE_EXECUTION_REQUEST = ("enabled", "allowedIpAddressRanges", "taskLogBucket", "taskLogUrlPattern")
HIBERNATION_OVERRIDE_REQUEST = ("isHibernating", "overrideUntil")


def as_request(raw: Mapping[str, Any]) -> dict[str, Any]:
    """A `Deployment` response in the request types' names: `workloadIdentity` from
    `effectiveWorkloadIdentity`, `drWorkloadIdentity` from `effectiveDRWorkloadIdentity`,
    `scheduler {au, replicas}` from `schedulerAu`/`schedulerReplicas` (HYBRID), `remoteExecution`
    without the response-only `remoteApiUrl`, a hibernation override without `isActive`.
    A request-only name found in the response is ignored: the real API never sends it."""
    out = {k: v for k, v in raw.items() if k not in REQUEST_ONLY}
    for request_name, response_name in READ_NAMES.items():
        if raw.get(response_name):
            out[request_name] = raw[response_name]
    if raw.get("type") == "HYBRID" and raw.get("schedulerAu") is not None:
        out["scheduler"] = {"au": raw["schedulerAu"], "replicas": raw.get("schedulerReplicas", 1)}
    remote = raw.get("remoteExecution")
    if isinstance(remote, Mapping):
        out["remoteExecution"] = {k: remote[k] for k in REMOTE_EXECUTION_REQUEST if remote.get(k) is not None}
    spec = raw.get("scalingSpec")
    hibernation = spec.get("hibernationSpec") if isinstance(spec, Mapping) else None
    if isinstance(hibernation, Mapping):
        request: dict[str, Any] = {}
        if hibernation.get("schedules"):
            request["schedules"] = [dict(s) for s in hibernation["schedules"]]
        override = hibernation.get("override")
        if isinstance(override, Mapping) and override.get("isHibernating") is not None:
            request["override"] = {k: override[k] for k in HIBERNATION_OVERRIDE_REQUEST if override.get(k) is not None}
        out["scalingSpec"] = {"hibernationSpec": request} if request else None
    return out


@frozen
class LiveDeployment:
    id: str
    name: str
    description: str = ""
    # The Deployment as read (the `Deployment` response type; secret environment variables
    # without `value`): its settings under the response's names.
    settings: Mapping[str, Any] = field(default_factory=lambda: _EMPTY)
    updated_at: str = ""
    airflow_api_url: str = ""  # webServerAirflowApiUrl: its Airflow REST API (no scheme), where its pools live
    status: str = ""  # CREATING, DEPLOYING, HEALTHY, HIBERNATING, UNHEALTHY or UNKNOWN

    @property
    def deployment_type(self) -> str:
        """STANDARD, DEDICATED or HYBRID (`type`; STANDARD when the response leaves it out)."""
        return str(self.settings.get("type") or "STANDARD")

    @cached_property
    def request(self) -> Mapping[str, Any]:
        """The settings under the request types' names (see `as_request`)."""
        return MappingProxyType(as_request(self.settings))


@frozen
class LiveState:
    """The part of an organization one plan looks at."""

    organization_id: str
    workspace_id: str
    workspace_name: str
    deployments: tuple[LiveDeployment, ...]
    objects: tuple[LiveObject, ...]

    def deployment_id(self, name: str) -> str | None:
        return next((d.id for d in self.deployments if d.name == name), None)

    def deployment_name(self, deployment_id: str) -> str:
        return next((d.name for d in self.deployments if d.id == deployment_id), deployment_id)

    def marker_identity(self, key: ObjectKey) -> ObjectKey:
        """What the marker signature of the object `key` binds (SPEC 7.3): its type, key and
        scope; a Deployment-scoped object's by this workspace and its Deployment's name, as a
        preview's objects are planned (and their markers signed) before the preview has an ID."""
        if key.scope != "DEPLOYMENT":
            return key
        where = f"{self.workspace_id}/{self.deployment_name(key.scope_entity_id)}"
        return ObjectKey(key.object_key, key.object_type, key.scope, where)

    def find(self, key: ObjectKey) -> LiveObject | None:
        return self._by_key.get(key)

    @cached_property
    def _by_key(self) -> dict[ObjectKey, LiveObject]:
        # One lookup per desired object: keep it O(1) at thousands of objects.
        return {o.key: o for o in self.objects}
