"""`plan|apply --deployment D --airflow URL` against a real Airflow 3 API server (SPEC 7.7).

What Airflow holds is read back twice, never through our client: through its REST API (the
standard-library reader of realairflow.py) and through Airflow's own models
(`Connection.get_connection_from_secrets`, `Variable.get`, the pools table) in the Airflow
interpreter, so secrets are compared decrypted. The expectation is what `render --secrets env`
writes for the same Deployment (airflow_settings.yaml), an oracle independent of the planner.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from conftest import commit_files, edit_file, run_cli
from ruamel.yaml import YAML
from support.realairflow import RESULT_MARKER, AirflowServer

OWNER = "data-platform"
KEY = "fingerprint-key-for-tests"

READ_BACK = (
    r"""
import json, sys
from airflow.models.connection import Connection
from airflow.models.pool import Pool
from airflow.models.variable import Variable
from airflow.utils.session import create_session

wanted = json.load(sys.stdin)
out = {"connections": {}, "variables": {}, "pools": {}}
for conn_id in wanted["connections"]:
    c = Connection.get_connection_from_secrets(conn_id)
    out["connections"][conn_id] = {
        "conn_type": c.conn_type, "host": c.host, "schema": c.schema, "login": c.login,
        "password": c.password, "port": c.port, "extra": c.extra_dejson, "description": c.description,
    }
for key in wanted["variables"]:
    out["variables"][key] = Variable.get(key)
with create_session() as session:
    for p in session.query(Pool):
        out["pools"][p.pool] = {"slots": p.slots, "description": p.description, "include_deferred": p.include_deferred}
print("""
    + repr(RESULT_MARKER)
    + """ + json.dumps(out))
"""
)


def env_for(airflow: AirflowServer, secrets: dict[str, str], **extra: str) -> dict[str, str]:
    return {**secrets, **airflow.credentials, "ASTRO_GITOPS_FINGERPRINT_KEY": KEY, **extra}


def apply(repo: Path, airflow: AirflowServer, env: dict[str, str], deployment: str, *more: str) -> Any:
    return run_cli(
        "apply", "--deployment", deployment, "--airflow", airflow.url, "--auto-approve", *more, cwd=repo, env=env
    )


def plan(repo: Path, airflow: AirflowServer, env: dict[str, str], deployment: str, *more: str) -> Any:
    return run_cli("plan", "--deployment", deployment, "--airflow", airflow.url, *more, cwd=repo, env=env)


def rendered(repo: Path, deployment: str, env: dict[str, str], tmp: Path) -> dict[str, Any]:
    out = tmp / f"render-{deployment}"
    done = run_cli("render", "--deployment", deployment, "--secrets", "env", "--out", str(out), cwd=repo, env=env)
    assert done.code == 0, done.err
    settings = YAML(typ="safe", pure=True).load((out / deployment / "airflow_settings.yaml").read_text())["airflow"]
    return settings  # type: ignore[no-any-return]


def read_back(airflow: AirflowServer, settings: dict[str, Any]) -> dict[str, Any]:
    wanted = {
        "connections": [c["conn_id"] for c in settings["connections"]],
        "variables": [v["variable_name"] for v in settings["variables"]],
    }
    result: dict[str, Any] = airflow.run_python(READ_BACK, wanted)
    return result


def assert_airflow_holds(airflow: AirflowServer, settings: dict[str, Any]) -> None:
    """Every object of the rendered settings is in Airflow with the same fields, marked ours; nothing else of ours."""
    held = read_back(airflow, settings)
    for c in settings["connections"]:
        got = held["connections"][c["conn_id"]]
        expected_extra = json.loads(c["conn_extra"]) if "conn_extra" in c else {}
        assert got["extra"] == expected_extra, c["conn_id"]
        for field in ("type", "host", "schema", "login", "password", "port"):
            assert got["conn_type" if field == "type" else field] == c.get(f"conn_{field}"), (c["conn_id"], field)
        assert f"[astro-gitops owner={OWNER}" in got["description"]
    for v in settings["variables"]:
        assert held["variables"][v["variable_name"]] == v["variable_value"]
    pools = {p["pool_name"]: p for p in settings["pools"]}
    for name, p in pools.items():
        got = held["pools"][name]
        assert got["slots"] == p["pool_slot"]
        assert got["description"].startswith(p.get("pool_description", "")) and f"owner={OWNER}" in got["description"]
    # Through the REST API: exactly these objects are ours, each with the marker in its description.
    for kind, key, names in (
        ("connections", "connection_id", {c["conn_id"] for c in settings["connections"]}),
        ("variables", "key", {v["variable_name"] for v in settings["variables"]}),
        ("pools", "name", set(pools)),
    ):
        ours = {i[key] for i in airflow.list(kind) if f"[astro-gitops owner={OWNER}" in (i["description"] or "")}
        assert ours - {f"astro_gitops_ledger_{OWNER}"} == names, kind  # and the ownership ledger (sync/ledger.py)


def test_apply_makes_airflow_hold_each_deployment_and_a_second_apply_writes_nothing(
    repo: Path, airflow: AirflowServer, example_secrets: dict[str, str], tmp_path: Path
) -> None:
    env = env_for(airflow, example_secrets)
    for deployment in ("production", "development", "sandbox"):
        airflow.reset()  # each Deployment has an Airflow of its own (its markers are bound to it)
        first = apply(repo, airflow, env, deployment)
        assert first.code == 0, first.out + first.err
        assert "Apply complete" in first.out
        assert_airflow_holds(airflow, rendered(repo, deployment, env, tmp_path))
        again = apply(repo, airflow, env, deployment)
        assert again.code == 0, again.err
        assert "No changes" in again.out and "done:" not in again.out
        assert f"No changes. Live Airflow {airflow.url} matches the repository for this scope." in again.out
        quiet = plan(repo, airflow, env, deployment, "--exit-code")
        assert quiet.code == 0, quiet.out
    for secret in example_secrets.values():
        assert secret not in first.out + first.err + again.out


def test_the_plan_lists_each_object_then_apply_makes_it_true(
    repo: Path, airflow: AirflowServer, example_secrets: dict[str, str]
) -> None:
    env = env_for(airflow, example_secrets)
    planned = plan(repo, airflow, env, "production", "--exit-code")
    assert planned.code == 3, planned.err
    assert "+ connection snowflake_default" in planned.out and "+ pool backfill_pool" in planned.out
    assert "+ variable ingest_config" in planned.out
    # A create lists its fields, the password by its secret's name only.
    snowflake = planned.out.split("+ connection snowflake_default")[1].split("\n  + ")[0]
    assert (
        '      + type: "snowflake"\n' in snowflake
        and "      + password: (secret SNOWFLAKE_PROD_PASSWORD)\n" in snowflake
    )
    data = json.loads(plan(repo, airflow, env, "production", "--format", "json").out)
    assert data["summary"]["create"] == len(data["changes"]) > 5
    assert {c["deployment"] for c in data["changes"]} == {"production"}
    assert not any(s in planned.out for s in example_secrets.values())


def test_objects_made_by_hand_are_never_touched(
    repo: Path, airflow: AirflowServer, example_secrets: dict[str, str]
) -> None:
    airflow.request(
        "POST", f"{airflow.api}/connections", {"connection_id": "by_hand", "conn_type": "http", "host": "h"}
    )
    airflow.request("POST", f"{airflow.api}/variables", {"key": "by_hand", "value": "v", "description": "mine"})
    airflow.request("POST", f"{airflow.api}/pools", {"name": "by_hand", "slots": 3, "description": "mine"})
    before = {kind: airflow.list(kind) for kind in ("connections", "variables", "pools")}
    env = env_for(airflow, example_secrets)
    assert apply(repo, airflow, env, "production").code == 0
    # The same Airflow as sandbox's: production's markers are bound to production, so sandbox
    # refuses them until adopted, and never deletes what only production defined.
    refused = apply(repo, airflow, env, "sandbox")
    assert refused.code == 1 and "whose signature does not verify" in refused.err, refused.err
    assert apply(repo, airflow, env, "sandbox", "--adopt").code == 0
    after = {kind: airflow.list(kind) for kind in ("connections", "variables", "pools")}
    for kind, key in (("connections", "connection_id"), ("variables", "key"), ("pools", "name")):
        was = next(i for i in before[kind] if i[key] == "by_hand")
        assert next(i for i in after[kind] if i[key] == "by_hand") == was


def test_an_unmarked_object_with_a_clashing_key_is_refused_until_adopt(
    repo: Path, airflow: AirflowServer, example_secrets: dict[str, str]
) -> None:
    airflow.request(
        "POST", f"{airflow.api}/variables", {"key": "data_bucket", "value": "s3://theirs", "description": "old"}
    )
    env = env_for(airflow, example_secrets)
    refused = apply(repo, airflow, env, "production")
    assert refused.code == 1
    assert "error[unmanaged-object]" in refused.err and "data_bucket" in refused.err
    assert "environments/variables.yaml:" in refused.err
    assert airflow.request("GET", f"{airflow.api}/variables/data_bucket")["value"] == "s3://theirs"
    adopted = apply(repo, airflow, env, "production", "--adopt")
    assert adopted.code == 0, adopted.err
    assert "marker" in adopted.out
    held = airflow.request("GET", f"{airflow.api}/variables/data_bucket")
    assert held["value"] == "s3://acme-data-prod" and f"[astro-gitops owner={OWNER}" in held["description"]


def test_a_removed_object_is_deleted_and_a_changed_secret_is_detected_by_fingerprint(
    repo: Path, airflow: AirflowServer, example_secrets: dict[str, str], tmp_path: Path
) -> None:
    env = env_for(airflow, example_secrets)
    assert apply(repo, airflow, env, "production").code == 0
    edit_file(repo, "environments/deployments/production.yaml", "  backfill_pool:\n", "  backfill_pool_gone:\n")
    rotated = {**env, "SNOWFLAKE_PROD_PASSWORD": "rotated-value-Δ"}
    planned = plan(repo, airflow, rotated, "production", "--exit-code")
    assert planned.code == 3, planned.out + planned.err
    assert "- pool backfill_pool" in planned.out and "+ pool backfill_pool_gone" in planned.out
    assert "password: (secret changed)" in planned.out
    assert "rotated-value-Δ" not in planned.out
    assert "partner_api" not in planned.out  # its secret did not change
    assert apply(repo, airflow, rotated, "production").code == 0
    assert "backfill_pool" not in {p["name"] for p in airflow.list("pools")}
    assert (
        read_back(airflow, rendered(repo, "production", rotated, tmp_path))["connections"]["snowflake_default"][
            "password"
        ]
        == "rotated-value-Δ"
    )
    assert plan(repo, airflow, rotated, "production", "--exit-code").code == 0


def test_without_the_fingerprint_key_secrets_cannot_be_compared_and_are_sent(
    repo: Path, airflow: AirflowServer, example_secrets: dict[str, str]
) -> None:
    env = env_for(airflow, example_secrets)
    assert apply(repo, airflow, env, "production").code == 0
    blind = {**env, "ASTRO_GITOPS_FINGERPRINT_KEY": ""}
    planned = plan(repo, airflow, blind, "production")
    assert "(secret: cannot compare, will be sent)" in planned.out
    assert "ASTRO_GITOPS_FINGERPRINT_KEY is not set" in planned.out


def test_default_pool_slots_are_managed_and_it_is_never_deleted(
    repo: Path, airflow: AirflowServer, example_secrets: dict[str, str]
) -> None:
    env = env_for(airflow, example_secrets)
    pools = "pools:\n  default_pool:\n    slots: 64\n    description: ignored by Airflow\n    links: all\n"
    commit_files(repo, {"environments/default_pool.yaml": pools})
    assert apply(repo, airflow, env, "sandbox").code == 0
    assert airflow.request("GET", f"{airflow.api}/pools/default_pool")["slots"] == 64
    assert plan(repo, airflow, env, "sandbox", "--exit-code").code == 0
    commit_files(repo, {}, remove=("environments/default_pool.yaml",))
    assert apply(repo, airflow, env, "sandbox").code == 0
    assert airflow.request("GET", f"{airflow.api}/pools/default_pool")["slots"] == 64


@pytest.mark.airflow3_only  # this Airflow 2 takes basic auth (bearer tokens come from an auth manager such as Astro's)
def test_a_bearer_token_from_the_environment_works(
    repo: Path, airflow: AirflowServer, example_secrets: dict[str, str]
) -> None:
    env = {**example_secrets, "AIRFLOW_API_TOKEN": airflow.token()}
    planned = plan(repo, airflow, env, "sandbox", "--exit-code")
    assert planned.code == 3, planned.err


def test_missing_credentials_and_a_wrong_password_are_errors_that_show_no_secret(
    repo: Path, airflow: AirflowServer, example_secrets: dict[str, str]
) -> None:
    missing = plan(repo, airflow, example_secrets, "sandbox")
    assert missing.code == 1 and "AIRFLOW_API_TOKEN" in missing.err and "Traceback" not in missing.err
    wrong = plan(
        repo,
        airflow,
        {**example_secrets, "AIRFLOW_USERNAME": "gitops-admin", "AIRFLOW_PASSWORD": "nope-pw-42"},
        "sandbox",
    )
    assert wrong.code == 1 and "refused the login" in wrong.err and "nope-pw-42" not in wrong.err


def test_airflow_targets_one_deployment(repo: Path, airflow: AirflowServer, example_secrets: dict[str, str]) -> None:
    env = env_for(airflow, example_secrets)
    every = run_cli("plan", "--all", "--airflow", airflow.url, cwd=repo, env=env)
    assert every.code == 2 and "--deployment" in every.err
    # On main the branch's Deployment is production: never a default target for a laptop's Airflow.
    held = {kind: airflow.list(kind) for kind in ("connections", "variables", "pools")}
    for command in (("plan",), ("apply", "--auto-approve")):
        branch = run_cli(*command, "--airflow", airflow.url, cwd=repo, env=env)
        assert branch.code == 2 and "--airflow needs --deployment D" in branch.err, branch.err
    assert {kind: airflow.list(kind) for kind in held} == held
    insecure = run_cli("plan", "--deployment", "sandbox", "--airflow", "http://airflow.example.com", cwd=repo, env=env)
    assert insecure.code == 1 and "https" in insecure.err


def test_a_saved_plan_is_applied_exactly_or_refused_when_airflow_moved(
    repo: Path, airflow: AirflowServer, example_secrets: dict[str, str], tmp_path: Path
) -> None:
    env = env_for(airflow, example_secrets)
    saved = tmp_path / "plan.json"
    assert plan(repo, airflow, env, "sandbox", "--out", str(saved)).code == 0
    assert not any(s in saved.read_text() for s in example_secrets.values())
    # A planning flag the plan does not hold is a usage error naming it, never dropped.
    for flags, message in (
        (("--adopt",), "--adopt: PLAN was made without --adopt"),
        (("--airflow", "http://127.0.0.1:1"), "--airflow: PLAN was made for another Airflow"),
    ):
        refused = run_cli("apply", str(saved), *flags, cwd=repo, env=env)
        assert refused.code == 2 and message in refused.err and "plan again" in refused.err, refused.err
    done = run_cli("apply", str(saved), cwd=repo, env=env)
    assert done.code == 0, done.out + done.err
    assert "Apply complete" in done.out
    assert {p["name"] for p in airflow.list("pools")} >= {"partner_api_pool"}

    edit_file(
        repo,
        "environments/pools.yaml",
        "    slots: 2\n    description: Respect",
        "    slots: 3\n    description: Respect",
    )
    assert plan(repo, airflow, env, "sandbox", "--out", str(saved)).code == 0
    pool = f"{airflow.api}/pools/partner_api_pool"
    if airflow.major >= 3:
        airflow.request(
            "PATCH", f"{pool}?update_mask=slots", {"name": "partner_api_pool", "slots": 9, "include_deferred": True}
        )
    else:
        airflow.request("PATCH", f"{pool}?update_mask=slots", {"name": "partner_api_pool", "slots": 9})
    # --airflow repeating the plan's URL (spelled with its API path) is accepted: the plan is checked.
    stale = run_cli("apply", str(saved), "--airflow", f"{airflow.url}/api/v2/", cwd=repo, env=env)
    assert stale.code == 1 and "stale-plan" in stale.out + stale.err, stale.out + stale.err
    assert airflow.request("GET", pool)["slots"] == 9
