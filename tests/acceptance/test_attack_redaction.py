"""Attacks on masking (SPEC 7.1, compiler/redaction.py) through the installed command: values
that overlap in what a server echoes, and secret values that are not text."""

from __future__ import annotations

import base64
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from conftest import run_cli
from support.astro_fake import FakeAstro

from acceptance.test_secret_safety_echoes import ENVIRONMENT_OBJECTS, _failed_line
from acceptance.test_sync_apply import cli


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
