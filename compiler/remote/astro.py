"""The Astro API v1 client (ASTRO-API.md): organization, workspace and Deployments by name,
environment objects read page by page into frozen values (every ID, enum and list checked:
remote/astro_reads.py), and the requests of a plan's writes (remote/astro_target.py performs them).

Configuration (SPEC 7.1): ASTRO_API_TOKEN (required), ASTRO_API_URL (default
https://api.astronomer.io/v1), ASTRO_ORGANIZATION_ID, else the token's `organizationId:`
permission claim read unverified, else the only organization GET /organizations returns.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator, Mapping, Sequence, Set
from typing import Any

from compiler.errors import OperationError
from compiler.model.frozen import replace
from compiler.remote import answers
from compiler.remote.astro_reads import TYPED, distinct, live_deployment, live_object, named_ids, object_type, placed
from compiler.remote.environ import header_value, max_body, max_list_items, request_timeout
from compiler.remote.http import AmbiguousWrite, ApiError, HttpClient
from compiler.remote.urls import segment, service_url
from compiler.review.changes import ObjectKey
from compiler.sync.astro_state import LiveDeployment, LiveObject, LiveState

DEFAULT_URL = "https://api.astronomer.io/v1"
PAGE = 1000  # astro-cli's page size; the server may return fewer (it says how many in `limit`)
MAX_PAGES = 1000


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
    http = HttpClient(
        url, token, timeout=request_timeout(environ), max_body=max_body(environ), max_items=max_list_items(environ)
    )
    organization = environ.get("ASTRO_ORGANIZATION_ID") or token_organization(token)
    api = AstroApi(http, organization_id(organization) if organization else "")
    if not organization:
        api.organization = organization_id(api.only_organization())
    return api


def organization_id(text: str) -> str:
    """An organization ID as it may go into a path: letters, digits, `_` and `-` (Astro's IDs are
    cuid-like); anything else (`../../x`) is refused, never sent."""
    if not answers.ID.fullmatch(text):
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
        return f"/organizations/{segment(self.organization)}"

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
            self.http.listed(len(found), where)
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
        return answers.identifier(found[0], "id", f"GET {self._org}/workspaces", f"workspace '{name}'")

    def deployments(self, workspace_id: str) -> tuple[LiveDeployment, ...]:
        """The workspace's Deployments: each row of this workspace (one of another is a lie about
        the filter: UnexpectedAnswer), each ID once (remote/astro_reads.py `distinct`)."""
        path = f"{self._org}/deployments"
        where = f"GET {path}"
        found = []
        for raw in self.pages(path, "deployments", {"workspaceIds": workspace_id}):
            dep = live_deployment(raw, where)
            # Required by the API's Deployment type (astro-client-v1 api.gen.go): absent is no answer.
            if answers.identifier(raw, "workspaceId", where, f"Deployment '{dep.name}'") != workspace_id:
                raise answers.UnexpectedAnswer(
                    where, f"Deployment '{dep.name}' ({dep.id}) is in workspace {raw['workspaceId']}, "
                    f"outside the workspace listed ({workspace_id})",
                )  # fmt: skip
            found.append(dep)
        distinct(((d.id, f"Deployment '{d.name}'") for d in found), where)
        return tuple(found)

    def objects(self, **filters: str) -> list[LiveObject]:
        """The environment objects of the types this tool manages (each row's type one of the
        API's: a METRICS_EXPORT or ENVIRONMENT_VARIABLE row is read past), each ID once."""
        params = {**filters, "resolveLinked": False}
        path = f"{self._org}/environment-objects"
        where = f"GET {path}"
        found = [
            live_object(o, where)
            for o in self.pages(path, "environmentObjects", params)
            if object_type(o, where) in TYPED
        ]
        distinct(((o.id, f"'{o.key.object_key}'") for o in found), where)
        return found

    def read(self, workspace: str, deployment_names: Sequence[str]) -> LiveState:
        """The workspace's objects and those scoped to the named Deployments (one list each,
        filtered again here: what the API's filters include is not established)."""
        return self.read_deployments(self.read_workspace(workspace), deployment_names)

    def read_workspace(self, workspace: str) -> LiveState:
        """The first half of `read`, which needs only the workspace's name: its ID, its
        Deployments and its workspace-scoped objects."""
        workspace_id = self.workspace_id(workspace)
        deployments = self.deployments(workspace_id)
        places = {("WORKSPACE", workspace_id): True} | {("DEPLOYMENT", d.id): False for d in deployments}
        objects = placed(self.objects(workspaceId=workspace_id), places, f"GET {self._org}/environment-objects")
        distinct(named_ids(workspace_id, deployments, objects), f"GET {self._org}/deployments and environment-objects")
        return LiveState(self.organization, workspace_id, workspace, deployments, tuple(objects))

    def read_deployments(self, state: LiveState, deployment_names: Sequence[str]) -> LiveState:
        """`state` (from read_workspace) with the objects scoped to the named Deployments (to
        each of them, when a name is taken twice)."""
        # Two Deployments of one name are all read: whether they are duplicates of one managed
        # preview (left by concurrent applies, deleted by the plan) is sync/previews.py's to say.
        by_name: dict[str, list[LiveDeployment]] = {}
        for d in state.deployments:
            by_name.setdefault(d.name, []).append(d)
        objects = list(state.objects)
        where = f"GET {self._org}/environment-objects"
        for name in dict.fromkeys(deployment_names):
            for dep in by_name.get(name, []):
                places = {("DEPLOYMENT", dep.id): True, ("WORKSPACE", state.workspace_id): False}
                objects += placed(self.objects(deploymentId=dep.id), places, where)
        distinct(named_ids(state.workspace_id, state.deployments, objects), where)
        return replace(state, objects=tuple(objects))

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
                return _fresh(
                    answers.identifier(created, "id", where, f"'{key.object_key}'"), known, key.object_key, where
                )
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
        self.http.request("POST", f"{self._org}/environment-objects/{segment(object_id)}", json=body, retry="write")

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
            answered = answers.identifier(created, "id", where, f"Deployment '{name}'")
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
        path = f"{self._org}/deployments/{segment(deployment_id)}"
        raw = answers.mapping(self.http.request("GET", path) or {"id": deployment_id, "name": ""}, f"GET {path}")
        return live_deployment(raw, f"GET {path}")

    def confirm_deployment(self, deployment_id: str, name: str, workspace_id: str, *, gone: bool = False) -> None:
        """Raise unless GET /deployments/{id} answers with this Deployment: `name`, in
        `workspace_id` (SPEC 7.3: a list row that names another Deployment's ID never sends a
        write there). `gone`: a 404 is fine (a delete finds it deleted)."""
        path = f"{self._org}/deployments/{segment(deployment_id)}"
        where = f"GET {path}"
        try:
            raw = answers.mapping(self.http.request("GET", path), where)
        except ApiError as exc:
            if exc.status == 404 and gone:
                return
            raise
        found = live_deployment(raw, where)
        in_workspace = answers.identifier(raw, "workspaceId", where, f"Deployment '{found.name}'")
        if (found.id, found.name, in_workspace) != (deployment_id, name, workspace_id):
            raise OperationError(
                f"{where}: the list named Deployment '{name}' of workspace {workspace_id} by this ID, but its own "
                f"answer is Deployment '{found.name}' ({found.id}) of workspace {in_workspace}: the answers disagree "
                "about which Deployment this is; nothing was changed"
            )

    def update_deployment(self, deployment_id: str, body: Mapping[str, Any]) -> None:
        self.http.request("POST", f"{self._org}/deployments/{segment(deployment_id)}", json=body, retry="write")

    def delete_deployment(self, deployment_id: str) -> None:
        self.http.request(
            "DELETE", f"{self._org}/deployments/{segment(deployment_id)}", retry="write", ok_statuses=frozenset({404})
        )

    def delete(self, object_id: str) -> None:
        self.http.request(
            "DELETE",
            f"{self._org}/environment-objects/{segment(object_id)}",
            retry="write",
            ok_statuses=frozenset({404}),
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
