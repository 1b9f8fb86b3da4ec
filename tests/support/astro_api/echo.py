"""A server's message that quotes a request body: what the hostile Astro API server
(hostile.py, `echo_body`) and the fault proxy in front of real Airflow (tests/support/fault_proxy.py,
`echo-body`) answer with. Standard library only: the server imports it from its own folder."""

from __future__ import annotations

import json
from typing import Any


def echo_of(raw: bytes) -> str:
    """The body three ways: as sent, as Python's repr of it parsed, and each text and number in it."""
    parsed = json.loads(raw) if raw else None
    leaves: list[str] = []

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)
        elif isinstance(value, str) or (isinstance(value, (int, float)) and not isinstance(value, bool)):
            leaves.append(value if isinstance(value, str) else json.dumps(value))

    walk(parsed)
    return f"cannot accept {raw.decode('utf-8', 'replace')}; parsed as {parsed!r}; values: {' '.join(leaves)}"
