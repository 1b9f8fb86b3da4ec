"""A branch cannot give itself the sync branch's scope (SPEC 7.2: a feature branch never changes
production). `sync.branch` is read from the checked-out workspace.yaml, which any branch can edit:
a sync branch that maps to a preview is refused, and where CI names the sync branch or the
repository's default branch (GitHub's event payload, GitLab's CI_DEFAULT_BRANCH,
ASTRO_GITOPS_SYNC_BRANCH), any other branch is. Through the installed command, against the local
Astro API server; "nothing written" is read from the server's request log."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from pathlib import Path

import pytest
from conftest import Run, commit_files, edit_file, git, run_cli
from support.astro_fake import FakeAstro, applied_on_main

from acceptance.test_reviewer_plan import DEPLOYMENT, KEY, WORKSPACE  # the shared repository of users3.md

SECRETS = {"SF_PW": "sf-pw-Q9x"}
FILES = {
    "environments/workspace.yaml": WORKSPACE,
    "environments/deployments/development.yaml": DEPLOYMENT.replace("NAME", "development").replace("DEV", "true"),
    "environments/deployments/production.yaml": DEPLOYMENT.replace("NAME", "production").replace("DEV", "false"),
    "environments/objects.yaml": "variables:\n  data_bucket: {value: s3://acme-data, links: all}\n",
}
PRODUCTION_CHANGE = ("max_worker_count: 2", "max_worker_count: 9")


def cli(server: FakeAstro, root: Path, *args: str, **env: str) -> Run:
    return run_cli(*args, cwd=root, env=server.env(**SECRETS, ASTRO_GITOPS_FINGERPRINT_KEY=KEY, **env))


@pytest.fixture
def applied(astro: FakeAstro, make_repo: Callable[[Mapping[str, str]], Path]) -> Path:
    root = applied_on_main(astro, make_repo(FILES), cli)
    astro.admin("clear-log", {})
    return root


def github_event(tmp_path: Path, default_branch: str) -> dict[str, str]:
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"ref": "refs/heads/x", "repository": {"default_branch": default_branch}}))
    return {"GITHUB_ACTIONS": "true", "GITHUB_EVENT_PATH": str(event)}


def feature_branch_naming_itself_sync(root: Path, *, mapped_to_development: bool) -> None:
    """feature/evil names itself the sync branch (and maps itself to development, or stays a
    preview), and changes production's settings."""
    git(root, "checkout", "-q", "-b", "feature/evil")
    workspace = WORKSPACE.replace("branch: main}", "branch: feature/evil}")
    if mapped_to_development:
        workspace = workspace.replace(
            "branches:\n", "branches:\n  - branch: feature/evil\n    deployment: development\n"
        )
    commit_files(root, {"environments/workspace.yaml": workspace}, "sync from here")
    edit_file(root, "environments/deployments/production.yaml", *PRODUCTION_CHANGE)
    commit_files(root, {}, "production")


@pytest.mark.parametrize("command", [("apply", "--auto-approve"), ("plan",)])
def test_a_feature_branch_whose_preview_names_itself_the_sync_branch_is_refused(
    astro: FakeAstro, applied: Path, command: tuple[str, ...]
) -> None:
    feature_branch_naming_itself_sync(applied, mapped_to_development=False)
    for env in ({}, {"GITHUB_HEAD_REF": "feature/evil"}):
        result = cli(astro, applied, *command, **env)
        assert result.code == 1, result.out + result.err
        assert "error[sync-branch-preview]" in result.err and "environments/workspace.yaml:" in result.err
        assert not astro.writes() and "Traceback" not in result.err


@pytest.mark.parametrize(
    "ci",
    ["github", "gitlab", "named"],
)
def test_a_branch_ci_does_not_name_cannot_take_the_sync_scope(
    astro: FakeAstro, applied: Path, tmp_path: Path, ci: str
) -> None:
    feature_branch_naming_itself_sync(applied, mapped_to_development=True)
    env = {
        "github": github_event(tmp_path, "main"),
        "gitlab": {"GITLAB_CI": "true", "CI_DEFAULT_BRANCH": "main"},
        "named": {"ASTRO_GITOPS_SYNC_BRANCH": "main"},
    }[ci]
    for command in (("apply", "--auto-approve"), ("plan",)):
        result = cli(astro, applied, *command, **env)
        assert result.code == 1, result.out + result.err
        assert "sync-branch-unconfirmed" in result.err and "'main'" in result.err, result.err
        assert not astro.writes()
    # The branch's own scope, when CI names no sync branch, is not this check's business; with
    # CI's answer, production's settings stay as they are live.
    state = astro.state()
    assert all(
        d.get("name") != "production" or "9" not in json.dumps(d.get("workerQueues")) for d in state["deployments"]
    )


def test_the_sync_branch_ci_names_applies(astro: FakeAstro, applied: Path, tmp_path: Path) -> None:
    edit_file(applied, "environments/deployments/production.yaml", *PRODUCTION_CHANGE)
    commit_files(applied, {}, "production")
    done = cli(astro, applied, "apply", "--auto-approve", **github_event(tmp_path, "main"))
    assert done.code == 0, done.err
    assert any("/deployments/" in e["path"] for e in astro.writes())


def test_a_sync_branch_other_than_the_default_is_named_by_the_ci_setting(
    astro: FakeAstro, applied: Path, tmp_path: Path
) -> None:
    git(applied, "checkout", "-q", "-b", "release")
    workspace = WORKSPACE.replace("branch: main}", "branch: release}").replace(
        "branches:\n", "branches:\n  - branch: release\n    deployment: production\n"
    )
    commit_files(applied, {"environments/workspace.yaml": workspace}, "release is the sync branch")
    event = github_event(tmp_path, "main")
    refused = cli(astro, applied, "plan", **event)
    assert refused.code == 1 and "sync-branch-unconfirmed" in refused.err and "ASTRO_GITOPS_SYNC_BRANCH" in refused.err
    allowed = cli(astro, applied, "plan", **event, ASTRO_GITOPS_SYNC_BRANCH="release")
    assert allowed.code == 0, allowed.err
    assert "scope production (branch release)" in allowed.out


@pytest.mark.parametrize("payload", [b"{not json", b"[" * 100_000, None])
def test_an_unreadable_event_payload_is_an_error_not_a_pass(
    astro: FakeAstro, applied: Path, tmp_path: Path, payload: bytes | None
) -> None:
    event = tmp_path / "event.json"
    if payload is not None:
        event.write_bytes(payload)
    result = cli(astro, applied, "plan", GITHUB_ACTIONS="true", GITHUB_EVENT_PATH=str(event))
    assert result.code == 1, result.out + result.err
    assert "GITHUB_EVENT_PATH" in result.err and "Traceback" not in result.err
    assert not astro.writes()


NO_DEFAULT_BRANCH = {
    # GitHub's schedule event: its payload has no repository (github/codeql-action#1211).
    "schedule": {"schedule": "17 3 * * *", "workflow": ".github/workflows/astro.yml"},
    "no default_branch": {"ref": "refs/heads/main", "repository": {"full_name": "acme/data"}},
    "empty default_branch": {"ref": "refs/heads/main", "repository": {"default_branch": ""}},
    "no payload": None,  # GITHUB_ACTIONS without GITHUB_EVENT_PATH
    "gitlab": "gitlab",  # GITLAB_CI without CI_DEFAULT_BRANCH
}


def ci_naming_no_default_branch(tmp_path: Path, case: str) -> dict[str, str]:
    payload = NO_DEFAULT_BRANCH[case]
    if payload == "gitlab":
        return {"GITLAB_CI": "true"}
    if payload is None:
        return {"GITHUB_ACTIONS": "true"}
    event = tmp_path / "event.json"
    event.write_text(json.dumps(payload))
    return {"GITHUB_ACTIONS": "true", "GITHUB_EVENT_PATH": str(event)}


@pytest.mark.parametrize("case", list(NO_DEFAULT_BRANCH))
def test_a_ci_run_that_names_no_default_branch_fails_closed(
    astro: FakeAstro, applied: Path, tmp_path: Path, case: str
) -> None:
    """Where CI cannot say which branch is the default, the sync scope is refused (it was taken
    as unchecked: any branch naming itself the sync branch got it), unless ASTRO_GITOPS_SYNC_BRANCH
    names the branch. A branch's own scope and `--all` (a flag of the CI configuration) go on."""
    feature_branch_naming_itself_sync(applied, mapped_to_development=True)
    env = ci_naming_no_default_branch(tmp_path, case)
    for command in (("apply", "--auto-approve"), ("plan",)):
        result = cli(astro, applied, *command, **env)
        assert result.code == 1, result.out + result.err
        assert "sync-branch-unconfirmed" in result.err and "'feature/evil'" in result.err, result.err
        assert "ASTRO_GITOPS_SYNC_BRANCH" in result.err and "sync-branch input" in result.err
        assert not astro.writes() and "Traceback" not in result.err
    named = cli(astro, applied, "plan", **env, ASTRO_GITOPS_SYNC_BRANCH="main")
    assert named.code == 1 and "sync-branch-unconfirmed" in named.err and "'main'" in named.err
    git(applied, "checkout", "-q", "main")
    assert cli(astro, applied, "plan", **env).code == 1  # main too: CI does not say it is the default
    for allowed in (("plan", "--all"), ("plan", "--branch", "dev")):
        done = cli(astro, applied, *allowed, **env)
        assert done.code == 0, done.err
    edit_file(applied, "environments/deployments/production.yaml", *PRODUCTION_CHANGE)
    commit_files(applied, {}, "production")
    done = cli(astro, applied, "apply", "--auto-approve", **env, ASTRO_GITOPS_SYNC_BRANCH="main")
    assert done.code == 0, done.err
    assert any("/deployments/" in e["path"] for e in astro.writes())
