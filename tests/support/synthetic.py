"""The synthetic workspace issue 26 measures, line by line: shared by benchmarks/generate.py
and the tests that need a large repository (tests/render/test_check_diff.py).

N Postgres connections, each with a secret password CONNnnnnn_PASSWORD and linked to all
Deployments; every seventh overridden in each Deployment (its login and extra's database).
"""

from __future__ import annotations

OVERRIDE_EVERY = 7  # every seventh connection is overridden in each Deployment (as issue 26 measures)


def connection_lines(c: int) -> list[str]:
    """The YAML lines of connection number `c` under `connections:`."""
    return [
        f"  conn{c:05d}:",
        "    type: postgres",
        f"    host: db{c}.example.com",
        "    port: 5432",
        "    login: reader",
        f"    password: {{secret: CONN{c:05d}_PASSWORD}}",
        f"    extra: {{sslmode: require, database: DB, application_name: app{c}}}",
        "    links: all",
    ]


def override_line(c: int, deployment: int, database: str) -> str:
    """Connection `c`'s line under Deployment number `deployment`'s `overrides: connections:`:
    its login (`user<deployment>`) and its extra's `database`."""
    return f"    conn{c:05d}: {{login: user{deployment}, extra: {{database: {database}}}}}"
