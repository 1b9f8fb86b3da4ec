"""The HTTP plumbing every remote client shares: a client, retries, a rate limit, one error type.

This package is the only one that imports an HTTP library (as load/gitrefs.py is for git); httpx
and stamina are imported lazily, inside the functions that need them, so `validate` and
`render` never load them.

Retry rules (SPEC 7.6):
- a read retries on connection errors, timeouts, 429, 502, 503 and 504;
- an update or a delete retries on 429, 502 and 503 (and on a connection error that happened
  before the request was sent); a repeated delete's 404 is success (the caller says so);
- a create is retried only when it certainly created nothing (a refused connection, a 429);
  any other failure after sending is raised as `AmbiguousWrite`, and the caller looks the
  object up by key before creating again.
Waits grow exponentially with jitter; a `Retry-After` header (seconds or an HTTP date) sets the
wait instead.

Bounds (a hostile or broken server gets no unbounded resource): each request's whole duration is
at most `ASTRO_GITOPS_HTTP_TIMEOUT` seconds (default 30; one deadline over connecting, sending,
the status line, the headers and the body, not per read: headers or a body dripped a byte a
second end at it; remote/deadline.py), and a response body at most
`ASTRO_GITOPS_HTTP_MAX_BYTES` (default 64 MiB), read as a stream and stopped there. Memory is
bounded on totals too (compiler/limits.py): a body may hold at most one JSON value per 32 bytes of
that limit (counted before it is decoded: 60 MB of `{}` no longer decodes into a gigabyte), all the
bodies of one client together at most 8 times it, and all the lists of one client at most
`ASTRO_GITOPS_MAX_LIST_ITEMS` items (default 50,000; `listed`), whatever `totalCount` says. A body nested
too deeply to decode is an error, as is one that is not JSON. No request body and no header value ever reaches a
message: an error names the method, the path, the status, and the server's own message and
request ID.
"""

from __future__ import annotations

import json
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from email.utils import parsedate_to_datetime
from typing import Any, Literal

from compiler.errors import OperationError
from compiler.limits import MAX_LIST_ITEMS, READ_BODIES, VALUE_BYTES
from compiler.model.frozen import field, frozen

# httpx's `__init__` imports its command line (`httpx._main`, which imports click, rich and
# pygments when they are installed) only to export `httpx.main`, and catches the ImportError when
# they are not (httpx/__init__.py: `try: from ._main import main`). astro-gitops never runs httpx's
# command line: the entry set to None makes that import fail as it does without them, which saves
# about 35 ms of a plan's CPU where they are installed (issue 26). Every client of this package
# (astro.py, airflow.py) imports this module before any request, so before httpx.
if "httpx" not in sys.modules:
    sys.modules.setdefault("httpx._main", None)  # type: ignore[arg-type]

Retry = Literal["read", "write", "create"]

READ_STATUSES = frozenset({429, 502, 503, 504})
WRITE_STATUSES = frozenset({429, 502, 503})
MAX_RETRY_AFTER = 60.0  # a server asking for longer is answered with a failure, not a hang
DEFAULT_TIMEOUT = 30.0  # seconds
DEFAULT_MAX_BODY = 64 * 1024 * 1024  # bytes
MESSAGE_LIMIT = 500  # characters of a server's message shown (cut after masking: compiler/redaction.py)


class ApiError(OperationError):
    """A request failed: the method, path, status, and the API's message and request ID."""

    def __init__(
        self,
        method: str,
        path: str,
        status: int | None,
        message: str,
        request_id: str | None = None,
        retry_after: float | None = None,
        sent: Any = None,
    ) -> None:
        """`sent`: the request's body, never shown: masked where the message quotes it."""
        self.method, self.path, self.status = method, path, status
        self.api_message, self.request_id, self.retry_after = message, request_id, retry_after
        self._sent = sent
        super().__init__(message)

    def __str__(self) -> str:
        """Told when shown, so every value registered by then is masked, before the cut."""
        from compiler.redaction import cut

        shown = f"HTTP {self.status}" if self.status is not None else "no response"
        rid = f" (requestId {cut(self.request_id, 100, self._sent)})" if self.request_id else ""
        message = cut(self.api_message, MESSAGE_LIMIT, self._sent)
        return f"{self.method} {cut(self.path, 300)}: {shown}: {message}{rid}"


class AmbiguousWrite(ApiError):
    """A write whose outcome is unknown: the request may have reached the server."""


@frozen
class RetryPolicy:
    attempts: int = 6
    total: float = 60.0  # seconds for all attempts of one request
    wait_initial: float = 0.2
    wait_max: float = 8.0
    wait_jitter: float = 0.5


@frozen
class Limits:
    """Requests per second by method (the Astro API's documented per-token limits)."""

    per_second: Mapping[str, float] = field(
        default_factory=lambda: {"GET": 25.0, "POST": 10.0, "PATCH": 10.0, "PUT": 10.0, "DELETE": 5.0}
    )


class RateLimiter:
    """At most `rate` requests of each method in any window of one second (thread-safe).

    A sliding window: up to the limit go at once, then each request waits until the one `rate`
    places before it is a second old (plus WINDOW_MARGIN, for the network's jitter). Spacing
    every request 1/rate apart would keep the limit too, but makes a plan's 60 reads take 2.4 s
    where the limit allows 2.0. A rate that is not whole keeps to its whole part (2.5 per
    second is 2 in any second); a rate under 1 per second is one request per 1/rate seconds.
    """

    WINDOW_MARGIN = 0.02  # a window is 2% longer than the limit's second

    def __init__(
        self,
        limits: Limits,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._allowed: dict[str, tuple[int, float]] = {}  # method -> (requests, per seconds)
        for method, rate in limits.per_second.items():
            if rate > 0:  # 2.5/s is 2 in a second (never 3); 0.5/s is 1 in two seconds
                count = max(1, int(rate))
                self._allowed[method.upper()] = (count, max(1.0, count / rate) * (1 + self.WINDOW_MARGIN))
        self._sent: dict[str, deque[float]] = {}  # method -> the last `count` start times
        self._lock = threading.Lock()
        self._clock, self._sleep = clock, sleep

    def wait(self, method: str) -> None:
        allowed = self._allowed.get(method.upper())
        if allowed is None:
            return
        count, window = allowed
        with self._lock:
            sent = self._sent.setdefault(method.upper(), deque(maxlen=count))
            now = self._clock()
            start = now if len(sent) < count else max(now, sent[0] + window)
            sent.append(start)  # the oldest falls out
        if start > now:
            self._sleep(start - now)


def retry_after(headers: Mapping[str, str]) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or an HTTP date), else None."""
    raw = headers.get("retry-after")
    if raw is None:
        return None
    raw = raw.strip()
    try:
        seconds = float(raw)
    except ValueError:
        try:
            seconds = parsedate_to_datetime(raw).timestamp() - time.time()
        except (TypeError, ValueError, IndexError, OverflowError):
            return None
    return max(0.0, seconds)


def error_message(body: Any) -> tuple[str, str | None]:
    """The server's message and request ID from an error body (Astro: message/requestId;
    Airflow: detail/title)."""
    if isinstance(body, dict):
        message = body.get("message") or _detail_text(body.get("detail")) or body.get("title")
        request_id = body.get("requestId") or body.get("request_id")
        text = message if isinstance(message, str) else (str(message) if message is not None else "")
        return text or "no message", request_id if isinstance(request_id, str) else None
    return "no message", None


def _detail_text(detail: Any) -> str:
    """Airflow's `detail`: a text; a list of validation errors, told as where and what (never the
    `input`, which may be a secret value we sent); or an object with a reason."""
    if isinstance(detail, str):
        return detail
    if isinstance(detail, list):
        errors = [e for e in detail if isinstance(e, dict)]
        return "; ".join(f"{'.'.join(str(p) for p in e.get('loc') or ())}: {e.get('msg', '')}" for e in errors)
    if isinstance(detail, dict):
        reason = detail.get("reason") or detail.get("message")
        return reason if isinstance(reason, str) else ""
    return ""


class Counter:
    """Requests sent, by method (for the benchmark and the apply summary)."""

    def __init__(self) -> None:
        self.by_method: dict[str, int] = {}

    def add(self, method: str) -> None:
        self.by_method[method] = self.by_method.get(method, 0) + 1


class HttpClient:
    """JSON over HTTP with a bearer token, the retry rules above, a rate limit and timeouts."""

    def __init__(
        self,
        base_url: str,
        token: str,
        *,
        timeout: float = 30.0,
        policy: RetryPolicy | None = None,
        limits: Limits | None = None,
        headers: Mapping[str, str] | None = None,
        auth: Any = None,
        max_body: int = DEFAULT_MAX_BODY,
        max_items: int = MAX_LIST_ITEMS,
    ) -> None:
        import httpx

        default_headers = {"Accept": "application/json", "User-Agent": "astro-gitops", **(headers or {})}
        if token:
            default_headers["Authorization"] = f"Bearer {token}"
        self._client = httpx.Client(
            base_url=base_url.rstrip("/"),
            headers=default_headers,
            timeout=httpx.Timeout(timeout),
            follow_redirects=False,
            auth=auth,
            verify=_tls_context(base_url),
        )
        from compiler.remote.deadline import Deadline, bound

        self._deadline = Deadline()
        bound(self._client, self._deadline)  # every socket operation of a request ends by its deadline
        self.timeout, self.max_body, self.max_items = timeout, max_body, max_items
        self.read_bytes = 0  # all bodies so far: at most READ_BODIES * max_body
        self.listed_items = 0  # all list items so far (`listed`): at most max_items
        self.base_url = base_url.rstrip("/")  # for messages: the whole URL a request went to
        self.policy = policy or RetryPolicy()
        self.limiter = RateLimiter(limits or Limits())
        self.counter = Counter()

    def close(self) -> None:
        self._client.close()

    def listed(self, count: int, where: str) -> None:
        """Count `count` more list items read (a page's): past `max_items` in all, an
        OperationError naming the bound and how to raise it (ASTRO_GITOPS_MAX_LIST_ITEMS)."""
        self.listed_items += count
        if self.listed_items > self.max_items:
            raise OperationError(
                f"{where}: the server's lists hold more than {self.max_items} items in all "
                "(ASTRO_GITOPS_MAX_LIST_ITEMS raises the limit): stopped reading"
            )

    def __enter__(self) -> HttpClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        retry: Retry = "read",
        ok_statuses: frozenset[int] = frozenset(),
    ) -> Any:
        """The decoded JSON body (None when empty). `ok_statuses` are accepted as success too
        (a delete's 404). Raises ApiError, or AmbiguousWrite for a create whose fate is unknown."""
        import stamina

        _quiet_stamina()
        policy = self.policy
        for attempt in stamina.retry_context(
            on=_retry_hook(retry),
            attempts=policy.attempts,
            timeout=policy.total,
            wait_initial=policy.wait_initial,
            wait_max=policy.wait_max,
            wait_jitter=policy.wait_jitter,
        ):
            with attempt:
                return self._send(method, path, params, json, retry, ok_statuses)
        raise AssertionError("unreachable")  # pragma: no cover

    def _send(
        self,
        method: str,
        path: str,
        params: Mapping[str, Any] | None,
        body: Any,
        retry: Retry,
        ok_statuses: frozenset[int],
    ) -> Any:
        import httpx

        self.limiter.wait(method)
        self.counter.add(method)
        try:
            status, headers, content = self._exchange(method, path, params, body)
        except httpx.HTTPError as exc:
            raise _transport_error(method, path, exc, retry) from None
        except (httpx.InvalidURL, UnicodeError) as exc:  # checked by service_url; never a crash
            raise OperationError(f"{method} {path}: the URL cannot be used ({type(exc).__name__})") from None
        if 200 <= status < 300 or status in ok_statuses:
            return _decode(method, path, status, content, self.max_body // VALUE_BYTES)
        message, request_id = error_message(_decode_quietly(content))
        error_type = AmbiguousWrite if retry == "create" and status >= 500 else ApiError
        raise error_type(method, path, status, message, request_id, retry_after(headers), sent=body)

    def _exchange(
        self, method: str, path: str, params: Mapping[str, Any] | None, body: Any
    ) -> tuple[int, Mapping[str, str], bytearray]:
        """(status, headers, body) of one request, within the deadline and the body limit.
        Raises httpx's timeouts past the deadline (remote/deadline.py), ApiError for a body over the limit."""
        with (
            self._deadline.until(time.monotonic() + self.timeout),
            self._client.stream(method, path, params=_params(params), json=body) as response,
        ):
            body = bytearray()  # one buffer: no list of chunks joined into a second copy
            for chunk in response.iter_bytes():
                body += chunk
                self.read_bytes += len(chunk)
                if len(body) > self.max_body:
                    raise ApiError(
                        method, path, response.status_code,
                        f"the response is larger than {self.max_body} bytes (ASTRO_GITOPS_HTTP_MAX_BYTES)",
                    )  # fmt: skip
                if self.read_bytes > READ_BODIES * self.max_body:
                    raise ApiError(
                        method, path, response.status_code,
                        f"the server's responses hold more than {READ_BODIES * self.max_body} bytes in all "
                        f"({READ_BODIES} times ASTRO_GITOPS_HTTP_MAX_BYTES): stopped reading",
                    )  # fmt: skip
            return response.status_code, response.headers, body


def _params(params: Mapping[str, Any] | None) -> dict[str, Any] | None:
    if params is None:
        return None
    out: dict[str, Any] = {}
    for key, value in params.items():
        if value is None:
            continue
        out[key] = ("true" if value else "false") if isinstance(value, bool) else value
    return out


def _decode(method: str, path: str, status: int, content: bytes | bytearray, max_values: int) -> Any:
    """The JSON body, when it holds at most `max_values` values: every value but the first
    follows a `,`, `:`, `[` or `{`, so their count bounds the values (and keys) before any is
    decoded (characters inside strings only make the count larger)."""
    if not content:
        return None
    values = 1 + sum(content.count(mark) for mark in (b",", b":", b"[", b"{"))
    if values > max_values:
        raise ApiError(
            method, path, status,
            f"the response holds more than {max_values} JSON values (one per {VALUE_BYTES} bytes of "
            "ASTRO_GITOPS_HTTP_MAX_BYTES, which raises the limit)",
        )  # fmt: skip
    try:
        return json.loads(content)
    except RecursionError:
        raise ApiError(method, path, status, "the response is nested too deeply to read") from None
    except ValueError:
        raise ApiError(method, path, status, "the response is not JSON") from None


def _decode_quietly(content: bytes | bytearray) -> Any:
    try:
        return json.loads(content) if content else None
    except (ValueError, RecursionError):
        return None


def _transport_error(method: str, path: str, exc: Exception, retry: Retry) -> ApiError:
    import httpx

    # Nothing was sent when the connection could not be made: no write can have happened.
    unsent = isinstance(exc, (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout))
    cause = " ".join(str(exc).split())[:200]  # the OS's words: `[Errno 111] Connection refused`
    what = f"{type(exc).__name__}: {cause}" if cause else type(exc).__name__
    message = f"{what} (the request {'was not sent' if unsent else 'may have reached the server'})"
    if retry == "create" and not unsent:
        return AmbiguousWrite(method, path, None, message)
    error = ApiError(method, path, None, message)
    error.unsent = unsent  # type: ignore[attr-defined]
    return error


def _retry_hook(retry: Retry) -> Callable[[BaseException], bool | float]:
    # A create retries only what certainly did not create: a refused connection or a 429.
    statuses = {"read": READ_STATUSES, "write": WRITE_STATUSES, "create": frozenset({429})}[retry]

    def hook(exc: BaseException) -> bool | float:
        if not isinstance(exc, ApiError) or isinstance(exc, AmbiguousWrite):
            return False
        if exc.status is None:  # a transport error
            return retry == "read" or bool(getattr(exc, "unsent", False))
        if exc.status not in statuses:
            return False
        if exc.retry_after is not None:
            return exc.retry_after if exc.retry_after <= MAX_RETRY_AFTER else False
        return True

    return hook


_quieted = False


def _tls_context(base_url: str) -> Any:
    """What the client verifies TLS with: httpx's default (certifi's CA bundle, or SSL_CERT_FILE /
    SSL_CERT_DIR) for an https URL; for a plain http one (loopback only: urls.service_url) a
    context that trusts no certificate. Such a client sends every request to `base_url`
    (relative paths, redirects not followed), so it never makes a TLS connection; loading the
    CA bundle for it cost about 20 ms of CPU (issue 26). Were it ever asked for one, the
    connection would fail verification: never a connection left unverified."""
    if not base_url.startswith("http://"):
        return True
    import ssl

    return ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)  # check_hostname and CERT_REQUIRED, no CA loaded


def _quiet_stamina() -> None:
    """stamina logs each retry through `logging` (which prints warnings to stderr when nothing is
    configured); our reports say what happened, so its hooks are turned off."""
    global _quieted
    if not _quieted:
        from stamina.instrumentation import set_on_retry_hooks

        set_on_retry_hooks([])
        _quieted = True
