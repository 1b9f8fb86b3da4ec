"""Airflow connection URIs and extra JSON, read as Airflow reads them.

`parse_conn_uri` follows Connection._parse_from_uri (apache/airflow, models/connection.py;
the tests compare it with Airflow 3.1.8). Error messages never quote the input: a URI or
an extra may hold a password.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

EXTRA_KEY = "__extra__"  # Airflow: a URI query parameter holding the whole extra as JSON


def parse_conn_uri(uri: str) -> dict[str, Any]:
    """The fields of an Airflow connection URI (Connection._parse_from_uri), without empty ones.

    Error messages never quote the URI: it may hold a password.
    """
    schemes = uri.count("://")
    if schemes > 2:
        raise ValueError("more than two '://' in the URI")
    with_protocol = schemes == 2
    scheme = _split(uri).scheme
    if not scheme:
        raise ValueError("the URI has no scheme (the connection type)")
    # As Airflow does it, replacing every occurrence: the same URIs fail or pass.
    rest = uri.replace(f"{scheme}://", "" if with_protocol else "//")
    if with_protocol and any(c in rest.split("://", 1)[0] for c in "@:"):
        raise ValueError("invalid connection string")
    parts = _split(rest)
    host = _hostname(parts)
    try:
        port = parts.port
    except ValueError:
        raise ValueError("the URI's port is not a number from 0 to 65535") from None
    fields: dict[str, Any] = {
        "type": "postgres" if scheme == "postgresql" else scheme.replace("-", "_"),
        "host": f"{parts.scheme}://{host}" if with_protocol and host else host,
        "schema": unquote(parts.path[1:]),
        "login": unquote(parts.username) if parts.username else None,
        "password": unquote(parts.password) if parts.password else None,
        "port": port or None,
        "extra": _query_extra(parts.query),
    }
    return {k: v for k, v in fields.items() if v not in (None, "", {})}


def _split(uri: str) -> Any:
    try:
        return urlsplit(uri)
    except ValueError:  # its message may quote the URI's netloc, password included
        raise ValueError("the URI cannot be parsed") from None


def _hostname(parts: Any) -> str:
    hostname = unquote(parts.hostname or "")
    if "/" in hostname:
        hostname = parts.netloc
        if "@" in hostname:
            hostname = hostname.rsplit("@", 1)[1]
        if ":" in hostname:
            hostname = hostname.split(":", 1)[0]
        hostname = unquote(hostname)
    return hostname


def _query_extra(query: str) -> dict[str, Any] | None:
    if not query:
        return None
    values = dict(parse_qsl(query, keep_blank_values=True))
    if EXTRA_KEY in values:
        try:
            return parse_extra(values[EXTRA_KEY])
        except ValueError as exc:
            raise ValueError(f"its {EXTRA_KEY} parameter {exc}") from None
    return values


def parse_extra(text: str) -> dict[str, Any]:
    """A connection's extra: a JSON object (NaN and Infinity refused, as JSON has them not)."""

    def no_constants(name: str) -> Any:
        raise ValueError(f"{name} is not allowed")

    try:
        value = json.loads(text, parse_constant=no_constants)
    except json.JSONDecodeError as exc:
        raise ValueError(f"is not valid JSON ({exc.msg} at line {exc.lineno} column {exc.colno})") from None
    except RecursionError:
        raise ValueError("is nested too deeply") from None
    except ValueError as exc:
        raise ValueError(f"is not valid JSON ({exc})") from None
    if not isinstance(value, dict):
        raise ValueError("must be a JSON object")
    return value
