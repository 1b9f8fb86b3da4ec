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


ENCRYPTED = """
import json, sys
from airflow.models import Connection
from airflow.utils.session import create_session
with create_session() as session:
    row = session.query(Connection).filter(Connection.conn_id == "fernet_probe").one()
    found = {"is_encrypted": row.is_encrypted, "stored": row._password, "password": row.password}
print("ASTRO-GITOPS-AIRFLOW-RESULT " + json.dumps(found))
"""


def test_connections_are_stored_encrypted_with_the_fixtures_fernet_key(airflow: AirflowServer) -> None:
    """The fixture sets AIRFLOW__CORE__FERNET_KEY, as every real Airflow has one: a connection
    write goes through Airflow's encryption, which cryptography 46+ breaks in Airflow 3.1.8 (the
    constraints file keeps it below 46), so such a break fails here and in every apply test."""
    connection = {"connection_id": "fernet_probe", "conn_type": "http", "password": "probe-pw-1"}
    airflow.request("POST", f"{airflow.api}/connections", connection)
    found = airflow.run_python(ENCRYPTED)
    assert found["is_encrypted"] is True and found["password"] == "probe-pw-1"
    assert found["stored"] != "probe-pw-1"  # the database holds the Fernet token, not the text
    airflow.reset()


def test_the_constraints_files_pin_what_ci_and_the_readme_install() -> None:
    """One pinned install everywhere: .ci/run, CI, the README's local-Airflow steps and this
    fixture's instructions name the same constraints files, and each pins its Airflow."""
    import re

    from conftest import REPO

    from support.realairflow import INSTALL

    files = {"3.1.8": "constraints/constraints-3.1.8/constraints-3.11.txt"}
    files["2.11.0"] = "constraints/constraints-2.11.0/constraints-3.11.txt"
    texts = {name: (REPO / name).read_text() for name in (".ci/run", ".github/workflows/ci.yml")}
    for version, path in files.items():
        pins = dict(re.findall(r"(?m)^([\w.-]+)==([\w.]+)", (REPO / path).read_text()))
        assert pins["apache-airflow"] == version
        assert "Python 3.11" in (REPO / path).read_text()
        for name, text in texts.items():
            assert f'"apache-airflow=={version}" \\' in text and f"--constraint {path}" in text, name
    pins = dict(re.findall(r"(?m)^([\w.-]+)==([\w.]+)", (REPO / files["3.1.8"]).read_text()))
    assert int(pins["cryptography"].split(".")[0]) < 46
    assert files["3.1.8"] in INSTALL
    assert files["3.1.8"] in (REPO / "README.md").read_text()
