"""Attacks on masking (SPEC 7.1, compiler/redaction.py) through the installed command: values
that overlap in what a server echoes, and secret values that are not text."""

from __future__ import annotations

import base64
import json
import threading
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from conftest import run_cli
from support.astro_fake import FakeAstro

from acceptance.test_secret_safety_echoes import ENVIRONMENT_OBJECTS, _failed_line
from acceptance.test_sync_apply import applied, cli


def test_two_secret_values_that_overlap_in_an_echo_are_both_masked_whole(
    seeded: FakeAstro, repo: Path, example_secrets: dict[str, str]
) -> None:
    # The longer value was replaced first, which removed the overlap the other needed: its
    # first 12 characters ("alpha-bravo-") were printed.
    secrets = {
        **example_secrets,
        "PARTNER_API_DEV_TOKEN": "alpha-bravo-1234",
        "SNOWFLAKE_DEV_PASSWORD": "1234-charlie-delta",
    }
    echo = "refused alpha-bravo-1234-charlie-delta"
    seeded.admin("fault", {"method": "POST", "path": ENVIRONMENT_OBJECTS, "echo": echo, "count": 1000})
    failed = cli(seeded, repo, secrets, "apply", "--auto-approve")
    assert failed.code == 1, failed
    assert _failed_line(failed.out).endswith("HTTP 400: refused *** (requestId req-echo)"), failed.out
    printed = failed.out + failed.err
    assert "alpha" not in printed and "delta" not in printed, printed


def test_a_secret_value_that_is_not_utf8_is_an_error_not_a_crash(
    example_repo: Path, example_secrets: dict[str, str], tmp_path: Path
) -> None:
    name = sorted(example_secrets)[0]
    env = {**example_secrets, name: "bytes-\udcff-not-utf8"}  # the environment holds the byte 0xff
    result = run_cli("render", "--all", "--secrets", "env", "--out", str(tmp_path / "out"), cwd=example_repo, env=env)
    assert result.code == 1, result
    assert f"not UTF-8 text: {name}" in result.err and "not-utf8" not in result.out + result.err


class _EchoAuth(BaseHTTPRequestHandler):
    """Answers every request 401, quoting the Authorization header it was sent (a proxy or an
    Airflow 2 that tells what it refused)."""

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(length)
        status, payload = 401, {"detail": f"refused Authorization: {self.headers.get('Authorization', '')}"}
        if self.path.startswith("/api/v2/"):
            status, payload = 404, {"detail": "Not Found"}
        elif self.path.startswith("/api/v1/version"):
            status, payload = 200, {"version": "2.11.0", "git_version": None}
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = _answer

    def log_message(self, *args: object) -> None:
        pass


def test_an_echoed_basic_authorization_header_never_shows_the_password(
    repo: Path, example_secrets: dict[str, str]
) -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _EchoAuth)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}"
        env = {**example_secrets, "AIRFLOW_USERNAME": "airflow", "AIRFLOW_PASSWORD": "hunter2-airflow"}
        result = run_cli("plan", "--deployment", "development", "--airflow", url, cwd=repo, env=env)
    finally:
        server.shutdown()
        server.server_close()
    printed = result.out + result.err
    assert result.code == 1 and "refused Authorization" in printed, printed
    basic = base64.b64encode(b"airflow:hunter2-airflow").decode()
    assert basic not in printed and basic.rstrip("=") not in printed, printed


def _edit_connection(server: FakeAstro, key: str, extra: dict[str, object]) -> None:
    """Set a live workspace connection's extra through the API, as a person in the Astro UI would."""
    env = server.env()
    base = f"{env['ASTRO_API_URL']}/organizations/{env['ASTRO_ORGANIZATION_ID']}/environment-objects"
    obj = next(o for o in server.state()["objects"] if o["objectKey"] == key and o["scope"] == "WORKSPACE")
    body = {
        "connection": {"type": obj["connection"]["type"], "extra": extra},
        "description": obj["description"],
        "autoLinkDeployments": obj["autoLinkDeployments"],
        "links": [{"scope": link["scope"], "scopeEntityId": link["scopeEntityId"]} for link in obj["links"]],
        "excludeLinks": [{"scope": e["scope"], "scopeEntityId": e["scopeEntityId"]} for e in obj["excludeLinks"]],
    }
    headers = {"Authorization": f"Bearer {env['ASTRO_API_TOKEN']}", "Content-Type": "application/json"}
    request = urllib.request.Request(f"{base}/{obj['id']}", json.dumps(body).encode(), headers, method="POST")
    with urllib.request.urlopen(request, timeout=30) as answer:
        assert answer.status == 200


def test_a_numeric_secret_read_back_as_a_json_number_never_prints(
    seeded: FakeAstro, repo: Path, tmp_path: Path, example_secrets: dict[str, str]
) -> None:
    # A PIN or a numeric password, hand-edited into the live extra as JSON numbers: the plan's
    # JSON guard looked at strings only, and printed them as numbers.
    secrets = {**example_secrets, "SNOWFLAKE_PROD_PASSWORD": "83920417", "PARTNER_API_DEV_TOKEN": "4471.25"}
    applied(seeded, repo, secrets)
    extra = {"account": "ab12345.us-east-1", "warehouse": 4471.25, "database": 83920417, "role": [183920417]}
    _edit_connection(seeded, "snowflake_default", extra)
    saved = tmp_path / "plan.json"
    runs = {
        "json": cli(seeded, repo, secrets, "plan", "--format", "json"),
        "out": cli(seeded, repo, secrets, "plan", "--out", str(saved)),
        "text": cli(seeded, repo, secrets, "plan"),
    }
    for name, run in runs.items():
        assert run.code == 0 and "snowflake_default" in run.out, (name, run)
    printed = [run.out + run.err for run in runs.values()] + [saved.read_text()]
    for text in printed:
        assert "83920417" not in text and "4471" not in text, text
    for document in (json.loads(runs["json"].out), json.loads(saved.read_text())):  # still JSON
        fields = {f["path"]: f for c in document["changes"] for f in c["fields"]}
        assert (fields["extra.database"]["before"], fields["extra.database"]["after"]) == ("***", "DEV")
        assert fields["extra.warehouse"]["before"] == "***"
    assert cli(seeded, repo, secrets, "apply", str(saved), "--auto-approve").code == 0  # the saved plan applies


def test_a_short_or_word_like_secret_leaves_the_plan_jsons_counts_and_flag_as_json(
    seeded: FakeAstro, repo: Path, tmp_path: Path, example_secrets: dict[str, str]
) -> None:
    # Secrets `1` and `true`: the guard of numbers and booleans turned `"update": 1` and
    # `"secrets_compared": true` into "***", which `--exit-code` scripts and SPEC 7.5 read as numbers.
    secrets = {**example_secrets, "SNOWFLAKE_PROD_PASSWORD": "1", "PARTNER_API_DEV_TOKEN": "true"}
    applied(seeded, repo, secrets)
    _edit_connection(seeded, "snowflake_default", {"account": "ab12345.us-east-1", "warehouse": 1, "role": True})
    saved = tmp_path / "plan.json"
    printed = cli(seeded, repo, secrets, "plan", "--format", "json")
    assert cli(seeded, repo, secrets, "plan", "--out", str(saved)).code == 0
    for document in (json.loads(printed.out), json.loads(saved.read_text())):
        assert document["summary"] == {"create": 0, "update": 1, "replace": 0, "delete": 0}, document["summary"]
        assert document["secrets_compared"] is True
        fields = {f["path"]: f for c in document["changes"] for f in c["fields"]}
        assert fields["extra.warehouse"]["before"] == "***" and fields["extra.role"]["before"] == "***"
