"""What the environment sets for every remote client: the bounds of each request and of a run
(ASTRO_GITOPS_HTTP_TIMEOUT, ASTRO_GITOPS_HTTP_MAX_BYTES, ASTRO_GITOPS_MAX_LIST_ITEMS: remote/http.py
applies them), and whether a credential can travel in a header at all."""

from __future__ import annotations

import math
from collections.abc import Mapping

from compiler.errors import OperationError
from compiler.limits import MAX_LIST_ITEMS
from compiler.remote.http import DEFAULT_MAX_BODY, DEFAULT_TIMEOUT


def header_value(text: str, name: str) -> str:
    """`text` when an HTTP header can carry it (printable ASCII: a token, a password); else an
    OperationError naming the variable `name`, never the value."""
    if not all(" " <= c <= "~" for c in text):
        raise OperationError(f"{name} holds characters an HTTP header cannot carry (printable ASCII only)")
    return text


def max_list_items(environ: Mapping[str, str]) -> int:
    """ASTRO_GITOPS_MAX_LIST_ITEMS: the most list items one client reads (default 50,000)."""
    return _positive(environ, "ASTRO_GITOPS_MAX_LIST_ITEMS", MAX_LIST_ITEMS, "items")


def request_timeout(environ: Mapping[str, str]) -> float:
    """ASTRO_GITOPS_HTTP_TIMEOUT: seconds for each request's whole answer (default 30; at least
    1). Not a finite positive number (`inf`, `nan`, `-1`, `x`): an OperationError."""
    raw = environ.get("ASTRO_GITOPS_HTTP_TIMEOUT", "")
    if not raw:
        return DEFAULT_TIMEOUT
    try:
        seconds = float(raw)
    except ValueError:
        seconds = math.nan
    if not math.isfinite(seconds) or seconds <= 0:
        raise OperationError(f"ASTRO_GITOPS_HTTP_TIMEOUT must be a positive number of seconds, not {raw[:40]!r}")
    return max(1.0, seconds)


def max_body(environ: Mapping[str, str]) -> int:
    """ASTRO_GITOPS_HTTP_MAX_BYTES: the largest response body read (default 64 MiB)."""
    return _positive(environ, "ASTRO_GITOPS_HTTP_MAX_BYTES", DEFAULT_MAX_BODY, "bytes")


def _positive(environ: Mapping[str, str], name: str, default: int, unit: str) -> int:
    """The positive whole number the variable `name` holds (`default` when unset or empty), or
    an OperationError that names it and quotes at most 40 characters of what it holds."""
    raw = environ.get(name, "")
    if not raw:
        return default
    if not raw.isascii() or not raw.isdigit() or int(raw) < 1:
        raise OperationError(f"{name} must be a positive number of {unit}, not {raw[:40]!r}")
    return int(raw)
