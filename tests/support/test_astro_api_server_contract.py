"""The local Astro API server is at least as strict as the generated types (contract.py): each
rule proved with a request the real types reject (../shared/handed/contract.md)."""

from __future__ import annotations

from typing import Any

import pytest

from support.astro_api_types import SOURCE, check
from support.astro_fake import ORG, FakeAstro
from support.test_astro_api_server import call

DEPLOYMENTS = f"/v1/organizations/{ORG}/deployments"
OBJECTS = f"/v1/organizations/{ORG}/environment-objects"


@pytest.fixture
def fake(astro_server: FakeAstro) -> FakeAstro:
    astro_server.reset().admin("seed", {"workspaces": [{"name": "WS"}, {"name": "Other"}]})
    return astro_server


def workspace(fake: FakeAstro, name: str = "WS") -> str:
    return next(w["id"] for w in fake.state()["workspaces"] if w["name"] == name)


def refused(fake: FakeAstro, method: str, path: str, body: Any = None) -> list[dict[str, Any]]:
    """The fieldErrors of a request the server must refuse with a binding 400."""
    status, error, _ = call(fake, method, path, body)
    assert status == 400, error
    assert error["statusCode"] == 400 and error["requestId"] and error["message"].startswith("invalid request")
    assert check("Error", error) == []
    return error["fieldErrors"]  # type: ignore[no-any-return]


def create(fake: FakeAstro, **fields: Any) -> dict[str, Any]:
    status, body, _ = call(fake, "POST", DEPLOYMENTS, {"workspaceId": workspace(fake), **fields})
    assert status == 200, body
    return body  # type: ignore[no-any-return]


HYBRID_UPDATE = {"name": "h", "type": "HYBRID", "executor": "CELERY", "isCicdEnforced": False,
                 "isDagDeployEnabled": True, "environmentVariables": [], "scheduler": {"au": 5, "replicas": 1}}  # fmt: skip


def test_the_schemas_name_their_source() -> None:
    assert SOURCE["repo"] == "astronomer/astro-cli" and SOURCE["path"] == "astro-client-v1/api.gen.go"
    assert SOURCE["commit"].startswith("ed93cc59")


def test_a_hybrid_update_needs_scheduler_and_takes_no_scheduler_size(fake: FakeAstro) -> None:
    dep = create(fake, name="h", type="HYBRID", clusterId="clu-1")
    body = {**{k: v for k, v in HYBRID_UPDATE.items() if k != "scheduler"}, "workspaceId": dep["workspaceId"],
            "schedulerSize": "SMALL", "isHighAvailability": False}  # fmt: skip
    errors = refused(fake, "POST", f"{DEPLOYMENTS}/{dep['id']}", body)
    assert {(e["code"], e["field"]) for e in errors} == {
        ("required", "scheduler"), ("additionalProperties", "schedulerSize"),
        ("additionalProperties", "isHighAvailability"),
    }  # fmt: skip
    good = {**HYBRID_UPDATE, "workspaceId": dep["workspaceId"]}
    status, got, _ = call(fake, "POST", f"{DEPLOYMENTS}/{dep['id']}", good)
    assert status == 200 and got["schedulerAu"] == 5 and got["schedulerReplicas"] == 1 and "scheduler" not in got


def test_a_dedicated_create_takes_no_cloud_provider_or_region(fake: FakeAstro) -> None:
    body = {"name": "d", "workspaceId": workspace(fake), "type": "DEDICATED", "cloudProvider": "AWS",
            "region": "us-east-1"}  # fmt: skip
    errors = refused(fake, "POST", DEPLOYMENTS, body)
    assert {e["field"] for e in errors} == {"cloudProvider", "region"}


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"type": "BOGUS"}, "type"),
        ({"type": "STANDARD", "cloudProvider": "IBM"}, "cloudProvider"),
        ({"type": "HYBRID", "executor": "ASTRO"}, "executor"),
        ({"type": "STANDARD", "workerQueues": [{"name": "default", "isDefault": True, "astroMachine": "A7",
          "minWorkerCount": 0, "maxWorkerCount": 1, "workerConcurrency": 5}]}, "workerQueues[0].astroMachine"),
        ({}, "type"),  # no discriminator: the generated client cannot route the union
    ],
)  # fmt: skip
def test_enums_and_the_discriminator_are_checked(fake: FakeAstro, fields: dict[str, Any], field: str) -> None:
    errors = refused(fake, "POST", DEPLOYMENTS, {"name": "x", "workspaceId": workspace(fake), **fields})
    assert field in {e["field"] for e in errors}


def test_an_unknown_key_in_a_deployment_update_and_a_type_change_are_refused(fake: FakeAstro) -> None:
    dep = create(fake, name="s", type="STANDARD")
    body = {"name": "s", "workspaceId": dep["workspaceId"], "type": "STANDARD", "executor": "CELERY",
            "schedulerSize": "SMALL", "isCicdEnforced": False, "isDagDeployEnabled": True,
            "isHighAvailability": False, "environmentVariables": []}  # fmt: skip
    errors = refused(fake, "POST", f"{DEPLOYMENTS}/{dep['id']}", {**body, "schedulerSise": "LARGE"})
    assert errors == [{"code": "additionalProperties", "field": "schedulerSise", "message": "unknown field"}]
    status, error, _ = call(
        fake, "POST", f"{DEPLOYMENTS}/{dep['id']}", {**HYBRID_UPDATE, "workspaceId": dep["workspaceId"]}
    )
    assert status == 400 and "cannot become HYBRID" in error["message"]


@pytest.mark.parametrize(
    ("member", "field"),
    [
        ({"connection": {"type": "postgres", "port": "5432"}}, "connection.port"),
        ({"airflowVariable": {"value": 5}}, "airflowVariable.value"),
        ({"connection": {"type": "postgres"}, "objectKee": "x"}, "objectKee"),
    ],
)
def test_environment_object_json_types_and_unknown_keys_are_refused(
    fake: FakeAstro, member: dict[str, Any], field: str
) -> None:
    kind = "CONNECTION" if "connection" in member else "AIRFLOW_VARIABLE"
    body = {"objectKey": "k", "objectType": kind, "scope": "WORKSPACE", "scopeEntityId": workspace(fake), **member}
    assert field in {e["field"] for e in refused(fake, "POST", OBJECTS, body)}


def test_an_unknown_override_field_in_a_link_is_refused(fake: FakeAstro) -> None:
    dep = create(fake, name="p", type="STANDARD")
    link = {"scope": "DEPLOYMENT", "scopeEntityId": dep["id"], "overrides": {"connection": {"hots": "h"}}}
    body = {"objectKey": "k", "objectType": "CONNECTION", "scope": "WORKSPACE", "scopeEntityId": workspace(fake),
            "connection": {"type": "postgres"}, "links": [link]}  # fmt: skip
    errors = refused(fake, "POST", OBJECTS, body)
    assert errors == [{"code": "additionalProperties", "field": "links[0].overrides.connection.hots",
                       "message": "unknown field"}]  # fmt: skip


def test_queries_refuse_unknown_names_and_take_repeated_arrays(fake: FakeAstro) -> None:
    errors = refused(fake, "GET", f"{DEPLOYMENTS}?workspaceIdz={workspace(fake)}")
    assert errors[0]["field"] == "workspaceIdz"
    assert refused(fake, "GET", f"{DEPLOYMENTS}/dp-none?limit=1")[0]["field"] == "limit"
    assert refused(fake, "GET", f"{OBJECTS}?limit=ten")[0]["field"] == "limit"
    create(fake, name="a", type="STANDARD")
    status, _, _ = call(
        fake, "POST", DEPLOYMENTS, {"name": "b", "workspaceId": workspace(fake, "Other"), "type": "STANDARD"}
    )
    assert status == 200
    both = f"{DEPLOYMENTS}?workspaceIds={workspace(fake)}&workspaceIds={workspace(fake, 'Other')}"
    assert {d["name"] for d in call(fake, "GET", both)[1]["deployments"]} == {"a", "b"}
    assert {d["name"] for d in call(fake, "GET", f"{DEPLOYMENTS}?names=a&names=b")[1]["deployments"]} == {"a", "b"}
    assert call(fake, "GET", f"{DEPLOYMENTS}?names=a,b")[1]["deployments"] == []  # not comma-separated


def test_a_deployment_response_has_every_field_the_type_requires(fake: FakeAstro) -> None:
    for kind, placement in (("STANDARD", {"cloudProvider": "AWS", "region": "us-east-1"}),
                            ("DEDICATED", {"clusterId": "clu-1"}), ("HYBRID", {"clusterId": "clu-2"})):  # fmt: skip
        dep = create(fake, name=kind.lower(), type=kind, **placement)
        assert check("Deployment", dep) == [] and dep["astroRuntimeVersion"] and dep["type"] == kind
    listed = call(fake, "GET", f"{DEPLOYMENTS}?workspaceIds={workspace(fake)}")[1]
    assert check("DeploymentsPaginated", listed) == [] and listed["totalCount"] == 3


def test_a_create_does_not_store_variables_or_emails_unless_switched_on(fake: FakeAstro) -> None:
    extra = {"environmentVariables": [{"key": "A", "isSecret": False, "value": "1"}], "contactEmails": ["a@b.c"]}
    dep = create(fake, name="x", type="STANDARD", **extra)
    assert dep["environmentVariables"] == [] and dep["contactEmails"] == []
    fake.admin("config", {"create_keeps_variables": True})
    kept = create(fake, name="y", type="STANDARD", **extra)
    assert [v["key"] for v in kept["environmentVariables"]] == ["A"] and kept["contactEmails"] == ["a@b.c"]


def test_a_response_that_does_not_fit_its_type_is_a_server_bug(fake: FakeAstro) -> None:
    fake.admin("seed", {"deployments": [{"name": "bad", "workspace": "WS", "executor": "BOGUS"}]})
    status, error, _ = call(fake, "GET", f"{DEPLOYMENTS}?workspaceIds={workspace(fake)}")
    assert status == 500 and error["message"].startswith("server bug")
    assert fake.log()[-1]["server_bug"][0]["field"] == "deployments[0].executor"


def test_a_new_deployment_reads_creating_then_healthy(fake: FakeAstro) -> None:
    fake.admin("config", {"creating_reads": 2})
    dep = create(fake, name="slow", type="STANDARD")
    reads = [call(fake, "GET", f"{DEPLOYMENTS}/{dep['id']}")[1] for _ in range(2)]
    assert [(r["status"], r["webServerAirflowApiUrl"]) for r in reads][-1] == ("CREATING", "")
    ready = call(fake, "GET", f"{DEPLOYMENTS}/{dep['id']}")[1]
    assert ready["status"] == "HEALTHY" and ready["webServerAirflowApiUrl"]
