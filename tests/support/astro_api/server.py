"""A local Astro API v1 server for tests: a real HTTP server on 127.0.0.1.

It reproduces the facts of ASTRO-API.md sections 1-3 that astro-gitops relies on:
- routes: organizations, workspaces, deployments (list, get, create, update, delete: see
  deployments.py), environment objects
  (list, create, get, update = POST on the object, delete, exclude-linking);
- paging by limit/offset/totalCount with a small maximum page size;
- masking: a connection's password and secret-looking extra keys read as "", a secret
  variable's value reads as "", per-link override values of secret fields are omitted;
  `setFields` (dotted for extra keys) tells a set secret from an unset field;
- create returns only {id}; a duplicate key (objectKey, objectType, scope, scopeEntityId)
  is a 409;
- update: the typed member is required, a connection's `type` is required and immutable,
  `isSecret` cannot be sent; `links`, `excludeLinks` and `autoLinkDeployments` are cleared when
  omitted (`omitted_links: "clear"`, the astro-cli report) or kept (`"preserve"`, the
  terraform report); a present link entry merges per entry, `unsetFields` removes override
  fields, an empty secret value is no change; omitted top-level connection fields are kept
  (`omitted_fields: "keep"`) or cleared (`"clear"`);
- `updatedAt` moves on every write; errors carry `message` and `requestId`; a Bearer token is
  required.
Test controls under /_admin: GET log (every request, bodies included: only tests read it),
GET state (the unmasked store), POST reset, POST seed, POST config (switches), POST fault
(429 with or without Retry-After, 500, a dropped connection after a successful create, a
slow response; the hostile answers of hostile.py).

Run: python server.py [--port 0] [--token T] [--page-size 20]; prints `listening on URL`.
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import itertools
import json
import re
import socket
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import contract  # tests/support/astro_api/contract.py: the generated types each route takes and returns
import deployments as deployment_routes  # tests/support/astro_api/deployments.py (the script's folder)
import hostile  # tests/support/astro_api/hostile.py: issue 21's hostile answers

SECRET_EXTRA = re.compile(r"password|secret|token|private_key|api_key|key_content|keyfile_dict|credentials", re.I)
CONNECTION_FIELDS = ("type", "host", "login", "password", "schema", "port", "extra")
TYPED = {
    "CONNECTION": "connection",
    "AIRFLOW_VARIABLE": "airflowVariable",
    "ENVIRONMENT_VARIABLE": "environmentVariable",
}
LINK_OVERRIDES = {"connection": "connectionOverrides", "airflowVariable": "airflowVariableOverrides",
                  "environmentVariable": "environmentVariableOverrides"}  # fmt: skip


class Problem(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status, self.message = status, message


class Store:
    def __init__(self, token: str, page_size: int) -> None:
        self.lock = threading.RLock()
        self.token = token
        self.config: dict[str, Any] = {"page_size": page_size, "omitted_links": "clear", "omitted_fields": "keep"}
        self.reset()

    def reset(self) -> None:
        self.organizations: list[dict[str, Any]] = [{"id": "org00000000000000000000001", "name": "Test Org"}]
        self.workspaces: list[dict[str, Any]] = []
        self.deployments: list[dict[str, Any]] = []
        self.objects: dict[str, dict[str, Any]] = {}
        self.log: list[dict[str, Any]] = []
        self.faults: list[dict[str, Any]] = []
        self.ids = itertools.count(1)
        self.clock = itertools.count(1)

    def new_id(self, prefix: str) -> str:
        return f"{prefix}{next(self.ids):0{25 - len(prefix)}d}"

    def now(self) -> str:
        return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(1_780_000_000 + next(self.clock)))


# --- environment objects -----------------------------------------------------------------


def _is_secret_field(obj: dict[str, Any], name: str) -> bool:
    if obj["objectType"] == "CONNECTION":
        return name == "password" or (name.startswith("extra.") and bool(SECRET_EXTRA.search(name[6:])))
    return bool(obj.get(TYPED[obj["objectType"]], {}).get("isSecret"))


def _set_fields(obj: dict[str, Any], member: dict[str, Any]) -> list[str]:
    names = []
    for name, value in member.items():
        if name in ("isSecret", "authTypeId") or value is None:
            continue
        if name == "extra" and isinstance(value, dict):
            names += [f"extra.{k}" for k in value]
        else:
            names.append(name)
    return sorted(names)


def _masked_member(obj: dict[str, Any], member: dict[str, Any], *, link: bool) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, value in member.items():
        if name == "authTypeId":
            continue  # write-only
        if name == "extra" and isinstance(value, dict):
            out["extra"] = {
                k: ("" if _is_secret_field(obj, f"extra.{k}") else v) for k, v in value.items()
                if not (link and _is_secret_field(obj, f"extra.{k}"))
            }  # fmt: skip
        elif name != "isSecret" and _is_secret_field(obj, name):
            if not link:
                out[name] = ""
        else:
            out[name] = value
    return out


def public(obj: dict[str, Any], *, show_secrets: bool = False) -> dict[str, Any]:
    typed = TYPED[obj["objectType"]]
    member = obj[typed]
    out = {k: copy.deepcopy(v) for k, v in obj.items() if k not in (typed, "links")}
    out[typed] = copy.deepcopy(member) if show_secrets else _masked_member(obj, member, link=False)
    out[typed].pop("authTypeId", None)
    auth = member.get("authTypeId")
    if auth:  # write-only authTypeId reads as the ConnectionAuthType it names
        out[typed]["connectionAuthType"] = {"id": auth, "name": auth, "airflowType": member.get("type", ""),
                                            "authMethodName": "default", "description": "", "parameters": [],
                                            "providerPackageName": "apache-airflow"}  # fmt: skip
    out["setFields"] = _set_fields(obj, member)
    out["links"] = []
    for link in obj.get("links", []):
        overrides = link.get("overrides") or {}
        entry: dict[str, Any] = {"scope": link["scope"], "scopeEntityId": link["scopeEntityId"]}
        if overrides:
            entry[LINK_OVERRIDES[typed]] = (
                copy.deepcopy(overrides) if show_secrets else _masked_member(obj, overrides, link=True)
            )
        entry["setFields"] = _set_fields(obj, overrides)
        out["links"].append(entry)
    return out


def _typed_member(body: dict[str, Any], object_type: str) -> dict[str, Any]:
    typed = TYPED.get(object_type)
    if typed is None:
        raise Problem(400, f"unsupported objectType {object_type!r}")
    members = [k for k in TYPED.values() if k in body]
    if members != [typed]:
        raise Problem(400, f"exactly one typed member is required: {typed}")
    member = body[typed]
    if not isinstance(member, dict):
        raise Problem(400, f"{typed} must be an object")
    if typed == "connection" and not member.get("type"):
        raise Problem(400, "connection.type is required")
    return member


def _check_links(store: Store, body: dict[str, Any], workspace_id: str) -> None:
    names = {d["id"] for d in store.deployments if d["workspaceId"] == workspace_id}
    for entry in [*(body.get("links") or []), *(body.get("excludeLinks") or [])]:
        if entry.get("scope") != "DEPLOYMENT" or entry.get("scopeEntityId") not in names:
            raise Problem(400, f"link to unknown deployment {entry.get('scopeEntityId')!r}")
    linked = {e["scopeEntityId"] for e in body.get("links") or []}
    excluded = {e["scopeEntityId"] for e in body.get("excludeLinks") or []}
    if linked & excluded:
        raise Problem(400, "a deployment cannot be both linked and excluded")


def _workspace_of(store: Store, scope: str, entity: str) -> str:
    if scope == "WORKSPACE" and any(w["id"] == entity for w in store.workspaces):
        return entity
    if scope == "DEPLOYMENT":
        for d in store.deployments:
            if d["id"] == entity:
                return str(d["workspaceId"])
    raise Problem(404, f"{scope.lower()} {entity!r} not found")


def create(store: Store, body: dict[str, Any]) -> dict[str, Any]:
    for name in ("objectKey", "objectType", "scope", "scopeEntityId"):
        if not isinstance(body.get(name), str) or not body[name]:
            raise Problem(400, f"{name} is required")
    member = _typed_member(body, body["objectType"])
    workspace_id = _workspace_of(store, body["scope"], body["scopeEntityId"])
    if body["scope"] != "WORKSPACE" and (body.get("links") or body.get("autoLinkDeployments")):
        raise Problem(400, "links are only applicable for WORKSPACE scope")
    _check_links(store, body, workspace_id)
    key = (body["objectKey"], body["objectType"], body["scope"], body["scopeEntityId"])
    if any((o["objectKey"], o["objectType"], o["scope"], o["scopeEntityId"]) == key for o in store.objects.values()):
        raise Problem(409, f"environment object {body['objectKey']!r} already exists")
    now = store.now()
    obj = {
        "id": store.new_id("eo"),
        "objectKey": body["objectKey"],
        "objectType": body["objectType"],
        "scope": body["scope"],
        "scopeEntityId": body["scopeEntityId"],
        "description": body.get("description", ""),
        "autoLinkDeployments": bool(body.get("autoLinkDeployments", False)),
        "excludeLinks": [{"scope": "DEPLOYMENT", "scopeEntityId": e["scopeEntityId"]} for e in body.get("excludeLinks") or []],
        "links": [{"scope": "DEPLOYMENT", "scopeEntityId": e["scopeEntityId"], "overrides": dict(e.get("overrides", {}).get(TYPED[body["objectType"]], {}) or {})} for e in body.get("links") or []],
        TYPED[body["objectType"]]: copy.deepcopy(member),
        "createdAt": now,
        "updatedAt": now,
    }  # fmt: skip
    if body["objectType"] != "CONNECTION":
        obj[TYPED[body["objectType"]]]["isSecret"] = bool(member.get("isSecret", False))
    store.objects[obj["id"]] = obj
    return {"id": obj["id"]}


def _merge_member(obj: dict[str, Any], stored: dict[str, Any], sent: dict[str, Any], omitted: str) -> dict[str, Any]:
    result = {} if omitted == "clear" else copy.deepcopy(stored)
    for name in ("isSecret", "authTypeId"):
        if name in stored:
            result[name] = stored[name]
    for name, value in sent.items():
        if name == "extra" and isinstance(value, dict):
            old = stored.get("extra") or {}
            result["extra"] = {
                k: (old.get(k) if v == "" and _is_secret_field(obj, f"extra.{k}") and k in old else v) for k, v in value.items()
            }  # fmt: skip
        elif value == "" and _is_secret_field(obj, name) and name in stored:
            result[name] = stored[name]  # an empty secret value is "no change"
        else:
            result[name] = value
    return result


def _merge_links(obj: dict[str, Any], sent: list[dict[str, Any]]) -> list[dict[str, Any]]:
    typed = TYPED[obj["objectType"]]
    old = {link["scopeEntityId"]: link for link in obj.get("links", [])}
    links = []
    for entry in sent:
        target = entry["scopeEntityId"]
        overrides = dict(old[target]["overrides"]) if target in old else {}
        given = entry.get("overrides") or {}
        unset = given.get("unsetFields") or []
        fields = given.get(typed) or {}
        if set(unset) & ({f"extra.{k}" for k in fields.get("extra") or {}} | set(fields)):
            raise Problem(400, "a field cannot be both set and listed in unsetFields")
        overrides = _merge_member(obj, overrides, fields, "keep") if fields else overrides
        for name in unset:
            if name.startswith("extra."):
                (overrides.get("extra") or {}).pop(name[6:], None)
            else:
                overrides.pop(name, None)
        links.append({"scope": "DEPLOYMENT", "scopeEntityId": target, "overrides": overrides})
    return links


def update(store: Store, object_id: str, body: dict[str, Any]) -> dict[str, Any]:
    obj = store.objects.get(object_id)
    if obj is None:
        raise Problem(404, f"environment object {object_id!r} not found")
    typed = TYPED[obj["objectType"]]
    member = _typed_member(body, obj["objectType"])
    if typed == "connection" and member["type"] != obj["connection"]["type"]:
        raise Problem(400, "connection type is immutable")
    if typed != "connection" and "isSecret" in member:
        raise Problem(400, "isSecret cannot be updated")
    workspace_id = _workspace_of(store, obj["scope"], obj["scopeEntityId"])
    _check_links(store, body, workspace_id)
    preserve = store.config["omitted_links"] == "preserve"
    obj[typed] = _merge_member(obj, obj[typed], member, store.config["omitted_fields"])
    if "description" in body:
        obj["description"] = body["description"]
    if "links" in body or not preserve:
        obj["links"] = _merge_links(obj, body.get("links") or [])
    if "excludeLinks" in body or not preserve:
        obj["excludeLinks"] = [
            {"scope": "DEPLOYMENT", "scopeEntityId": e["scopeEntityId"]} for e in body.get("excludeLinks") or []
        ]
    if "autoLinkDeployments" in body or not preserve:
        obj["autoLinkDeployments"] = bool(body.get("autoLinkDeployments", False))
    obj["updatedAt"] = store.now()
    return public(obj)


def exclude(store: Store, object_id: str, body: dict[str, Any]) -> None:
    obj = store.objects.get(object_id)
    if obj is None:
        raise Problem(404, f"environment object {object_id!r} not found")
    target = body.get("scopeEntityId")
    if any(link["scopeEntityId"] == target for link in obj["links"]):
        raise Problem(409, "delete the link first to exclude")
    obj["excludeLinks"].append({"scope": "DEPLOYMENT", "scopeEntityId": target})
    obj["updatedAt"] = store.now()


def list_objects(store: Store, query: dict[str, str]) -> list[dict[str, Any]]:
    found = []
    deployments = {d["id"]: d for d in store.deployments}
    for obj in store.objects.values():
        if "workspaceId" in query:
            entity = obj["scopeEntityId"]
            in_workspace = entity == query["workspaceId"] if obj["scope"] == "WORKSPACE" else False
            if not in_workspace:
                continue
        if "deploymentId" in query and not (
            obj["scope"] == "DEPLOYMENT" and obj["scopeEntityId"] == query["deploymentId"]
        ):
            continue
        if "objectKey" in query and obj["objectKey"] != query["objectKey"]:
            continue
        if "objectType" in query and obj["objectType"] != query["objectType"]:
            continue
        if obj["scope"] == "DEPLOYMENT" and obj["scopeEntityId"] not in deployments:
            continue
        found.append(obj)
    return sorted(found, key=lambda o: (o["createdAt"], o["id"]))


# --- HTTP ------------------------------------------------------------------------------------


class Handler(BaseHTTPRequestHandler):
    server: Server
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out as separate writes

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass

    def do_GET(self) -> None:
        self._handle("GET")

    def do_POST(self) -> None:
        self._handle("POST")

    def do_DELETE(self) -> None:
        self._handle("DELETE")

    def _handle(self, method: str) -> None:
        store = self.server.store
        parts = urlsplit(self.path)
        given = parse_qs(parts.query, keep_blank_values=True)
        operation = contract.route_of(method, parts.path)
        arrays = contract.array_names(operation) if operation else frozenset()
        # A name of an array parameter keeps every repetition; any other name its last value.
        query: dict[str, Any] = {k: (v if k in arrays else v[-1]) for k, v in given.items()}
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = None
        if parts.path.startswith("/_admin/"):
            return self._admin(method, parts.path, body)
        with store.lock:
            logged = {k: (v[0] if len(v) == 1 else v) for k, v in given.items()}
            entry = {"method": method, "path": parts.path, "query": logged, "body": body,
                     "authorized": self.headers.get("Authorization") == f"Bearer {store.token}"}  # fmt: skip
            store.log.append(entry)
            fault = self._fault(method, parts.path)
        if fault and fault.get("delay"):
            time.sleep(float(fault["delay"]))
        self.raw_body = raw  # for hostile.py's echo_body
        if hostile.before(self, fault, create):  # issue 21's hostile answers: hostile.py
            return None
        if fault and fault.get("status"):
            headers = {"Retry-After": str(fault["retry_after"])} if "retry_after" in fault else {}
            entry["status"] = fault["status"]
            fault_body = {"message": "injected fault", "requestId": "req-fault", "statusCode": fault["status"]}
            return self._reply(fault["status"], fault_body, headers)
        with store.lock:
            if not entry["authorized"]:
                entry["status"] = 401
                return self._reply(401, {"message": "Unauthorized", "requestId": "req-401", "statusCode": 401})
            errors = contract.request_errors(operation, given, body, raw) if operation else []
            if errors:
                entry["status"], entry["fieldErrors"] = 400, errors
                return self._reply(400, contract.bad_request(errors, f"req-{len(store.log)}"))
            try:
                status, payload = route(store, method, parts.path, query, body)
            except (Problem, deployment_routes.Problem) as problem:
                status, payload = problem.status, {"message": problem.message, "requestId": f"req-{len(store.log)}",
                                                   "statusCode": problem.status}  # fmt: skip
            wrong = contract.response_errors(operation, status, payload) if operation else []
            if wrong:  # this server's bug, never the client's: a 500 the tests see
                entry["server_bug"] = wrong
                status, payload = 500, {"message": f"server bug: the response does not fit its type: {wrong}",
                                        "requestId": f"req-{len(store.log)}", "statusCode": 500}  # fmt: skip
            entry["status"] = status
        status, payload = hostile.after(self, fault, status, payload)
        if fault and fault.get("drop"):
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return None
        return self._reply(status, payload)

    def _fault(self, method: str, path: str) -> dict[str, Any] | None:
        for fault in self.server.store.faults:
            if fault.get("method", method) == method and re.search(fault.get("path", ""), path) and fault["count"] > 0:
                if fault.get("after", 0) > 0:  # let this many matching requests through first
                    fault["after"] -= 1
                    continue
                fault["count"] -= 1
                return fault
        return None

    def _admin(self, method: str, path: str, body: Any) -> None:
        store = self.server.store
        with store.lock:
            if path == "/_admin/log":
                return self._reply(200, store.log)
            if path == "/_admin/state":
                return self._reply(200, {"workspaces": store.workspaces, "deployments": store.deployments,
                                         "objects": list(store.objects.values()), "config": store.config})  # fmt: skip
            if path == "/_admin/reset":
                store.reset()
            elif path == "/_admin/clear-log":
                store.log.clear()
            elif path == "/_admin/config":
                store.config.update(body or {})
            elif path == "/_admin/fault":
                store.faults.append({"count": 1, **(body or {})})
            elif path == "/_admin/seed":
                for ws in (body or {}).get("workspaces", []):
                    store.workspaces.append({"id": ws.get("id") or store.new_id("ws"), "name": ws["name"]})
                for dep in (body or {}).get("deployments", []):
                    workspace = next(w for w in store.workspaces if w["name"] == dep["workspace"])
                    fields = {k: v for k, v in dep.items() if k != "workspace"}
                    store.deployments.append(
                        deployment_routes.new_deployment(store, {**fields, "workspaceId": workspace["id"]})
                    )
                for org in (body or {}).get("organizations", []):
                    store.organizations.append(org)
                for raw in (body or {}).get("objects", []):
                    ids = {d["name"]: d["id"] for d in store.deployments} | {
                        w["name"]: w["id"] for w in store.workspaces
                    }
                    request = json.loads(json.dumps(raw))
                    request["scopeEntityId"] = ids.get(request["scopeEntityId"], request["scopeEntityId"])
                    for entry in [*request.get("links", []), *request.get("excludeLinks", [])]:
                        entry["scopeEntityId"] = ids.get(entry["scopeEntityId"], entry["scopeEntityId"])
                    create(store, request)
            else:
                return self._reply(404, {"message": "no such admin route"})
            return self._reply(200, {"ok": True})

    def _reply(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
        data = b"" if status == 204 else json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)


def _page(store: Store, items: list[dict[str, Any]], query: dict[str, str], name: str) -> dict[str, Any]:
    try:
        offset = int(query.get("offset", "0"))
        limit = int(query.get("limit", "20"))
    except ValueError:
        raise Problem(400, "offset and limit must be integers") from None
    limit = max(1, min(limit, int(store.config["page_size"])))
    return {name: items[offset : offset + limit], "limit": limit, "offset": offset, "totalCount": len(items)}


def _filter_names(items: list[dict[str, Any]], query: dict[str, Any], key: str) -> list[dict[str, Any]]:
    """Items whose name is one of the repeated `key` parameter's values (form, explode)."""
    if key in query:
        wanted = set(query[key])
        items = [i for i in items if i["name"] in wanted]
    return items


ORG = re.compile(r"^/v1/organizations/([^/]+)(/.*)?$")
SEEDED_AT = "2026-01-01T00:00:00Z"
SUBJECT = {"id": "usr00000000000000000000001", "subjectType": "USER", "username": "admin@example.com"}


def _organization(store: Store, org: dict[str, Any]) -> dict[str, Any]:
    """An `Organization` response: the seeded fields and the type's required ones."""
    now = SEEDED_AT
    return {"allowEnhancedSupportAccess": False, "createdAt": now, "createdBy": SUBJECT,
            "hasAllowedIpAddressRanges": False, "isBlockedEnableAiFeatures": False, "isScimEnabled": False,
            "productPlans": [], "shouldEnforceDedicatedClusters": False, "updatedAt": now, "updatedBy": SUBJECT,
            **org}  # fmt: skip


def _workspace(store: Store, workspace: dict[str, Any], organization: str) -> dict[str, Any]:
    """A `Workspace` response: the seeded fields and the type's required ones."""
    now = SEEDED_AT
    return {"cicdEnforcedDefault": False, "createdAt": now, "updatedAt": now, "organizationId": organization,
            **workspace}  # fmt: skip


def route(store: Store, method: str, path: str, query: dict[str, str], body: Any) -> tuple[int, Any]:
    if method == "GET" and path == "/v1/organizations":
        listed = _page(store, store.organizations, query, "organizations")
        listed["organizations"] = [_organization(store, o) for o in listed["organizations"]]
        return 200, listed
    matched = ORG.match(path)
    if not matched or matched.group(1) not in {o["id"] for o in store.organizations}:
        raise Problem(404, "not found")
    rest = matched.group(2) or ""
    if method == "GET" and rest == "/workspaces":
        listed = _page(store, _filter_names(store.workspaces, query, "names"), query, "workspaces")
        listed["workspaces"] = [_workspace(store, w, matched.group(1)) for w in listed["workspaces"]]
        return 200, listed
    answered = deployment_routes.route(store, method, rest, query, body, lambda *a: _page(store, *a))
    if answered is not None:
        return answered
    if rest == "/environment-objects":
        if method == "GET":
            page = _page(store, list_objects(store, query), query, "environmentObjects")
            shown = query.get("showSecrets") == "true"
            page["environmentObjects"] = [public(o, show_secrets=shown) for o in page["environmentObjects"]]
            return 200, page
        if method == "POST":
            return 200, create(store, _object_body(body))
    found = re.fullmatch(r"/environment-objects/([^/]+)(/exclude-linking)?", rest)
    if found and found.group(1) in store.objects:
        object_id = found.group(1)
        if method == "POST" and found.group(2):
            exclude(store, object_id, _object_body(body))
            return 200, None
        if method == "GET" and not found.group(2):
            return 200, public(store.objects[object_id])
        if method == "POST":
            return 200, update(store, object_id, _object_body(body))
        if method == "DELETE":
            del store.objects[object_id]
            return 204, None
    if found:
        raise Problem(404, f"environment object {found.group(1)!r} not found")
    raise Problem(405 if rest else 404, "method not allowed")


def _object_body(body: Any) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise Problem(400, "a JSON object body is required")
    return body


class Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, port: int, store: Store) -> None:
        super().__init__(("127.0.0.1", port), Handler)
        self.store = store


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--token", default="test-token")
    parser.add_argument("--page-size", type=int, default=20)
    args = parser.parse_args(argv)
    server = Server(args.port, Store(args.token, args.page_size))
    print(f"listening on http://127.0.0.1:{server.server_address[1]}/v1", flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        server.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
