"""Drift a team can see: the `drift` job of astro-gitops-drift.yml, its two scripts run for real.

A workspace imported and applied (support/handmade.py), then edited by hand through the API as
the UI would: a managed field changed, a managed object deleted, an object made under a managed
key. The plan step against the local Astro API server says drift (or not) and writes the plan to
the job summary; the issue step keeps ONE issue against a local stand-in of the GitHub REST API
(opened on drift, updated while it lasts, closed when clean).
"""

from __future__ import annotations

import json
import threading
import urllib.request
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from conftest import git, run_cli
from support.astro_fake import ORG, FakeAstro
from support.handmade import WORKSPACE, seed_handmade

from acceptance.test_workflows import DRIFT, SCHEDULE_EVENT, output_file, run_step

KEY = "k3y-for-the-drift-tests"
VALUES = {
    "SNOWFLAKE_DEFAULT_PASSWORD": "dev-Pa55word!",
    "SNOWFLAKE_DEFAULT_EXTRA_PRIVATE_KEY": "PRIVATEKEY-dev",
    "SNOWFLAKE_DEFAULT__PRODUCTION_PASSWORD": "prod-Pa55word!",
    "SNOWFLAKE_DEFAULT__PRODUCTION_EXTRA_PRIVATE_KEY": "PRIVATEKEY-prod",
    "PARTNER_TOKEN": "api-T0ken-xyz",
    "ORDERS_DB__PRODUCTION_PASSWORD": "db-Pa55!",
    "PARTNER_API_TOKEN__PRODUCTION": "env-S3cret",
}
PLAN_STEP = ("drift", "Plan the sync scope (drift)")
ISSUE_STEP = ("drift", "Keep the drift issue")


@pytest.fixture
def managed(astro_server: FakeAstro, tmp_path: Path) -> tuple[FakeAstro, Path]:
    """The hand-made workspace, imported, committed and adopted: live matches the repository."""
    astro_server.reset()
    seed_handmade(astro_server)
    root = tmp_path / "repo"
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    env = astro_server.env(**VALUES, ASTRO_GITOPS_FINGERPRINT_KEY=KEY)
    assert run_cli("import", "--from-astro", "--workspace", WORKSPACE, cwd=root, env=env).code == 0
    git(root, "add", "-A")
    git(root, "commit", "-qm", "imported")
    assert run_cli("apply", "--all", "--adopt", "--auto-approve", cwd=root, env=env).code == 0
    return astro_server, root


def stored(astro: FakeAstro, key: str) -> dict[str, Any]:
    return next(o for o in astro.state()["objects"] if o["objectKey"] == key)


def api(astro: FakeAstro, method: str, path: str, body: Any = None) -> Any:
    request = urllib.request.Request(
        f"{astro.url}/organizations/{ORG}{path}",
        method=method,
        data=None if body is None else json.dumps(body).encode(),
        headers={"Authorization": f"Bearer {astro.token}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        raw = response.read()
    return json.loads(raw) if raw else None


def ui_edit(astro: FakeAstro, key: str, **fields: Any) -> None:
    """What the UI's edit form sends: the whole object, one field changed, the description kept."""
    obj = stored(astro, key)
    typed = "connection" if obj["objectType"] == "CONNECTION" else "airflowVariable"
    member = {k: v for k, v in obj[typed].items() if k != "isSecret"} | fields
    links = [
        {"scope": "DEPLOYMENT", "scopeEntityId": link["scopeEntityId"]} for link in obj["links"]
    ]  # overrides kept (an entry without `overrides` keeps the stored one)
    body = {
        "description": obj["description"],
        typed: member,
        "autoLinkDeployments": obj["autoLinkDeployments"],
        "links": links,
        "excludeLinks": obj["excludeLinks"],
    }
    api(astro, "POST", f"/environment-objects/{obj['id']}", body)


def plan_step(astro: FakeAstro, root: Path) -> tuple[Any, dict[str, str], str]:
    secrets = {"${{ secrets.ASTRO_API_TOKEN }}": astro.token, "${{ secrets.ASTRO_GITOPS_FINGERPRINT_KEY }}": KEY}
    # Its caller runs on a schedule, whose payload names no default branch: `plan --all` needs none.
    proc, runner = run_step(*PLAN_STEP, root, astro.env(), secrets, DRIFT, SCHEDULE_EVENT)
    return proc, output_file(runner / "output"), (runner / "summary").read_text(encoding="utf-8")


def test_no_drift_right_after_apply(managed: tuple[FakeAstro, Path]) -> None:
    astro, root = managed
    proc, outputs, summary = plan_step(astro, root)
    assert proc.returncode == 0, proc.stderr
    assert outputs["drifted"] == "false" and "No drift" in summary


def test_a_ui_edit_of_a_managed_field_is_drift(managed: tuple[FakeAstro, Path]) -> None:
    astro, root = managed
    ui_edit(astro, "data_bucket", value="s3://edited-by-hand")
    proc, outputs, summary = plan_step(astro, root)
    assert proc.returncode == 0, proc.stderr
    assert outputs["drifted"] == "true"
    assert "data_bucket" in summary and "s3://edited-by-hand" in summary and "s3://dev-bucket" in summary


def test_a_managed_object_deleted_by_hand_is_drift(managed: tuple[FakeAstro, Path]) -> None:
    astro, root = managed
    api(astro, "DELETE", f"/environment-objects/{stored(astro, 'report_sql')['id']}")
    proc, outputs, summary = plan_step(astro, root)
    assert proc.returncode == 0, proc.stderr
    assert outputs["drifted"] == "true" and "report_sql" in summary


def test_an_unmanaged_object_under_a_managed_key_is_drift(managed: tuple[FakeAstro, Path]) -> None:
    astro, root = managed
    workspace_id = astro.state()["workspaces"][0]["id"]
    api(astro, "DELETE", f"/environment-objects/{stored(astro, 'report_sql')['id']}")
    made = {"objectKey": "report_sql", "objectType": "AIRFLOW_VARIABLE", "scope": "WORKSPACE",
            "scopeEntityId": workspace_id, "airflowVariable": {"value": "by hand"}}  # fmt: skip
    api(astro, "POST", "/environment-objects", made)
    proc, outputs, summary = plan_step(astro, root)
    assert proc.returncode == 0, proc.stderr
    assert outputs["drifted"] == "true" and "unmanaged-object" in summary and "report_sql" in summary


def test_any_other_failure_fails_the_job(managed: tuple[FakeAstro, Path]) -> None:
    astro, root = managed
    (root / "environments/workspace.yaml").write_text("version: 1\n")  # invalid
    proc, outputs, _ = plan_step(astro, root)
    assert proc.returncode == 1 and "drifted" not in outputs


# --- the one drift issue, against a local stand-in of the GitHub REST API ----------------------


class _GitHub(BaseHTTPRequestHandler):
    issues: list[dict[str, Any]]
    calls: list[tuple[str, str, Any]]

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _reply(self, payload: Any) -> None:
        data = json.dumps(payload).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _body(self) -> Any:
        return json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"null")

    def do_GET(self) -> None:
        self.calls.append(("GET", self.path, None))
        self._reply([i for i in self.issues if i["state"] == "open"])

    def do_POST(self) -> None:
        body = self._body()
        self.calls.append(("POST", self.path, body))
        if self.path.endswith("/issues"):
            issue = {"number": len(self.issues) + 1, "state": "open", **body}
            self.issues.append(issue)
            return self._reply(issue)
        self._reply({"id": 1})

    def do_PATCH(self) -> None:
        body = self._body()
        self.calls.append(("PATCH", self.path, body))
        number = int(self.path.rsplit("/", 1)[1])
        issue = next(i for i in self.issues if i["number"] == number)
        issue.update(body)
        self._reply(issue)


@pytest.fixture
def github() -> Iterator[tuple[str, type[_GitHub]]]:
    handler = type("GitHub", (_GitHub,), {"issues": [], "calls": []})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", handler
    finally:
        server.shutdown()
        server.server_close()


def issue_step(root: Path, url: str, drifted: str) -> Any:
    expressions = {
        "${{ github.token }}": "gh-token",
        "${{ github.repository }}": "team/airflow",
        "${{ steps.plan.outputs.drifted }}": drifted,
        "${{ inputs.drift-label }}": "astro-gitops-drift",
        "${{ github.server_url }}/${{ github.repository }}/actions/runs/${{ github.run_id }}": "https://gh/run/1",
    }
    proc, _ = run_step(*ISSUE_STEP, root, {"GITHUB_API_URL": url}, expressions, DRIFT)
    return proc


def test_one_issue_is_opened_updated_and_closed(tmp_path: Path, github: tuple[str, type[_GitHub]]) -> None:
    url, server = github
    root = tmp_path / "repo"
    root.mkdir()
    runner = tmp_path / "runner"
    runner.mkdir()

    def step(drifted: str, plan: str) -> str:
        (runner / "drift.md").write_text(plan)
        proc = issue_step(root, url, drifted)
        assert proc.returncode == 0, proc.stderr
        assert "::warning" not in proc.stdout, proc.stdout
        return str(proc.stdout)

    assert "opened the drift issue #1" in step("true", "~ variable data_bucket")
    assert "updated the drift issue #1" in step("true", "~ variable report_sql")
    assert len(server.issues) == 1 and "report_sql" in server.issues[0]["body"]
    assert server.issues[0]["labels"] == ["astro-gitops-drift"]
    assert "closed the drift issue #1" in step("false", "")
    assert server.issues[0]["state"] == "closed"
    assert "no drift issue open" in step("false", "")
