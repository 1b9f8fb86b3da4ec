"""`import --from-astro` (SPEC 4) against the local Astro API server seeded as a team's hand-made
organization (support/handmade.py), through the installed command: the files it writes, and the
round trip — right after the import `plan --adopt` changes no field, only adopts; after
`apply --adopt`, `plan --exit-code` exits 0."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from conftest import git, run_cli
from ruamel.yaml import YAML
from support.astro_fake import FakeAstro
from support.handmade import SECRET_VALUES, WORKSPACE, seed_handmade

# The values the team typed, under the names the import gives them.
VALUES = {
    "SNOWFLAKE_DEFAULT_PASSWORD": "dev-Pa55word!",
    "SNOWFLAKE_DEFAULT_EXTRA_PRIVATE_KEY": "PRIVATEKEY-dev",
    "SNOWFLAKE_DEFAULT__PRODUCTION_PASSWORD": "prod-Pa55word!",
    "SNOWFLAKE_DEFAULT__PRODUCTION_EXTRA_PRIVATE_KEY": "PRIVATEKEY-prod",
    "PARTNER_TOKEN": "api-T0ken-xyz",
    "ORDERS_DB__PRODUCTION_PASSWORD": "db-Pa55!",
    "PARTNER_API_TOKEN__PRODUCTION": "env-S3cret",
}


@pytest.fixture
def handmade(astro_server: FakeAstro) -> FakeAstro:
    astro_server.reset()
    seed_handmade(astro_server)
    return astro_server


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "data-platform"
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    return root


def load(root: Path, relative: str) -> Any:
    return YAML(typ="safe", pure=True).load((root / "environments" / relative).read_text())


def imported(repo: Path, astro: FakeAstro, *more: str) -> Any:
    done = run_cli("import", "--from-astro", "--workspace", WORKSPACE, *more, cwd=repo, env=astro.env())
    assert done.code == 0, done.err
    return done


def test_import_writes_the_workspace_as_the_team_built_it(handmade: FakeAstro, repo: Path) -> None:
    done = imported(repo, handmade)
    connections = load(repo, "objects/connections.yaml")["connections"]
    snowflake = connections["snowflake_default"]
    assert snowflake["links"] == "all" and snowflake["exclude"] == ["sandbox"]
    assert snowflake["password"] == {"secret": "SNOWFLAKE_DEFAULT_PASSWORD"}
    assert snowflake["extra"] == {
        "account": "ab12345",
        "database": "DEV",
        "private_key": {"secret": "SNOWFLAKE_DEFAULT_EXTRA_PRIVATE_KEY"},
    }
    assert connections["partner_api"]["links"] == ["development", "production"]
    variables = load(repo, "objects/variables.yaml")["variables"]
    assert variables["partner_token"] == {"value": {"secret": "PARTNER_TOKEN"}, "links": ["production"]}
    assert variables["report_sql"]["value"].startswith("{% raw %}")  # Airflow's own Jinja survives rendering
    production = load(repo, "deployments/production.yaml")
    assert production["overrides"]["connections"]["snowflake_default"] == {
        "login": "svc_prod",
        "password": {"secret": "SNOWFLAKE_DEFAULT__PRODUCTION_PASSWORD"},
        "extra": {"database": "PROD", "private_key": {"secret": "SNOWFLAKE_DEFAULT__PRODUCTION_EXTRA_PRIVATE_KEY"}},
    }
    assert production["overrides"]["variables"] == {"data_bucket": {"value": "s3://prod-bucket"}}
    assert production["connections"]["orders_db"]["password"] == {"secret": "ORDERS_DB__PRODUCTION_PASSWORD"}
    assert production["astro"]["scheduler_size"] == "MEDIUM" and production["astro"]["is_high_availability"] is True
    assert [q["name"] for q in production["worker_queues"]] == ["default", "heavy"]
    assert production["environment_variables"] == {
        "LOG_LEVEL": "INFO",
        "PARTNER_API_TOKEN": {"secret": "PARTNER_API_TOKEN__PRODUCTION"},
    }
    assert production["alert_emails"] == ["data-oncall@example.com"]
    development = load(repo, "deployments/development.yaml")
    assert development["variables"] == {"dev_flag": {"value": "on"}}
    assert development["hibernation_schedules"][0]["hibernate_at"] == "0 20 * * 1-5"
    # The preview (its marker names a branch) belongs to its branch: left out.
    assert not (repo / "environments/deployments/dev-feature-x.yaml").exists()
    # Every secret name a user must provide, with where it is set live; never a value.
    for name in VALUES:
        assert name in done.out
    assert "(Deployment production, link override)" in done.out
    written = "".join(p.read_text() for p in (repo / "environments").rglob("*.yaml")) + done.out + done.err
    assert not [v for v in SECRET_VALUES if v in written]
    assert run_cli("validate", cwd=repo).code == 0


def test_right_after_the_import_plan_adopt_changes_no_field(handmade: FakeAstro, repo: Path) -> None:
    imported(repo, handmade)
    redacted = run_cli(
        "plan", "--all", "--adopt", "--secrets", "redact", "--format", "json", cwd=repo, env=handmade.env()
    )
    assert redacted.code == 0, redacted.err
    changes = json.loads(redacted.out)["changes"]
    assert {(c["kind"], c["key"]) for c in changes} >= {("deployment", "production"), ("connection", "orders_db")}
    assert {c["action"] for c in changes} == {"update"}
    assert {f["path"] for c in changes for f in c["fields"]} == {"marker"}  # adoptions only
    # With the values, with or without the fingerprint key: the secrets it cannot compare, said as
    # such (nothing adopted has a fingerprint yet), never "(secret changed)".
    for key in ({}, {"ASTRO_GITOPS_FINGERPRINT_KEY": "k3y-for-the-round-trip"}):
        blind = run_cli("plan", "--all", "--adopt", cwd=repo, env=handmade.env(**VALUES, **key))
        assert blind.code == 0, blind.err
        lines = [line.strip() for line in blind.out.splitlines() if line.startswith("      ")]
        assert lines and all(line == "~ marker: (adopt)" or "(secret: cannot compare" in line for line in lines)
        assert "environment_variables.PARTNER_API_TOKEN: (secret: cannot compare, will be sent)" in blind.out


def test_after_apply_adopt_plan_exit_code_is_0(handmade: FakeAstro, repo: Path) -> None:
    imported(repo, handmade)
    env = handmade.env(**VALUES, ASTRO_GITOPS_FINGERPRINT_KEY="k3y-for-tests-of-import")
    done = run_cli("apply", "--all", "--adopt", "--auto-approve", cwd=repo, env=env)
    assert done.code == 0, done.err
    after = run_cli("plan", "--all", "--exit-code", cwd=repo, env=env)
    assert after.code == 0, after.out + after.err
    state = handmade.state()
    production = next(d for d in state["deployments"] if d["name"] == "production")
    assert [q["maxWorkerCount"] for q in production["workerQueues"]] == [10, 4]  # the tuned values stayed
    assert {v["key"]: v["value"] for v in production["environmentVariables"]}["PARTNER_API_TOKEN"] == "env-S3cret"


def test_refuses_to_overwrite_without_force(handmade: FakeAstro, repo: Path) -> None:
    imported(repo, handmade)
    before = (repo / "environments/deployments/production.yaml").read_text()
    again = run_cli("import", "--from-astro", cwd=repo, env=handmade.env())
    assert again.code == 1 and "refusing to overwrite" in again.err and "--force" in again.err
    assert (repo / "environments/deployments/production.yaml").read_text() == before
    forced = run_cli("import", "--from-astro", "--force", cwd=repo, env=handmade.env())  # workspace.yaml names it
    assert forced.code == 0, forced.err
    assert (repo / "environments/deployments/production.yaml").read_text() == before  # stable names, same text


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (("--from-astro", "--deployment", "production"), "--deployment"),
        (("--from-airflow", "http://127.0.0.1:9"), "--from-airflow needs --deployment"),
        (("settings.yaml", "--from-astro"), "one of them"),
        ((), "import needs FILE"),
        (("--from-astro", "--dotenv", ".env"), "never returns a secret value"),
    ],
)
def test_options_that_do_not_go_together_are_usage_errors(repo: Path, args: tuple[str, ...], says: str) -> None:
    done = run_cli("import", *args, cwd=repo)
    assert done.code == 2 and says in done.err


def test_without_a_workspace_name_it_says_how_to_give_one(handmade: FakeAstro, repo: Path) -> None:
    done = run_cli("import", "--from-astro", cwd=repo, env=handmade.env())
    assert done.code == 1 and "--workspace NAME" in done.err and "Traceback" not in done.err


def test_a_workspace_other_than_workspace_yaml_names_is_refused(handmade: FakeAstro, repo: Path) -> None:
    imported(repo, handmade)
    done = run_cli("import", "--from-astro", "--workspace", "Other", "--force", cwd=repo, env=handmade.env())
    assert done.code == 1 and "names the workspace 'Data Platform', not 'Other'" in done.err


def test_every_deployment_type_round_trips(astro_server: FakeAstro, repo: Path) -> None:
    """STANDARD, DEDICATED and HYBRID (placed by cluster, a node-pool queue): the settings each
    type's request takes, nothing another type's; plan --adopt only adopts; then no change."""
    deployments = [
        {"name": "shared", "workspace": "W", "schedulerSize": "LARGE"},
        {"name": "dedicated", "workspace": "W", "type": "DEDICATED", "clusterId": "clu-1",
         "workloadIdentity": "arn:aws:iam::1:role/x"},
        {"name": "hq", "workspace": "W", "type": "HYBRID", "clusterId": "clu-h", "executor": "CELERY",
         "scheduler": {"au": 5, "replicas": 1},
         "workerQueues": [{"name": "default", "isDefault": True, "nodePoolId": "np-2", "minWorkerCount": 1,
                           "maxWorkerCount": 3, "workerConcurrency": 4}]},
    ]  # fmt: skip
    astro_server.reset().admin("seed", {"workspaces": [{"name": "W"}], "deployments": deployments})
    assert run_cli("import", "--from-astro", "--workspace", "W", cwd=repo, env=astro_server.env()).code == 0
    hq = load(repo, "deployments/hq.yaml")
    assert hq["astro"]["cluster_id"] == "clu-h" and "scheduler_size" not in hq["astro"]
    assert hq["worker_queues"][0]["node_pool_id"] == "np-2" and "worker_type" not in hq["worker_queues"][0]
    assert load(repo, "deployments/dedicated.yaml")["astro"]["workload_identity"] == "arn:aws:iam::1:role/x"
    plan = run_cli(
        "plan", "--all", "--adopt", "--secrets", "redact", "--format", "json", cwd=repo, env=astro_server.env()
    )
    assert plan.code == 0, plan.err
    assert {f["path"] for c in json.loads(plan.out)["changes"] for f in c["fields"]} == {"marker"}
    env = astro_server.env(ASTRO_GITOPS_FINGERPRINT_KEY="key-of-the-adoption")
    assert run_cli("apply", "--all", "--adopt", "--auto-approve", cwd=repo, env=env).code == 0
    assert run_cli("plan", "--all", "--exit-code", cwd=repo, env=env).code == 0


def test_a_deployment_file_the_workspace_lacks_is_named(handmade: FakeAstro, repo: Path) -> None:
    placeholder = repo / "environments/deployments/staging.yaml"
    placeholder.parent.mkdir(parents=True)
    placeholder.write_text("name: staging\nastro:\n  executor: CELERY\n")
    done = imported(repo, handmade)
    assert "environments/deployments/staging.yaml names Deployment 'staging'" in done.err
    assert placeholder.read_text().startswith("name: staging")  # never deleted
