"""A plan a reviewer can trust (issue 23; ../shared/handed/users3.md sections 3-8): every field
of a create per Deployment, who a delete, link change or shared-field change reaches, changes the
scope cannot apply, and no surprise target. Through the installed command, against the local
Astro API server."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from pathlib import Path

import pytest
from conftest import Run, commit_files, edit_file, git, run_cli
from support.astro_fake import FakeAstro, applied_on_main

KEY = "fingerprint-key-for-tests"
SECRETS = {"SF_PW": "sf-pw-Q9x", "ORDERS_DEV_PW": "orders-dev-Q9x", "ORDERS_PROD_PW": "orders-prod-Q9x"}

WORKSPACE = """\
version: 1
workspace: Data Platform
branches:
  - branch: main
    deployment: production
  - branch: dev
    deployment: development
  - branch: "feature/**"
    preview: {from: development, name: "dev-{{ branch.slug }}"}
sync: {owner: data-platform, branch: main}
"""
DEPLOYMENT = """\
name: NAME
astro:
  runtime_version: "3.1-14"
  executor: CELERY
  cloud_provider: AWS
  region: us-east-1
  is_development_mode: DEV
worker_queues:
  - {name: default, worker_type: A5, min_worker_count: 0, max_worker_count: 2, worker_concurrency: 5}
"""
OBJECTS = """\
connections:
  snowflake_default:
    type: snowflake
    host: acct.snowflakecomputing.com
    login: svc_dev
    password: {secret: SF_PW}
    extra: {account: ab12345, role: TRANSFORMER_DEV, warehouse: TRANSFORM_WH}
    links: all
  slack_alerts: {type: http, host: hooks.slack.com, links: all}
variables:
  data_bucket: {value: s3://acme-data-dev, links: all}
"""
SHARED = {
    "environments/workspace.yaml": WORKSPACE,
    "environments/deployments/development.yaml": DEPLOYMENT.replace("NAME", "development").replace("DEV", "true"),
    "environments/deployments/production.yaml": DEPLOYMENT.replace("NAME", "production").replace("DEV", "false"),
    "environments/objects.yaml": OBJECTS,
}
ORDERS = """\
connections:
  orders_db:
    type: postgres
    host: orders-dev.db.internal
    port: 5432
    schema: orders
    login: svc_orders
    password: {secret: ORDERS_DEV_PW}
    links: all
"""
PROD_OVERRIDE = """
overrides:
  connections:
    orders_db: {host: orders-prod.db.internal, login: svc_orders_prod, password: {secret: ORDERS_PROD_PW}}
"""


def cli(server: FakeAstro, root: Path, *args: str) -> Run:
    env = server.env(**SECRETS, ASTRO_GITOPS_FINGERPRINT_KEY=KEY)
    return run_cli(*args, cwd=root, env=env)


@pytest.fixture
def shared(astro: FakeAstro, make_repo: Callable[[Mapping[str, str]], Path]) -> Path:
    """The shared repository of users3.md, applied on main to a workspace holding both Deployments."""
    return applied_on_main(astro, make_repo(SHARED), cli)


def plan_json(server: FakeAstro, root: Path, *args: str) -> dict[str, object]:
    result = cli(server, root, "plan", "--format", "json", *args)
    assert result.code == 0, result.err
    return json.loads(result.out)  # type: ignore[no-any-return]


def test_a_create_lists_every_field_per_deployment_with_secrets_by_name(astro: FakeAstro, shared: Path) -> None:
    production = (shared / "environments/deployments/production.yaml").read_text() + PROD_OVERRIDE
    commit_files(shared, {"environments/new.yaml": ORDERS, "environments/deployments/production.yaml": production})
    text = cli(astro, shared, "plan")
    assert text.code == 0, text.err
    block = text.out.split("  + connection orders_db  (workspace; linked: all)\n")[1].split("\nPlan:")[0]
    assert block.splitlines() == [
        '      + type: "postgres"',
        '      + host: "orders-dev.db.internal"  (reaches: development; production overrides it)',
        '      + schema: "orders"',
        '      + login: "svc_orders"  (reaches: development; production overrides it)',
        "      + password: (secret ORDERS_DEV_PW)  (reaches: development; production overrides it)",
        "      + port: 5432",
        '      + [production] host: "orders-prod.db.internal"',
        '      + [production] login: "svc_orders_prod"',
        "      + [production] password: (secret ORDERS_PROD_PW)",
    ]
    markdown = cli(astro, shared, "plan", "--format", "markdown")
    assert "+ [production] password: (secret ORDERS_PROD_PW)" in markdown.out
    assert '+ host: "orders-dev.db.internal"' in markdown.out
    change = next(c for c in plan_json(astro, shared)["changes"] if c["key"] == "orders_db")  # type: ignore[attr-defined]
    fields = {(f.get("deployment"), f["path"]): f for f in change["fields"]}
    assert fields[(None, "host")] == {
        "path": "host",
        "before": None,
        "after": "orders-dev.db.internal",
        "reach": "reaches: development; production overrides it",
    }
    assert fields[("production", "password")]["after"] == "<secret:ORDERS_PROD_PW>"
    assert all(f["before"] is None for f in change["fields"])
    for out in (text.out, markdown.out, json.dumps(change)):
        assert not any(value in out for value in SECRETS.values())


def test_a_delete_names_the_deployments_that_lose_the_object(astro: FakeAstro, shared: Path) -> None:
    edit_file(
        shared, "environments/objects.yaml", "  slack_alerts: {type: http, host: hooks.slack.com, links: all}\n", ""
    )
    commit_files(shared, {}, "drop slack_alerts")
    text = cli(astro, shared, "plan")
    assert "  - connection slack_alerts  (removed from: development, production)\n" in text.out
    markdown = cli(astro, shared, "plan", "--format", "markdown")
    assert "- connection slack_alerts  (removed from: development, production)" in markdown.out
    change = plan_json(astro, shared)["changes"][0]  # type: ignore[index]
    assert change["action"] == "delete" and change["note"] == "removed from: development, production"


def test_a_link_change_and_a_shared_field_name_who_sees_them(astro: FakeAstro, shared: Path) -> None:
    production = (shared / "environments/deployments/production.yaml").read_text()
    production += "overrides:\n  connections:\n    snowflake_default: {host: prod.snowflakecomputing.com}\n"
    edit_file(
        shared, "environments/objects.yaml", "host: acct.snowflakecomputing.com", "host: acct2.snowflakecomputing.com"
    )
    edit_file(shared, "environments/objects.yaml", "slack_alerts: {type: http, host: hooks.slack.com, links: all}",
              "slack_alerts: {type: http, host: hooks.slack.com, links: [production]}")  # fmt: skip
    commit_files(shared, {"environments/deployments/production.yaml": production})
    text = cli(astro, shared, "plan").out
    assert (
        '      ~ host: "acct.snowflakecomputing.com" -> "acct2.snowflakecomputing.com"'
        "  (reaches: development; production overrides it)\n"
    ) in text
    assert '      ~ links: "all" -> "listed"\n' in text
    assert "      ~ [development] linked: true -> false  (development loses the connection)\n" in text
    assert "[production] linked" not in text
    fields = [f for c in plan_json(astro, shared)["changes"] for f in c["fields"]]  # type: ignore[attr-defined]
    assert {"path": "linked", "before": True, "after": False, "deployment": "development",
            "reach": "development loses the connection"} in fields  # fmt: skip
    assert any(f.get("reach") == "reaches: development; production overrides it" for f in fields)
    markdown = cli(astro, shared, "plan", "--format", "markdown").out
    assert (
        "(development loses the connection)" in markdown
        and "(reaches: development; production overrides it)" in markdown
    )


def test_a_dev_branch_edit_of_a_shared_field_is_reported_not_no_changes(astro: FakeAstro, shared: Path) -> None:
    git(shared, "checkout", "-q", "-b", "dev")
    edit_file(shared, "environments/objects.yaml", "role: TRANSFORMER_DEV,", "role: TRANSFORMER_DEV2,")
    commit_files(shared, {}, "role")
    text = cli(astro, shared, "plan", "--exit-code")
    assert text.code == 0, text.err  # nothing this scope applies: --exit-code does not count it
    assert "No changes. Live Astro matches" not in text.out
    assert "No changes for this scope to apply" in text.out
    assert "Not applied by this scope (not counted in the summary or by --exit-code):" in text.out
    assert "    ~ connection snowflake_default  (applied by branch main, not by this scope)\n" in text.out
    assert (
        '      ~ extra.role: "TRANSFORMER_DEV" -> "TRANSFORMER_DEV2"  (reaches: development, production)\n' in text.out
    )
    assert "warning[applied-by-sync-branch]" in text.err and "'main'" in text.err
    assert "environments/objects.yaml:2:3: warning[applied-by-sync-branch]" in text.err
    data = plan_json(astro, shared)
    assert data["summary"] == {"create": 0, "update": 0, "replace": 0, "delete": 0}
    assert data["deferred"][0]["note"] == "applied by branch main, not by this scope"  # type: ignore[index]
    markdown = cli(astro, shared, "plan", "--format", "markdown").out
    assert "Live Astro matches" not in markdown and "extra.role" in markdown
    # A removal from git on the dev branch: the Deployments that lose it, and who deletes it.
    edit_file(
        shared, "environments/objects.yaml", "  slack_alerts: {type: http, host: hooks.slack.com, links: all}\n", ""
    )
    commit_files(shared, {}, "drop")
    text = cli(astro, shared, "plan")
    assert (
        "    - connection slack_alerts  (removed from: development, production; applied by branch main, not by this scope)"
        in text.out
    )


@pytest.mark.parametrize("branch", ["dev", "feature/x"])
@pytest.mark.parametrize("how", ["reference", "value", "literal"])
def test_a_branch_change_of_a_shared_secret_is_reported_not_no_changes(
    astro: FakeAstro, shared: Path, branch: str, how: str
) -> None:
    """A workspace object's own secret field changed on a Deployment's or a preview's branch:
    the sync branch's apply sends it, so the plan says so (SPEC 7.5), by name only."""
    git(shared, "checkout", "-q", "-b", branch)
    env: dict[str, str] = {}
    if how == "reference":  # another secret, with another value
        edit_file(shared, "environments/objects.yaml", "password: {secret: SF_PW}", "password: {secret: SF_PW_NEW}")
        env = {"SF_PW_NEW": "sf-pw-new-Q9x"}
    elif how == "literal":  # a literal where the API masks the field: changed too
        edit_file(
            shared,
            "environments/objects.yaml",
            "host: hooks.slack.com,",
            "host: hooks.slack.com, password: lit-Q9x, allow_plaintext: true,",
        )
    else:  # the same reference, its value changed where the secrets come from
        env = {"SF_PW": "sf-pw-rotated-Q9x"}
    commit_files(shared, {}, "secret")
    server_env = astro.env(**{**SECRETS, **env}, ASTRO_GITOPS_FINGERPRINT_KEY=KEY)
    text = run_cli("plan", "--exit-code", cwd=shared, env=server_env)
    assert text.code in (0, 3), text.err
    assert "No changes. Live Astro matches" not in text.out
    deferred = text.out.split("Not applied by this scope")[1]
    key = "slack_alerts" if how == "literal" else "snowflake_default"
    assert f"    ~ connection {key}  (applied by branch main, not by this scope)\n" in deferred
    assert "      ~ password: (secret changed)" in deferred, deferred
    for value in (*SECRETS.values(), *env.values(), "lit-Q9x"):
        assert value not in text.out + text.err
    data = json.loads(run_cli("plan", "--format", "json", cwd=shared, env=server_env).out)
    fields = [f for c in data["deferred"] for f in c["fields"] if f["path"] == "password"]
    assert fields and all(f.get("note") == "secret changed" for f in fields), fields


def test_a_dev_branch_edit_of_another_deployment_is_reported(astro: FakeAstro, shared: Path) -> None:
    git(shared, "checkout", "-q", "-b", "dev")
    quiet = cli(astro, shared, "plan")
    assert "  No changes. Live Astro matches the repository for this scope.\n" in quiet.out, quiet.out
    assert "Not applied by this scope" not in quiet.out and "applied-by-sync-branch" not in quiet.err
    production = (shared / "environments/deployments/production.yaml").read_text()
    production = production.replace("max_worker_count: 2", "max_worker_count: 4")
    production += "overrides:\n  variables:\n    data_bucket: {value: s3://acme-data-prod}\n"
    commit_files(shared, {"environments/deployments/production.yaml": production})
    text = cli(astro, shared, "plan", "--exit-code")
    assert text.code == 0 and "No changes for this scope to apply" in text.out, text.out
    deferred = text.out.split("Not applied by this scope")[1]
    assert "    ~ variable data_bucket  (applied by branch main, not by this scope)\n" in deferred
    assert '      + [production] value: "s3://acme-data-prod"\n' in deferred
    assert "    ~ deployment production  (applied by branch main, not by this scope)\n" in deferred
    assert "max" in deferred.split("~ deployment production")[1]
    data = plan_json(astro, shared)
    assert [c["kind"] for c in data["deferred"]] == ["variable", "deployment"]  # type: ignore[attr-defined]


def test_airflow_needs_deployment(astro: FakeAstro, shared: Path) -> None:
    for command in (["plan"], ["apply", "--auto-approve"]):
        result = cli(astro, shared, *command, "--airflow", "http://127.0.0.1:9")
        assert result.code == 2, result.err
        assert "--airflow needs --deployment" in result.err and "Traceback" not in result.err


def test_explain_names_a_branch_or_a_preview(astro: FakeAstro, shared: Path) -> None:
    git(shared, "checkout", "-q", "-b", "feature/new-model")
    by_branch = run_cli("explain", "--branch", "feature/new-model", "snowflake_default", cwd=shared)
    assert by_branch.code == 0, by_branch.err
    assert "dev-feature-new-model" in by_branch.out and "TRANSFORMER_DEV" in by_branch.out
    which = run_cli("which", cwd=shared).out.split()[0]
    by_name = run_cli("explain", which, "snowflake_default", cwd=shared)
    assert by_name.code == 0, by_name.err
    assert by_name.out == by_branch.out
    unknown = run_cli("explain", "dev-feature-other", "snowflake_default", cwd=shared)
    assert unknown.code == 1 and "explain --branch B KEY" in unknown.err
