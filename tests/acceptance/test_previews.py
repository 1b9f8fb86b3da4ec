"""Preview Deployments and Deployment settings through the local Astro API server (SPEC 7.2, 7.3,
7.6, `preview destroy` / `preview prune`), through the installed command."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from conftest import commit_files, edit_file, git, push_branch, push_to_a_remote
from support.astro_fake import DEPLOYMENTS, FakeAstro, resolve_em
from support.signed_markers import deployment_marker, workspace_id

from acceptance.test_sync_apply import applied, cli


@pytest.fixture
def live(seeded: FakeAstro, repo: Path, example_secrets: dict[str, str]) -> FakeAstro:
    """The workspace after the sync branch's apply: Deployments set up, objects created."""
    applied(seeded, repo, example_secrets)
    return seeded


def signed(name: str, branch: str) -> str:
    """Our marker on the preview `name` of `branch` in the example's workspace (signed as apply signs it)."""
    return deployment_marker("data-platform", name, workspace_id("Data Platform"), branch=branch)


def deployment(server: FakeAstro, name: str) -> dict[str, Any] | None:
    return next((d for d in server.state()["deployments"] if d["name"] == name), None)


def deployment_updates(server: FakeAstro) -> list[dict[str, Any]]:
    return [e for e in server.log() if e["method"] == "POST" and "/deployments/" in e["path"]]


def test_deployment_settings_follow_the_file_and_unset_fields_keep_live_values(
    live: FakeAstro, repo: Path, example_secrets: dict[str, str]
) -> None:
    prod = deployment(live, "production")
    assert prod is not None
    assert prod["schedulerSize"] == "MEDIUM" and prod["isCicdEnforced"] is True and prod["isHighAvailability"] is True
    assert {q["name"]: q["astroMachine"] for q in prod["workerQueues"]} == {"default": "A10", "heavy": "A20"}
    assert prod["contactEmails"] == ["data-oncall@example.com", "data-platform@example.com"]
    env = {v["key"]: v for v in prod["environmentVariables"]}
    assert (
        env["SLACK_WEBHOOK_URL"]["isSecret"]
        and env["SLACK_WEBHOOK_URL"]["value"] == example_secrets["SLACK_WEBHOOK_URL"]
    )
    assert prod["description"].endswith("]") and "owner=data-platform" in prod["description"]
    dev = deployment(live, "development")
    assert (
        dev is not None and dev["scalingSpec"]["hibernationSpec"]["schedules"][0]["hibernateAtCron"] == "0 20 * * 1-5"
    )

    edit_file(repo, "environments/deployments/production.yaml", "scheduler_size: MEDIUM", "scheduler_size: LARGE")
    edit_file(repo, "environments/deployments/production.yaml", "  region: us-east-1\n", "")
    commit_files(repo, {}, "bigger scheduler")
    plan = cli(live, repo, example_secrets, "plan", "--exit-code")
    assert plan.code == 3
    assert '  ~ deployment production\n      ~ scheduler_size: "MEDIUM" -> "LARGE"\n' in plan.out
    live.admin("clear-log", {})
    applied(live, repo, example_secrets)
    [sent] = deployment_updates(live)
    body = sent["body"]
    assert body["schedulerSize"] == "LARGE" and "astroRuntimeVersion" not in body
    assert body["workerQueues"][0]["id"] == next(
        q["id"] for q in prod["workerQueues"] if q["name"] == body["workerQueues"][0]["name"]
    )
    secret = next(v for v in body["environmentVariables"] if v["key"] == "SLACK_WEBHOOK_URL")
    assert secret == {"key": "SLACK_WEBHOOK_URL", "isSecret": True}  # unchanged: no value, never ""
    after = deployment(live, "production")
    assert after is not None and after["region"] == "us-east-1"  # not in the file: live value kept
    env = {v["key"]: v for v in after["environmentVariables"]}
    assert env["SLACK_WEBHOOK_URL"]["value"] == example_secrets["SLACK_WEBHOOK_URL"]


def test_a_runtime_difference_is_a_warning_and_an_unmarked_deployment_needs_adopt(
    astro: FakeAstro,
    repo: Path,
    example_secrets: dict[str, str],
) -> None:
    astro.seed("Data Platform", DEPLOYMENTS, owner=None)
    plan = cli(astro, repo, example_secrets, "plan")
    assert (
        plan.code == 1
        and "error[unmanaged-object]: Deployment 'production' exists in Astro with no astro-gitops marker" in plan.err
    )
    adopt = cli(astro, repo, example_secrets, "plan", "--adopt")
    assert adopt.code == 0 and "~ marker: (adopt)" in adopt.out
    assert "environments/deployments/production.yaml:2:1: error[unmanaged-object]" in plan.err
    edit_file(repo, "environments/deployments/production.yaml", '"3.1-14"', '"3.2-1"')
    commit_files(repo, {}, "runtime")
    applied(astro, repo, example_secrets, "--adopt")
    assert "warning[runtime-version-differs]" in cli(astro, repo, example_secrets, "plan").err
    assert all(d["runtimeVersion"] == "3.1-14" for d in astro.state()["deployments"])


def test_a_preview_is_created_updated_and_destroyed(
    live: FakeAstro, repo: Path, example_secrets: dict[str, str]
) -> None:
    git(repo, "checkout", "-q", "-b", "feature/x")
    plan = cli(live, repo, example_secrets, "plan")
    assert plan.code == 0, plan.err
    assert "  + preview dev-feature-x  (from development, branch feature/x)\n" in plan.out
    live.admin("clear-log", {})
    created = applied(live, repo, example_secrets)
    writes = [(e["method"], e["path"].split("/")[-1] if "environment-objects" in e["path"] else e["path"].split("/")[4])
              for e in live.writes()]  # fmt: skip
    assert writes[0] == ("POST", "deployments") and writes[1][0] == "POST"  # create, then update, then objects
    preview = deployment(live, "dev-feature-x")
    assert preview is not None, created.out
    mark = signed("dev-feature-x", "feature/x")  # the documented signature, as SPEC 7.3 describes it
    assert mark.rsplit(" ", 1)[0] + " fp=" in preview["description"]
    assert preview["description"].endswith(" " + mark.rsplit(" ", 1)[1])
    assert preview["schedulerSize"] == "SMALL" and preview["isDevelopmentMode"] is True
    env = {v["key"]: v for v in preview["environmentVariables"]}
    # The from Deployment's secret environment variable, with its value from --secrets (not lost).
    assert env["SLACK_WEBHOOK_URL"] == {**env["SLACK_WEBHOOK_URL"], "isSecret": True,
                                        "value": example_secrets["SLACK_DEV_WEBHOOK_URL"]}  # fmt: skip
    got = resolve_em(live.state(), "dev-feature-x")
    assert got["variables"]["data_bucket"] == "s3://acme-data-dev/previews/feature-x"
    assert "sample_fraction" in got["variables"]
    live.admin("clear-log", {})
    again = applied(live, repo, example_secrets)
    assert "No changes" in again.out and not live.writes()

    edit_file(repo, "environments/deployments/development.yaml", "LOG_LEVEL: DEBUG", "LOG_LEVEL: INFO")
    commit_files(repo, {}, "quieter")
    live.admin("clear-log", {})
    updated = applied(live, repo, example_secrets)
    assert '~ preview dev-feature-x\n      ~ environment_variables.LOG_LEVEL: "DEBUG" -> "INFO"' in updated.out
    [sent] = deployment_updates(live)
    assert {"key": "SLACK_WEBHOOK_URL", "isSecret": True} in sent["body"]["environmentVariables"]

    # Without --auto-approve off a terminal: refused (exit 2), after listing what it would delete.
    live.admin("clear-log", {})
    refused = cli(live, repo, example_secrets, "preview", "destroy", "--branch", "feature/x")
    assert refused.code == 2 and "pass --auto-approve" in refused.err, refused.out + refused.err
    assert "- preview dev-feature-x  (branch feature/x)" in refused.out
    assert deployment(live, "dev-feature-x") is not None and not live.writes()
    destroyed = cli(live, repo, example_secrets, "preview", "destroy", "--branch", "feature/x", "--auto-approve")
    assert destroyed.code == 0, destroyed.err
    assert "- preview dev-feature-x  (branch feature/x)" in destroyed.out
    state = live.state()
    assert deployment(live, "dev-feature-x") is None
    assert all(o["scopeEntityId"] != preview["id"] for o in state["objects"])
    assert {d["name"] for d in state["deployments"]} == set(DEPLOYMENTS)
    gone = cli(live, repo, example_secrets, "preview", "destroy", "--branch", "feature/x")  # nothing to ask
    assert gone.code == 0 and "Plan: 0 to add, 0 to change, 0 to replace, 0 to destroy." in gone.out
    # The sync branch converges without the preview (its links are not re-sent).
    git(repo, "checkout", "-q", "main")
    assert cli(live, repo, example_secrets, "plan", "--exit-code").code == 0


@pytest.mark.parametrize(("marked", "said"), [(None, "Deployment of no branch"), ("feature/y", "branch 'feature/y'")])
def test_a_preview_name_held_by_our_deployment_of_another_or_no_branch_says_whose(
    live: FakeAstro, repo: Path, example_secrets: dict[str, str], marked: str | None, said: str
) -> None:
    mark = deployment_marker("data-platform", "dev-feature-x", workspace_id("Data Platform"), branch=marked)
    live.admin("seed", {"deployments": [{"name": "dev-feature-x", "workspace": "Data Platform", "description": mark}]})
    git(repo, "checkout", "-q", "-b", "feature/x")
    live.admin("clear-log", {})

    result = cli(live, repo, example_secrets, "apply", "--auto-approve")

    assert result.code == 1 and "error[preview-owned-by-other-branch]" in result.err, result.err
    assert said in result.err and "'None'" not in result.err and not live.writes()


def test_destroy_touches_only_the_branch_marked_on_the_preview(
    live: FakeAstro, repo: Path, example_secrets: dict[str, str]
) -> None:
    live.admin("seed", {"deployments": [
        {"name": "dev-feature-y", "workspace": "Data Platform", "description": "[astro-gitops owner=someone-else branch=feature/y]"},
        {"name": "dev-feature-z", "workspace": "Data Platform", "description": "hand made"},
        {"name": "dev-feature-w", "workspace": "Data Platform", "description": signed("dev-feature-w", "main")},
    ]})  # fmt: skip
    # production carries a preview's marker by hand: a Deployment of deployments/ is never deleted.
    prod = deployment(live, "production")
    assert prod is not None
    live.admin("seed", {"deployments": [{"name": "production", "workspace": "Data Platform", "id": "dpprodcopy",
                                         "description": signed("production", "feature/z")}]})  # fmt: skip
    for branch in ("feature/y", "feature/z"):
        result = cli(live, repo, example_secrets, "preview", "destroy", "--branch", branch, "--auto-approve")
        assert result.code == 0 and "Plan: 0 to add, 0 to change, 0 to replace, 0 to destroy." in result.out
    assert deployment(live, "dev-feature-y") and deployment(live, "dev-feature-z")
    assert sum(1 for d in live.state()["deployments"] if d["name"] == "production") == 2
    gone = cli(live, repo, example_secrets, "preview", "destroy", "--branch", "main", "--auto-approve")
    assert gone.code == 0 and deployment(live, "dev-feature-w") is None


def test_prune_deletes_previews_whose_branch_left_the_remote(
    live: FakeAstro, repo: Path, tmp_path: Path, example_secrets: dict[str, str]
) -> None:
    remote = tmp_path / "remote.git"
    push_to_a_remote(repo, remote)
    for branch in ("feature/a", "feature/b"):
        push_branch(repo, branch)
        applied(live, repo, example_secrets)
    assert deployment(live, "dev-feature-a") and deployment(live, "dev-feature-b")
    git(repo, "checkout", "-q", "main")
    git(repo, "push", "-q", "origin", "--delete", "feature/a")
    # A shallow, single-branch clone (as CI checks out) still sees the remote's branches.
    clone = tmp_path / "ci"
    git(tmp_path, "clone", "-q", "--depth", "1", "--single-branch", "--branch", "main", f"file://{remote}", str(clone))
    # Without --auto-approve off a terminal: refused (exit 2), after listing what it would delete.
    live.admin("clear-log", {})
    refused = cli(live, clone, example_secrets, "preview", "prune")
    assert refused.code == 2 and "--auto-approve" in refused.err, refused.out + refused.err
    assert "- preview dev-feature-a  (branch feature/a)" in refused.out and "dev-feature-b" not in refused.out
    assert "Plan: 0 to add, 0 to change, 0 to replace, 2 to destroy." in refused.out  # and its variable
    assert deployment(live, "dev-feature-a") is not None and not live.writes()
    pruned = cli(live, clone, example_secrets, "preview", "prune", "--auto-approve")
    assert pruned.code == 0, pruned.err
    assert "- preview dev-feature-a  (branch feature/a)" in pruned.out and "dev-feature-b" not in pruned.out
    assert deployment(live, "dev-feature-a") is None and deployment(live, "dev-feature-b") is not None
    unknown = cli(live, clone, example_secrets, "preview", "prune", "--remote", "nowhere", "--auto-approve")
    assert unknown.code == 1 and deployment(live, "dev-feature-b") is not None


def test_a_second_branch_with_the_same_preview_name_is_refused(
    live: FakeAstro, repo: Path, example_secrets: dict[str, str]
) -> None:
    git(repo, "checkout", "-q", "-b", "feature/x")
    applied(live, repo, example_secrets)
    git(repo, "checkout", "-q", "-b", "feature/X")
    both = cli(live, repo, example_secrets, "apply", "--auto-approve")
    assert both.code == 1 and "preview-name-collision" in both.err  # both branches known to git
    git(repo, "branch", "-q", "-D", "feature/x")  # only the live preview still says whose it is
    live.admin("clear-log", {})
    other = cli(live, repo, example_secrets, "apply", "--auto-approve")
    assert other.code == 1 and "error[preview-owned-by-other-branch]" in other.err, other.err
    assert "belongs to branch 'feature/x'" in other.err and not live.writes()
    assert re.search(r"^environments/workspace\.yaml:\d+:\d+: error\[preview-owned-by-other-branch\]", other.err, re.M)
