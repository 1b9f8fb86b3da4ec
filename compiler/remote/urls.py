"""The URL policy of every remote service: what a URL must be before any request is sent.

http(s) with a host that can be looked up, no credentials and no spaces; plain http only to
this machine, so a token or a secret value never crosses a network in clear.
"""

from __future__ import annotations

import ipaddress
from urllib.parse import SplitResult, quote, urlsplit

from compiler.errors import OperationError


def service_url(url: str, what: str, credentials: str) -> SplitResult:
    """`url` split, when it is http(s) with a host that can be looked up, no credentials and no
    spaces; plain http only to a loopback address, so a token or a secret value never crosses a
    network in clear. Raises OperationError naming `what` (and, for a URL with credentials, where
    they go instead: `credentials`); the URL is shown with any `user:password@` replaced by `***@`, without its query."""
    import httpx

    shown = repr(_without_userinfo(url))
    try:
        parts = urlsplit(url)
        host = parts.hostname
        parts.port  # noqa: B018 -- raises ValueError for a port that is not a number in range
        httpx.URL(url)  # what the client will send to: it refuses what urlsplit lets through
        if host is not None:
            host.encode("idna")  # what the resolver will look up: empty or long labels fail here
    except (ValueError, UnicodeError, httpx.InvalidURL):
        host = None
    if host is None or parts.scheme not in ("http", "https") or url != url.strip() or any(c.isspace() for c in url):
        raise OperationError(f"not {what}: {shown} (expected https://HOST[/PATH])")
    if parts.username is not None or parts.password is not None:
        raise OperationError(f"not {what}: {shown} holds credentials; set {credentials} instead")
    if parts.scheme == "http" and not _loopback(host):
        raise OperationError(f"refusing plain http to {host}: use https (http is allowed for loopback only)")
    return parts


def segment(text: str) -> str:
    """`text` as one path segment of a request: percent-encoded (only unreserved characters are
    left as they are, so `/`, `?`, `#` and `%` never reach the path), a segment of dots alone
    encoded too (`.` and `..` would be removed or climb a level when the URL is normalized), and
    never empty (an empty segment addresses the collection). Every identifier or key a client puts
    into a path goes through here, whatever checked it before (a server's ID: remote/answers.py)."""
    if not text:
        raise OperationError("an empty name or ID cannot address an object: nothing was sent")
    quoted = quote(text, safe="")
    return quoted.replace(".", "%2E") if not quoted.strip(".") else quoted


def _without_userinfo(url: str) -> str:
    """The URL as shown: no `user:password@`, no query and no fragment (a token pasted into
    `?token=` is never echoed), and every registered credential masked (compiler/redaction.py)."""
    from compiler.redaction import cut

    for mark in ("?", "#"):
        if mark in url:
            url = url.split(mark, 1)[0] + mark + "..."
    scheme, found, rest = url.partition("://")
    if found:
        authority, slash, path = rest.partition("/")
        url = f"{scheme}://{'***@' + authority.rsplit('@', 1)[1] if '@' in authority else authority}{slash}{path}"
    return cut(url, 200)


def _loopback(host: str) -> bool:
    """Whether every address `host` names is this machine's: a loopback address, the
    unspecified address (which connects to this machine), or a name that resolves only to those
    (`localhost`, an /etc/hosts alias). A name that does not resolve is not."""
    import socket

    try:
        return _local(ipaddress.ip_address(host))
    except ValueError:
        pass
    try:
        found = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except (OSError, UnicodeError):
        return False
    return bool(found) and all(_local(ipaddress.ip_address(str(entry[4][0]).split("%")[0])) for entry in found)


def _local(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    return address.is_loopback or address.is_unspecified
