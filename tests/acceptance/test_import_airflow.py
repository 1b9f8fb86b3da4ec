"""`import --from-airflow URL --deployment D` (SPEC 4) against a real Airflow 3 and 2, through the
installed command: a hand-made Airflow's connections, variables and pools become D's objects;
right after, `plan --airflow --adopt` changes no field; secret values reach only the dotenv
file the user asked for (git-ignored, mode 0600), never environments/."""

from __future__ import annotations

import stat
from pathlib import Path
from typing import Any

import pytest
from conftest import git, run_cli, write_files
from ruamel.yaml import YAML
from support.realairflow import AirflowServer

WORKSPACE_YAML = """\
version: 1
workspace: Local
branches:
  - branch: main
    deployment: development
sync:
  owner: data-platform
"""
DEPLOYMENT_YAML = """\
name: development
description: Laptop Airflow
astro:
  executor: KUBERNETES
"""
PASSWORD = "Pg-Pa55word!"
TOKEN = "tok-Secr3t-value"
CREDENTIALS = "etl:Cr3ds-value"  # under a name Airflow does not mask, ours does
CONFIG = '{"user": "etl", "password": "N3sted-value"}'  # Airflow 3 masks the password inside the JSON


def handmade(airflow: AirflowServer) -> None:
    """What a team made by hand in its Airflow (the UI, `airflow connections add`)."""
    airflow.request(
        "POST",
        f"{airflow.api}/connections",
        {"connection_id": "warehouse", "conn_type": "postgres", "host": "db.internal", "port": 5432,
         "login": "etl", "password": PASSWORD, "schema": "analytics", "description": "Team warehouse",
         "extra": '{"sslmode": "require"}'},
    )  # fmt: skip
    airflow.request("POST", f"{airflow.api}/variables", {"key": "data_bucket", "value": "s3://bucket"})
    airflow.request("POST", f"{airflow.api}/variables", {"key": "partner_api_token", "value": TOKEN})
    airflow.request("POST", f"{airflow.api}/variables", {"key": "gcp_credentials", "value": CREDENTIALS})
    airflow.request("POST", f"{airflow.api}/variables", {"key": "app_config", "value": CONFIG})
    pool: dict[str, Any] = {"name": "warehouse_pool", "slots": 4, "description": "Limit the warehouse"}
    airflow.request("POST", f"{airflow.api}/pools", pool)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    write_files(
        root,
        {
            ".gitignore": ".env\n",
            "environments/workspace.yaml": WORKSPACE_YAML,
            "environments/deployments/development.yaml": DEPLOYMENT_YAML,
        },
    )
    return root


def test_an_airflow_becomes_the_deployments_objects(airflow: AirflowServer, repo: Path) -> None:
    handmade(airflow)
    env = airflow.credentials
    done = run_cli("import", "--from-airflow", airflow.url, "--deployment", "development", "--force", cwd=repo, env=env)
    assert done.code == 0, done.err
    data = YAML(typ="safe", pure=True).load((repo / "environments/deployments/development.yaml").read_text())
    assert data["astro"] == {"executor": "KUBERNETES"} and data["description"] == "Laptop Airflow"  # kept
    warehouse = data["connections"]["warehouse"]
    assert warehouse["type"] == "postgres" and warehouse["host"] == "db.internal" and warehouse["port"] == 5432
    assert warehouse["extra"] == {"sslmode": "require"} and warehouse["description"] == "Team warehouse"
    assert data["variables"]["data_bucket"] == {"value": "s3://bucket"}
    assert data["variables"]["partner_api_token"] == {"value": {"secret": "PARTNER_API_TOKEN__DEVELOPMENT"}}
    assert data["variables"]["gcp_credentials"] == {"value": {"secret": "GCP_CREDENTIALS__DEVELOPMENT"}}
    # Read back partly masked: not its value, so a reference (never "***" written back).
    assert data["variables"]["app_config"] == {"value": {"secret": "APP_CONFIG__DEVELOPMENT"}}
    clear = 1 if airflow.major >= 3 else 3  # Airflow 2's REST API returns variable values unmasked
    assert f"returned {clear} secret value(s) in clear: they were not written anywhere" in done.err
    assert data["pools"]["warehouse_pool"] == {"slots": 4, "description": "Limit the warehouse"} | (
        {"include_deferred": False} if "include_deferred" in data["pools"]["warehouse_pool"] else {}
    )
    if airflow.major >= 3:
        assert warehouse["password"] == {"secret": "WAREHOUSE__DEVELOPMENT_PASSWORD"}
    else:
        assert "never returns a connection's password" in done.err
    text = (repo / "environments/deployments/development.yaml").read_text() + done.out + done.err
    assert PASSWORD not in text and TOKEN not in text and "Cr3ds-value" not in text and "N3sted-value" not in text
    plan = run_cli(
        "plan", "--deployment", "development", "--airflow", airflow.url, "--adopt", "--secrets", "redact",
        cwd=repo, env=env,
    )  # fmt: skip
    assert plan.code == 0, plan.err
    fields = [line.strip() for line in plan.out.splitlines() if line.startswith("      ")]
    # Only adoptions, and the ownership ledger's first write (plan --airflow shows it as a change).
    assert fields and set(fields) == {"~ marker: (adopt)", '+ value: "(ownership ledger: 6 managed objects)"'}, plan.out


def test_secret_values_go_only_to_the_dotenv_file_asked_for(airflow: AirflowServer, repo: Path) -> None:
    handmade(airflow)
    env = airflow.credentials
    args = ("import", "--from-airflow", airflow.url, "--deployment", "development", "--force")
    tracked = run_cli(*args, "--dotenv", "secrets.env", cwd=repo, env=env)
    assert tracked.code == 1 and "git does not ignore it" in tracked.err and not (repo / "secrets.env").exists()
    done = run_cli(*args, "--dotenv", ".env", cwd=repo, env=env)
    assert done.code == 0, done.err
    dotenv = repo / ".env"
    assert stat.S_IMODE(dotenv.stat().st_mode) == 0o600
    # Airflow masks what its secrets masker names; what it returned in clear is here, nowhere else.
    from compiler.model.secrets import read_dotenv

    in_clear = {"GCP_CREDENTIALS__DEVELOPMENT": CREDENTIALS}
    if airflow.major < 3:  # Airflow 2's REST API returns variable values unmasked
        in_clear |= {"APP_CONFIG__DEVELOPMENT": CONFIG, "PARTNER_API_TOKEN__DEVELOPMENT": TOKEN}
    assert read_dotenv(dotenv) == in_clear
    for path in (repo / "environments").rglob("*.yaml"):
        assert not [v for v in ("Cr3ds-value", "N3sted-value", TOKEN) if v in path.read_text()]
    assert "Cr3ds-value" not in done.out + done.err and "N3sted-value" not in done.out + done.err
    assert f"wrote {len(in_clear)} secret value(s) to .env (mode 0600)" in done.err
