"""`import --from-astro` / `--from-airflow` never write a credential or a known secret value
into environments/ (compiler/onboarding/known_values.py), through the installed command: a live
field that can be secret and holds the API token, the Airflow password, a value the environment
holds for a secret environments/ names or one an Airflow returned in clear becomes a
`{secret: NAME}`, named in a note; a description or key holding one refuses the import, each
place located, nothing written; never the value, in any encoding."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import pytest
from conftest import git, run_cli, write_files
from ruamel.yaml import YAML
from support.astro_fake import FakeAstro
from support.handmade import WORKSPACE, seed_handmade
from support.realairflow import AirflowServer

from acceptance.test_import_airflow import CREDENTIALS, handmade
from acceptance.test_import_airflow import repo as airflow_repo  # noqa: F401 (a fixture)

KEPT = "kept-Zq43kv7w-password"  # the value of a secret environments/ already names
KEPT_FILE = "connections:\n  kept_db: {type: postgres, host: db, password: {secret: KEPT_DB_PASSWORD}, links: all}\n"


def _forms(value: str) -> list[str]:
    return [
        value,
        value.lower(),
        value.upper(),
        value[: max(8, len(value) // 2)],
        base64.b64encode(value.encode()).decode(),
    ]


def _leaks(root: Path, printed: str, values: list[str]) -> list[str]:
    written = (
        "".join(p.read_text() for p in (root / "environments").rglob("*.yaml"))
        if (root / "environments").exists()
        else ""
    )
    return [form for value in values for form in _forms(value) if form in written + printed]


def _seed(astro: FakeAstro, *objects: dict[str, Any]) -> None:
    astro.reset()
    seed_handmade(astro)
    astro.admin("seed", {"objects": list(objects)})


def _conn(key: str, member: dict[str, Any], **more: Any) -> dict[str, Any]:
    scope = {"scope": "WORKSPACE", "scopeEntityId": WORKSPACE, "autoLinkDeployments": True}
    return {"objectKey": key, "objectType": "CONNECTION", "connection": member, **scope, **more}


def _var(key: str, value: str) -> dict[str, Any]:
    scope = {"scope": "DEPLOYMENT", "scopeEntityId": "production"}
    return {"objectKey": key, "objectType": "AIRFLOW_VARIABLE", "airflowVariable": {"value": value}, **scope}


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "data-platform"
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    write_files(root, {"environments/objects/kept.yaml": KEPT_FILE})
    return root


def test_a_live_field_holding_the_token_or_a_secret_value_is_imported_as_a_reference(
    astro_server: FakeAstro, repo: Path
) -> None:
    token = astro_server.token
    leaky = {
        "type": "http",
        "host": "api.example.com",
        "extra": {"region": "eu-west-1", "note": base64.b64encode(f"x:{token}".encode()).decode(), "pin": {"n": KEPT}},
    }
    _seed(astro_server, _conn("leaky_api", leaky), _var("pasted", f"Bearer {token}"))
    astro_server.admin("seed", {"deployments": [{"name": "leaky", "workspace": WORKSPACE, "environmentVariables": [
        {"key": "API_URL", "isSecret": False, "value": f"https://x.example?token={KEPT.lower()}"}]}]})  # fmt: skip
    env = astro_server.env(KEPT_DB_PASSWORD=KEPT)
    done = run_cli("import", "--from-astro", "--workspace", WORKSPACE, cwd=repo, env=env)
    assert done.code == 0, done.err
    assert not _leaks(repo, done.out + done.err, [token, KEPT])
    connection = YAML(typ="safe", pure=True).load((repo / "environments/objects/connections.yaml").read_text())
    assert connection["connections"]["leaky_api"]["extra"] == {
        "region": "eu-west-1",
        "note": {"secret": "LEAKY_API_EXTRA_NOTE"},
        "pin": {"n": {"secret": "LEAKY_API_EXTRA_PIN_N"}},
    }
    leaky_file = YAML(typ="safe", pure=True).load((repo / "environments/deployments/leaky.yaml").read_text())
    assert leaky_file["environment_variables"] == {"API_URL": {"secret": "API_URL__LEAKY"}}
    production = YAML(typ="safe", pure=True).load((repo / "environments/deployments/production.yaml").read_text())
    assert production["variables"]["pasted"] == {"value": {"secret": "PASTED__PRODUCTION"}}
    for where in ("connection leaky_api extra.note (workspace)", "environment variable API_URL (Deployment leaky)"):
        assert f"{where} held a credential or a secret value: written as a secret reference" in done.err
    assert run_cli("validate", cwd=repo).code == 0


@pytest.mark.parametrize("place", ["description", "key", "host", "login"])
def test_a_description_key_host_or_login_holding_the_token_refuses_the_import(
    astro_server: FakeAstro, repo: Path, place: str
) -> None:
    token = astro_server.token
    member: dict[str, Any] = {"type": "http", "host": "api.example.com"}
    if place == "key":
        member["extra"] = {f"t-{token}": "x"}
    if place in ("host", "login"):  # fields that cannot be a secret reference
        member[place] = f"svc-{token.upper()}"
    description = f"rotated {token} on Monday" if place == "description" else ""
    _seed(astro_server, _conn("leaky_api", member, description=description))
    done = run_cli("import", "--from-astro", "--workspace", WORKSPACE, cwd=repo, env=astro_server.env())
    assert done.code == 1, done
    assert "would write a credential or a secret value into environments/, nothing written" in done.err
    spot = f"connections.leaky_api.{'extra.*** (key)' if place == 'key' else place}"
    assert "environments/objects/connections.yaml:" in done.err and spot in done.err, done.err
    assert sorted(p.name for p in (repo / "environments").rglob("*.yaml")) == ["kept.yaml"]  # nothing written
    assert not _leaks(repo, done.out + done.err, [token])


def test_a_short_known_value_refuses_only_a_field_that_is_it(astro_server: FakeAstro, repo: Path) -> None:
    # A secret value `airflow` (the docker-compose default password) refused every host,
    # login or key that held the word: only a field that is the value is refused now.
    member = {"type": "http", "host": "airflow.example.com", "login": "airflow_reader", "extra": {"airflow_env": "x"}}
    _seed(astro_server, _conn("airflow_api", member, description="the airflow API"))
    env = astro_server.env(KEPT_DB_PASSWORD="airflow")
    done = run_cli("import", "--from-astro", "--workspace", WORKSPACE, cwd=repo, env=env)
    assert done.code == 0, done.err
    written = YAML(typ="safe", pure=True).load((repo / "environments/objects/connections.yaml").read_text())
    assert written["connections"]["airflow_api"]["host"] == "airflow.example.com"
    assert written["connections"]["airflow_api"]["login"] == "airflow_reader"
    _seed(astro_server, _conn("airflow_api", {**member, "login": "airflow"}))
    refused = run_cli("import", "--from-astro", "--workspace", WORKSPACE, "--force", cwd=repo, env=env)
    # The key prints as `***_api`: every printed line is masked for each known value, wherever it occurs.
    assert refused.code == 1 and "connections.***_api.login holds a credential" in refused.err, refused.err
    assert "host holds" not in refused.err and "connections.yaml:" in refused.err


@pytest.mark.slow
def test_an_airflow_value_holding_its_password_or_a_clear_secret_is_a_reference_or_refused(
    airflow: AirflowServer,
    airflow_repo: Path,  # noqa: F811
) -> None:
    handmade(airflow)  # gcp_credentials: a value Airflow returns in clear under a secret-looking name
    password = airflow.credentials["AIRFLOW_PASSWORD"]
    body = {"connection_id": "leaky", "conn_type": "http", "host": "h", "extra": f'{{"note": "{CREDENTIALS}"}}'}
    airflow.request("POST", f"{airflow.api}/connections", body)
    airflow.request("POST", f"{airflow.api}/variables", {"key": "pasted", "value": f"was {password}"})
    args = ("import", "--from-airflow", airflow.url, "--deployment", "development", "--force")
    done = run_cli(*args, cwd=airflow_repo, env=airflow.credentials)
    assert done.code == 0, done.err
    written = airflow_repo / "environments/deployments/development.yaml"
    data = YAML(typ="safe", pure=True).load(written.read_text())
    assert data["connections"]["leaky"]["extra"] == {"note": {"secret": "LEAKY__DEVELOPMENT_EXTRA_NOTE"}}
    assert data["variables"]["pasted"] == {"value": {"secret": "PASTED__DEVELOPMENT"}}
    assert not _leaks(airflow_repo, done.out + done.err, [password, CREDENTIALS])
    # A host cannot be a secret reference: refused, located, the file left as it was.
    before = written.read_text()
    airflow.request(
        "POST",
        f"{airflow.api}/connections",
        {"connection_id": "leaky_host", "conn_type": "http", "host": f"h-{password}"},
    )
    refused = run_cli(*args, cwd=airflow_repo, env=airflow.credentials)
    assert refused.code == 1 and "connections.leaky_host.host holds a credential" in refused.err, refused.err
    assert written.read_text() == before and not _leaks(airflow_repo, refused.out + refused.err, [password])
