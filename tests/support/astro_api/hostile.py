"""The hostile answers of the local Astro API server (issue 21): a fault switched on by
`POST /_admin/fault` with one of these keys answers as a broken or hostile server would.

Before the request is routed (`before`):
- `"echo_auth": true`: 401 whose message quotes the Authorization header sent;
- `"reply": {"status": N, "body": JSON}`: this answer instead of the real one;
- `"nest": N`: 200 with `[` N times then `]` N times;
- `"huge": N`: 200 with a JSON string of N bytes, sent in 1 MiB writes;
- `"drip": S`: 200 with a small JSON body sent one byte every S seconds;
- `"drip_headers": S`: the status line and headers (a long one among them) sent one byte every
  S seconds, then a small JSON body;
- `"echo": TEXT`: 400 whose message is TEXT (a test puts a secret there in any encoding);
- `"echo_body": true`: 400 whose message quotes the request's body: as received, as Python's
  repr of it parsed, and each text and number in it (`echo_of`);
- `"seed": [object, ...]`: these environment objects created first (an object appears between plan and
  create), then the request is routed as usual.
After it is routed (`after`):
- `"answer_as": NAME`: the answer's body replaced by the Deployment NAME's (its ID: another
  object's);
- `"edit": {"list": NAME, "match": {...}, "set": {...}, "unset": [...], "copy": BOOL}`: each
  item of the answer's list NAME (or the answer itself, without `list`) whose fields equal
  `match` gets the fields of `set` and loses those `unset` names (`copy`: an edited copy is added after it instead, as a duplicated row);
  `"edit"` may also be a list of such edits, applied in turn;
- `"many": N` with `"list": NAME`: 200 with `{NAME: [{} * N], "totalCount": N}`, streamed (a
  body of tiny items).
A fault with `"count"` above 1 applies to that many matching requests (`"count": 1000000`: all).
"""

from __future__ import annotations

import json
import time
from typing import Any

import deployments as deployment_routes  # tests/support/astro_api/deployments.py
from echo import echo_of  # tests/support/astro_api/echo.py


def before(handler: Any, fault: dict[str, Any] | None, create: Any) -> bool:
    """Answer the request here when `fault` says so (True: answered); `create` is the server's
    object create (for `seed`)."""
    if not fault:
        return False
    if fault.get("seed"):
        _seed(handler.server.store, fault["seed"], create)
    if fault.get("echo_auth"):
        quoted = handler.headers.get("Authorization", "")
        handler._reply(401, {"message": f"token rejected: {quoted}", "requestId": "req-echo"})
        return True
    if fault.get("echo_body"):
        handler._reply(400, {"message": echo_of(handler.raw_body), "requestId": "req-echo"})
        return True
    if "echo" in fault:
        handler._reply(400, {"message": fault["echo"], "requestId": "req-echo"})
        return True
    if "reply" in fault:
        handler._reply(int(fault["reply"].get("status", 200)), fault["reply"].get("body"))
        return True
    if fault.get("nest"):
        depth = int(fault["nest"])
        _raw(handler, b"[" * depth + b"]" * depth)
        return True
    if fault.get("huge"):
        _huge(handler, int(fault["huge"]))
        return True
    if fault.get("drip"):
        _drip(handler, float(fault["drip"]))
        return True
    if fault.get("drip_headers"):
        _drip_headers(handler, float(fault["drip_headers"]))
        return True
    if fault.get("many"):
        _many(handler, str(fault["list"]), int(fault["many"]))
        return True
    return False


def after(handler: Any, fault: dict[str, Any] | None, status: int, payload: Any) -> tuple[int, Any]:
    """The answer to send once the request was routed."""
    if not fault:
        return status, payload
    if fault.get("answer_as"):
        found = next(d for d in handler.server.store.deployments if d["name"] == fault["answer_as"])
        return status, deployment_routes.public(found)
    edits = fault.get("edit") or []
    for edit in edits if isinstance(edits, list) else [edits]:
        payload = _edited(payload, edit)
    return status, payload


def _edited(payload: Any, edit: dict[str, Any]) -> Any:
    """`payload` with `edit` made (see the module's docstring)."""
    match, fields, unset = edit.get("match") or {}, edit.get("set") or {}, set(edit.get("unset") or ())

    def matches(item: Any) -> bool:
        return isinstance(item, dict) and all(item.get(k) == v for k, v in match.items())

    def changed(item: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in {**item, **fields}.items() if k not in unset}

    if not edit.get("list"):
        return changed(payload) if matches(payload) else payload
    if not isinstance(payload, dict) or not isinstance(payload.get(edit["list"]), list):
        return payload
    items: list[Any] = []
    for item in payload[edit["list"]]:
        if not matches(item):
            items.append(item)
        elif edit.get("copy"):
            items += [item, changed(item)]
        else:
            items.append(changed(item))
    return {**payload, edit["list"]: items}


def _seed(store: Any, objects: list[dict[str, Any]], create: Any) -> None:
    """Environment objects created as `/_admin/seed` creates them (scopes by name)."""
    with store.lock:
        ids = {d["name"]: d["id"] for d in store.deployments} | {w["name"]: w["id"] for w in store.workspaces}
        for raw in objects:
            request = json.loads(json.dumps(raw))
            request["scopeEntityId"] = ids.get(request["scopeEntityId"], request["scopeEntityId"])
            create(store, request)


def _raw(handler: Any, data: bytes) -> None:
    handler.send_response(200)
    handler.send_header("Content-Type", "application/json")
    handler.send_header("Content-Length", str(len(data)))
    handler.end_headers()
    handler.wfile.write(data)


def _huge(handler: Any, size: int) -> None:
    handler.send_response(200)
    handler.send_header("Content-Type", "application/json")
    handler.send_header("Content-Length", str(size + 2))
    handler.end_headers()
    chunk = b"x" * (1024 * 1024)
    try:
        handler.wfile.write(b'"')
        for start in range(0, size, len(chunk)):
            handler.wfile.write(chunk[: min(len(chunk), size - start)])
        handler.wfile.write(b'"')
    except OSError:  # the client stopped reading: that is the point
        handler.close_connection = True


def _many(handler: Any, name: str, count: int) -> None:
    head, tail = f'{{"{name}": ['.encode(), f'], "totalCount": {count}}}'.encode()
    handler.send_response(200)
    handler.send_header("Content-Type", "application/json")
    handler.send_header("Content-Length", str(len(head) + max(0, 3 * count - 1) + len(tail)))
    handler.end_headers()
    chunk = b"{}," * (1024 * 1024 // 3)
    try:
        handler.wfile.write(head)
        left = count
        while left > 0:
            part = chunk[: 3 * min(left, len(chunk) // 3)]
            left -= len(part) // 3
            handler.wfile.write(part if left else part[:-1])
        handler.wfile.write(tail)
    except OSError:  # the client stopped reading: that is the point
        handler.close_connection = True


def _drip(handler: Any, seconds: float) -> None:
    data = json.dumps({"workspaces": [], "totalCount": 0, "padding": "." * 200}).encode()
    handler.send_response(200)
    handler.send_header("Content-Type", "application/json")
    handler.send_header("Content-Length", str(len(data)))
    handler.end_headers()
    try:
        for byte in data:
            handler.wfile.write(bytes([byte]))
            handler.wfile.flush()
            time.sleep(seconds)
    except OSError:  # the client gave up: that is the point
        handler.close_connection = True


def _drip_headers(handler: Any, seconds: float) -> None:
    data = json.dumps({"workspaces": [], "totalCount": 0}).encode()
    head = (
        f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nX-Padding: {'.' * 200}\r\n"
        f"Content-Length: {len(data)}\r\n\r\n"
    ).encode()
    handler.close_connection = True
    try:
        for byte in head:
            handler.wfile.write(bytes([byte]))
            handler.wfile.flush()
            time.sleep(seconds)
        handler.wfile.write(data)
    except OSError:  # the client gave up: that is the point
        pass
