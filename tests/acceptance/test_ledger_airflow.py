"""Ownership that survives a hand edit (sync/ledger.py), against a real Airflow 3 and 2.

`airflow variables set` (Variable.set) rewrites a variable's description, so a managed variable
edited by hand loses its marker. The ledger the apply keeps in the Airflow still knows it as
managed: the next plan shows the edit as a change (and the marker restored), not as
`unmanaged-object`; an object never managed stays untouchable without --adopt.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from conftest import git, run_cli, write_files
from support.realairflow import RESULT_MARKER, AirflowServer

OWNER = "data-platform"
WORKSPACE_YAML = f"""\
version: 1
workspace: Local
branches:
  - branch: main
    deployment: development
sync:
  owner: {OWNER}
"""
DEPLOYMENT_YAML = """\
name: development
astro:
  executor: KUBERNETES
variables:
  data_bucket:
    value: s3://bucket
    description: Landing bucket
  report_day:
    value: monday
"""
SET_BY_HAND = f"""
import json, sys
from airflow.models.variable import Variable
for key, value in json.load(sys.stdin).items():
    Variable.set(key, value)  # what `airflow variables set KEY VALUE` does: the description is rewritten
print({RESULT_MARKER!r} + "null")
"""


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    write_files(
        root, {"environments/workspace.yaml": WORKSPACE_YAML, "environments/deployments/d.yaml": DEPLOYMENT_YAML}
    )
    return root


def cli(repo: Path, airflow: AirflowServer, command: str, *more: str) -> Any:
    env = {**airflow.credentials, "ASTRO_GITOPS_FINGERPRINT_KEY": "ledger-fingerprint-key"}
    return run_cli(command, "--deployment", "development", "--airflow", airflow.url, *more, cwd=repo, env=env)


def test_a_managed_variable_edited_by_hand_is_still_managed(airflow: AirflowServer, repo: Path) -> None:
    applied = cli(repo, airflow, "apply", "--auto-approve")
    assert applied.code == 0, applied.err
    # The plan shows the ledger's write too (every write a merge makes), never its JSON.
    assert f"+ variable astro_gitops_ledger_{OWNER}" in applied.out
    assert "(ownership ledger: " in applied.out and '"fp"' not in applied.out
    ledger = next(v for v in airflow.list("variables") if v["key"] == f"astro_gitops_ledger_{OWNER}")
    assert f"owner={OWNER}" in ledger["description"]
    airflow.run_python(SET_BY_HAND, {"data_bucket": "s3://edited-by-hand"})
    edited = next(v for v in airflow.list("variables") if v["key"] == "data_bucket")
    assert "astro-gitops" not in (edited["description"] or "")  # the marker is gone
    plan = cli(repo, airflow, "plan", "--exit-code")
    assert plan.code == 3, plan.out + plan.err
    assert "unmanaged-object" not in plan.err
    out = plan.out
    assert "~ variable data_bucket" in out and "restored" in out
    assert '"s3://edited-by-hand" -> "s3://bucket"' in out
    assert cli(repo, airflow, "apply", "--auto-approve").code == 0
    assert cli(repo, airflow, "plan", "--exit-code").code == 0


def test_an_object_never_managed_stays_untouchable(airflow: AirflowServer, repo: Path) -> None:
    assert cli(repo, airflow, "apply", "--auto-approve").code == 0
    airflow.request("POST", f"{airflow.api}/variables", {"key": "team_flag", "value": "on"})
    more = DEPLOYMENT_YAML + "  team_flag:\n    value: off\n"
    (repo / "environments/deployments/d.yaml").write_text(more)
    plan = cli(repo, airflow, "plan")
    assert plan.code == 1 and "unmanaged-object" in plan.err and "team_flag" in plan.err
    adopted = cli(repo, airflow, "plan", "--adopt")
    assert adopted.code == 0 and "(adopt)" in adopted.out


def test_a_hand_typed_ledger_claims_nothing(airflow: AirflowServer, repo: Path) -> None:
    airflow.request("POST", f"{airflow.api}/variables", {"key": "data_bucket", "value": "theirs"})
    forged = '{"managed":{"variable/data_bucket":{}},"owner":"data-platform","version":1}'
    body = {"key": f"astro_gitops_ledger_{OWNER}", "value": forged, "description": f"[astro-gitops owner={OWNER}]"}
    airflow.request("POST", f"{airflow.api}/variables", body)
    plan = cli(repo, airflow, "plan")  # with the fingerprint key: an unsigned ledger counts for nothing
    assert plan.code == 1 and "unmanaged-object" in plan.err and "data_bucket" in plan.err
