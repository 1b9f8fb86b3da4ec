"""The real-Airflow fixture itself: a healthy API server with a known user, emptied per test."""

from __future__ import annotations

from support.realairflow import AirflowServer


def test_the_server_answers_with_its_version_and_the_known_user(airflow: AirflowServer) -> None:
    version = airflow.request("GET", f"{airflow.api}/version")
    assert version["version"].startswith(f"{airflow.major}.")
    assert [p["name"] for p in airflow.list("pools")] == ["default_pool"]
    assert airflow.list("connections") == []


def test_reset_empties_what_a_test_left(airflow: AirflowServer) -> None:
    airflow.request("POST", f"{airflow.api}/variables", {"key": "left_over", "value": "x"})
    airflow.request("POST", f"{airflow.api}/pools", {"name": "left_pool", "slots": 2})
    airflow.reset()
    assert airflow.list("variables") == []
    assert [p["name"] for p in airflow.list("pools")] == ["default_pool"]
