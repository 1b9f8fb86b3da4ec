"""The reusable workflow's deploy half, its scripts run for real: apply, preview destroy and
prune against the local Astro API server, the live pull-request plan, and the one plan comment
against a local GitHub API server (as the runner would run them: bash -e -o pipefail)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from conftest import git, push_branch, push_to_a_remote
from support.astro_fake import FakeAstro

from acceptance.test_workflows import NO_TOKEN, SCHEDULE_EVENT, run_step

KEY = "fingerprint-key-for-tests"
MARKER = "<!-- astro-gitops-plan -->"


def astro_expressions(server: FakeAstro, secrets: dict[str, str], **more: str) -> dict[str, str]:
    passed = {"ASTRO_API_TOKEN": server.env()["ASTRO_API_TOKEN"], **secrets, "github_token": "ghs-unused"}
    return {
        "${{ secrets.ASTRO_API_TOKEN }}": passed["ASTRO_API_TOKEN"],
        "${{ secrets.ASTRO_GITOPS_FINGERPRINT_KEY }}": KEY,
        "${{ toJSON(secrets) }}": json.dumps(passed),
        **more,
    }


def server_env(server: FakeAstro) -> dict[str, str]:
    env = server.env()
    return {"ASTRO_API_URL": env["ASTRO_API_URL"], "ASTRO_ORGANIZATION_ID": env["ASTRO_ORGANIZATION_ID"]}


def test_apply_step_applies_the_pushed_branch_with_the_passed_secrets(
    seeded: FakeAstro, repo: Path, example_secrets: dict[str, str]
) -> None:
    expressions = astro_expressions(seeded, example_secrets, **{"${{ github.ref_name }}": "main"})
    proc, _ = run_step("apply", "Apply", repo, server_env(seeded), expressions)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Apply complete" in proc.stdout
    assert not [v for v in example_secrets.values() if v in proc.stdout + proc.stderr]
    prod = next(d for d in seeded.state()["deployments"] if d["name"] == "production")
    slack = next(v for v in prod["environmentVariables"] if v["key"] == "SLACK_WEBHOOK_URL")
    assert slack["value"] == example_secrets["SLACK_WEBHOOK_URL"]


def test_apply_step_without_a_token_fails_and_says_why(repo: Path) -> None:
    expressions = {"${{ github.ref_name }}": "main", "${{ secrets.ASTRO_API_TOKEN }}": "",
                   "${{ secrets.ASTRO_GITOPS_FINGERPRINT_KEY }}": "", "${{ toJSON(secrets) }}": "{}"}  # fmt: skip
    proc, _ = run_step("apply", "Apply", repo, {}, expressions)
    assert proc.returncode == 1 and "ASTRO_API_TOKEN" in proc.stdout


def test_destroy_step_deletes_the_branch_preview_and_prune_step_sweeps_gone_branches(
    seeded: FakeAstro, repo: Path, tmp_path: Path, example_secrets: dict[str, str]
) -> None:
    push_to_a_remote(repo, tmp_path / "remote.git")
    for branch in ("feature/a", "feature/b", "feature/c"):
        push_branch(repo, branch)
        expressions = astro_expressions(seeded, example_secrets, **{"${{ github.ref_name }}": branch})
        proc, _ = run_step("apply", "Apply", repo, server_env(seeded), expressions)
        assert proc.returncode == 0, proc.stdout + proc.stderr
    git(repo, "checkout", "-q", "main")
    names = lambda: {d["name"] for d in seeded.state()["deployments"]}  # noqa: E731
    assert {"dev-feature-a", "dev-feature-b", "dev-feature-c"} <= names()

    hostile = "feature/a"  # the delete event's ref
    destroy = {"${{ github.event_name == 'delete' && github.event.ref || github.head_ref }}": hostile,
               "${{ secrets.ASTRO_API_TOKEN }}": seeded.env()["ASTRO_API_TOKEN"],
               "${{ secrets.ASTRO_GITOPS_FINGERPRINT_KEY }}": KEY}  # fmt: skip
    proc, _ = run_step("preview-destroy", "Destroy the branch's preview", repo, server_env(seeded), destroy)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "dev-feature-a" not in names() and "dev-feature-b" in names()

    git(repo, "push", "-q", "origin", "--delete", "feature/b")
    prune = {"${{ inputs.remote }}": "origin", "${{ secrets.ASTRO_API_TOKEN }}": seeded.env()["ASTRO_API_TOKEN"],
             "${{ secrets.ASTRO_GITOPS_FINGERPRINT_KEY }}": KEY, "${{ github.token }}": "ghs-test", "${{ github.server_url }}": "https://github.com"}  # fmt: skip
    step = ("preview-prune", "Prune previews whose branch is gone")
    proc, _ = run_step(*step, repo, server_env(seeded), prune, event=SCHEDULE_EVENT)  # its event: no default branch
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "dev-feature-b" not in names() and "dev-feature-c" in names()
    assert "ghs-test" not in proc.stdout + proc.stderr


def test_plan_step_plans_against_live_astro_when_a_token_is_set(
    seeded: FakeAstro, repo: Path, example_secrets: dict[str, str]
) -> None:
    git(repo, "update-ref", "refs/remotes/origin/main", "HEAD")
    expressions = {"${{ github.base_ref }}": "main", NO_TOKEN: seeded.env()["ASTRO_API_TOKEN"]}
    proc, runner = run_step("plan", "Plan (job summary)", repo, server_env(seeded), expressions)
    assert proc.returncode == 0, proc.stderr
    summary = (runner / "summary").read_text(encoding="utf-8")
    assert summary.startswith("### astro-gitops plan: workspace `Data Platform`")
    assert "+ connection snowflake_default" in summary
    assert (runner / "plan.md").read_text(encoding="utf-8") == summary


# --- the one pull-request comment ------------------------------------------------------------------


class GitHub(ThreadingHTTPServer):
    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _GitHubHandler)
        self.comments: list[dict[str, Any]] = []
        self.requests: list[tuple[str, str]] = []


class _GitHubHandler(BaseHTTPRequestHandler):
    server: GitHub

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _reply(self, status: int, body: Any) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _body(self) -> dict[str, Any]:
        return json.loads(self.rfile.read(int(self.headers["Content-Length"])))  # type: ignore[no-any-return]

    def do_GET(self) -> None:
        self.server.requests.append(("GET", self.path))
        page = int(self.path.split("page=")[-1])
        self._reply(200, self.server.comments[(page - 1) * 100 : page * 100])

    def do_POST(self) -> None:
        self.server.requests.append(("POST", self.path))
        assert self.headers["Authorization"] == "Bearer ghs-comment"
        comment = {"id": 1000 + len(self.server.comments), "body": self._body()["body"], "user": {"type": "Bot"}}
        self.server.comments.append(comment)
        self._reply(201, comment)

    def do_PATCH(self) -> None:
        self.server.requests.append(("PATCH", self.path))
        comment_id = int(self.path.rsplit("/", 1)[-1])
        comment = next(c for c in self.server.comments if c["id"] == comment_id)
        comment["body"] = self._body()["body"]
        self._reply(200, comment)


@pytest.fixture
def github() -> Iterator[GitHub]:
    server = GitHub()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


def comment_step(github: GitHub, cwd: Path, plan: str) -> Any:
    runner = cwd.parent / "runner"
    runner.mkdir(exist_ok=True)
    (runner / "plan.md").write_text(plan, encoding="utf-8")
    env = {"GITHUB_API_URL": f"http://127.0.0.1:{github.server_address[1]}"}
    expressions = {"${{ github.token }}": "ghs-comment", "${{ github.repository }}": "acme/data",
                   "${{ github.event.pull_request.number }}": "7"}  # fmt: skip
    proc, _ = run_step("plan", "Plan (pull-request comment)", cwd, env, expressions)
    assert proc.returncode == 0, proc.stderr
    return proc


def test_the_plan_is_one_comment_updated_in_place(github: GitHub, repo: Path) -> None:
    github.comments += [{"id": i, "body": f"chatter {i}", "user": {"type": "User"}} for i in range(150)]
    github.comments.append({"id": 999, "body": f"{MARKER} forged by a user", "user": {"type": "User"}})
    comment_step(github, repo, "### plan one\n")
    comment_step(github, repo, "### plan two\n")
    ours = [c for c in github.comments if c["user"]["type"] == "Bot"]
    assert len(ours) == 1 and ours[0]["body"] == f"{MARKER}\n### plan two\n"
    assert github.comments[150]["body"].endswith("forged by a user")  # a user's comment is never edited
    assert ("PATCH", f"/repos/acme/data/issues/comments/{ours[0]['id']}") in github.requests
    assert [m for m, _ in github.requests].count("POST") == 1


def test_a_long_plan_is_cut_at_the_comment_limit_with_its_fence_closed(github: GitHub, repo: Path) -> None:
    lines = "".join(f'  ~ connection conn_{i}\n      ~ host: "a" -> "b"\n' for i in range(4000))
    comment_step(github, repo, f"### plan\n\n```diff\n{lines}```\n\n**Plan: 0 to add, 4000 to change.**\n")
    [comment] = github.comments
    body = comment["body"]
    assert len(body) <= 65536 and body.startswith(MARKER)
    assert body.count("```") % 2 == 0 and "it is cut here" in body
    assert "\n  ~ connection conn_" in body and "conn_3999" not in body


def test_a_token_that_may_not_comment_is_a_warning(repo: Path) -> None:
    runner = repo.parent / "runner"
    runner.mkdir(exist_ok=True)
    (runner / "plan.md").write_text("### plan\n", encoding="utf-8")
    env = {"GITHUB_API_URL": "http://127.0.0.1:9"}  # nothing listens: refused
    expressions = {"${{ github.token }}": "t", "${{ github.repository }}": "a/b",
                   "${{ github.event.pull_request.number }}": "1"}  # fmt: skip
    proc, _ = run_step("plan", "Plan (pull-request comment)", repo, env, expressions)
    assert proc.returncode == 0 and "::warning" in proc.stdout
