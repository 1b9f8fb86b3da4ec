"""A fault-injecting HTTP proxy in front of a real server (the real Airflow of realairflow.py).

Every request is passed on to the server unchanged, except the one write the proxy is armed for
(`arm(fault, at)`: the `at`-th write from now, counting from 0; a write is a POST, PATCH, PUT or
DELETE other than a login), which meets one fault:

- `500`: answered 500, not passed on (the server holds nothing new);
- `dropped-before`: the connection closed without an answer, not passed on (the write never
  reached the server);
- `dropped-after`: passed on and done by the server, then the connection closed without an answer;
- `409`: answered 409, not passed on (a conflict for an object the server does not hold);
- `one-day-retry-after`: answered 429 with `Retry-After: 86400`, not passed on;
- `slow`: passed on and done, then answered only after `slow_seconds` (set it past the client's
  ASTRO_GITOPS_HTTP_TIMEOUT: the client has given up by then);
- `echo-body` (not one of the sweep's FAULTS): answered 400, not passed on, with a `detail` that
  quotes the request's body as received, as Python's repr of it parsed, and each text and
  number in it (as tests/support/astro_api/hostile.py's `echo_body`).

The proxy runs in a thread of the test process; `writes` lists each write seen as (method, path)
with the fault it met (or None), so a test can tell where an apply stopped.
"""

from __future__ import annotations

import http.client
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

from support.astro_api.echo import echo_of

FAULTS = ("500", "dropped-before", "dropped-after", "409", "one-day-retry-after", "slow")
WRITE_METHODS = frozenset({"POST", "PATCH", "PUT", "DELETE"})
LOGIN_PATHS = frozenset({"/auth/token"})
HOP_BY_HOP = frozenset({"connection", "keep-alive", "transfer-encoding", "content-length", "host", "upgrade"})


@dataclass
class Write:
    method: str
    path: str
    fault: str | None = None


@dataclass
class _State:
    upstream: tuple[str, int]
    slow_seconds: float
    lock: threading.Lock = field(default_factory=threading.Lock)
    writes: list[Write] = field(default_factory=list)
    armed: tuple[str, int] | None = None  # (fault, writes still to let through)


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass

    def do_GET(self) -> None:
        self._handle()

    do_POST = do_PATCH = do_PUT = do_DELETE = do_GET

    def _handle(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        fault = self._fault()
        if fault in ("500", "409", "one-day-retry-after"):
            status = {"500": 500, "409": 409, "one-day-retry-after": 429}[fault]
            headers = {"Retry-After": "86400"} if status == 429 else {}
            self._send(status, json.dumps({"detail": f"injected fault ({fault})"}).encode(), headers)
            return
        if fault == "echo-body":
            self._send(400, json.dumps({"detail": echo_of(body)}).encode(), {})
            return
        if fault == "dropped-before":
            self.close_connection = True  # nothing was passed on, nothing is answered
            return
        status, headers, answer = self._pass_on(body)
        if fault == "dropped-after":
            self.close_connection = True
            return
        if fault == "slow":
            time.sleep(self.server.state.slow_seconds)
        self._send(status, answer, headers)

    def _fault(self) -> str | None:
        path = urlsplit(self.path).path
        if self.command not in WRITE_METHODS or path in LOGIN_PATHS:
            return None
        state = self.server.state
        with state.lock:
            fault = None
            if state.armed is not None:
                name, before = state.armed
                if before == 0:
                    fault, state.armed = name, None
                else:
                    state.armed = (name, before - 1)
            state.writes.append(Write(self.command, path, fault))
            return fault

    def _pass_on(self, body: bytes) -> tuple[int, dict[str, str], bytes]:
        host, port = self.server.state.upstream
        connection = http.client.HTTPConnection(host, port, timeout=60)
        try:
            headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
            connection.request(self.command, self.path, body=body or None, headers=headers)
            response = connection.getresponse()
            answer = response.read()
            kept = {k: v for k, v in response.getheaders() if k.lower() not in HOP_BY_HOP}
            return response.status, kept, answer
        finally:
            connection.close()

    def _send(self, status: int, answer: bytes, headers: dict[str, str]) -> None:
        try:
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(answer)))
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(answer)
        except OSError:  # the client gave up waiting (the slow fault): that is the point
            pass
        self.close_connection = True


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    state: _State

    def handle_error(self, request: Any, client_address: Any) -> None:  # a client gone mid-answer
        pass


class FaultProxy:
    """`with FaultProxy("http://127.0.0.1:8080") as proxy:` serves on `proxy.url` until the end."""

    def __init__(self, upstream: str, slow_seconds: float = 4.0) -> None:
        parts = urlsplit(upstream)
        assert parts.hostname and parts.port, upstream
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.state = _State((parts.hostname, parts.port), slow_seconds)
        self._thread = threading.Thread(target=self._server.serve_forever, name="fault-proxy", daemon=True)
        self._thread.start()
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"

    def __enter__(self) -> FaultProxy:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=10)

    def arm(self, fault: str, at: int) -> None:
        """The `at`-th write from now (0: the next) meets `fault`; the log of writes starts afresh."""
        assert fault in (*FAULTS, "echo-body"), fault
        with self._server.state.lock:
            self._server.state.armed = (fault, at)
            self._server.state.writes.clear()

    def clear(self) -> None:
        """No fault armed, no write logged."""
        with self._server.state.lock:
            self._server.state.armed = None
            self._server.state.writes.clear()

    @property
    def writes(self) -> list[Write]:
        with self._server.state.lock:
            return list(self._server.state.writes)
