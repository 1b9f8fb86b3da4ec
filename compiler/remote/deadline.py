"""One deadline over each request's whole exchange: connecting, TLS, sending, the status line,
the headers and the body (ASTRO_GITOPS_HTTP_TIMEOUT, read by remote/http.py).

httpx's timeouts bound each socket operation, not a request: a server that sends its headers
or its body a byte at a time, each byte within the read timeout, holds a request open for as
long as it likes. Here every socket operation of a request waits at most what is left until
that request's deadline, and one that starts past it fails at once with the timeout of its
phase (httpcore's ConnectTimeout, WriteTimeout or ReadTimeout, which httpx raises as its own):
a connect that never completed is still known to have sent nothing.

How: the network backend of httpx's transports (httpcore's `SyncBackend`) is wrapped, so each
stream it opens asks `Deadline` for the time left. The deadline is per thread (httpcore's sync
I/O runs on the calling thread), so threads sharing a client each keep their own. httpx offers
no public way to choose its transports' network backend; `bound` sets the pool's
`_network_backend` and says False when this httpx has none (then only each read is bounded,
and tests/acceptance/test_hostile_input.py's dripped-headers test fails).
"""

from __future__ import annotations

import ssl
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

import httpcore


class Deadline:
    """The deadline (time.monotonic() seconds) of the request running on each thread."""

    def __init__(self) -> None:
        self._local = threading.local()

    @contextmanager
    def until(self, at: float) -> Iterator[None]:
        """Every socket operation on this thread inside the block ends by `at`."""
        self._local.at = at
        try:
            yield
        finally:
            self._local.at = None

    def left(self, timeout: float | None, late: type[Exception]) -> float | None:
        """The wait an operation may have: `timeout`, shortened to the time left; raises `late`
        when the deadline has passed (a zero wait would make the socket non-blocking instead)."""
        at: float | None = getattr(self._local, "at", None)
        if at is None:
            return timeout
        left = at - time.monotonic()
        if left <= 0:
            raise late("the whole request took longer than its deadline (ASTRO_GITOPS_HTTP_TIMEOUT)")
        return left if timeout is None else min(timeout, left)


class _Stream(httpcore.NetworkStream):
    """A connection whose every read and write ends by the deadline."""

    def __init__(self, inner: httpcore.NetworkStream, deadline: Deadline) -> None:
        self._inner, self._deadline = inner, deadline

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._inner.read(max_bytes, self._deadline.left(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, self._deadline.left(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(
        self, ssl_context: ssl.SSLContext, server_hostname: str | None = None, timeout: float | None = None
    ) -> httpcore.NetworkStream:
        wait = self._deadline.left(timeout, httpcore.ConnectTimeout)
        return _Stream(self._inner.start_tls(ssl_context, server_hostname, wait), self._deadline)

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


class _Backend(httpcore.NetworkBackend):
    """httpcore's backend, its connections bounded by the deadline."""

    def __init__(self, inner: httpcore.NetworkBackend, deadline: Deadline) -> None:
        self._inner, self._deadline = inner, deadline

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        wait = self._deadline.left(timeout, httpcore.ConnectTimeout)
        return _Stream(self._inner.connect_tcp(host, port, wait, local_address, socket_options), self._deadline)

    def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> httpcore.NetworkStream:
        wait = self._deadline.left(timeout, httpcore.ConnectTimeout)
        return _Stream(self._inner.connect_unix_socket(path, wait, socket_options), self._deadline)

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


def bound(client: Any, deadline: Deadline) -> bool:
    """Wrap the network backend of each transport of the httpx `client` (its own and those of
    proxies from the environment) so `deadline` bounds them; False when none could be wrapped."""
    transports = [getattr(client, "_transport", None), *(getattr(client, "_mounts", None) or {}).values()]
    wrapped = False
    for transport in transports:
        pool = getattr(transport, "_pool", None)
        backend = getattr(pool, "_network_backend", None)
        if isinstance(backend, httpcore.NetworkBackend):
            pool._network_backend = _Backend(backend, deadline)  # type: ignore[union-attr]
            wrapped = True
    return wrapped
