"""The Airflow REST client against a real Airflow 3 API server (tests/support/realairflow.py)."""

from __future__ import annotations

import pytest
from support.realairflow import PASSWORD, USER, AirflowServer

from compiler.remote.airflow import AirflowClient, AirflowError, Credentials, api_root, parse_version, request_body
from compiler.remote.http import ApiError
from compiler.sync.airflow_state import MASKED


def client(server: AirflowServer, **creds: str) -> AirflowClient:
    return AirflowClient(server.url, Credentials(**(creds or {"username": USER, "password": PASSWORD})))


def test_it_logs_in_tells_the_version_and_reads_a_fresh_airflow(airflow: AirflowServer) -> None:
    with client(airflow) as af:
        assert af.version.major == airflow.major and af.version.api == airflow.api
        live = af.read()
    assert [o.key for o in live.of_kind("pool")] == ["default_pool"]
    assert live.of_kind("pool")[0].fields["slots"] == 128
    assert live.of_kind("connection") == [] and live.of_kind("variable") == []


@pytest.mark.airflow3_only  # this Airflow 2 takes basic auth (bearer tokens come from an auth manager such as Astro's)
def test_a_bearer_token_works_as_well(airflow: AirflowServer) -> None:
    with client(airflow, token=airflow.token()) as af:
        assert af.read().of_kind("pool")


def test_a_wrong_password_is_a_refused_login_that_never_shows_the_password(airflow: AirflowServer) -> None:
    with pytest.raises(AirflowError) as caught:
        client(airflow, username=USER, password="wrong-pass-abc")
    assert "refused the login" in str(caught.value)
    assert "wrong-pass-abc" not in str(caught.value)


def test_created_objects_read_back_with_the_password_masked(airflow: AirflowServer) -> None:
    fields = {
        "type": "postgres",
        "host": "db.internal",
        "port": 5432,
        "login": "loader",
        "password": "pw-value-1",
        "extra": {"sslmode": "require", "api_token": "tok-value-1", "Case": {"Nested": 1}},
    }
    with client(airflow) as af:
        af.create("connection", request_body("connection", "warehouse", fields, "Warehouse [m]"))
        af.create("variable", request_body("variable", "bucket", {"value": "s3://landing"}, None))
        af.create("pool", request_body("pool", "io", {"slots": 4, "include_deferred": True}, "IO"))
        live = af.read()
    conn = live.objects[("connection", "warehouse")]
    assert conn.description == "Warehouse [m]"
    assert conn.fields.get("password") == (MASKED if airflow.major >= 3 else None)  # Airflow 2: write-only
    assert conn.fields["extra"] == {"sslmode": "require", "api_token": MASKED, "Case": {"Nested": 1}}
    assert {k: conn.fields[k] for k in ("type", "host", "port", "login")} == {
        "type": "postgres",
        "host": "db.internal",
        "port": 5432,
        "login": "loader",
    }
    assert live.objects[("variable", "bucket")].fields == {"value": "s3://landing"}
    assert live.objects[("pool", "io")].fields == {"slots": 4, "include_deferred": True}
    # What Airflow itself holds, read without our client:
    raw = airflow.request("GET", f"{airflow.api}/connections/warehouse")
    assert raw["extra"] and raw.get("password") in (MASKED, None)


def test_an_update_changes_only_the_named_fields(airflow: AirflowServer) -> None:
    airflow.request(
        "POST",
        f"{airflow.api}/connections",
        {"connection_id": "c", "conn_type": "http", "host": "a", "login": "keep", "password": "pw", "description": "d"},
    )
    with client(airflow) as af:
        af.update("connection", "c", request_body("connection", "c", {"type": "http", "host": "b"}, None), ["host"])
        after = af.get("connection", "c")
    assert after is not None
    assert (after.fields["host"], after.fields["login"], after.description) == ("b", "keep", "d")
    if airflow.major >= 3:
        assert after.fields["password"] == MASKED  # kept, not cleared


def test_default_pool_slots_change_and_its_description_is_left_alone(airflow: AirflowServer) -> None:
    with client(airflow) as af:
        body = request_body("pool", "default_pool", {"slots": 16}, "ours [m]")
        af.update("pool", "default_pool", body, ["slots", "description"])
        pool = af.get("pool", "default_pool")
    assert pool is not None
    assert (pool.fields["slots"], pool.description) == (16, "Default pool")


def test_a_repeated_delete_succeeds_and_a_missing_object_reads_as_none(airflow: AirflowServer) -> None:
    airflow.request("POST", f"{airflow.api}/variables", {"key": "gone", "value": "x"})
    with client(airflow) as af:
        af.delete("variable", "gone")
        af.delete("variable", "gone")
        assert af.get("variable", "gone") is None


def test_lists_are_read_page_by_page(airflow: AirflowServer) -> None:
    keys = [f"v{i:03d}" for i in range(130)]
    if airflow.major >= 3:
        entities = [{"key": k, "value": k} for k in keys]
        airflow.request("PATCH", f"{airflow.api}/variables", {"actions": [{"action": "create", "entities": entities}]})
    else:
        for k in keys:
            airflow.request("POST", f"{airflow.api}/variables", {"key": k, "value": k})
    with client(airflow) as af:
        assert [o.key for o in af.read_kind("variable")] == keys


@pytest.mark.airflow3_only  # Airflow 2 takes slots below -1 (validate refuses them before any request)
def test_airflows_refusal_is_told_by_field_never_with_the_sent_value(airflow: AirflowServer) -> None:
    with client(airflow) as af, pytest.raises(ApiError) as caught:
        af.create("pool", {"name": "p", "slots": -7, "description": "x"})
    message = str(caught.value)
    assert "HTTP 422" in message and "body.slots" in message and "greater than or equal to -1" in message
    assert "-7" not in message


def test_urls_get_https_by_default_and_plain_http_only_to_loopback() -> None:
    assert api_root("x.astronomer.run/d1234/api/v2") == "https://x.astronomer.run/d1234"
    assert api_root("http://localhost:8080/") == "http://localhost:8080"
    assert api_root("http://127.0.0.1:9/api/v1") == "http://127.0.0.1:9"
    assert api_root("http://[::1]:8080") == "http://[::1]:8080"
    for bad in ("http://airflow.example.com", "ftp://x", "https://"):
        with pytest.raises(AirflowError):
            api_root(bad)


def test_versions_tell_the_api_and_include_deferred() -> None:
    assert parse_version("3.1.8").api == "/api/v2"
    assert parse_version("2.11.0").api == "/api/v1"
    assert parse_version("2.7.0").has_include_deferred
    assert not parse_version("2.6.3").has_include_deferred
    assert parse_version("3.0.0.dev0+abc").major == 3


def test_credentials_come_from_the_environment_or_the_error_names_them() -> None:
    assert Credentials.from_env({"AIRFLOW_API_TOKEN": "t"}).token == "t"
    with pytest.raises(AirflowError, match="AIRFLOW_USERNAME and AIRFLOW_PASSWORD"):
        Credentials.from_env({"AIRFLOW_USERNAME": "only-me"})


def test_a_create_that_meets_an_existing_key_never_takes_it_as_created(airflow: AirflowServer) -> None:
    # SPEC 7.3: what a 409 finds is ours only with our marker and after an attempt of ours that
    # may have created it; a hand-made object (no marker) and a marked one the read did not list
    # both stop the create, and neither is touched.
    airflow.request("POST", f"{airflow.api}/pools", {"name": "twice", "slots": 2, "description": "first"})
    marked = "[astro-gitops owner=data-platform]"
    airflow.request("POST", f"{airflow.api}/pools", {"name": "marked", "slots": 3, "description": marked})
    with client(airflow) as af:
        with pytest.raises(AirflowError, match=r"no astro-gitops marker.*left unchanged"):
            af.create_once("pool", request_body("pool", "twice", {"slots": 5}, f"mine {marked}"))
        with pytest.raises(AirflowError, match="did not list it"):
            af.create_once("pool", request_body("pool", "marked", {"slots": 5}, marked))
        with pytest.raises(ApiError) as caught:
            af.create("pool", request_body("pool", "twice", {"slots": 2}, "first"))
    assert caught.value.status == 409
    pools = {p["name"]: p for p in airflow.list("pools")}
    assert (pools["twice"]["slots"], pools["twice"]["description"]) == (2, "first")
    assert pools["marked"]["slots"] == 3
    assert [p["name"] for p in airflow.list("pools")].count("twice") == 1
