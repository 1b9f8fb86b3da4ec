"""remote/: the shared HTTP plumbing and the Astro client against the local server; the marker."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import imports_of_validate
from hypothesis import given
from hypothesis import strategies as st
from support.astro_fake import ORG, TOKEN, FakeAstro

from compiler.remote.astro import AstroApi, token_organization
from compiler.remote.http import AmbiguousWrite, ApiError, HttpClient, RetryPolicy, retry_after
from compiler.sync import marker

FAST = RetryPolicy(attempts=6, total=30.0, wait_initial=0.01, wait_max=0.05, wait_jitter=0.01)
OBJECTS = f"/organizations/{ORG}/environment-objects"


@pytest.fixture
def server(astro_server: FakeAstro) -> FakeAstro:
    astro_server.reset(page_size=2).seed("WS", ["d1"])
    return astro_server


@pytest.fixture
def client(server: FakeAstro) -> Iterator[HttpClient]:
    with HttpClient(server.url, TOKEN, timeout=5.0, policy=FAST) as http:
        yield http


def _variable(server: FakeAstro, key: str) -> dict[str, object]:
    ws = server.state()["workspaces"][0]["id"]
    return {"objectKey": key, "objectType": "AIRFLOW_VARIABLE", "scope": "WORKSPACE", "scopeEntityId": ws,
            "airflowVariable": {"value": "v"}}  # fmt: skip


def test_reads_retry_429_with_and_without_retry_after_and_503(server: FakeAstro, client: HttpClient) -> None:
    for fault in ({"status": 429, "retry_after": 0}, {"status": 429}, {"status": 503}, {"status": 504}):
        server.admin("fault", {"method": "GET", "path": "environment-objects", **fault})
    assert client.request("GET", OBJECTS)["totalCount"] == 0
    assert [e["status"] for e in server.log() if e["method"] == "GET"] == [429, 429, 503, 504, 200]


def test_a_read_gives_up_with_the_apis_message_and_request_id(server: FakeAstro, client: HttpClient) -> None:
    server.admin("fault", {"method": "GET", "path": "environment-objects", "status": 502, "count": 10})
    with pytest.raises(ApiError) as raised:
        client.request("GET", OBJECTS)
    assert raised.value.status == 502 and raised.value.request_id == "req-fault"
    assert "injected fault (requestId req-fault)" in str(raised.value) and TOKEN not in str(raised.value)


def test_a_500_is_not_retried_by_a_read_or_a_write(server: FakeAstro, client: HttpClient) -> None:
    server.admin("fault", {"method": "GET", "path": "environment-objects", "status": 500})
    with pytest.raises(ApiError):
        client.request("GET", OBJECTS)
    assert len(server.log()) == 1


def test_a_create_is_never_retried_blindly(server: FakeAstro, client: HttpClient) -> None:
    server.admin("fault", {"method": "POST", "path": "environment-objects$", "drop": True})
    with pytest.raises(AmbiguousWrite):
        client.request("POST", OBJECTS, json=_variable(server, "a"), retry="create")
    server.admin("fault", {"method": "POST", "path": "environment-objects$", "status": 502})
    with pytest.raises(AmbiguousWrite):
        client.request("POST", OBJECTS, json=_variable(server, "b"), retry="create")
    assert [e["method"] for e in server.log()].count("POST") == 2
    server.admin("fault", {"method": "POST", "path": "environment-objects$", "status": 429})
    client.request("POST", OBJECTS, json=_variable(server, "c"), retry="create")  # a 429 created nothing


def test_the_astro_client_creates_once_after_a_dropped_connection(server: FakeAstro, client: HttpClient) -> None:
    api = AstroApi(client, ORG)
    body = {**_variable(server, "once"), "description": "[astro-gitops owner=data-platform]"}
    server.admin("fault", {"method": "POST", "path": "environment-objects$", "drop": True})
    created = api.create(api_key(body), body)
    objects = server.state()["objects"]
    assert [o["id"] for o in objects] == [created]


def api_key(body: dict[str, object]) -> object:
    from compiler.review.changes import ObjectKey

    return ObjectKey(str(body["objectKey"]), str(body["objectType"]), str(body["scope"]), str(body["scopeEntityId"]))


def test_updates_retry_502_and_a_repeated_delete_is_done(server: FakeAstro, client: HttpClient) -> None:
    api = AstroApi(client, ORG)
    body = _variable(server, "x")
    object_id = api.create(api_key(body), body)  # type: ignore[arg-type]
    server.admin("fault", {"method": "POST", "path": object_id, "status": 502})
    api.update(
        object_id, {"airflowVariable": {"value": "w"}, "links": [], "excludeLinks": [], "autoLinkDeployments": False}
    )
    api.delete(object_id)
    api.delete(object_id)  # 404: already gone
    assert [e["status"] for e in server.log() if e["method"] == "DELETE"] == [204, 404]


def test_lists_are_read_page_by_page(server: FakeAstro, client: HttpClient) -> None:
    api = AstroApi(client, ORG)
    for i in range(5):
        body = _variable(server, f"k{i}")
        api.create(api_key(body), body)  # type: ignore[arg-type]
    server.admin("clear-log", {})
    ws = server.state()["workspaces"][0]["id"]
    assert sorted(o.key.object_key for o in api.objects(workspaceId=ws)) == [f"k{i}" for i in range(5)]
    assert [e["query"]["offset"] for e in server.log()] == ["0", "2", "4"]


def test_every_request_has_a_timeout(server: FakeAstro) -> None:
    server.admin("fault", {"method": "GET", "path": "workspaces", "delay": 3, "count": 5})
    with (
        HttpClient(
            server.url, TOKEN, timeout=0.5, policy=RetryPolicy(attempts=2, wait_initial=0.01, wait_max=0.01)
        ) as http,
        pytest.raises(ApiError) as raised,
    ):
        http.request("GET", f"/organizations/{ORG}/workspaces")
    assert raised.value.status is None and "Timeout" in str(raised.value)


def _jwt(claims: dict[str, object]) -> str:
    def part(data: dict[str, object]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")

    return f"{part({'alg': 'RS256'})}.{part(claims)}.signature"


def test_the_organization_is_read_from_the_tokens_permissions() -> None:
    token = _jwt({"permissions": ["workspaceId:ws1", "organizationId:cuid123"], "org_id": "other"})
    assert token_organization(token) == "cuid123"
    assert token_organization(_jwt({"org_id": "org9"})) == "org9"
    assert token_organization("not-a-jwt") is None
    assert token_organization("a.!!!.c") is None


def test_retry_after_reads_seconds_and_dates() -> None:
    assert retry_after({"retry-after": "3"}) == 3.0
    assert retry_after({"retry-after": "Wed, 21 Oct 2015 07:28:00 GMT"}) == 0.0  # in the past
    assert retry_after({"retry-after": "soon"}) is None
    assert retry_after({}) is None


owners = st.from_regex(marker.OWNER, fullmatch=True)
paths = st.text(min_size=1, max_size=20).filter(lambda p: p.strip() == p and p)
fingerprints = st.dictionaries(
    st.tuples(st.sampled_from(["-", "dp00000000000000000000002"]), paths),
    st.text("0123456789abcdef", min_size=16, max_size=16),
    max_size=4,
)


@given(st.text(max_size=80), owners, fingerprints, st.none() | st.text(min_size=1, max_size=30))
def test_a_marker_reads_back_after_any_description(
    description: str, owner: str, fps: dict[tuple[str, str], str], branch: str | None
) -> None:
    made = marker.Marker(owner, branch, fps)
    text, found = marker.split(marker.join(description, made))
    assert found == made
    assert text == marker.normal(description)  # whitespace normalized: what is sent reads back (issue 21)


def test_validate_imports_no_http_library(tmp_path: Path) -> None:
    root = Path(__file__).resolve().parents[2]
    modules = ("httpx", "stamina", "compiler.remote", "compiler.sync")
    assert imports_of_validate(root, modules) == (["0", "False", "False", "False", "False"], "")
