"""Attacks on ownership in an Airflow (SPEC 7.3, sync/ledger.py) through the installed command
against a real Airflow 3: a marker or a ledger moved from one Deployment's Airflow to another's."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from conftest import git, run_cli, write_files
from support.realairflow import AirflowServer

OWNER = "data-platform"
KEY = "attack-fingerprint-key-0123456789"
WORKSPACE_YAML = f"""\
version: 1
workspace: Local
branches:
  - branch: main
    deployment: development
  - branch: release
    deployment: staging
sync:
  owner: {OWNER}
"""
DEVELOPMENT = "name: development\nastro:\n  executor: KUBERNETES\nvariables:\n  only_in_development:\n    value: dev\n"
STAGING = "name: staging\nastro:\n  executor: KUBERNETES\nvariables:\n  shared:\n    value: s\n"


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    write_files(
        root,
        {
            "environments/workspace.yaml": WORKSPACE_YAML,
            "environments/deployments/development.yaml": DEVELOPMENT,
            "environments/deployments/staging.yaml": STAGING,
        },
    )
    return root


def cli(repo: Path, airflow: AirflowServer, deployment: str, *more: str) -> Any:
    env = {**airflow.credentials, "ASTRO_GITOPS_FINGERPRINT_KEY": KEY}
    return run_cli(*more[:1], "--deployment", deployment, "--airflow", airflow.url, *more[1:], cwd=repo, env=env)


def variable(airflow: AirflowServer, key: str) -> dict[str, Any]:
    return next(v for v in airflow.list("variables") if v["key"] == key)


@pytest.mark.airflow3_only
def test_a_marker_copied_from_another_deployments_airflow_never_makes_an_object_ours(
    airflow: AirflowServer, repo: Path
) -> None:
    # development's Airflow: the apply creates and signs only_in_development.
    assert cli(repo, airflow, "development", "apply", "--auto-approve").code == 0
    copied = variable(airflow, "only_in_development")["description"]
    assert "sig=" in copied
    # staging's Airflow (the same server, emptied): a team's own variable under that key, its
    # description pasted from development's Airflow.
    airflow.reset()
    body = {"key": "only_in_development", "value": "the team's", "description": copied}
    airflow.request("POST", f"{airflow.api}/variables", body)
    plan = cli(repo, airflow, "staging", "plan")
    assert plan.code == 0, plan.out + plan.err
    assert "- variable only_in_development" not in plan.out  # staging's repository never made it
    assert cli(repo, airflow, "staging", "apply", "--auto-approve").code == 0
    assert variable(airflow, "only_in_development")["value"] == "the team's"


@pytest.mark.airflow3_only
def test_a_ledger_copied_from_another_deployments_airflow_claims_nothing(airflow: AirflowServer, repo: Path) -> None:
    assert cli(repo, airflow, "development", "apply", "--auto-approve").code == 0
    ledger = variable(airflow, f"astro_gitops_ledger_{OWNER}")
    airflow.reset()
    for body in (
        {"key": ledger["key"], "value": ledger["value"], "description": ledger["description"]},
        {"key": "only_in_development", "value": "the team's"},  # no marker: never ours
    ):
        airflow.request("POST", f"{airflow.api}/variables", body)
    plan = cli(repo, airflow, "staging", "plan")
    assert "- variable only_in_development" not in plan.out, plan.out + plan.err
    cli(repo, airflow, "staging", "apply", "--auto-approve")
    assert variable(airflow, "only_in_development")["value"] == "the team's"


@pytest.mark.airflow3_only
def test_a_hand_made_variable_under_the_ledgers_key_is_not_overwritten_without_adopt(
    airflow: AirflowServer, repo: Path
) -> None:
    key = f"astro_gitops_ledger_{OWNER}"
    body = {"key": key, "value": "the team's notes", "description": f"notes [astro-gitops owner={OWNER}]"}
    airflow.request("POST", f"{airflow.api}/variables", body)
    applied = cli(repo, airflow, "development", "apply", "--auto-approve")
    assert variable(airflow, key)["value"] == "the team's notes", applied.out + applied.err
    assert applied.code == 1 and "unmanaged-object" in applied.err
