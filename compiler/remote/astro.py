"""The Astro API v1 client (ASTRO-API.md): organization, workspace and Deployments by name,
environment objects read page by page into frozen values, and the writes of a plan.

Configuration (SPEC 7.1): ASTRO_API_TOKEN (required), ASTRO_API_URL (default
https://api.astronomer.io/v1), ASTRO_ORGANIZATION_ID, else the token's `organizationId:`
permission claim read unverified, else the only organization GET /organizations returns.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterator, Mapping, Sequence, Set
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from compiler.errors import OperationError
from compiler.remote import answers
from compiler.remote.astro_reads import live_deployment, live_object
from compiler.remote.http import AmbiguousWrite, ApiError, HttpClient, header_value, max_body, request_timeout
from compiler.remote.urls import service_url
from compiler.review.changes import ObjectKey
from compiler.sync.astro_state import LiveDeployment, LiveObject, LiveState

if TYPE_CHECKING:
    from compiler.model.secrets import SecretValues
    from compiler.review.changes import Write

DEFAULT_URL = "https://api.astronomer.io/v1"
ORGANIZATION_ID = re.compile(r"[A-Za-z0-9_-]{1,128}")
PAGE = 1000  # astro-cli's page size; the server may return fewer (it says how many in `limit`)
MAX_PAGES = 1000
OBJECT_TYPES = ("CONNECTION", "AIRFLOW_VARIABLE")
TYPED = {"CONNECTION": "connection", "AIRFLOW_VARIABLE": "airflowVariable"}


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
    from compiler.redaction import register

    register(token)  # masked wherever outside text is printed, a refused URL included
    header_value(token, "ASTRO_API_TOKEN")
    url = environ.get("ASTRO_API_URL") or DEFAULT_URL
    service_url(url, "an Astro API URL (ASTRO_API_URL)", "ASTRO_API_TOKEN")
    http = HttpClient(url, token, timeout=request_timeout(environ), max_body=max_body(environ))
    organization = environ.get("ASTRO_ORGANIZATION_ID") or token_organization(token)
    api = AstroApi(http, organization_id(organization) if organization else "")
    if not organization:
        api.organization = organization_id(api.only_organization())
    return api


def organization_id(text: str) -> str:
    """An organization ID as it may go into a path: letters, digits, `_` and `-` (Astro's IDs are
    cuid-like); anything else (`../../x`) is refused, never sent."""
    if not ORGANIZATION_ID.fullmatch(text):
        raise OperationError(
            "the organization ID (ASTRO_ORGANIZATION_ID, the token's claim or the API's answer) is not an ID: "
            "expected letters, digits, '_' or '-'"
        )
    return text


class WorkspaceNotFound(OperationError):
    """workspace.yaml names a workspace the organization does not have; `live` holds the names it has."""

    def __init__(self, name: str, organization: str, live: Sequence[str]) -> None:
        self.name, self.organization, self.live = name, organization, tuple(sorted(set(live)))
        super().__init__(f"no workspace named '{name}' in organization {organization}")


def explained(exc: ApiError, base_url: str) -> ApiError:
    """A failed read of the Astro API with what the user can do about it: the whole URL, what
    failed, and for a 404 under a base URL without `/v1` that the API's paths start there."""
    url = base_url.rstrip("/") + exc.path
    hint = ""
    if exc.status is None:
        hint = f"; the Astro API cannot be reached: check ASTRO_API_URL (now {base_url}) and the network"
    elif exc.status == 404 and not base_url.rstrip("/").endswith("/v1"):
        hint = f"; the Astro API's paths start with /v1: set ASTRO_API_URL to {base_url.rstrip('/')}/v1 (the default is {DEFAULT_URL})"
    found = type(exc)("GET", url, exc.status, exc.api_message + hint, exc.request_id, exc.retry_after)
    return found


class AstroApi:
    def __init__(self, http: HttpClient, organization: str) -> None:
        self.http = http
        self.organization = organization

    def close(self) -> None:
        self.http.close()

    @property
    def _org(self) -> str:
        return f"/organizations/{self.organization}"

    def pages(self, path: str, items: str, params: Mapping[str, Any] | None = None) -> Iterator[Mapping[str, Any]]:
        """Every item of a paged list: offset grows by what each page held, until totalCount
        (each page checked: remote/answers.py)."""
        offset = 0
        where = f"GET {path}"
        for _ in range(MAX_PAGES):
            try:
                page = self.http.request("GET", path, params={**(params or {}), "offset": offset, "limit": PAGE}) or {}
            except ApiError as exc:
                raise explained(exc, self.http.base_url) from None
            found = answers.page_items(page, items, where)
            yield from found
            offset += len(found)
            total = answers.count(page, "totalCount", where)
            if not found or (total is not None and offset >= total) or (total is None and len(found) < PAGE):
                return
        raise OperationError(f"GET {path}: more than {MAX_PAGES} pages")

    def only_organization(self) -> str:
        found = list(self.pages("/organizations", "organizations"))
        if len(found) != 1:
            raise OperationError(
                f"the token sees {len(found)} organizations: set ASTRO_ORGANIZATION_ID to the one to manage"
            )
        return answers.text(found[0], "id", "GET /organizations")

    def workspace_id(self, name: str) -> str:
        found = [
            w for w in self.pages(f"{self._org}/workspaces", "workspaces", {"names": name}) if w.get("name") == name
        ]
        if not found:
            live = tuple(str(w.get("name")) for w in self.pages(f"{self._org}/workspaces", "workspaces"))
            raise WorkspaceNotFound(name, self.organization, live)
        if len(found) != 1:
            raise OperationError(f"{len(found)} workspaces named '{name}' in organization {self.organization}")
        return answers.text(found[0], "id", f"GET {self._org}/workspaces")

    def deployments(self, workspace_id: str) -> tuple[LiveDeployment, ...]:
        path = f"{self._org}/deployments"
        found = self.pages(path, "deployments", {"workspaceIds": workspace_id})
        return tuple(
            live_deployment(d, f"GET {path}") for d in found if d.get("workspaceId", workspace_id) == workspace_id
        )

    def objects(self, **filters: str) -> list[LiveObject]:
        params = {**filters, "resolveLinked": False}
        path = f"{self._org}/environment-objects"
        found = self.pages(path, "environmentObjects", params)
        return [live_object(o, f"GET {path}") for o in found if o.get("objectType") in OBJECT_TYPES]

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
        """`state` (from read_workspace) with the objects scoped to the named Deployments (to
        each of them, when a name is taken twice)."""
        # Two Deployments of one name are all read: whether they are duplicates of one managed
        # preview (left by concurrent applies, deleted by the plan) is sync/previews.py's to say.
        by_name: dict[str, list[LiveDeployment]] = {}
        for d in state.deployments:
            by_name.setdefault(d.name, []).append(d)
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

    def create(self, key: ObjectKey, body: Mapping[str, Any], known: Set[str] = frozenset()) -> str:
        """Create, never blindly twice, and trust no answer (SPEC 7.3): the ID a create returns
        must not be one of `known` (the IDs the plan read live); after an ambiguous failure or
        a 409 the object under the key is looked up, and it counts as created only when it
        carries the marker we sent (owner, branch) and an earlier attempt of ours may have
        created it. Else CreateConflict, saying what was found."""
        path = f"{self._org}/environment-objects"
        where = f"POST {path}"
        maybe_ours = False  # an earlier attempt may have created it
        for _ in range(3):
            try:
                created = answers.mapping(self.http.request("POST", path, json=body, retry="create") or {}, where)
                return _fresh(answers.text(created, "id", where), known, key.object_key, where)
            except AmbiguousWrite:
                maybe_ours = True
            except ApiError as exc:
                if exc.status != 409:
                    raise
            existing = self.find(key)
            if existing is None and not maybe_ours:
                raise CreateConflict(
                    f"{where}: the server answers that '{key.object_key}' exists (409) but does not list it: "
                    "nothing was written to it; check it in Astro, then run plan again"
                )
            if existing is None:
                continue
            return _resolved(key.object_key, existing.id, existing.description, body, known, maybe_ours, where)
        raise OperationError(f"{where}: the create of '{key.object_key}' kept failing")

    def update(self, object_id: str, body: Mapping[str, Any]) -> None:
        self.http.request("POST", f"{self._org}/environment-objects/{object_id}", json=body, retry="write")

    # --- Deployments (ASTRO-API.md section 2) ------------------------------------------------

    def create_deployment(self, body: Mapping[str, Any], known: Set[str] = frozenset()) -> dict[str, Any]:
        """Create a Deployment, never blindly twice, and trust no answer (SPEC 7.3): the answer
        must be this Deployment (its name) with an ID the plan did not know (`known`); after an
        ambiguous failure, the one Deployment of that name carrying the marker we sent, else
        CreateConflict."""
        path = f"{self._org}/deployments"
        where = f"POST {path}"
        name = str(body.get("name", ""))
        try:
            created = answers.mapping(self.http.request("POST", path, json=body, retry="create") or {}, where)
        except AmbiguousWrite:
            pass
        else:
            answered = answers.text(created, "id", where)
            if not _is_sent(created, body):
                raise CreateConflict(f"{where}: the create of Deployment '{name}' answered with another Deployment")
            _fresh(answered, known, name, where)
            return dict(created)
        same = [d for d in self.deployments(str(body.get("workspaceId", ""))) if d.name == name and d.id not in known]
        if len(same) == 1:
            found = same[0]
            _resolved(name, found.id, found.description, body, known, True, where)
            return dict(found.settings)
        raise CreateConflict(
            f"{where}: the create of Deployment '{name}' had an unknown outcome and {len(same)} Deployment(s) "
            "of that name are new: run plan again"
        )

    def deployment(self, deployment_id: str) -> LiveDeployment:
        """One Deployment read again (GET /deployments/{id}): a new preview's status."""
        path = f"{self._org}/deployments/{deployment_id}"
        raw = answers.mapping(self.http.request("GET", path) or {"id": deployment_id, "name": ""}, f"GET {path}")
        return live_deployment(raw, f"GET {path}")

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


class CreateConflict(OperationError):
    """A create whose answer, or what the server holds under its key, is not ours (SPEC 7.3)."""


def _fresh(answered: str, known: Set[str], what: str, where: str) -> str:
    """The ID a create answered, when it is not an ID the plan knows as another object."""
    if answered in known:
        raise CreateConflict(
            f"{where}: the create of '{what}' answered with the ID of an object that already existed "
            f"({answered}): stopped, nothing else was changed"
        )
    return answered


def _is_sent(created: Mapping[str, Any], body: Mapping[str, Any]) -> bool:
    """Whether a Deployment create's answer is the Deployment `body` asked for (SPEC 7.3): its
    name, its workspace, and the marker we sent (the same owner, branch and signature); a
    Deployment of the same name in another workspace is an ID the plan never read."""
    from compiler.sync import marker as markers

    return (
        created.get("name") == body.get("name")
        and created.get("workspaceId") == body.get("workspaceId")
        and markers.claims(str(body.get("description") or ""), str(created.get("description") or ""))
    )


def _resolved(
    what: str, found_id: str, description: str, body: Mapping[str, Any], known: Set[str], maybe_ours: bool, where: str
) -> str:
    """The ID of what a conflicting or ambiguous create found under its key, when it is ours:
    it carries the marker we sent and an attempt of ours may have created it. Else CreateConflict."""
    from compiler.sync import marker as markers

    if not markers.claims(str(body.get("description") or ""), description):
        raise CreateConflict(
            f"{where}: '{what}' exists with {markers.whose(description)}, not the marker this apply sends: "
            "it was left unchanged"
        )
    if not maybe_ours or found_id in known:
        raise CreateConflict(
            f"{where}: '{what}' already exists although the plan's read did not list it "
            "(another apply at the same time, or a list that hides it): nothing was written to it; run plan again"
        )
    return found_id


class AstroTarget:
    """Performs the writes of a plan against the Astro API (sync.apply's Target).

    A plan made before a preview exists names it by a placeholder ID (`state.PENDING_ID`);
    once the preview's create has answered, its real ID replaces the placeholder in every
    later write (object scopes, links, marker fingerprints).
    """

    def __init__(self, api: AstroApi, known: Set[str] = frozenset()) -> None:
        self.api = api
        self.known = known  # the IDs the plan read live: no create may answer with one
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
                ObjectKey(key.object_key, key.object_type, key.scope, self._known(key.scope_entity_id)),
                body,
                self.known,
            )

    def _deployment(self, op: str, object_id: Any, body: Any) -> None:
        if op == "create":
            created = self.api.create_deployment(body, self.known)
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
