"""The local Astro API server's own behaviour: the ASTRO-API.md facts the client relies on."""

from __future__ import annotations

import http.client
import json
from typing import Any

import pytest

from support.astro_fake import ORG, TOKEN, FakeAstro

OBJECTS = f"/v1/organizations/{ORG}/environment-objects"


@pytest.fixture
def fake(astro_server: FakeAstro) -> FakeAstro:
    astro_server.reset(page_size=3).seed("WS", ["prod", "dev"])
    return astro_server


def call(
    fake: FakeAstro, method: str, path: str, body: Any = None, token: str = TOKEN
) -> tuple[int, Any, dict[str, str]]:
    host = fake.base.removeprefix("http://")
    conn = http.client.HTTPConnection(host, timeout=10)
    try:
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        conn.request(method, path, body=None if body is None else json.dumps(body), headers=headers)
        response = conn.getresponse()
        raw = response.read()
        return response.status, json.loads(raw) if raw else None, dict(response.getheaders())
    finally:
        conn.close()


def ids(fake: FakeAstro) -> dict[str, str]:
    state = fake.state()
    return {d["name"]: d["id"] for d in state["deployments"]} | {w["name"]: w["id"] for w in state["workspaces"]}


def create_conn(fake: FakeAstro, key: str = "db", **extra: Any) -> str:
    body = {
        "objectKey": key,
        "objectType": "CONNECTION",
        "scope": "WORKSPACE",
        "scopeEntityId": ids(fake)["WS"],
        "connection": {
            "type": "postgres",
            "host": "h",
            "password": "pw-value",
            "extra": {"api_token": "t0k", "region": "eu"},
        },
        **extra,
    }
    status, created, _ = call(fake, "POST", OBJECTS, body)
    assert status == 200 and set(created) == {"id"}, created  # create returns only {id}
    return str(created["id"])


def test_a_token_is_required(fake: FakeAstro) -> None:
    status, body, _ = call(fake, "GET", OBJECTS, token="wrong")
    assert status == 401 and body["requestId"]


def test_lists_are_paged_with_a_small_page_size(fake: FakeAstro) -> None:
    for i in range(7):
        create_conn(fake, f"c{i}")
    status, page, _ = call(fake, "GET", f"{OBJECTS}?limit=1000&offset=3")
    assert status == 200
    assert page["limit"] == 3 and page["offset"] == 3 and page["totalCount"] == 7
    assert [o["objectKey"] for o in page["environmentObjects"]] == ["c3", "c4", "c5"]


def test_secrets_are_masked_and_set_fields_tell_them_apart(fake: FakeAstro) -> None:
    dev = ids(fake)["dev"]
    links = [
        {"scope": "DEPLOYMENT", "scopeEntityId": dev, "overrides": {"connection": {"password": "pw-dev", "login": "u"}}}
    ]
    object_id = create_conn(fake, links=links)
    _, obj, _ = call(fake, "GET", f"{OBJECTS}/{object_id}")
    assert obj["connection"]["password"] == "" and obj["connection"]["extra"] == {"api_token": "", "region": "eu"}
    assert {"password", "extra.api_token", "extra.region", "host", "type"} <= set(obj["setFields"])
    link = obj["links"][0]
    assert "password" not in link["connectionOverrides"] and link["connectionOverrides"]["login"] == "u"
    assert set(link["setFields"]) == {"password", "login"}
    assert "pw-" not in json.dumps(obj)


def test_a_duplicate_key_is_a_409(fake: FakeAstro) -> None:
    create_conn(fake)
    status, body, _ = call(
        fake, "POST", OBJECTS, {"objectKey": "db", "objectType": "CONNECTION", "scope": "WORKSPACE",
                                "scopeEntityId": ids(fake)["WS"], "connection": {"type": "postgres"}},
    )  # fmt: skip
    assert status == 409 and body["message"] and body["requestId"]


@pytest.mark.parametrize(
    "body",
    [{"description": "x"}, {"connection": {"host": "h2"}}, {"connection": {"type": "mysql"}}],
    ids=["no-typed-member", "no-type", "type-changed"],
)
def test_an_update_needs_the_typed_member_and_the_same_type(fake: FakeAstro, body: dict[str, Any]) -> None:
    object_id = create_conn(fake)
    status, answer, _ = call(fake, "POST", f"{OBJECTS}/{object_id}", body)
    assert status == 400 and answer["requestId"]


def test_is_secret_cannot_be_updated(fake: FakeAstro) -> None:
    body = {"objectKey": "v", "objectType": "AIRFLOW_VARIABLE", "scope": "WORKSPACE", "scopeEntityId": ids(fake)["WS"],
            "airflowVariable": {"value": "s3cr3t", "isSecret": True}}  # fmt: skip
    _, created, _ = call(fake, "POST", OBJECTS, body)
    _, obj, _ = call(fake, "GET", f"{OBJECTS}/{created['id']}")
    assert obj["airflowVariable"] == {"value": "", "isSecret": True}
    status, _, _ = call(
        fake, "POST", f"{OBJECTS}/{created['id']}", {"airflowVariable": {"value": "x", "isSecret": False}}
    )
    assert status == 400


@pytest.mark.parametrize("mode", ["clear", "preserve"])
def test_omitted_links_are_cleared_or_preserved_by_the_switch(fake: FakeAstro, mode: str) -> None:
    fake.admin("config", {"omitted_links": mode})
    dev = ids(fake)["dev"]
    object_id = create_conn(
        fake, autoLinkDeployments=True, excludeLinks=[{"scope": "DEPLOYMENT", "scopeEntityId": dev}]
    )
    _, obj, _ = call(fake, "POST", f"{OBJECTS}/{object_id}", {"connection": {"type": "postgres", "host": "h2"}})
    kept = mode == "preserve"
    assert obj["autoLinkDeployments"] is kept and bool(obj["excludeLinks"]) is kept
    assert obj["connection"]["host"] == "h2" and obj["connection"]["password"] == ""  # the secret survived


def test_unset_fields_remove_an_override_and_updated_at_moves(fake: FakeAstro) -> None:
    dev = ids(fake)["dev"]
    links = [{"scope": "DEPLOYMENT", "scopeEntityId": dev, "overrides": {"connection": {"login": "u", "host": "hd"}}}]
    object_id = create_conn(fake, links=links)
    _, before, _ = call(fake, "GET", f"{OBJECTS}/{object_id}")
    update = {
        "connection": {"type": "postgres"},
        "links": [{"scope": "DEPLOYMENT", "scopeEntityId": dev, "overrides": {"unsetFields": ["login"]}}],
    }
    _, after, _ = call(fake, "POST", f"{OBJECTS}/{object_id}", update)
    assert after["links"][0]["connectionOverrides"] == {"host": "hd"}
    assert after["updatedAt"] > before["updatedAt"]


def test_a_delete_is_204_and_a_repeat_404(fake: FakeAstro) -> None:
    object_id = create_conn(fake)
    assert call(fake, "DELETE", f"{OBJECTS}/{object_id}")[0] == 204
    assert call(fake, "DELETE", f"{OBJECTS}/{object_id}")[0] == 404


def test_faults_429_with_retry_after_and_500(fake: FakeAstro) -> None:
    fake.admin("fault", {"method": "GET", "path": "environment-objects", "status": 429, "retry_after": 2})
    fake.admin("fault", {"method": "GET", "path": "environment-objects", "status": 500})
    status, _, headers = call(fake, "GET", OBJECTS)
    assert status == 429 and headers.get("Retry-After") == "2"
    assert call(fake, "GET", OBJECTS)[0] == 500
    assert call(fake, "GET", OBJECTS)[0] == 200


def test_a_dropped_connection_after_a_create_still_created(fake: FakeAstro) -> None:
    fake.admin("fault", {"method": "POST", "path": "environment-objects$", "drop": True})
    with pytest.raises((http.client.HTTPException, ConnectionError)):
        create_conn(fake)
    assert [o["objectKey"] for o in fake.state()["objects"]] == ["db"]


def test_the_request_log_records_every_call(fake: FakeAstro) -> None:
    fake.admin("clear-log", {})
    create_conn(fake)
    call(fake, "GET", OBJECTS)
    assert [(e["method"], e["status"]) for e in fake.log()] == [("POST", 200), ("GET", 200)]
