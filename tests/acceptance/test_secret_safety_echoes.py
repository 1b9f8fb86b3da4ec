"""What a server echoes (issue 21, SPEC 7.1): a secret value of one or two characters, and the
body of the request the server refuses, never show through the installed command's output.

The local Astro API server and a fault proxy in front of a real Airflow 3 answer a create with a
400 whose message quotes what they were sent (tests/support/astro_api/hostile.py `echo`,
`echo_body`; tests/support/fault_proxy.py `echo-body`). The rules: compiler/redaction.py.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from support.astro_fake import FakeAstro
from support.fault_proxy import FaultProxy
from support.realairflow import AirflowServer

from acceptance.test_sync_apply import KEY, cli

ENVIRONMENT_OBJECTS = "environment-objects$"
# The message shown for a body echo: every part of the body masked, nothing else left of it.
BODY_MASKED = re.compile(
    r"HTTP 400: cannot accept \*\*\*; parsed as \*\*\*; values: \*\*\*( \*\*\*)*( \(requestId req-echo\))?$"
)


def _failed_line(out: str) -> str:
    failed = [line for line in out.splitlines() if line.startswith("failed: ")]
    assert len(failed) == 1, out
    return failed[0]


def test_a_short_secret_value_is_masked_where_it_stands_alone(
    seeded: FakeAstro, repo: Path, example_secrets: dict[str, str]
) -> None:
    secrets = {**example_secrets, "PARTNER_API_DEV_TOKEN": "Q7", "SNOWFLAKE_DEV_PASSWORD": "k"}
    echo = "refused \"Q7\" and 'k': password=Q7&user=k; value k. Q7\\u0026; kept: XQ7Y kind Q7_x"
    seeded.admin("fault", {"method": "POST", "path": ENVIRONMENT_OBJECTS, "echo": echo, "count": 1000})
    failed = cli(seeded, repo, secrets, "apply", "--auto-approve")
    assert failed.code == 1, failed
    shown = "refused \"***\" and '***': password=***&user=***; value ***. ***\\u0026; kept: XQ7Y kind Q7_x"
    assert _failed_line(failed.out).endswith(f"HTTP 400: {shown} (requestId req-echo)"), failed.out
    # Standing alone, neither value is anywhere in the output; inside a word, the word is left whole.
    printed = failed.out + failed.err
    assert re.search(r"(?<!\w)(Q7|k)(?!\w)", printed) is None, printed


def test_a_request_body_quoted_by_the_astro_api_is_never_shown(
    seeded: FakeAstro, repo: Path, example_secrets: dict[str, str]
) -> None:
    seeded.admin("fault", {"method": "POST", "path": ENVIRONMENT_OBJECTS, "echo_body": True})
    failed = cli(seeded, repo, example_secrets, "apply", "--auto-approve")
    assert failed.code == 1, failed
    line = _failed_line(failed.out)
    assert BODY_MASKED.search(line), line
    sent = next(e["body"] for e in seeded.log() if e["method"] == "POST" and re.search(ENVIRONMENT_OBJECTS, e["path"]))
    assert "objectKey" in sent  # the body the echo quoted
    for value in (sent["objectKey"], *(str(v) for v in (sent.get("connection") or {}).values())):
        assert value not in line.split(": HTTP 400: ")[1], value


@pytest.mark.airflow3_only
def test_a_request_body_quoted_by_airflow_is_never_shown(
    airflow: AirflowServer, repo: Path, example_secrets: dict[str, str]
) -> None:
    env = {**example_secrets, **airflow.credentials, "ASTRO_GITOPS_FINGERPRINT_KEY": KEY}
    from conftest import run_cli

    with FaultProxy(airflow.url) as proxy:
        proxy.arm("echo-body", 0)
        args = ("apply", "--deployment", "production", "--airflow", proxy.url, "--auto-approve")
        failed = run_cli(*args, cwd=repo, env=env)
        assert failed.code == 1 and proxy.writes[0].fault == "echo-body", failed
    line = _failed_line(failed.out)
    assert BODY_MASKED.search(line), line
    assert not [v for v in example_secrets.values() if v in failed.out + failed.err]


def test_a_live_airflow_value_holding_a_secret_or_the_password_is_never_shown(
    airflow: AirflowServer, repo: Path, example_secrets: dict[str, str]
) -> None:
    """A hand edit in the Airflow (a variable's value, a connection's login) that holds a
    secret value and the Airflow password, as they are and upper-cased: `plan --airflow`
    shows the change, never a value (SPEC 7.7: the same secret rules as Astro)."""
    from conftest import run_cli

    secret = example_secrets["SNOWFLAKE_DEV_PASSWORD"]
    password = airflow.credentials["AIRFLOW_PASSWORD"]
    held = f"{secret} / {password} / {password.upper()}"
    airflow.request("POST", f"{airflow.api}/variables", {"key": "data_bucket", "value": held})
    airflow.request("POST", f"{airflow.api}/connections", {"connection_id": "partner_api", "conn_type": "http",
                                                           "login": password})  # fmt: skip
    env = {**example_secrets, **airflow.credentials, "ASTRO_GITOPS_FINGERPRINT_KEY": KEY}
    for fmt in ("text", "markdown", "json"):
        args = ("plan", "--adopt", "--deployment", "production", "--airflow", airflow.url, "--format", fmt)
        shown = run_cli(*args, cwd=repo, env=env)
        assert shown.code == 0, shown.out + shown.err
        assert "data_bucket" in shown.out  # the variable's change is shown, its live value is not
        printed = shown.out + shown.err
        for value in (secret, password, password.upper(), password[:12]):
            assert value not in printed, (fmt, value)
