"""Pools on Astro (SPEC 7.7): `apply` sets each Deployment's pools through its Airflow REST API.

The local Astro API server's production Deployment reports a `webServerAirflowApiUrl` that
points at the real Airflow 3 API server, and the Astro token is a token that Airflow accepts
(as on Astro, where the Astro API token is a bearer token of the Deployment's Airflow).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import edit_file, run_cli
from support.astro_fake import DEPLOYMENTS, FakeAstro
from support.realairflow import RESULT_MARKER, AirflowServer
from support.signed_markers import SEED_KEY

# The Astro token reaches a Deployment's Airflow as a bearer token: a local Airflow 3 takes its
# own JWT as one; a local Airflow 2 here takes basic auth only.
pytestmark = pytest.mark.airflow3_only

OWNER = "data-platform"
POOLS = (
    """
import json
from airflow.models.pool import Pool
from airflow.utils.session import create_session
with create_session() as session:
    pools = {p.pool: {"slots": p.slots, "description": p.description, "include_deferred": p.include_deferred}
             for p in session.query(Pool)}
print("""
    + repr(RESULT_MARKER)
    + """ + json.dumps(pools))
"""
)


@pytest.fixture
def astro(airflow: AirflowServer) -> Iterator[FakeAstro]:
    with FakeAstro(token=airflow.token()) as server:
        server.seed("Data Platform", DEPLOYMENTS, airflow_urls={"production": f"{airflow.url}/api/v2"})
        yield server


def apply_all(repo: Path, astro: FakeAstro, secrets: dict[str, str]) -> Any:
    env = astro.env(ASTRO_GITOPS_FINGERPRINT_KEY=SEED_KEY, **secrets)
    return run_cli("apply", "--all", "--auto-approve", cwd=repo, env=env)


def test_apply_sets_the_pools_of_each_deployment_through_its_airflow(
    repo: Path, astro: FakeAstro, airflow: AirflowServer, example_secrets: dict[str, str]
) -> None:
    airflow.request("POST", f"{airflow.api}/pools", {"name": "by_hand", "slots": 3, "description": "mine"})
    applied = apply_all(repo, astro, example_secrets)
    assert applied.code == 0, applied.out + applied.err
    assert "done: + pool backfill_pool (deployment production)" in applied.out
    # development and sandbox report no Airflow URL here: said, not silently skipped.
    assert "warning[pools-not-applied]" in applied.err and "'sandbox'" in applied.err

    pools = airflow.run_python(POOLS)
    assert {name: p["slots"] for name, p in pools.items()} == {
        "default_pool": 128,
        "by_hand": 3,
        "backfill_pool": 2,
        "partner_api_pool": 4,  # production's override of the linked pool
        "snowflake_pool": 8,
    }
    assert pools["partner_api_pool"]["include_deferred"] is True
    for name in ("backfill_pool", "partner_api_pool", "snowflake_pool"):
        assert f"[astro-gitops owner={OWNER} " in pools[name]["description"]  # signed: " sig=..." follows
    assert pools["by_hand"]["description"] == "mine"

    astro.admin("clear-log")
    again = apply_all(repo, astro, example_secrets)
    assert again.code == 0, again.err
    assert "No changes" in again.out and astro.writes() == []
    assert airflow.run_python(POOLS) == pools


def test_a_pool_that_left_git_is_deleted_and_a_changed_one_updated(
    repo: Path, astro: FakeAstro, airflow: AirflowServer, example_secrets: dict[str, str]
) -> None:
    assert apply_all(repo, astro, example_secrets).code == 0
    edit_file(repo, "environments/deployments/production.yaml", "      slots: 4 ", "      slots: 6 ")
    edit_file(repo, "environments/pools.yaml", "  snowflake_pool:\n    slots: 8", "  snowflake_pool_v2:\n    slots: 8")
    env = astro.env(ASTRO_GITOPS_FINGERPRINT_KEY=SEED_KEY, **example_secrets)
    planned = run_cli("plan", "--all", "--exit-code", cwd=repo, env=env)
    assert planned.code == 3, planned.out + planned.err
    assert "- pool snowflake_pool  (deployment production)" in planned.out
    assert "~ slots: 4 -> 6" in planned.out
    assert apply_all(repo, astro, example_secrets).code == 0
    slots = {p["name"]: p["slots"] for p in airflow.list("pools")}
    assert "snowflake_pool" not in slots and slots["snowflake_pool_v2"] == 8 and slots["partner_api_pool"] == 6


def test_an_unmarked_pool_with_a_clashing_name_is_refused(
    repo: Path, astro: FakeAstro, airflow: AirflowServer, example_secrets: dict[str, str]
) -> None:
    airflow.request("POST", f"{airflow.api}/pools", {"name": "backfill_pool", "slots": 1, "description": "theirs"})
    refused = apply_all(repo, astro, example_secrets)
    assert refused.code == 1
    assert "error[unmanaged-object]" in refused.err and "backfill_pool" in refused.err
    assert airflow.request("GET", f"{airflow.api}/pools/backfill_pool")["slots"] == 1
