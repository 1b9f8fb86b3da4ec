"""The Astro API v1 client (ASTRO-API.md): organization, workspace and Deployments by name,
environment objects read page by page into frozen values, and the writes of a plan.

Configuration (SPEC 7.1): ASTRO_API_TOKEN (required), ASTRO_API_URL (default
https://api.astronomer.io/v1), ASTRO_ORGANIZATION_ID, else the token's `organizationId:`
permission claim read unverified, else the only organization GET /organizations returns.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import replace
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from compiler.errors import OperationError
from compiler.remote.http import AmbiguousWrite, ApiError, HttpClient
from compiler.remote.urls import service_url
from compiler.review.changes import ObjectKey
from compiler.sync.astro_state import LiveDeployment, LiveLink, LiveObject, LiveState

if TYPE_CHECKING:
    from compiler.model.secrets import SecretValues
    from compiler.review.changes import Write

DEFAULT_URL = "https://api.astronomer.io/v1"
PAGE = 1000  # astro-cli's page size; the server may return fewer (it says how many in `limit`)
MAX_PAGES = 1000
OBJECT_TYPES = ("CONNECTION", "AIRFLOW_VARIABLE")
TYPED = {"CONNECTION": "connection", "AIRFLOW_VARIABLE": "airflowVariable"}
LINK_OVERRIDES = {"CONNECTION": "connectionOverrides", "AIRFLOW_VARIABLE": "airflowVariableOverrides"}


def token_organization(token: str) -> str | None:
    """The `organizationId:<id>` permission of a JWT, read without verifying it (as astro-cli does)."""
    parts = token.split(".")
    if len(parts) != 3:
        return None
    try:
        payload = json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
    except (ValueError, UnicodeDecodeError):
        return None
    if not isinstance(payload, dict):
        return None
    permissions = payload.get("permissions")
    for entry in permissions if isinstance(permissions, list) else []:
        if isinstance(entry, str) and entry.startswith("organizationId:") and len(entry) > len("organizationId:"):
            return entry.removeprefix("organizationId:")
    org = payload.get("org_id")
    return org if isinstance(org, str) and org else None


def connect(environ: Mapping[str, str]) -> AstroApi:
    token = environ.get("ASTRO_API_TOKEN", "")
    if not token:
        raise OperationError("ASTRO_API_TOKEN is not set: plan and apply need an Astro API token")
    url = environ.get("ASTRO_API_URL") or DEFAULT_URL
    service_url(url, "an Astro API URL (ASTRO_API_URL)", "ASTRO_API_TOKEN")
    http = HttpClient(url, token, timeout=_timeout(environ))
    organization = environ.get("ASTRO_ORGANIZATION_ID") or token_organization(token)
    api = AstroApi(http, organization or "")
    if not organization:
        api.organization = api.only_organization()
    return api


def _timeout(environ: Mapping[str, str]) -> float:
    try:
        return max(1.0, float(environ.get("ASTRO_GITOPS_HTTP_TIMEOUT", "30")))
    except ValueError:
        return 30.0


class AstroApi:
    def __init__(self, http: HttpClient, organization: str) -> None:
        self.http = http
        self.organization = organization

    def close(self) -> None:
        self.http.close()

    @property
    def _org(self) -> str:
        return f"/organizations/{self.organization}"

    def pages(self, path: str, items: str, params: Mapping[str, Any] | None = None) -> Iterator[dict[str, Any]]:
        """Every item of a paged list: offset grows by what each page held, until totalCount."""
        offset = 0
        for _ in range(MAX_PAGES):
            page = self.http.request("GET", path, params={**(params or {}), "offset": offset, "limit": PAGE}) or {}
            found = page.get(items) or []
            yield from found
            offset += len(found)
            total = page.get("totalCount")
            if not found or (isinstance(total, int) and offset >= total) or (total is None and len(found) < PAGE):
                return
        raise OperationError(f"GET {path}: more than {MAX_PAGES} pages")

    def only_organization(self) -> str:
        found = list(self.pages("/organizations", "organizations"))
        if len(found) != 1:
            raise OperationError(
                f"the token sees {len(found)} organizations: set ASTRO_ORGANIZATION_ID to the one to manage"
            )
        return str(found[0]["id"])

    def workspace_id(self, name: str) -> str:
        found = [
            w for w in self.pages(f"{self._org}/workspaces", "workspaces", {"names": name}) if w.get("name") == name
        ]
        if len(found) != 1:
            what = "no workspace" if not found else f"{len(found)} workspaces"
            raise OperationError(f"{what} named '{name}' in organization {self.organization}")
        return str(found[0]["id"])

    def deployments(self, workspace_id: str) -> tuple[LiveDeployment, ...]:
        found = self.pages(f"{self._org}/deployments", "deployments", {"workspaceIds": workspace_id})
        return tuple(live_deployment(d) for d in found if d.get("workspaceId", workspace_id) == workspace_id)

    def objects(self, **filters: str) -> list[LiveObject]:
        params = {**filters, "resolveLinked": False}
        found = self.pages(f"{self._org}/environment-objects", "environmentObjects", params)
        return [live_object(o) for o in found if o.get("objectType") in OBJECT_TYPES and o.get("id")]

    def read(self, workspace: str, deployment_names: Sequence[str]) -> LiveState:
        """The workspace's objects and those scoped to the named Deployments (one list each,
        filtered again here: what the API's filters include is not established)."""
        return self.read_deployments(self.read_workspace(workspace), deployment_names)

    def read_workspace(self, workspace: str) -> LiveState:
        """The first half of `read`, which needs only the workspace's name: its ID, its
        Deployments and its workspace-scoped objects."""
        workspace_id = self.workspace_id(workspace)
        deployments = self.deployments(workspace_id)
        objects = tuple(o for o in self.objects(workspaceId=workspace_id) if o.key.scope_entity_id == workspace_id)
        return LiveState(self.organization, workspace_id, workspace, deployments, objects)

    def read_deployments(self, state: LiveState, deployment_names: Sequence[str]) -> LiveState:
        """`state` (from read_workspace) with the objects scoped to the named Deployments."""
        by_name: dict[str, list[LiveDeployment]] = {}
        for d in state.deployments:
            by_name.setdefault(d.name, []).append(d)
        twice = sorted(n for n in deployment_names if len(by_name.get(n, [])) > 1)
        if twice:
            raise OperationError(f"two Deployments named '{twice[0]}' in workspace '{state.workspace_name}'")
        objects = {o.id: o for o in state.objects}
        for name in deployment_names:
            for dep in by_name.get(name, []):
                objects.update({o.id: o for o in self.objects(deploymentId=dep.id) if o.key.scope_entity_id == dep.id})
        return replace(state, objects=tuple(objects.values()))

    # --- writes ---------------------------------------------------------------------------

    def find(self, key: ObjectKey) -> LiveObject | None:
        scope = (
            {"workspaceId": key.scope_entity_id} if key.scope == "WORKSPACE" else {"deploymentId": key.scope_entity_id}
        )
        found = self.objects(objectKey=key.object_key, objectType=key.object_type, **scope)
        return next((o for o in found if o.key == key), None)

    def create(self, key: ObjectKey, body: Mapping[str, Any]) -> str:
        """Create, never blindly twice: after an ambiguous failure or a 409, look the key up."""
        path = f"{self._org}/environment-objects"
        for _ in range(3):
            try:
                created = self.http.request("POST", path, json=body, retry="create")
                return str((created or {}).get("id", ""))
            except AmbiguousWrite:
                pass
            except ApiError as exc:
                if exc.status != 409:
                    raise
            existing = self.find(key)
            if existing is not None:
                return existing.id
        raise OperationError(f"POST {path}: the create of '{key.object_key}' kept failing")

    def update(self, object_id: str, body: Mapping[str, Any]) -> None:
        self.http.request("POST", f"{self._org}/environment-objects/{object_id}", json=body, retry="write")

    # --- Deployments (ASTRO-API.md section 2) ------------------------------------------------

    def create_deployment(self, body: Mapping[str, Any]) -> dict[str, Any]:
        """Create a Deployment, never blindly twice: after an ambiguous failure, look its name up."""
        path = f"{self._org}/deployments"
        try:
            return dict(self.http.request("POST", path, json=body, retry="create") or {})
        except AmbiguousWrite:
            pass
        workspace_id = str(body.get("workspaceId", ""))
        found = [d for d in self.deployments(workspace_id) if d.name == body.get("name")]
        if len(found) == 1:
            return dict(found[0].settings)
        raise OperationError(f"POST {path}: the create of Deployment '{body.get('name')}' had an unknown outcome")

    def deployment(self, deployment_id: str) -> LiveDeployment:
        """One Deployment read again (GET /deployments/{id}): a new preview's status."""
        return live_deployment(
            self.http.request("GET", f"{self._org}/deployments/{deployment_id}") or {"id": deployment_id}
        )

    def update_deployment(self, deployment_id: str, body: Mapping[str, Any]) -> None:
        self.http.request("POST", f"{self._org}/deployments/{deployment_id}", json=body, retry="write")

    def delete_deployment(self, deployment_id: str) -> None:
        self.http.request(
            "DELETE", f"{self._org}/deployments/{deployment_id}", retry="write", ok_statuses=frozenset({404})
        )

    def delete(self, object_id: str) -> None:
        self.http.request(
            "DELETE", f"{self._org}/environment-objects/{object_id}", retry="write", ok_statuses=frozenset({404})
        )


def live_deployment(raw: Mapping[str, Any]) -> LiveDeployment:
    return LiveDeployment(
        str(raw["id"]),
        str(raw.get("name", "")),
        str(raw.get("description") or ""),
        _frozen(dict(raw)),
        str(raw.get("updatedAt") or ""),
        str(raw.get("webServerAirflowApiUrl") or ""),
        str(raw.get("status") or ""),
    )


def live_object(raw: Mapping[str, Any]) -> LiveObject:
    object_type = str(raw["objectType"])
    member = raw.get(TYPED[object_type]) or {}
    return LiveObject(
        id=str(raw["id"]),
        key=ObjectKey(str(raw["objectKey"]), object_type, str(raw["scope"]), str(raw["scopeEntityId"])),
        description=str(raw.get("description") or ""),
        auto_link=bool(raw.get("autoLinkDeployments")),
        links=tuple(
            LiveLink(
                str(link["scopeEntityId"]),
                _frozen(link.get(LINK_OVERRIDES[object_type]) or link.get("overrides") or {}),
                frozenset(link.get("setFields") or ()),
            )
            for link in raw.get("links") or ()
        ),
        excludes=tuple(str(e["scopeEntityId"]) for e in raw.get("excludeLinks") or ()),
        fields=_frozen(member),
        set_fields=frozenset(raw.get("setFields") or ()),
        is_secret=bool(member.get("isSecret")),
        updated_at=str(raw.get("updatedAt") or ""),
    )


def _frozen(value: Any) -> Any:
    if isinstance(value, dict):
        return MappingProxyType({k: _frozen(v) for k, v in value.items()})
    if isinstance(value, list):
        return tuple(_frozen(v) for v in value)
    return value


class AstroTarget:
    """Performs the writes of a plan against the Astro API (sync.apply's Target).

    A plan made before a preview exists names it by a placeholder ID (`state.PENDING_ID`);
    once the preview's create has answered, its real ID replaces the placeholder in every
    later write (object scopes, links, marker fingerprints).
    """

    def __init__(self, api: AstroApi) -> None:
        self.api = api
        self.created: dict[str, str] = {}

    def write(self, write: Write, values: SecretValues) -> None:
        from compiler.sync.values import concrete

        body = self._known(concrete(write.body, values))
        object_id = self._known(write.object_id)
        if write.target == "deployment":
            self._deployment(write.op, object_id, body)
            return
        if write.target != "environment-object":
            raise OperationError(f"the Astro target cannot write a {write.target}")
        if write.op == "delete":
            self.api.delete(str(object_id))
        elif write.op == "update":
            self.api.update(str(object_id), body)
        else:
            key = write.key
            self.api.create(
                ObjectKey(key.object_key, key.object_type, key.scope, self._known(key.scope_entity_id)), body
            )

    def _deployment(self, op: str, object_id: Any, body: Any) -> None:
        if op == "create":
            created = self.api.create_deployment(body)
            if object_id and created.get("id"):
                self.created[str(object_id)] = str(created["id"])
        elif op == "update":
            self.api.update_deployment(str(object_id), body)
        else:
            self.api.delete_deployment(str(object_id))

    def _known(self, value: Any) -> Any:
        """`value` with every placeholder ID of a created Deployment replaced by its real ID."""
        if not self.created:
            return value
        if isinstance(value, str):
            for placeholder, real in self.created.items():
                value = value.replace(placeholder, real)
            return value
        if isinstance(value, Mapping):
            return {k: self._known(v) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [self._known(v) for v in value]
        return value
