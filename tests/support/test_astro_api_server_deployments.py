"""The local Astro API server's Deployments: the ASTRO-API.md section 2 facts the client relies on."""

from __future__ import annotations

from typing import Any

import pytest

from support.astro_fake import ORG, FakeAstro
from support.test_astro_api_server import call

DEPLOYMENTS = f"/v1/organizations/{ORG}/deployments"


@pytest.fixture
def fake(astro_server: FakeAstro) -> FakeAstro:
    astro_server.reset(page_size=2).admin("seed", {"workspaces": [{"name": "WS"}, {"name": "Other"}]})
    return astro_server


def workspace(fake: FakeAstro, name: str = "WS") -> str:
    return next(w["id"] for w in fake.state()["workspaces"] if w["name"] == name)


def created(fake: FakeAstro, name: str, **fields: Any) -> dict[str, Any]:
    body = {"name": name, "workspaceId": workspace(fake), "type": "STANDARD", **fields}
    status, body, _ = call(fake, "POST", DEPLOYMENTS, body)
    assert status == 200, body
    return body  # type: ignore[no-any-return]


def full_update(deployment: dict[str, Any], **changes: Any) -> dict[str, Any]:
    body = {
        k: deployment[k]
        for k in ("name", "workspaceId", "type", "executor", "schedulerSize", "isCicdEnforced",
                  "isDagDeployEnabled", "isHighAvailability")
    }  # fmt: skip
    body["environmentVariables"] = [
        {k: v for k, v in e.items() if k in ("key", "isSecret", "value")} for e in deployment["environmentVariables"]
    ]
    return {**body, **changes}


def test_create_returns_the_deployment_with_defaults(fake: FakeAstro) -> None:
    body = created(fake, "prod", schedulerSize="MEDIUM")
    assert body["id"] and body["name"] == "prod" and body["schedulerSize"] == "MEDIUM"
    assert body["workerQueues"][0]["isDefault"] is True
    status, got, _ = call(fake, "GET", f"{DEPLOYMENTS}/{body['id']}")
    assert status == 200 and got == body


def test_create_needs_a_name_and_a_known_workspace(fake: FakeAstro) -> None:
    assert call(fake, "POST", DEPLOYMENTS, {"workspaceId": workspace(fake), "type": "STANDARD"})[0] == 400
    assert call(fake, "POST", DEPLOYMENTS, {"name": "x", "workspaceId": "nope", "type": "STANDARD"})[0] == 404


def test_list_filters_by_workspace_and_names_and_pages(fake: FakeAstro) -> None:
    for name in ("a", "b", "c"):
        created(fake, name)
    call(fake, "POST", DEPLOYMENTS, {"name": "a", "workspaceId": workspace(fake, "Other"), "type": "STANDARD"})
    status, page, _ = call(fake, "GET", f"{DEPLOYMENTS}?workspaceIds={workspace(fake)}&limit=1000")
    assert status == 200 and page["limit"] == 2 and page["totalCount"] == 3
    assert [d["name"] for d in page["deployments"]] == ["a", "b"]
    _, rest, _ = call(fake, "GET", f"{DEPLOYMENTS}?workspaceIds={workspace(fake)}&offset=2")
    assert [d["name"] for d in rest["deployments"]] == ["c"]
    _, named, _ = call(fake, "GET", f"{DEPLOYMENTS}?names=a")
    assert named["totalCount"] == 2


def test_update_is_a_full_replacement_with_required_fields(fake: FakeAstro) -> None:
    dep = created(fake, "prod")
    path = f"{DEPLOYMENTS}/{dep['id']}"
    partial = {"name": "prod", "workspaceId": dep["workspaceId"], "type": "STANDARD", "schedulerSize": "LARGE"}
    status, error, _ = call(fake, "POST", path, partial)
    assert status == 400 and error["requestId"] and error["statusCode"] == 400
    assert {"code": "required", "field": "environmentVariables", "message": "required field is missing"} in error[
        "fieldErrors"
    ]
    status, _, _ = call(fake, "POST", path, full_update(dep, astroRuntimeVersion="3.2-1"))
    assert status == 400  # no runtime version in an update
    status, body, _ = call(fake, "POST", path, full_update(dep, schedulerSize="LARGE"))
    assert status == 200 and body["schedulerSize"] == "LARGE"


def test_environment_variables_missing_are_deleted_and_secrets_masked(fake: FakeAstro) -> None:
    dep = created(fake, "prod")
    path = f"{DEPLOYMENTS}/{dep['id']}"
    variables = [
        {"key": "PLAIN", "isSecret": False, "value": "p"},
        {"key": "TOKEN", "isSecret": True, "value": "s3cr3t"},
        {"key": "GONE", "isSecret": False, "value": "g"},
    ]
    status, body, _ = call(fake, "POST", path, full_update(dep, environmentVariables=variables))
    assert status == 200
    shown = {v["key"]: v for v in body["environmentVariables"]}
    assert "value" not in shown["TOKEN"] and shown["PLAIN"]["value"] == "p"
    kept = [{"key": "PLAIN", "isSecret": False, "value": "p"}, {"key": "TOKEN", "isSecret": True}]
    call(fake, "POST", path, full_update(dep, environmentVariables=kept))
    stored = next(d for d in fake.state()["deployments"] if d["id"] == dep["id"])
    assert {v["key"]: v["value"] for v in stored["environmentVariables"]} == {"PLAIN": "p", "TOKEN": "s3cr3t"}
    blank = [{"key": "TOKEN", "isSecret": True, "value": ""}]
    call(fake, "POST", path, full_update(dep, environmentVariables=blank))
    stored = next(d for d in fake.state()["deployments"] if d["id"] == dep["id"])
    assert stored["environmentVariables"] == [
        {"key": "TOKEN", "isSecret": True, "value": "", "updatedAt": stored["updatedAt"]}
    ]


def test_a_new_secret_needs_a_value_and_a_secret_stays_secret(fake: FakeAstro) -> None:
    dep = created(fake, "prod")
    path = f"{DEPLOYMENTS}/{dep['id']}"
    assert call(fake, "POST", path, full_update(dep, environmentVariables=[{"key": "T", "isSecret": True}]))[0] == 400
    call(fake, "POST", path, full_update(dep, environmentVariables=[{"key": "T", "isSecret": True, "value": "v"}]))
    plain = [{"key": "T", "isSecret": False, "value": "v"}]
    assert call(fake, "POST", path, full_update(dep, environmentVariables=plain))[0] == 400


def test_worker_queues_keep_their_id_and_unknown_ids_are_refused(fake: FakeAstro) -> None:
    dep = created(fake, "prod")
    path = f"{DEPLOYMENTS}/{dep['id']}"
    default = {**{k: dep["workerQueues"][0][k] for k in ("id", "name", "isDefault", "minWorkerCount",
                                                          "maxWorkerCount", "workerConcurrency")},
               "astroMachine": "A10"}  # fmt: skip
    heavy = {"name": "heavy", "isDefault": False, "astroMachine": "A20", "minWorkerCount": 0,
             "maxWorkerCount": 2, "workerConcurrency": 4}  # fmt: skip
    status, body, _ = call(fake, "POST", path, full_update(dep, workerQueues=[default, heavy]))
    assert status == 200
    queues = {q["name"]: q for q in body["workerQueues"]}
    assert queues["default"]["id"] == default["id"] and queues["default"]["astroMachine"] == "A10"
    assert queues["heavy"]["id"] != default["id"]
    bad = [{**default, "id": "wq-unknown"}]
    assert call(fake, "POST", path, full_update(dep, workerQueues=bad))[0] == 400


def test_delete_is_204_then_404(fake: FakeAstro) -> None:
    dep = created(fake, "preview")
    path = f"{DEPLOYMENTS}/{dep['id']}"
    assert call(fake, "DELETE", path)[0] == 204
    assert call(fake, "DELETE", path)[0] == 404
    assert call(fake, "GET", path)[0] == 404
