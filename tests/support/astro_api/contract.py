"""The local server's contract: which Astro API v1 type each route takes and returns.

Every request the server receives is checked against its generated type before any route runs
(`tests/support/astro_api_types`: JSON Schemas generated from astronomer/astro-cli
`astro-client-v1/api.gen.go`, the commit named in `astro_api_types.SOURCE`): a body against
the request type (a union such as `UpdateDeploymentRequest` through its `type` discriminator),
the query string against the operation's `...Params` type (arrays as repeated names, form
explode; an unknown name is an error; a route without parameters takes none). A failure is a
400 shaped like the API's binding errors: `{message, requestId, statusCode, fieldErrors}`.

Every response the server sends is checked against the response type too: a response that
does not fit is a bug of this server, answered as a 500 the tests see (`server bug: ...`).

The server runs as a script (`python server.py`), so the checker is imported by path.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # tests/support: astro_api_types
import astro_api_types as api_types

_ID = r"[^/]+"
_ORG = rf"/v1/organizations/{_ID}"


@dataclass(frozen=True)
class Route:
    """One operation: its method and path, and the types of its body, query and 2xx response."""

    method: str
    path: re.Pattern[str]
    body: str | None = None
    query: str | None = None
    response: str | None = None


def _route(
    method: str, path: str, body: str | None = None, query: str | None = None, response: str | None = None
) -> Route:
    return Route(method, re.compile(path), body, query, response)


ROUTES = (
    _route("GET", r"/v1/organizations", query="ListOrganizationsParams", response="OrganizationsPaginated"),
    _route("GET", rf"{_ORG}/workspaces", query="ListWorkspacesParams", response="WorkspacesPaginated"),
    _route("GET", rf"{_ORG}/deployments", query="ListDeploymentsParams", response="DeploymentsPaginated"),
    _route("POST", rf"{_ORG}/deployments", body="CreateDeploymentRequest", response="Deployment"),
    _route("GET", rf"{_ORG}/deployments/{_ID}", response="Deployment"),
    _route("POST", rf"{_ORG}/deployments/{_ID}", body="UpdateDeploymentRequest", response="Deployment"),
    _route("DELETE", rf"{_ORG}/deployments/{_ID}"),
    _route(
        "GET",
        rf"{_ORG}/environment-objects",
        query="ListEnvironmentObjectsParams",
        response="EnvironmentObjectsPaginated",
    ),
    _route(
        "POST",
        rf"{_ORG}/environment-objects",
        body="CreateEnvironmentObjectRequest",
        response="CreateEnvironmentObject",
    ),
    _route("GET", rf"{_ORG}/environment-objects/{_ID}", response="EnvironmentObject"),
    _route(
        "POST",
        rf"{_ORG}/environment-objects/{_ID}",
        body="UpdateEnvironmentObjectRequest",
        response="EnvironmentObject",
    ),
    _route("POST", rf"{_ORG}/environment-objects/{_ID}/exclude-linking", body="ExcludeLinkEnvironmentObjectRequest"),
    _route("DELETE", rf"{_ORG}/environment-objects/{_ID}"),
)
SOURCE = api_types.SOURCE


def route_of(method: str, path: str) -> Route | None:
    """The operation `method path` is, or None (the server answers 404/405 as before)."""
    return next((r for r in ROUTES if r.method == method and r.path.fullmatch(path)), None)


def array_names(route: Route) -> frozenset[str]:
    """The query names of `route` that take several values (repeated: form, explode)."""
    if route.query is None:
        return frozenset()
    properties = api_types.schema(route.query)["$defs"][route.query]["properties"]
    return frozenset(n for n, p in properties.items() if p.get("type") == "array")


def request_errors(route: Route, query: dict[str, list[str]], body: Any, raw: bytes) -> list[dict[str, Any]]:
    """The binding errors of a request: its query, then its body ([] when it fits)."""
    errors: list[dict[str, Any]] = []
    if route.query is not None:
        errors += api_types.check_query(route.query, query)
    else:
        errors += [{"code": "additionalProperties", "field": n, "message": "unknown query parameter"} for n in query]
    if route.body is not None:
        if body is None:
            what = "the body is not JSON" if raw else "a JSON body is required"
            errors.append({"code": "type", "field": "", "message": what})
        else:
            errors += api_types.check(route.body, body)
    elif raw:
        errors.append({"code": "additionalProperties", "field": "", "message": "this operation takes no body"})
    return errors


def response_errors(route: Route, status: int, payload: Any) -> list[dict[str, Any]]:
    """How a response does not fit its type: a 2xx against the route's, an error against `Error`."""
    if status == 204 or (200 <= status < 300 and route.response is None):
        return []
    return api_types.check(route.response if status < 300 else "Error", payload)  # type: ignore[arg-type]


def bad_request(errors: list[dict[str, Any]], request_id: str) -> dict[str, Any]:
    """The 400 of a request that does not bind, shaped like the API's `Error` with `fieldErrors`."""
    first = errors[0]
    where = f" at {first['field']!r}" if first["field"] else ""
    message = f"invalid request: {first['code']}{where}: {first['message']}"
    return {"message": message, "requestId": request_id, "statusCode": 400, "fieldErrors": errors}
