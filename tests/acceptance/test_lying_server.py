"""A server that lies about identity (red-team faults 3, 4 and 10): every ID an answer gives is
checked before it goes into a path or names an object, every list is checked for one ID per
object and for rows outside the workspace, every enum for the API's values, and a Deployment is
confirmed by its own GET before its settings are written or it is deleted. A lie is exit 1
before any write, never a write to another object. Through the installed command against the
local Astro API server, whose `edit` fault (tests/support/astro_api/hostile.py) rewrites its
answers as the red team's proxy did.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from conftest import commit_files, edit_file, git, run_cli
from support.astro_fake import FakeAstro

from acceptance.test_sync_apply import applied, cli

ALL = 1_000_000
OBJECTS = "environment-objects$"
DEPLOYMENTS = "/deployments$"
DEV = "environments/deployments/development.yaml"
SAMPLE = """
# Objects that exist only in development (and its previews).
variables:
  sample_fraction:
    value: 0.1
    description: Fraction of source rows ingested outside production
"""


def ids(server: FakeAstro) -> dict[str, str]:
    """Deployment name -> ID, and `ws` -> the workspace's ID."""
    state = server.state()
    return {**{d["name"]: d["id"] for d in state["deployments"]}, "ws": state["workspaces"][0]["id"]}


def lie(server: FakeAstro, path: str, edit: dict[str, Any], method: str = "GET") -> None:
    server.admin("fault", {"method": method, "path": path, "count": ALL, "edit": edit})


def no_writes_and_a_message(server: FakeAstro, result: Any, *words: str) -> None:
    said = result.out + result.err
    assert result.code == 1, said
    assert "Traceback" not in said and "internal error" not in said
    assert not server.writes(), server.writes()
    for word in words:
        assert word in said, said


def dev_branch(secrets: dict[str, str]) -> dict[str, str]:
    return {**secrets, "GITHUB_HEAD_REF": "dev"}


# --- fault 3: an ID is checked before it goes into a path ----------------------------------------

BAD_IDS = ["../deployments/{production}", "{production}/../../workspaces", "..", ".", "a/b", "a?b", "a#b",
           "a%2Fb", "a b", "é", "x" * 300]  # fmt: skip


@pytest.mark.parametrize("bad", BAD_IDS)
def test_an_object_id_that_is_not_an_id_is_never_deleted(
    seeded: FakeAstro, repo: Path, example_secrets: dict[str, str], bad: str
) -> None:
    applied(seeded, repo, example_secrets)
    edit_file(repo, DEV, SAMPLE, "\n")
    commit_files(repo, {}, "sample_fraction left git")
    lie(seeded, OBJECTS, {"list": "environmentObjects", "match": {"objectKey": "sample_fraction"},
                          "set": {"id": bad.format(**ids(seeded))}})  # fmt: skip
    seeded.admin("clear-log", {})
    result = cli(seeded, repo, example_secrets, "apply", "--all", "--auto-approve")
    no_writes_and_a_message(seeded, result, "'id'", "not an ID")
    assert len(seeded.state()["deployments"]) == 3


@pytest.mark.parametrize(
    ("path", "edit", "field"),
    [
        # an update of ingest_config under an object ID that names a Deployment path
        (OBJECTS, {"list": "environmentObjects", "match": {"objectKey": "ingest_config"},
                   "set": {"id": "../deployments/{production}"}}, "'id'"),
        (DEPLOYMENTS, {"list": "deployments", "match": {"name": "development"},
                       "set": {"id": "{development}/../../workspaces"}}, "'id'"),
        ("/workspaces$", {"list": "workspaces", "set": {"id": "../../organizations"}}, "'id'"),
        (DEPLOYMENTS, {"list": "deployments", "match": {"name": "development"},
                       "set": {"clusterId": "../clusters/x"}}, "'clusterId'"),
        (DEPLOYMENTS, {"list": "deployments", "match": {"name": "production"},
                       "set": {"workerQueues": [{"id": "a/b", "name": "default"}]}}, "'id' of a worker queue"),
        (DEPLOYMENTS, {"list": "deployments", "match": {"name": "development"},
                       "set": {"workspaceId": "{ws}/.."}}, "'workspaceId'"),
        (OBJECTS, {"list": "environmentObjects", "match": {"objectKey": "ingest_config"},
                   "set": {"scopeEntityId": "{ws}/../x"}}, "'scopeEntityId'"),
        (OBJECTS, {"list": "environmentObjects", "match": {"objectKey": "ingest_config"},
                   "set": {"links": [{"scope": "DEPLOYMENT", "scopeEntityId": "../{production}"}]}},
         "'scopeEntityId'"),
        (OBJECTS, {"list": "environmentObjects", "match": {"objectKey": "ingest_config"},
                   "set": {"excludeLinks": [{"scope": "DEPLOYMENT", "scopeEntityId": "a/b"}]}}, "'scopeEntityId'"),
    ],
)  # fmt: skip
def test_an_id_in_any_list_that_is_not_an_id_stops_the_apply_before_any_write(
    seeded: FakeAstro, repo: Path, example_secrets: dict[str, str], path: str, edit: dict[str, Any], field: str
) -> None:
    applied(seeded, repo, example_secrets)
    edit_file(repo, "environments/variables.yaml", "batch_size: 5000", "batch_size: 6000")
    edit_file(repo, DEV, "LOG_LEVEL: DEBUG", "LOG_LEVEL: INFO")
    commit_files(repo, {}, "ingest_config and development change")
    known = ids(seeded)
    edit = {**edit, "set": {k: _filled(v, known) for k, v in edit.get("set", {}).items()}}
    lie(seeded, path, edit)
    seeded.admin("clear-log", {})
    result = cli(seeded, repo, example_secrets, "apply", "--all", "--auto-approve")
    no_writes_and_a_message(seeded, result, field, "not an ID")


def test_a_deployment_row_without_its_workspace_id_stops_the_apply_before_any_write(
    seeded: FakeAstro, repo: Path, example_secrets: dict[str, str]
) -> None:
    """`workspaceId` is required by the API's Deployment type: a row without it is no answer
    about which workspace the Deployment is in (it was taken as the one listed)."""
    applied(seeded, repo, example_secrets)
    edit_file(repo, DEV, "LOG_LEVEL: DEBUG", "LOG_LEVEL: INFO")
    commit_files(repo, {}, "development change")
    lie(seeded, DEPLOYMENTS, {"list": "deployments", "match": {"name": "development"}, "unset": ["workspaceId"]})
    seeded.admin("clear-log", {})
    result = cli(seeded, repo, example_secrets, "apply", "--all", "--auto-approve")
    no_writes_and_a_message(seeded, result, "'workspaceId'", "not a text")


def _filled(value: Any, known: dict[str, str]) -> Any:
    if isinstance(value, str):
        return value.format(**known)
    if isinstance(value, list):
        return [_filled(v, known) for v in value]
    if isinstance(value, dict):
        return {k: _filled(v, known) for k, v in value.items()}
    return value


@pytest.mark.parametrize("bad", ["../deployments/{production}", "a/b", ".."])
def test_a_created_preview_whose_answered_id_is_not_an_id_gets_no_further_write(
    seeded: FakeAstro, repo: Path, example_secrets: dict[str, str], bad: str
) -> None:
    applied(seeded, repo, example_secrets)
    git(repo, "checkout", "-q", "-b", "feature/lie")
    lie(seeded, DEPLOYMENTS, {"set": {"id": bad.format(**ids(seeded))}}, method="POST")
    seeded.admin("clear-log", {})
    result = cli(seeded, repo, example_secrets, "apply", "--auto-approve")
    said = result.out + result.err
    assert result.code == 1 and "not an ID" in said and "Traceback" not in said, said
    assert [(w["method"], w["path"].rsplit("/", 1)[-1]) for w in seeded.writes()] == [("POST", "deployments")]


@pytest.mark.parametrize("bad", ["../deployments/{production}", "a/b"])
def test_a_created_object_whose_answered_id_is_not_an_id_stops_the_apply(
    seeded: FakeAstro, repo: Path, example_secrets: dict[str, str], bad: str
) -> None:
    lie(seeded, OBJECTS, {"set": {"id": bad.format(**ids(seeded))}}, method="POST")
    result = cli(seeded, repo, example_secrets, "apply", "--all", "--auto-approve")
    said = result.out + result.err
    assert result.code == 1 and "not an ID" in said and "Traceback" not in said, said
    assert not [w for w in seeded.writes() if w["method"] == "DELETE"]


# --- fault 4: one ID per object, every row in the workspace, a Deployment confirmed before a write --


@pytest.mark.parametrize(
    ("path", "edit", "words"),
    [
        # development's row carries production's ID (the red team's case)
        (DEPLOYMENTS, {"list": "deployments", "match": {"name": "development"}, "set": {"id": "{production}"}},
         ("ID", "twice")),
        # a row listed twice
        (DEPLOYMENTS, {"list": "deployments", "match": {"name": "development"}, "copy": True}, ("twice",)),
        # one ID under two names
        (DEPLOYMENTS, {"list": "deployments", "match": {"name": "production"}, "set": {"name": "development2"},
                       "copy": True}, ("twice",)),
        # development's row says it is in another workspace
        (DEPLOYMENTS, {"list": "deployments", "match": {"name": "development"},
                       "set": {"workspaceId": "wsother0000000000000000001"}}, ("workspace",)),
        # an environment object listed twice, and an ID given to two objects
        (OBJECTS, {"list": "environmentObjects", "match": {"objectKey": "data_bucket"}, "copy": True}, ("twice",)),
        (OBJECTS, {"list": "environmentObjects", "match": {"objectKey": "data_bucket"},
                   "set": {"objectKey": "other_bucket"}, "copy": True}, ("twice",)),
        # an object scoped to a Deployment outside the workspace, or to another workspace
        (OBJECTS, {"list": "environmentObjects", "match": {"objectKey": "data_bucket"},
                   "set": {"scope": "DEPLOYMENT", "scopeEntityId": "dpother0000000000000000001"}},
         ("outside",)),
        (OBJECTS, {"list": "environmentObjects", "match": {"objectKey": "data_bucket"},
                   "set": {"scopeEntityId": "wsother0000000000000000001"}}, ("outside",)),
        # an object ID that is a Deployment's
        (OBJECTS, {"list": "environmentObjects", "match": {"objectKey": "data_bucket"},
                   "set": {"id": "{production}"}}, ("twice",)),
    ],
)  # fmt: skip
def test_a_list_that_names_one_object_twice_or_one_outside_stops_a_dev_apply_before_any_write(
    seeded: FakeAstro, repo: Path, example_secrets: dict[str, str], path: str, edit: dict[str, Any], words: tuple[str]
) -> None:
    applied(seeded, repo, example_secrets)
    edit_file(repo, DEV, "LOG_LEVEL: DEBUG", "LOG_LEVEL: INFO")
    commit_files(repo, {}, "development change")
    before = seeded.state()
    lie(seeded, path, {**edit, "set": _filled(edit.get("set") or {}, ids(seeded))})
    seeded.admin("clear-log", {})
    result = cli(seeded, repo, dev_branch(example_secrets), "apply", "--auto-approve")
    no_writes_and_a_message(seeded, result, *words)
    assert seeded.state()["deployments"] == before["deployments"]


@pytest.mark.parametrize("changed", [True, False])
def test_swapped_deployment_ids_never_write_production_from_a_dev_apply(
    seeded: FakeAstro, repo: Path, example_secrets: dict[str, str], changed: bool
) -> None:
    applied(seeded, repo, example_secrets)
    if changed:  # development's settings, else only its Deployment-scoped object
        edit_file(repo, DEV, "LOG_LEVEL: DEBUG", "LOG_LEVEL: INFO")
    edit_file(repo, DEV, "value: 0.1", "value: 0.2")
    commit_files(repo, {}, "development change")
    before = seeded.state()
    known = ids(seeded)
    lie(seeded, DEPLOYMENTS, [
        {"list": "deployments", "match": {"name": "development"}, "set": {"id": "swap"}},
        {"list": "deployments", "match": {"name": "production"}, "set": {"id": known["development"]}},
        {"list": "deployments", "match": {"id": "swap"}, "set": {"id": known["production"]}},
    ])  # fmt: skip
    seeded.admin("clear-log", {})
    result = cli(seeded, repo, dev_branch(example_secrets), "apply", "--auto-approve")
    no_writes_and_a_message(seeded, result, "production")
    assert seeded.state()["deployments"] == before["deployments"]
    assert seeded.state()["objects"] == before["objects"]


# --- fault 10: an enum outside the API's values is an error; a type we do not manage is read past --


@pytest.mark.parametrize(
    ("edit", "words"),
    [
        ({"scope": "WEIRD"}, ("'scope'", "WEIRD")),
        ({"scope": "workspace"}, ("'scope'",)),
        ({"objectType": "WEIRD"}, ("'objectType'", "WEIRD")),
        ({"objectType": "connection"}, ("'objectType'",)),
        ({"objectType": None}, ("'objectType'",)),
        ({"scope": 7}, ("'scope'",)),
        ({"links": [{"scope": "WORKSPACE", "scopeEntityId": "dp00000000000000000000001"}]}, ("'scope'", "WORKSPACE")),
        ({"excludeLinks": [{"scope": "ALL", "scopeEntityId": "dp00000000000000000000001"}]}, ("'scope'", "ALL")),
    ],
)
def test_an_object_row_outside_the_apis_enums_is_an_error(
    seeded: FakeAstro, repo: Path, example_secrets: dict[str, str], edit: dict[str, Any], words: tuple[str]
) -> None:
    applied(seeded, repo, example_secrets)
    lie(seeded, OBJECTS, {"list": "environmentObjects", "match": {"objectKey": "snowflake_default"}, "set": edit})
    seeded.admin("clear-log", {})
    result = cli(seeded, repo, example_secrets, "plan")
    assert result.code == 1, result.out + result.err
    assert "+ connection snowflake_default" not in result.out
    for word in words:
        assert word in result.err, result.err


@pytest.mark.parametrize("other", ["METRICS_EXPORT", "ENVIRONMENT_VARIABLE"])
def test_an_object_of_a_type_we_do_not_manage_is_read_past_and_never_touched(
    seeded: FakeAstro, repo: Path, example_secrets: dict[str, str], other: str
) -> None:
    applied(seeded, repo, example_secrets)
    lie(seeded, OBJECTS, {"list": "environmentObjects", "match": {"objectKey": "data_bucket"},
                          "set": {"objectType": other}})  # fmt: skip
    seeded.admin("clear-log", {})
    result = cli(seeded, repo, example_secrets, "plan")
    assert result.code == 0, result.out + result.err
    assert "+ variable data_bucket" in result.out  # the variable is not live: the other type is not it


# --- an Airflow's lists: one key per object too -------------------------------------------------


@pytest.mark.parametrize(
    "rows",
    [
        [{"connection_id": "snowflake_default", "conn_type": "snowflake"}] * 2,
        [{"connection_id": "x", "conn_type": "http", "host": "a"}, {"connection_id": "x", "conn_type": "http", "host": "b"}],
    ],
)  # fmt: skip
def test_an_airflow_list_that_names_one_key_twice_is_an_error(
    seeded: FakeAstro, repo: Path, example_secrets: dict[str, str], rows: list[dict[str, Any]]
) -> None:
    from acceptance.test_hostile_input import _as_airflow

    _as_airflow(seeded, {"connections": rows, "total_entries": len(rows)})
    env = {**example_secrets, "AIRFLOW_API_TOKEN": "airflow-token-for-tests"}
    result = run_cli("plan", "--deployment", "development", "--airflow", seeded.base, cwd=repo, env=env)
    assert result.code == 1 and "listed twice" in result.err and "Traceback" not in result.err, result.err
