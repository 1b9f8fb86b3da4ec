"""Trust no server (issue 21, SPEC 7.3): creates, duplicates, markers and saved plans against a
local Astro API server that answers as a faulty or hostile one would (tests/support/astro_api/
hostile.py), through the installed command.

Masking is tests/acceptance/test_secret_safety.py's; bounds and bad input are
tests/acceptance/test_hostile_input.py's.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

from conftest import commit_files, edit_file, git, installed_command, run_cli
from support.astro_fake import DEPLOYMENTS, FakeAstro
from support.signed_markers import marker, workspace_id

from acceptance.test_previews import deployment
from acceptance.test_sync_apply import KEY, applied, cli

ALL = 1_000_000  # a fault's count that outlasts the run


def first_create(server: FakeAstro, root: Path, secrets: dict[str, str]) -> dict[str, Any]:
    """The first workspace object the plan creates (from plan --format json)."""
    plan = cli(server, root, secrets, "plan", "--format", "json")
    assert plan.code == 0, plan.err
    return next(
        c
        for c in json.loads(plan.out)["changes"]
        if c["action"] == "create" and c["kind"] in ("connection", "variable")
    )


def foreign(change: dict[str, Any]) -> dict[str, Any]:
    """A hand-made object under the key of `change` (no marker)."""
    if change["kind"] == "connection":
        typed = {"objectType": "CONNECTION", "connection": {"type": "http", "host": "attacker.example"}}
    else:
        typed = {"objectType": "AIRFLOW_VARIABLE", "airflowVariable": {"value": "attacker"}}
    return {"objectKey": change["key"], "scope": "WORKSPACE", "scopeEntityId": "Data Platform",
            "description": "created by hand", **typed}  # fmt: skip


def test_a_foreign_object_that_appears_before_the_create_is_left_alone_and_stops_the_apply(
    seeded: FakeAstro, repo: Path, example_secrets: dict[str, str]
) -> None:
    change = first_create(seeded, repo, example_secrets)
    seeded.admin("fault", {"method": "POST", "path": "environment-objects$", "seed": [foreign(change)]})
    result = cli(seeded, repo, example_secrets, "apply", "--auto-approve")
    assert result.code == 1, result.out + result.err
    assert f"'{change['key']}' exists with no astro-gitops marker" in result.out + result.err
    assert "Apply complete" not in result.out
    [held] = [o for o in seeded.state()["objects"] if o["objectKey"] == change["key"]]
    assert held["description"] == "created by hand"


def test_a_hand_typed_marker_under_the_key_is_not_ours_either(
    seeded: FakeAstro, repo: Path, example_secrets: dict[str, str]
) -> None:
    change = first_create(seeded, repo, example_secrets)
    forged = {**foreign(change), "description": "hand-made [astro-gitops owner=other owner=data-platform]"}
    seeded.admin("fault", {"method": "POST", "path": "environment-objects$", "seed": [forged]})
    result = cli(seeded, repo, example_secrets, "apply", "--auto-approve")
    assert result.code == 1 and "a malformed marker" in result.out + result.err
    [held] = [o for o in seeded.state()["objects"] if o["objectKey"] == change["key"]]
    assert held["description"] == forged["description"]


def test_a_preview_create_answered_with_productions_id_never_touches_production(
    seeded: FakeAstro, repo: Path, example_secrets: dict[str, str]
) -> None:
    applied(seeded, repo, example_secrets)
    before = deployment(seeded, "production")
    git(repo, "checkout", "-q", "-b", "feature/shape")
    seeded.admin("fault", {"method": "POST", "path": "/deployments$", "answer_as": "production"})
    result = cli(seeded, repo, example_secrets, "apply", "--auto-approve")
    assert result.code == 1, result.out + result.err
    assert "answered with another Deployment" in result.out + result.err
    assert deployment(seeded, "production") == before
    git(repo, "checkout", "-q", "main")
    assert cli(seeded, repo, example_secrets, "plan", "--exit-code").code == 0


def test_a_list_that_hides_an_object_never_ends_in_a_silent_success(
    seeded: FakeAstro, repo: Path, example_secrets: dict[str, str]
) -> None:
    applied(seeded, repo, example_secrets)
    hidden = {"environmentObjects": [], "totalCount": 0}
    seeded.admin("fault", {"method": "GET", "path": "environment-objects$", "reply": {"body": hidden}, "count": ALL})
    result = cli(seeded, repo, example_secrets, "apply", "--auto-approve")
    assert result.code == 1, result.out
    assert "exists (409) but does not list it" in result.out + result.err


def test_a_hand_typed_marker_with_two_owners_is_not_ours(
    seeded: FakeAstro, repo: Path, example_secrets: dict[str, str]
) -> None:
    applied(seeded, repo, example_secrets)
    [bucket] = [o for o in seeded.state()["objects"] if o["objectKey"] == "data_bucket"]
    seeded.admin("reset", {})
    seeded.seed("Data Platform", DEPLOYMENTS, objects=[{
        "objectKey": "data_bucket", "objectType": "AIRFLOW_VARIABLE", "scope": "WORKSPACE",
        "scopeEntityId": "Data Platform", "airflowVariable": {"value": "theirs"}, "autoLinkDeployments": True,
        "description": "hand-made [astro-gitops owner=other owner=data-platform]"}])  # fmt: skip
    result = cli(seeded, repo, example_secrets, "apply", "--auto-approve")
    assert result.code == 1 and "unmanaged-object" in result.out + result.err
    [held] = [o for o in seeded.state()["objects"] if o["objectKey"] == "data_bucket"]
    assert held["airflowVariable"]["value"] == "theirs" and bucket["airflowVariable"]["value"] != "theirs"


# --- concurrent applies (ASTRO-API.md section 3: identical creates make duplicates) -----------


def _duplicate_preview(server: FakeAstro, name: str) -> None:
    preview = deployment(server, name)
    assert preview is not None
    server.admin("seed", {"deployments": [{"name": name, "workspace": "Data Platform",
                                           "description": preview["description"]}]})  # fmt: skip
    assert [d["name"] for d in server.state()["deployments"]].count(name) == 2


def test_two_managed_previews_of_one_branch_converge_on_the_next_apply(
    seeded: FakeAstro, repo: Path, example_secrets: dict[str, str]
) -> None:
    applied(seeded, repo, example_secrets)
    git(repo, "checkout", "-q", "-b", "feature/twice")
    applied(seeded, repo, example_secrets)
    _duplicate_preview(seeded, "dev-feature-twice")
    plan = cli(seeded, repo, example_secrets, "plan", "--exit-code")
    assert plan.code == 3, plan.err
    assert "- preview dev-feature-twice  (branch feature/twice)" in plan.out
    applied(seeded, repo, example_secrets)
    assert [d["name"] for d in seeded.state()["deployments"]].count("dev-feature-twice") == 1
    assert cli(seeded, repo, example_secrets, "plan", "--exit-code").code == 0


def test_preview_destroy_deletes_every_managed_duplicate(
    seeded: FakeAstro, repo: Path, example_secrets: dict[str, str]
) -> None:
    applied(seeded, repo, example_secrets)
    git(repo, "checkout", "-q", "-b", "feature/twice")
    applied(seeded, repo, example_secrets)
    _duplicate_preview(seeded, "dev-feature-twice")
    git(repo, "checkout", "-q", "main")
    destroyed = cli(seeded, repo, example_secrets, "preview", "destroy", "--branch", "feature/twice", "--auto-approve")
    assert destroyed.code == 0, destroyed.out + destroyed.err
    assert {d["name"] for d in seeded.state()["deployments"]} == set(DEPLOYMENTS)


def test_a_hand_made_deployment_under_a_previews_name_is_not_settled_by_the_tool(
    seeded: FakeAstro, repo: Path, example_secrets: dict[str, str]
) -> None:
    applied(seeded, repo, example_secrets)
    git(repo, "checkout", "-q", "-b", "feature/twice")
    applied(seeded, repo, example_secrets)
    seeded.admin("seed", {"deployments": [{"name": "dev-feature-twice", "workspace": "Data Platform"}]})
    plan = cli(seeded, repo, example_secrets, "plan")
    assert plan.code == 1 and "two Deployments named 'dev-feature-twice'" in plan.err
    assert len(seeded.state()["deployments"]) == len(DEPLOYMENTS) + 2


def test_two_applies_of_one_branch_started_together_leave_a_state_the_next_run_converges_from(
    seeded: FakeAstro, repo: Path, example_secrets: dict[str, str]
) -> None:
    applied(seeded, repo, example_secrets)
    git(repo, "checkout", "-q", "-b", "feature/twice")
    env = seeded.env(**example_secrets, ASTRO_GITOPS_FINGERPRINT_KEY=KEY)
    command = [installed_command(), "apply", "--auto-approve"]
    both = [subprocess.Popen(command, cwd=repo, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            for _ in range(2)]  # fmt: skip
    for proc in both:
        proc.communicate(timeout=300)
    again = cli(seeded, repo, example_secrets, "apply", "--auto-approve")
    assert again.code == 0, again.out + again.err
    assert [d["name"] for d in seeded.state()["deployments"]].count("dev-feature-twice") == 1
    assert cli(seeded, repo, example_secrets, "plan", "--exit-code").code == 0
    keys = [(o["objectKey"], o["scopeEntityId"]) for o in seeded.state()["objects"]]
    assert len(keys) == len(set(keys))


# --- writes that converge (K5) -----------------------------------------------------------------


def test_a_description_with_stray_whitespace_converges_in_one_apply(
    seeded: FakeAstro, repo: Path, example_secrets: dict[str, str]
) -> None:
    edit_file(
        repo,
        "environments/variables.yaml",
        "description: Landing bucket for raw partner and event data",
        'description: " Landing bucket\\tfor raw data \\n"',
    )
    commit_files(repo, {}, "stray whitespace")
    applied(seeded, repo, example_secrets)
    seeded.admin("clear-log", {})
    again = applied(seeded, repo, example_secrets)
    assert "No changes" in again.out and not seeded.writes()
    assert cli(seeded, repo, example_secrets, "plan", "--exit-code").code == 0


# --- saved plans (K7) ------------------------------------------------------------------------------


def _saved_plan(server: FakeAstro, repo: Path, secrets: dict[str, str]) -> Path:
    applied(server, repo, secrets)
    edit_file(repo, "environments/deployments/production.yaml", "scheduler_size: MEDIUM", "scheduler_size: LARGE")
    commit_files(repo, {}, "bigger scheduler")
    out = repo.parent / "p.json"
    assert cli(server, repo, secrets, "plan", "--out", str(out)).code == 0
    return out


def test_a_saved_plan_with_an_emptied_touched_record_is_refused(
    seeded: FakeAstro, repo: Path, example_secrets: dict[str, str]
) -> None:
    out = _saved_plan(seeded, repo, example_secrets)
    data = json.loads(out.read_text())
    data["apply"]["touched"] = {}
    out.write_text(json.dumps(data))
    seeded.admin("clear-log", {})
    result = cli(seeded, repo, example_secrets, "apply", str(out), "--auto-approve")
    assert result.code == 1 and "stale-plan" in result.err and "was the file edited?" in result.err
    assert not seeded.writes()


def test_a_saved_plan_whose_displayed_changes_were_edited_is_refused(
    seeded: FakeAstro, repo: Path, example_secrets: dict[str, str]
) -> None:
    out = _saved_plan(seeded, repo, example_secrets)
    out.write_text(out.read_text().replace('"LARGE"', '"SMALL"'))
    seeded.admin("clear-log", {})
    result = cli(seeded, repo, example_secrets, "apply", str(out), "--auto-approve")
    assert result.code == 1 and "stale-plan" in result.err, result.err
    assert not seeded.writes()


def test_an_untouched_saved_plan_still_applies(seeded: FakeAstro, repo: Path, example_secrets: dict[str, str]) -> None:
    out = _saved_plan(seeded, repo, example_secrets)
    result = cli(seeded, repo, example_secrets, "apply", str(out), "--auto-approve")
    assert result.code == 0, result.err


# --- git arguments (K8) ------------------------------------------------------------------------------


def test_a_remote_name_is_never_an_option_to_git(
    seeded: FakeAstro, repo: Path, example_secrets: dict[str, str], tmp_path: Path
) -> None:
    origin = tmp_path / "origin.git"
    git(tmp_path, "init", "-q", "--bare", str(origin))
    git(repo, "remote", "add", "origin", str(origin))
    pwned = tmp_path / "PWNED"
    for remote in (f"--upload-pack=touch {pwned}; git-upload-pack", f"--upload-pack=touch {pwned}", str(origin)):
        result = cli(seeded, repo, example_secrets, "preview", "prune", f"--remote={remote}", "--auto-approve")
        assert result.code in (1, 2) and "no git remote named" in result.err, result.err
    assert not pwned.exists()


def test_the_organization_id_never_climbs_out_of_its_path(
    seeded: FakeAstro, repo: Path, example_secrets: dict[str, str]
) -> None:
    env = {**seeded.env(**example_secrets), "ASTRO_ORGANIZATION_ID": "../../x"}
    result = run_cli("plan", cwd=repo, env=env)
    assert result.code == 1 and "not an ID" in result.err
    assert not seeded.log()


def test_our_marker_on_an_object_the_read_did_not_list_is_reported_not_overwritten(
    seeded: FakeAstro, repo: Path, example_secrets: dict[str, str]
) -> None:
    # Another apply at the same time created it: ours, but this run did not write it.
    change = first_create(seeded, repo, example_secrets)
    made = foreign(change)
    # as the other apply signed it (the same key)
    mark = marker("data-platform", made["objectType"], change["key"], "WORKSPACE", workspace_id("Data Platform"))
    marked = {**made, "description": mark}
    seeded.admin("fault", {"method": "POST", "path": "environment-objects$", "seed": [marked]})
    result = cli(seeded, repo, example_secrets, "apply", "--auto-approve")
    assert result.code == 1 and "although the plan's read did not list it" in result.out
    again = cli(seeded, repo, example_secrets, "apply", "--auto-approve")
    assert again.code == 0, again.out + again.err
    assert cli(seeded, repo, example_secrets, "plan", "--exit-code").code == 0
