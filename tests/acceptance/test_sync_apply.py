"""plan and apply (SPEC 7) against the local Astro API server, through the installed command."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from conftest import Run, commit_files, edit_file, git, run_cli
from support.astro_fake import DEPLOYMENTS, FakeAstro, resolve_em, settings_view
from support.signed_markers import deployment_marker, marker, workspace_id

KEY = "fingerprint-key-for-tests"
UPDATE = re.compile(r"/environment-objects/[^/]+$")


def cli(
    server: FakeAstro, root: Path, secrets: dict[str, str], *args: str, key: str | None = KEY, stdin: str = ""
) -> Run:
    env = server.env(**secrets, **({"ASTRO_GITOPS_FINGERPRINT_KEY": key} if key else {}))
    return run_cli(*args, cwd=root, env=env, stdin=stdin)


def applied(server: FakeAstro, root: Path, secrets: dict[str, str], *args: str, key: str | None = KEY) -> Run:
    result = cli(server, root, secrets, "apply", "--auto-approve", *args, key=key)
    assert result.code == 0, result.out + result.err
    return result


def updates(server: FakeAstro) -> list[dict[str, Any]]:
    return [e for e in server.log() if e["method"] == "POST" and UPDATE.search(e["path"])]


def rendered(root: Path, tmp_path: Path, secrets: dict[str, str]) -> dict[str, dict[str, Any]]:
    out = tmp_path / "rendered"
    result = run_cli("render", "--all", "--secrets", "env", "--out", str(out), cwd=root, env=secrets)
    assert result.code == 0, result.err
    return {d: settings_view((out / d / "airflow_settings.yaml").read_text()) for d in DEPLOYMENTS}


def assert_matches_git(server: FakeAstro, root: Path, tmp_path: Path, secrets: dict[str, str]) -> None:
    state = server.state()
    for name, wanted in rendered(root, tmp_path, secrets).items():
        assert resolve_em(state, name) == wanted, name


def test_a_fresh_organization_is_created_and_then_holds_what_git_says(
    seeded: FakeAstro, repo: Path, tmp_path: Path, example_secrets: dict[str, str]
) -> None:
    seeded.admin("config", {"page_size": 3})
    plan = cli(seeded, repo, example_secrets, "plan", "--exit-code")
    assert plan.code == 3, plan.err
    assert plan.out.startswith('astro-gitops plan: workspace "Data Platform", scope production (branch main)\n')
    assert "  + connection snowflake_default  (workspace; linked: all but sandbox)\n" in plan.out
    assert "Plan: 8 to add, 3 to change, 0 to replace, 0 to destroy." in plan.out  # 3: Deployment settings
    assert not seeded.writes()
    applied(seeded, repo, example_secrets)
    assert_matches_git(seeded, repo, tmp_path, example_secrets)

    seeded.admin("clear-log", {})
    again = applied(seeded, repo, example_secrets)
    assert "No changes" in again.out and not seeded.writes()
    assert cli(seeded, repo, example_secrets, "plan", "--exit-code").code == 0
    gets = [e for e in seeded.log() if e["method"] == "GET"]
    assert gets and all(e["query"].get("limit") == "1000" for e in gets if "environment-objects" in e["path"])


def test_every_update_sends_links_excludes_auto_link_and_the_typed_member(
    seeded: FakeAstro, repo: Path, example_secrets: dict[str, str]
) -> None:
    applied(seeded, repo, example_secrets)
    edit_file(repo, "environments/connections/snowflake.yaml", "database: DEV", "database: DEV2")
    commit_files(repo, {}, "change extra")
    seeded.admin("clear-log", {})
    applied(seeded, repo, example_secrets, key=None)  # without a key every secret is sent: many updates
    sent = updates(seeded)
    assert len(sent) >= 2
    for entry in sent:
        body = entry["body"]
        assert {"links", "excludeLinks", "autoLinkDeployments", "description"} <= set(body)
        member = body.get("connection") or body.get("airflowVariable")
        assert member is not None
        if "connection" in body:
            assert body["connection"]["type"]


@pytest.mark.parametrize("mode", ["clear", "preserve"])
def test_both_reported_link_behaviours_converge(
    seeded: FakeAstro, repo: Path, tmp_path: Path, example_secrets: dict[str, str], mode: str
) -> None:
    seeded.admin("config", {"omitted_links": mode})
    applied(seeded, repo, example_secrets)
    edit_file(repo, "environments/deployments/production.yaml", "database: PROD", "database: PROD2")
    commit_files(repo, {}, "prod override")
    applied(seeded, repo, example_secrets)
    assert_matches_git(seeded, repo, tmp_path, example_secrets)
    assert cli(seeded, repo, example_secrets, "plan", "--exit-code").code == 0


def test_a_changed_secret_is_planned_without_its_value_and_applied(
    seeded: FakeAstro, repo: Path, example_secrets: dict[str, str]
) -> None:
    applied(seeded, repo, example_secrets)
    rotated = {**example_secrets, "SNOWFLAKE_PROD_PASSWORD": "rotated-Zv4lu3"}
    plan = cli(seeded, repo, rotated, "plan", "--exit-code")
    assert plan.code == 3
    assert "  ~ connection snowflake_default\n      ~ [production] password: (secret changed)\n" in plan.out
    assert "rotated-Zv4lu3" not in plan.out + plan.err
    applied(seeded, repo, rotated)
    prod = next(d["id"] for d in seeded.state()["deployments"] if d["name"] == "production")
    obj = next(o for o in seeded.state()["objects"] if o["objectKey"] == "snowflake_default")
    link = next(entry for entry in obj["links"] if entry["scopeEntityId"] == prod)
    assert link["overrides"]["password"] == "rotated-Zv4lu3"
    assert cli(seeded, repo, rotated, "plan", "--exit-code").code == 0


def test_without_the_key_secrets_are_always_sent_and_the_plan_says_so(
    seeded: FakeAstro, repo: Path, example_secrets: dict[str, str]
) -> None:
    applied(seeded, repo, example_secrets, key=None)
    plan = cli(seeded, repo, example_secrets, "plan", key=None)
    assert "password: (secret: cannot compare, will be sent)" in plan.out
    assert "ASTRO_GITOPS_FINGERPRINT_KEY is not set" in plan.out
    seeded.admin("clear-log", {})
    applied(seeded, repo, example_secrets, key=None)
    assert updates(seeded)
    assert not any(v in json.dumps(seeded.state()["objects"]) for v in ("<secret:",))


def _unmarked(server: FakeAstro, key: str) -> None:
    server.admin(
        "seed",
        {"objects": [{"objectKey": key, "objectType": "AIRFLOW_VARIABLE", "scope": "WORKSPACE",
                      "scopeEntityId": "Data Platform", "description": "made by hand",
                      "airflowVariable": {"value": "by-hand"}}]},
    )  # fmt: skip


def test_an_unmarked_object_is_never_touched_until_adopted(
    seeded: FakeAstro, repo: Path, tmp_path: Path, example_secrets: dict[str, str]
) -> None:
    _unmarked(seeded, "data_bucket")  # a key git defines
    _unmarked(seeded, "hand_made")  # a key git does not define
    plan = cli(seeded, repo, example_secrets, "plan")
    assert plan.code == 1
    assert re.search(
        r"environments/variables\.yaml:\d+:\d+: error\[unmanaged-object\]: variable 'data_bucket'", plan.err
    )
    refused = cli(seeded, repo, example_secrets, "apply", "--auto-approve")
    assert refused.code == 1 and not seeded.writes()

    adopted = cli(seeded, repo, example_secrets, "apply", "--auto-approve", "--adopt")
    assert adopted.code == 0, adopted.err
    assert "~ variable data_bucket" in adopted.out and "~ marker: (adopt)" in adopted.out
    objects = {o["objectKey"]: o for o in seeded.state()["objects"]}
    mark = marker("data-platform", "AIRFLOW_VARIABLE", "data_bucket", "WORKSPACE", workspace_id("Data Platform"))
    assert objects["data_bucket"]["description"].endswith(" " + mark)  # adopted: signed as SPEC 7.3 says
    assert objects["hand_made"]["description"] == "made by hand"  # never touched, never deleted
    assert_matches_git(seeded, repo, tmp_path, example_secrets)
    assert not any(entry["path"].endswith(objects["hand_made"]["id"]) for entry in seeded.writes())


def test_a_managed_object_that_left_git_is_deleted(
    seeded: FakeAstro, repo: Path, example_secrets: dict[str, str]
) -> None:
    temporary = "variables:\n  temp_flag:\n    value: 'on'\n    links: all\n"
    commit_files(repo, {"environments/temporary.yaml": temporary}, "add a variable")
    applied(seeded, repo, example_secrets)
    assert "temp_flag" in {o["objectKey"] for o in seeded.state()["objects"]}
    commit_files(repo, {}, "drop it", remove=("environments/temporary.yaml",))
    plan = cli(seeded, repo, example_secrets, "plan")
    assert (
        "  - variable temp_flag  (removed from: development, production, sandbox)\n" in plan.out
        and "1 to destroy" in plan.out
    ), plan.out + plan.err
    applied(seeded, repo, example_secrets)
    assert "temp_flag" not in {o["objectKey"] for o in seeded.state()["objects"]}


def _parts(state: dict[str, Any], deployment: str) -> dict[str, Any]:
    dep = next(d["id"] for d in state["deployments"] if d["name"] == deployment)
    return {
        o["objectKey"]: (
            [entry for entry in o["links"] if entry["scopeEntityId"] == dep],
            [e for e in o["excludeLinks"] if e["scopeEntityId"] == dep],
        )
        for o in state["objects"]
        if o["scope"] == "WORKSPACE"
    }


def _own(state: dict[str, Any]) -> dict[str, Any]:
    return {
        o["objectKey"]: (o.get("connection") or o.get("airflowVariable"), o["autoLinkDeployments"])
        for o in state["objects"]
        if o["scope"] == "WORKSPACE"
    }


def test_a_deployment_branch_changes_only_its_part(
    seeded: FakeAstro, repo: Path, tmp_path: Path, example_secrets: dict[str, str]
) -> None:
    applied(seeded, repo, example_secrets)
    before = seeded.state()
    git(repo, "checkout", "-q", "-b", "dev")
    edit_file(repo, "environments/deployments/production.yaml", "database: PROD", "database: PROD2")
    edit_file(repo, "environments/connections/snowflake.yaml", "database: DEV", "database: DEV2")
    with (repo / "environments/deployments/development.yaml").open("a") as handle:
        handle.write("\noverrides:\n  connections:\n    snowflake_default:\n      login: svc_dev_branch\n")
    commit_files(repo, {}, "edits on dev")
    plan = cli(seeded, repo, example_secrets, "plan")
    assert plan.code == 0, plan.err
    assert "scope development (branch dev)" in plan.out
    applies, deferred = plan.out.split("Not applied by this scope")
    assert "[development] login" in applies and "PROD2" not in applies and "DEV2" not in applies
    # The object's own field and production's part are the sync branch's to write: shown as such.
    assert '~ extra.database: "DEV" -> "DEV2"  (reaches: development; production overrides it)' in deferred
    assert '~ [production] extra.database: "PROD" -> "PROD2"' in deferred
    seeded.admin("clear-log", {})
    applied(seeded, repo, example_secrets)
    sent = updates(seeded)
    assert sent and all({"links", "excludeLinks", "autoLinkDeployments", "connection"} <= set(e["body"]) for e in sent)
    after = seeded.state()
    assert _own(after) == _own(before)
    assert _parts(after, "production") == _parts(before, "production")
    assert _parts(after, "sandbox") == _parts(before, "sandbox")
    snowflake = next(o for o in after["objects"] if o["objectKey"] == "snowflake_default")
    assert snowflake["connection"]["password"] == example_secrets["SNOWFLAKE_DEV_PASSWORD"]  # own secret kept
    dev = resolve_em(after, "development")["connections"]["snowflake_default"]
    assert dev["conn_login"] == "svc_dev_branch"
    assert cli(seeded, repo, example_secrets, "plan", "--exit-code").code == 0


def test_a_preview_branch_changes_only_the_preview_part(
    seeded: FakeAstro, repo: Path, example_secrets: dict[str, str]
) -> None:
    applied(seeded, repo, example_secrets)
    mark = deployment_marker("data-platform", "dev-feature-x", workspace_id("Data Platform"), branch="feature/x")
    seeded.admin(
        "seed", {"deployments": [{"name": "dev-feature-x", "workspace": "Data Platform", "description": mark}]}
    )
    before = seeded.state()
    git(repo, "checkout", "-q", "-b", "feature/x")
    result = applied(seeded, repo, example_secrets)
    assert "scope preview dev-feature-x (branch feature/x)" in result.out
    after = seeded.state()
    assert _own(after) == _own(before)
    for name in DEPLOYMENTS:
        assert _parts(after, name) == _parts(before, name)
    got = resolve_em(after, "dev-feature-x")
    assert got["variables"]["data_bucket"] == "s3://acme-data-dev/previews/feature-x"
    # The sync branch keeps the preview's part: previews' branches own them.
    git(repo, "checkout", "-q", "main")
    seeded.admin("clear-log", {})
    applied(seeded, repo, example_secrets)
    assert not seeded.writes()
    assert resolve_em(seeded.state(), "dev-feature-x") == got


def test_faults_converge_and_a_dropped_create_makes_no_duplicate(
    seeded: FakeAstro, repo: Path, tmp_path: Path, example_secrets: dict[str, str]
) -> None:
    seeded.admin("fault", {"method": "GET", "path": "environment-objects", "status": 429, "retry_after": 0})
    seeded.admin("fault", {"method": "GET", "path": "workspaces", "status": 429})
    seeded.admin("fault", {"method": "GET", "path": "deployments", "status": 503, "count": 2})
    seeded.admin("fault", {"method": "POST", "path": "environment-objects$", "drop": True, "after": 1})
    seeded.admin("fault", {"method": "POST", "path": "environment-objects$", "status": 500, "after": 3})
    seeded.admin("fault", {"method": "POST", "path": "environment-objects$", "status": 429, "after": 4})
    applied(seeded, repo, example_secrets)
    keys = [(o["objectKey"], o["scopeEntityId"]) for o in seeded.state()["objects"]]
    assert len(keys) == len(set(keys)) == 8
    assert_matches_git(seeded, repo, tmp_path, example_secrets)
    seeded.admin("fault", {"method": "POST", "path": r"environment-objects/", "status": 502})
    edit_file(repo, "environments/connections/snowflake.yaml", "database: DEV", "database: DEV2")
    commit_files(repo, {}, "change")
    applied(seeded, repo, example_secrets)
    assert cli(seeded, repo, example_secrets, "plan", "--exit-code").code == 0


def test_the_first_failed_write_stops_the_apply_and_a_rerun_converges(
    seeded: FakeAstro, repo: Path, tmp_path: Path, example_secrets: dict[str, str]
) -> None:
    seeded.admin("fault", {"method": "POST", "path": "environment-objects$", "status": 403, "after": 2, "count": 1})
    failed = cli(seeded, repo, example_secrets, "apply", "--auto-approve")
    assert failed.code == 1
    assert "Apply failed: 5 done, 1 failed, 5 not attempted." in failed.out  # 3 Deployments, then 2 objects
    assert re.search(r"failed: \+ \w+ \w+ .*HTTP 403: injected fault \(requestId req-fault\)", failed.out)
    assert failed.out.count("\n  not attempted: ") == 5 and failed.out.count("\n  done: ") == 5
    assert len(seeded.state()["objects"]) == 2
    applied(seeded, repo, example_secrets)
    assert_matches_git(seeded, repo, tmp_path, example_secrets)


def test_a_saved_plan_applies_or_is_refused_when_stale(
    seeded: FakeAstro, repo: Path, tmp_path: Path, example_secrets: dict[str, str]
) -> None:
    saved = tmp_path / "plan.json"
    assert cli(seeded, repo, example_secrets, "plan", "--out", str(saved)).code == 0
    data = json.loads(saved.read_text())
    assert data["summary"]["create"] == 8 and data["apply"]["inputs"]
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []  # no manifest, no temporary
    edit_file(repo, "environments/connections/snowflake.yaml", "database: DEV", "database: DEV2")
    commit_files(repo, {}, "change after plan")
    stale = cli(seeded, repo, example_secrets, "apply", str(saved))
    assert stale.code == 1 and "stale-plan" in stale.err and not seeded.writes()
    # The code's prefix is printed once (it was `error: error[stale-plan]: ...`).
    assert stale.err.startswith("astro-gitops: error[stale-plan]: the saved plan is stale: "), stale.err
    assert stale.err.count("error") == 1, stale.err

    assert cli(seeded, repo, example_secrets, "plan", "--out", str(saved)).code == 0
    fresh = cli(seeded, repo, example_secrets, "apply", str(saved))
    assert fresh.code == 0, fresh.err
    assert "Apply complete: 11 change(s) done." in fresh.out

    edit_file(repo, "environments/connections/snowflake.yaml", "database: DEV2", "database: DEV3")
    commit_files(repo, {}, "another change")
    assert cli(seeded, repo, example_secrets, "plan", "--out", str(saved)).code == 0
    obj = next(o for o in seeded.state()["objects"] if o["objectKey"] == "snowflake_default")
    seeded.admin("seed", {})  # no-op, then an out-of-band edit of the touched object:
    from support.test_astro_api_server import call

    call(seeded, "POST", f"/v1/organizations/{seeded.env()['ASTRO_ORGANIZATION_ID']}/environment-objects/{obj['id']}",
         {"connection": {"type": "snowflake"}, "description": obj["description"]})  # fmt: skip
    seeded.admin("clear-log", {})
    moved = cli(seeded, repo, example_secrets, "apply", str(saved))
    assert moved.code == 1 and "stale-plan" in moved.err and not seeded.writes()


@pytest.mark.parametrize(
    ("how", "flags", "code"),
    [
        ("checked out", (), 1),  # the same files on a feature branch: a replay of main's plan there
        ("GITHUB_HEAD_REF", (), 1),  # a pull request's job on main's checkout
        ("GITHUB_REF_NAME", (), 1),  # a push job
        ("flag", ("--branch", "feature/evil"), 2),  # a flag naming another scope is never ignored
        ("flag", ("--deployment", "production"), 2),
        ("flag", ("--all",), 2),
    ],
)
def test_a_saved_plan_applies_only_on_the_branch_it_was_made_for(
    seeded: FakeAstro,
    repo: Path,
    tmp_path: Path,
    example_secrets: dict[str, str],
    how: str,
    flags: tuple[str, ...],
    code: int,
) -> None:
    """A plan saved on the sync branch, applied from a feature branch with the same files,
    would change production from that branch (SPEC 7.2): refused, and nothing is written."""
    saved = tmp_path / "plan.json"
    assert cli(seeded, repo, example_secrets, "plan", "--out", str(saved)).code == 0
    env = {}
    if how == "checked out":
        git(repo, "checkout", "-q", "-b", "feature/evil")
    elif how == "GITHUB_HEAD_REF":
        env = {"GITHUB_HEAD_REF": "feature/evil"}
    elif how == "GITHUB_REF_NAME":
        env = {"GITHUB_REF": "refs/heads/feature/evil", "GITHUB_REF_NAME": "feature/evil"}
    seeded.admin("clear-log", {})
    refused = cli(seeded, repo, {**example_secrets, **env}, "apply", str(saved), *flags)
    assert refused.code == code, refused.out + refused.err
    assert not seeded.writes() and not refused.out
    assert ("branch 'main'" in refused.err) and ("feature/evil" in refused.err or flags[0] in refused.err)
    assert "Traceback" not in refused.err
    # On the branch it was made for (by checkout, or named by a flag that agrees), it applies.
    if how == "checked out":
        git(repo, "checkout", "-q", "main")
    same = cli(seeded, repo, example_secrets, "apply", str(saved), "--branch", "main")
    assert same.code == 0, same.err


def test_apply_without_a_terminal_needs_auto_approve(
    seeded: FakeAstro, repo: Path, example_secrets: dict[str, str]
) -> None:
    result = cli(seeded, repo, example_secrets, "apply")
    assert result.code == 2 and "--auto-approve" in result.err
    assert not seeded.writes() and not seeded.log()


def test_apply_refuses_redact_and_plan_with_redact_compares_the_rest(
    seeded: FakeAstro, repo: Path, example_secrets: dict[str, str]
) -> None:
    assert cli(seeded, repo, example_secrets, "apply", "--auto-approve", "--secrets", "redact").code == 2
    applied(seeded, repo, example_secrets)
    edit_file(repo, "environments/connections/snowflake.yaml", "database: DEV", "database: DEV2")
    commit_files(repo, {}, "change")
    plan = run_cli("plan", "--secrets", "redact", cwd=repo, env=seeded.env())
    assert plan.code == 0, plan.err
    assert '~ extra.database: "DEV" -> "DEV2"' in plan.out and "password" not in plan.out


def test_a_redacted_plan_after_a_converged_apply_shows_no_change(
    seeded: FakeAstro, repo: Path, example_secrets: dict[str, str]
) -> None:
    """No value is known under redact, so no fingerprint can be recorded: that is not drift."""
    applied(seeded, repo, example_secrets, "--all")
    assert cli(seeded, repo, example_secrets, "plan", "--all", "--exit-code").code == 0
    for key in (KEY, None):  # with and without the fingerprint key in the environment
        plan = cli(seeded, repo, {}, "plan", "--all", "--secrets", "redact", "--exit-code", key=key)
        assert plan.code == 0, plan.out + plan.err
        assert "marker" not in plan.out and "No changes" in plan.out


def test_plan_needs_a_sync_owner(seeded: FakeAstro, example_repo: Path, example_secrets: dict[str, str]) -> None:
    result = cli(seeded, example_repo, example_secrets, "plan")
    assert result.code == 1
    assert "environments/workspace.yaml:1:1: error[missing-sync-owner]" in result.err
    assert not seeded.log()


def test_the_organization_comes_from_the_token_or_the_only_one(
    seeded: FakeAstro, repo: Path, example_secrets: dict[str, str]
) -> None:
    env = {k: v for k, v in seeded.env(**example_secrets).items() if k != "ASTRO_ORGANIZATION_ID"}
    env["ASTRO_ORGANIZATION_ID"] = ""
    result = run_cli("plan", cwd=repo, env=env)
    assert result.code == 0, result.err
    assert any(e["path"] == "/v1/organizations" for e in seeded.log())
    seeded.admin("seed", {"organizations": [{"id": "org2", "name": "Other"}]})
    two = run_cli("plan", cwd=repo, env=env)
    assert two.code == 1 and "ASTRO_ORGANIZATION_ID" in two.err


def _on_a_terminal(server: FakeAstro, root: Path, secrets: dict[str, str], answer: str) -> tuple[int, str]:
    """apply with a pseudo-terminal as stdin, answering the confirmation."""
    import os
    import pty
    import subprocess

    from conftest import clean_env, installed_command

    main, replica = pty.openpty()
    env = clean_env({**server.env(**secrets), "ASTRO_GITOPS_FINGERPRINT_KEY": KEY})
    proc = subprocess.Popen(
        [installed_command(), "apply"],
        cwd=root,
        env=env,
        stdin=replica,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    os.write(main, answer.encode())
    out, err = proc.communicate(timeout=120)
    os.close(main)
    os.close(replica)
    return proc.returncode, out + err


def test_apply_on_a_terminal_asks_and_only_yes_applies(
    seeded: FakeAstro, repo: Path, example_secrets: dict[str, str]
) -> None:
    code, out = _on_a_terminal(seeded, repo, example_secrets, "no\n")
    assert code == 1 and "Only 'yes' is accepted" in out and "nothing was changed" in out
    assert not seeded.writes()
    code, out = _on_a_terminal(seeded, repo, example_secrets, "yes\n")
    assert code == 0 and "Apply complete: 11 change(s) done." in out
