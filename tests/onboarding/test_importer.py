"""`import` (compiler/importer.py): an Astro CLI airflow_settings.yaml becomes environments/ files
that render back to the same connections, variables and pools, with every secret taken out."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import run_cli, run_python, write_files
from ruamel.yaml import YAML
from support.realairflow import airflow_python, run_airflow_script

from compiler.errors import OperationError, UsageError
from compiler.model import secrets
from compiler.onboarding import importer
from compiler.onboarding.connuri import parse_conn_uri
from compiler.onboarding.importer import ImportResult, InvalidSettings, import_settings
from compiler.validate.project import validate_root

MakeRepo = Callable[..., Path]

SETTINGS = r"""
# A realistic local settings file: fields, conn_uri only, extra as a mapping and as JSON text.
airflow:
  connections:
    - conn_id: snowflake_default
      conn_type: snowflake
      conn_host: ab12345.us-east-1.snowflakecomputing.com
      conn_schema: ANALYTICS
      conn_login: svc_airflow
      conn_password: "p@ss:w'rd \"1\""
      conn_port: 443
      conn_extra:
        account: ab12345
        warehouse: TRANSFORM_WH
        database: DEV
        private_key_content: "-----BEGIN PRIVATE KEY-----\nMIIB\n-----END PRIVATE KEY-----\n"
    - conn_id: my-api
      conn_type: http
      conn_host: https://api.example.com
      conn_extra: '{"api_token": "tok3n", "Timeout": 30, "headers": {"X-Request-Date": "{{ ds }}"}, "verify": true, "retries": [1, 2.5, null]}'
    - conn_id: warehouse_pg
      conn_uri: postgresql://etl%40corp:s%3Dcr%2Fet@DB.Example.com:5433/analytics?sslmode=require&application_name=airflow
    - conn_id: aws_default
      conn_uri: aws://?__extra__=%7B%22region_name%22%3A+%22eu-west-1%22%2C+%22role_arn%22%3A+%22arn%3Aaws%3Aiam%3A%3A1%3Arole%2Fx%22%7D
    - conn_id: sftp_partner
      conn_type: sftp
      conn_host: sftp.partner.example.com
      conn_login: acme
      conn_password: "98765432"
      conn_port: "2222"
  pools:
    - pool_name: snowflake_pool
      pool_slot: 8
      pool_description: Limit warehouse concurrency
    - pool_name: unlimited
      pool_slot: -1
  variables:
    - variable_name: data_bucket
      variable_value: s3://acme-data/{{ ds }}/
    - variable_name: job_config
      variable_value: '{"retries": 3, "alert": "data@example.com"}'
    - variable_name: partner_api_token
      variable_value: xyz-123
"""

# What Airflow stores for each connection (conn_uri spelled out by hand, not by our parser).
EXPECTED_CONNECTIONS: dict[str, dict[str, Any]] = {
    "snowflake_default": {
        "conn_type": "snowflake", "conn_host": "ab12345.us-east-1.snowflakecomputing.com", "conn_schema": "ANALYTICS",
        "conn_login": "svc_airflow", "conn_password": "p@ss:w'rd \"1\"", "conn_port": 443,
        "conn_extra": {"account": "ab12345", "warehouse": "TRANSFORM_WH", "database": "DEV",
                       "private_key_content": "-----BEGIN PRIVATE KEY-----\nMIIB\n-----END PRIVATE KEY-----\n"},
    },
    "my-api": {
        "conn_type": "http", "conn_host": "https://api.example.com",
        "conn_extra": {"api_token": "tok3n", "Timeout": 30, "headers": {"X-Request-Date": "{{ ds }}"}, "verify": True, "retries": [1, 2.5, None]},
    },
    "warehouse_pg": {
        "conn_type": "postgres", "conn_host": "db.example.com", "conn_schema": "analytics", "conn_login": "etl@corp",
        "conn_password": "s=cr/et", "conn_port": 5433, "conn_extra": {"sslmode": "require", "application_name": "airflow"},
    },
    "aws_default": {"conn_type": "aws", "conn_extra": {"region_name": "eu-west-1", "role_arn": "arn:aws:iam::1:role/x"}},
    "sftp_partner": {
        "conn_type": "sftp", "conn_host": "sftp.partner.example.com", "conn_login": "acme", "conn_password": "98765432", "conn_port": 2222,
    },
}  # fmt: skip
EXPECTED_SECRETS = {
    "SNOWFLAKE_DEFAULT_PASSWORD": 'p@ss:w\'rd "1"',
    "SNOWFLAKE_DEFAULT_EXTRA_PRIVATE_KEY_CONTENT": "-----BEGIN PRIVATE KEY-----\nMIIB\n-----END PRIVATE KEY-----\n",
    "MY_API_EXTRA_API_TOKEN": "tok3n",
    "WAREHOUSE_PG_PASSWORD": "s=cr/et",
    "SFTP_PARTNER_PASSWORD": "98765432",
    "PARTNER_API_TOKEN": "xyz-123",
}
WORKSPACE = "version: 1\nworkspace: Imported\nbranches:\n  - branch: main\n    deployment: local\n"
DEPLOYMENT = "name: local\nastro: {executor: CELERY}\nworker_queues: [{name: default, worker_type: A5}]\n"


def safe_load(text: str) -> Any:
    return YAML(typ="safe", pure=True).load(text)


def imported(text: str = SETTINGS, **options: Any) -> ImportResult:
    """Imported and linked to all Deployments (the default, linking nowhere, has its own tests)."""
    return import_settings(text, "airflow_settings.yaml", **{"links": "all", **options})


def settings(*connections: str, variables: str = "", pools: str = "") -> str:
    """A settings file from connection entries written as YAML mapping bodies."""
    body = "airflow:\n  connections:\n" + "".join(_entry(c) for c in connections)
    return (
        body
        + (f"  variables:\n{_entry(variables)}" if variables else "")
        + (f"  pools:\n{_entry(pools)}" if pools else "")
    )


def _entry(body: str) -> str:
    lines = body.strip("\n").splitlines()
    return "".join(("    - " if i == 0 else "      ") + line + "\n" for i, line in enumerate(lines))


def codes(result: ImportResult | InvalidSettings) -> list[str]:
    return [d.code for d in result.diagnostics]


# --- round trip (acceptance) -------------------------------------------------------------------


def render_imported(make_repo: MakeRepo, tmp_path: Path, files: dict[str, str], secrets: dict[str, str]) -> Any:
    """The imported files in a repository with one Deployment, rendered with the secrets in env."""
    root = make_repo(
        {"environments/workspace.yaml": WORKSPACE, "environments/deployments/local.yaml": DEPLOYMENT, **files}
    )
    assert validate_root(root).diagnostics == ()
    out = tmp_path / "out"
    command = ["-m", "compiler", "--root", str(root), "render", "--deployment", "local", "--out", str(out)]
    command += ["--secrets", "env"] if secrets else []
    run = run_python(*command, cwd=root, env=secrets)
    assert run.returncode == 0, run.stderr
    return safe_load((out / "local" / "airflow_settings.yaml").read_text())["airflow"]


def test_import_then_render_gives_back_the_same_objects(make_repo: MakeRepo, tmp_path: Path) -> None:
    result = imported()
    assert result.secrets == EXPECTED_SECRETS
    assert result.counts == {"connections": 5, "variables": 3, "pools": 2}
    rendered = render_imported(make_repo, tmp_path, result.files, result.secrets)
    connections = {c.pop("conn_id"): c for c in rendered["connections"]}
    for connection in connections.values():
        connection["conn_extra"] = json.loads(connection["conn_extra"]) if "conn_extra" in connection else None
    expected = {k: {"conn_extra": None, **v} for k, v in EXPECTED_CONNECTIONS.items()}
    assert connections == expected

    variables = {v["variable_name"]: v["variable_value"] for v in rendered["variables"]}
    assert variables == {
        "data_bucket": "s3://acme-data/{{ ds }}/",
        "job_config": '{"retries": 3, "alert": "data@example.com"}',
        "partner_api_token": "xyz-123",
    }
    pools = {p["pool_name"]: p for p in rendered["pools"]}
    assert pools == {
        "snowflake_pool": {
            "pool_name": "snowflake_pool",
            "pool_slot": 8,
            "pool_description": "Limit warehouse concurrency",
        },
        "unlimited": {"pool_name": "unlimited", "pool_slot": -1},
    }


def test_files_hold_references_and_never_a_secret_value() -> None:
    result = imported()
    assert sorted(result.files) == [f"environments/imported/{s}.yaml" for s in ("connections", "pools", "variables")]
    text = "".join(result.files.values())
    for value in result.secrets.values():
        assert value not in text
    connections = safe_load(result.files["environments/imported/connections.yaml"])["connections"]
    assert connections["snowflake_default"]["password"] == {"secret": "SNOWFLAKE_DEFAULT_PASSWORD"}
    assert connections["snowflake_default"]["extra"]["private_key_content"] == {
        "secret": "SNOWFLAKE_DEFAULT_EXTRA_PRIVATE_KEY_CONTENT"
    }
    assert connections["my-api"]["extra"]["api_token"] == {"secret": "MY_API_EXTRA_API_TOKEN"}
    assert all(c["links"] == "all" for c in connections.values())
    variables = safe_load(result.files["environments/imported/variables.yaml"])["variables"]
    assert variables["partner_api_token"]["value"] == {"secret": "PARTNER_API_TOKEN"}


def test_every_file_starts_with_the_schema_comment_and_is_deterministic() -> None:
    first, second = imported(), imported()
    assert first.files == second.files
    for text in first.files.values():
        assert text.startswith(
            "# yaml-language-server: $schema=https://raw.githubusercontent.com/astro-gitops/astro-gitops/main/schemas/objects.schema.json\n"
        )


def test_links_option(make_repo: MakeRepo) -> None:
    assert importer.parse_links("all") == "all"
    assert importer.parse_links("local, staging,local") == ("local", "staging")
    with pytest.raises(UsageError):
        importer.parse_links(" , ")
    result = imported(links=("local",))
    connections = safe_load(result.files["environments/imported/connections.yaml"])["connections"]
    assert {c["links"] == ["local"] for c in connections.values()} == {True}
    root = make_repo(
        {"environments/workspace.yaml": WORKSPACE, "environments/deployments/local.yaml": DEPLOYMENT, **result.files}
    )
    assert validate_root(root).diagnostics == ()


# --- secret names ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("parts", "name"),
    [
        (("snowflake_default", "PASSWORD"), "SNOWFLAKE_DEFAULT_PASSWORD"),
        (("my-api", "EXTRA", "api_token"), "MY_API_EXTRA_API_TOKEN"),
        (("db.v2..x", "PASSWORD"), "DB_V2_X_PASSWORD"),
        (("2fa", "PASSWORD"), "_2FA_PASSWORD"),
        (("gcp", "EXTRA", "users", 0, "password"), "GCP_EXTRA_USERS_0_PASSWORD"),
        (("---",), "SECRET"),
    ],
)
def test_secret_name(parts: tuple[str | int, ...], name: str) -> None:
    assert importer.secret_name(*parts) == name


def test_secret_names_are_unique_and_avoid_existing_ones() -> None:
    text = settings(
        "conn_id: a-b\nconn_type: http\nconn_password: one", "conn_id: a_b\nconn_type: http\nconn_password: two"
    )
    result = imported(text, existing_names={"A_B_PASSWORD"})
    assert result.secrets == {"A_B_PASSWORD_2": "one", "A_B_PASSWORD_3": "two"}


def test_secret_looking_extra_leaves_at_any_depth_and_in_lists() -> None:
    extra = {
        "auth": {"client_secret": "cs", "client_id": "id"},
        "tokens": ["t1", "t2"],
        "token_ttl": 60,
        "password": "",
    }
    result = imported(settings(f"conn_id: svc\nconn_type: http\nconn_extra: '{json.dumps(extra)}'"))
    written = safe_load(result.files["environments/imported/connections.yaml"])["connections"]["svc"]["extra"]
    # As validate's plaintext rule reads extra: a list or a number under a secret-looking key is
    # one secret (its JSON text); an empty value holds none.
    assert written == {
        "auth": {"client_secret": {"secret": "SVC_EXTRA_AUTH_CLIENT_SECRET"}, "client_id": "id"},
        "tokens": {"secret": "SVC_EXTRA_TOKENS"},
        "token_ttl": {"secret": "SVC_EXTRA_TOKEN_TTL"},
        "password": "",
    }
    assert result.secrets == {
        "SVC_EXTRA_AUTH_CLIENT_SECRET": "cs",
        "SVC_EXTRA_TOKENS": '["t1", "t2"]',
        "SVC_EXTRA_TOKEN_TTL": "60",
    }


def test_dotenv_text_reads_back_through_the_dotenv_source(tmp_path: Path) -> None:
    values = {
        "PLAIN": "abc",
        "QUOTE": "it's",
        "DOUBLE": 'say "hi"',
        "LINES": "a\nb\n",
        "HASH": "x #y",
        "SPACE": " padded ",
    }
    path = tmp_path / ".env"
    path.write_text(importer.dotenv_text(values))
    assert secrets.read_dotenv(path) == values


# --- conn_uri, as Airflow parses it -----------------------------------------------------------

URIS: dict[str, dict[str, Any]] = {
    "postgresql://user:pass@host:5432/db": {
        "type": "postgres",
        "host": "host",
        "login": "user",
        "password": "pass",
        "port": 5432,
        "schema": "db",
    },
    "mysql://u%20x:p%40ss@MyHost/my%2Fschema": {
        "type": "mysql",
        "host": "myhost",
        "login": "u x",
        "password": "p@ss",
        "schema": "my/schema",
    },
    "google-cloud-platform://": {"type": "google_cloud_platform"},
    "aws://?region_name=eu-west-1&empty=": {"type": "aws", "extra": {"region_name": "eu-west-1", "empty": ""}},
    "http://https%3A%2F%2Fapi.example.com/v1": {"type": "http", "host": "https://api.example.com", "schema": "v1"},
    "http://https://API.example.com:8443/v1": {
        "type": "http",
        "host": "https://api.example.com",
        "port": 8443,
        "schema": "v1",
    },
    "generic://?__extra__=%7B%22a%22%3A+%5B1%2C+2%5D%7D": {"type": "generic", "extra": {"a": [1, 2]}},
}


@pytest.mark.parametrize("uri", sorted(URIS))
def test_parse_conn_uri(uri: str) -> None:
    assert parse_conn_uri(uri) == URIS[uri]


@pytest.mark.parametrize(
    "uri",
    [
        "no scheme at all",
        "a://b://c://d",
        "postgres://u:secret@host:notaport/db",
        "http://u:secret@https://x",
        "spark://spark://master:7077",  # Airflow refuses it too
        "http://u:secret\uff03x@host",  # urlsplit's own message would quote the netloc
        "x://?__extra__=%5B1%5D",
    ],
)
def test_bad_conn_uri_is_an_error_that_does_not_quote_it(uri: str) -> None:
    with pytest.raises(InvalidSettings) as raised:
        imported(settings(f"conn_id: c\nconn_uri: '{uri}'"))
    assert codes(raised.value) == ["invalid-uri"]
    assert "secret" not in str(raised.value)


AIRFLOW_PARSE = r"""
import json, sys
from airflow.models.connection import Connection
out = []
for uri in json.load(sys.stdin):
    c = Connection(conn_id="x", uri=uri)
    fields = {"type": c.conn_type, "host": c.host, "schema": c.schema, "login": c.login, "password": c.password, "port": c.port,
              "extra": c.extra_dejson}
    out.append({k: v for k, v in fields.items() if v not in (None, "", {})})
print("ASTRO-GITOPS-AIRFLOW-RESULT " + json.dumps(out))
"""


def test_parse_conn_uri_agrees_with_airflow(tmp_path: Path) -> None:
    uris = sorted(URIS)
    parsed = run_airflow_script(airflow_python(), AIRFLOW_PARSE, tmp_path / "airflow-home", uris)
    assert dict(zip(uris, parsed, strict=True)) == {u: parse_conn_uri(u) for u in uris}


# --- read as the Astro CLI reads it -----------------------------------------------------------


def test_keys_match_ignoring_case_and_the_astro_template_imports_nothing() -> None:
    result = imported("AIRFLOW:\n  Connections:\n    - CONN_ID: c\n      Conn_Type: http\n")
    assert safe_load(result.files["environments/imported/connections.yaml"])["connections"]["c"]["type"] == "http"
    template = (
        "airflow:\n  connections:\n    - conn_id:\n      conn_type:\n      conn_host:\n      conn_port:\n"
        "      conn_extra:\n        example_extra_field: example-value\n"
        "  pools:\n    - pool_name:\n      pool_slot:\n      pool_description:\n"
        "  variables:\n    - variable_name:\n      variable_value:\n"
    )
    with pytest.raises(InvalidSettings) as raised:
        imported(template)
    assert codes(raised.value) == ["nothing-imported", "skipped-entry", "skipped-entry", "skipped-entry"]


@pytest.mark.parametrize(
    ("entry", "code"),
    [
        ("conn_id: c\nconn_host: h", "skipped-entry"),  # neither conn_type nor conn_uri
        ("conn_id: c\nconn_type: http\nconn_uri: http://h", "uri-ignored"),
        ("conn_id: c\nconn_type: http\nconn_extra: [1]", "extra-dropped"),
        ("conn_id: c\nconn_type: http\nconn_extra: {Account: x}", "extra-key-case"),
        ("conn_id: c\nconn_type: http\nconn_login: 42", "number-as-text"),
    ],
)
def test_warnings(entry: str, code: str) -> None:
    assert code in codes(imported(settings(entry, "conn_id: other\nconn_type: http")))


def test_unknown_key_suggests_the_known_one() -> None:
    with pytest.raises(InvalidSettings) as raised:
        imported(settings("conn_id: c\nconn_type: http\nconn_pasword: pw"))
    [diagnostic] = raised.value.diagnostics
    assert (diagnostic.code, diagnostic.severity) == ("unknown-key", "error")
    assert "did you mean 'conn_password'" in diagnostic.message
    assert "pw" not in diagnostic.message.replace("conn_pasword", "")


def test_duplicate_entries_the_later_wins() -> None:
    result = imported(
        settings("conn_id: c\nconn_type: http\nconn_host: first", "conn_id: c\nconn_type: http\nconn_host: second")
    )
    assert codes(result) == ["duplicate-entry"]
    assert safe_load(result.files["environments/imported/connections.yaml"])["connections"]["c"]["host"] == "second"


def test_conn_extra_replaces_the_extra_of_conn_uri() -> None:
    result = imported(settings("conn_id: c\nconn_uri: http://h?a=1\nconn_extra: '{\"b\": 2}'"))
    assert codes(result) == ["extra-replaces-uri"]
    assert safe_load(result.files["environments/imported/connections.yaml"])["connections"]["c"]["extra"] == {"b": 2}


def test_skipped_variables_and_pools() -> None:
    result = imported(
        settings(
            "conn_id: c\nconn_type: http",
            variables="variable_name: v\nvariable_value: ''",
            pools="pool_name: p\npool_slot: 0",
        )
    )
    assert codes(result) == ["skipped-entry", "skipped-entry"]
    assert list(result.files) == ["environments/imported/connections.yaml"]


# --- errors: every problem at once, located, no secret, no traceback ---------------------------


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("airflow:\n  connections: [\n", "yaml-syntax"),
        ("airflow:\n  connections:\n    - conn_id: a\n      conn_id: b\n", "duplicate-key"),
        ("- just\n- a list\n", "not-airflow-settings"),
        ("other: 1\n", "not-airflow-settings"),
        ("airflow: [1]\n", "wrong-type"),
        ("airflow:\n  connections: {a: 1}\n", "wrong-type"),
        ("airflow:\n  connections:\n    - just text\n", "wrong-type"),
        (
            "a: &a [x, x, x, x, x, x, x, x, x]\n"
            + "".join(
                f"{c}: &{c} [*{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}]\n"
                for p, c in zip("abcdefg", "bcdefgh", strict=True)
            ),
            "alias-bomb",
        ),
        (settings("conn_id: c\nconn_type: http\nconn_extra: '{bad json'"), "invalid-extra"),
        (settings("conn_id: c\nconn_type: http\nconn_extra: '[1, 2]'"), "invalid-extra"),
        (settings("conn_id: c\nconn_type: http\nconn_extra: '{\"a\": NaN}'"), "invalid-extra"),
        (settings("conn_id: c\nconn_type: http\nconn_port: 70000"), "invalid-port"),
        (settings("conn_id: c\nconn_type: http\nconn_port: eighty"), "wrong-type"),
        (settings("conn_id: c\nconn_type: http\nconn_login: [a]"), "wrong-type"),
        (settings("conn_id: 'bad id'\nconn_type: http"), "invalid-conn-id"),
        (settings("conn_id: Db\nconn_type: http", "conn_id: DB\nconn_type: http"), "conn-id-case-collision"),
        (settings("conn_id: c\nconn_type: http\nconn_extra: {auth: {secret: s3cr3t}}"), "unrepresentable-extra"),
        (settings("conn_id: c\nconn_type: http", pools="pool_name: p\npool_slot: -5"), "invalid-pool"),
        (settings("conn_id: c\nconn_type: http", variables="variable_name: v\nvariable_value: {a: 1}"), "wrong-type"),
    ],
)
def test_errors(text: str, code: str) -> None:
    with pytest.raises(InvalidSettings) as raised:
        imported(text)
    assert code in codes(raised.value)
    assert isinstance(raised.value, OperationError)
    assert str(raised.value).startswith("cannot import airflow_settings.yaml, nothing written (")
    assert "s3cr3t" not in str(raised.value)


def test_every_error_is_reported_at_once_with_its_position() -> None:
    text = settings("conn_id: a\nconn_type: http\nconn_port: 0x1ffff", "conn_id: b\nconn_type: http\nconn_extra: '{'")
    with pytest.raises(InvalidSettings) as raised:
        imported(text)
    lines = raised.value.details  # printed one a line under the message
    assert [line.split(": ")[0] for line in lines] == ["airflow_settings.yaml:5:18", "airflow_settings.yaml:8:19"]


def test_jinja_in_values_stays_literal(make_repo: MakeRepo, tmp_path: Path) -> None:
    weird = ["{{ ds }}", "{% if x %}", "{# note #}", "{% endraw %}{{ x }}", "{{{"]
    text = settings(
        "conn_id: c\nconn_type: http\nconn_extra: " + json.dumps(json.dumps({f"k{i}": w for i, w in enumerate(weird)})),
        variables="variable_name: v\nvariable_value: '{% raw %}{{ x }}'",
    )
    result = imported(text)
    rendered = render_imported(make_repo, tmp_path, result.files, result.secrets)
    assert json.loads(rendered["connections"][0]["conn_extra"]) == {f"k{i}": w for i, w in enumerate(weird)}
    assert rendered["variables"][0]["variable_value"] == "{% raw %}{{ x }}"


@pytest.mark.parametrize(
    "value",
    [
        "tab\there",
        "nel\x85x",
        "del\x7fx",
        "line\u2028sep",
        "emoji 😀",
        "bom\ufeff",
        "  spaced  ",
        "yes",
        "0123",
        "- dash",
    ],
)
def test_awkward_strings_read_back_unchanged(value: str) -> None:
    result = imported(settings("conn_id: c\nconn_type: http\nconn_extra: " + json.dumps(json.dumps({"v": value}))))
    assert safe_load(result.files["environments/imported/connections.yaml"])["connections"]["c"]["extra"]["v"] == value


def test_written_files_are_what_a_repository_can_hold(make_repo: MakeRepo) -> None:
    root = make_repo({"environments/workspace.yaml": WORKSPACE, "environments/deployments/local.yaml": DEPLOYMENT})
    result = imported()
    write_files(root, result.files)
    project = validate_root(root)
    assert project.diagnostics == ()
    assert {o.key for o in project.model.objects} == set(EXPECTED_CONNECTIONS) | {
        "data_bucket",
        "job_config",
        "partner_api_token",
        "snowflake_pool",
        "unlimited",
    }


# --- import_file: the one call behind `astro-gitops import FILE` -------------------------------


def base_repo(make_repo: MakeRepo, **files: str) -> Path:
    return make_repo(
        {"environments/workspace.yaml": WORKSPACE, "environments/deployments/local.yaml": DEPLOYMENT, **files}
    )


def test_import_file_writes_a_valid_repository(make_repo: MakeRepo, tmp_path: Path) -> None:
    root = base_repo(make_repo)
    source = tmp_path / "airflow_settings.yaml"
    source.write_text(SETTINGS)
    result = importer.import_file(root, source, links="all")
    assert result.written == tuple(sorted(result.files))
    assert all((root / p).read_text() == text for p, text in result.files.items())
    assert validate_root(root).diagnostics == ()
    with pytest.raises(OperationError, match="refusing to overwrite existing file"):
        importer.import_file(root, source)
    assert importer.import_file(root, source, links="all", force=True).files == result.files


def test_import_file_avoids_secret_names_the_repository_uses(make_repo: MakeRepo, tmp_path: Path) -> None:
    other = (
        "connections:\n  legacy:\n    type: http\n    password: {secret: SNOWFLAKE_DEFAULT_PASSWORD}\n    links: all\n"
    )
    root = base_repo(make_repo, **{"environments/legacy.yaml": other})
    source = tmp_path / "airflow_settings.yaml"
    source.write_text(SETTINGS)
    result = importer.import_file(root, source, links="all")
    assert "SNOWFLAKE_DEFAULT_PASSWORD" not in result.secrets
    assert result.secrets["SNOWFLAKE_DEFAULT_PASSWORD_2"] == EXPECTED_SECRETS["SNOWFLAKE_DEFAULT_PASSWORD"]
    assert validate_root(root).diagnostics == ()


def test_import_file_refuses_keys_the_repository_defines(make_repo: MakeRepo, tmp_path: Path) -> None:
    existing = "connections:\n  SNOWFLAKE_DEFAULT:\n    type: snowflake\n    links: all\n"
    root = base_repo(make_repo, **{"environments/warehouse.yaml": existing})
    source = tmp_path / "airflow_settings.yaml"
    source.write_text(SETTINGS)
    with pytest.raises(OperationError, match=r"connection 'SNOWFLAKE_DEFAULT' \(environments/warehouse\.yaml:2:3\)"):
        importer.import_file(root, source)
    assert not (root / "environments/imported").exists()


def test_import_file_problems_with_the_file_itself(make_repo: MakeRepo, tmp_path: Path) -> None:
    root = base_repo(make_repo)
    with pytest.raises(OperationError, match="cannot import") as missing:
        importer.import_file(root, tmp_path / "missing.yaml")
    assert any("file does not exist" in line for line in missing.value.details), missing.value.details
    latin1 = tmp_path / "latin1.yaml"
    latin1.write_bytes("airflow:\n  variables:\n    - {variable_name: v, variable_value: caf\xe9}\n".encode("latin-1"))
    with pytest.raises(InvalidSettings) as raised:
        importer.import_file(root, latin1)
    assert codes(raised.value) == ["not-utf8"]


def test_reimport_with_force_keeps_the_secret_names(make_repo: MakeRepo, tmp_path: Path) -> None:
    root = base_repo(make_repo)
    source = tmp_path / "airflow_settings.yaml"
    source.write_text(SETTINGS)
    first = importer.import_file(root, source)
    again = importer.import_file(root, source, force=True)
    assert again.secrets == first.secrets == EXPECTED_SECRETS


@pytest.mark.parametrize("folder", ["../outside", "/etc", "environments/../x", "environments/deployments", "other"])
def test_import_folder_stays_in_environments(folder: str) -> None:
    with pytest.raises(UsageError):
        imported(folder=folder)
    assert all(p.startswith("environments/from-astro/") for p in imported(folder="environments/from-astro").files)


# --- a value under a secret-looking key never stays in plaintext, whatever its type -------------

SECRET_VALUES: dict[str, Any] = {
    "integer": 12345678,
    "float": 98765.4321,
    "true": True,
    "list": ["tok-aaa", "tok-bbb"],
    "list of numbers": [55501, 55502],
    "empty list": [],
    "mapping": {"inner": 55554444, "deeper": {"leaf": "zz-leaf"}},
}


@pytest.mark.parametrize("key", ["api_key", "client_secret", "Password", "keyfile_dict"])
@pytest.mark.parametrize("kind", sorted(SECRET_VALUES))
@pytest.mark.parametrize("where", ["json text", "mapping", "nested", "uri __extra__"])
def test_any_value_under_a_secret_looking_key_becomes_a_secret(
    make_repo: MakeRepo, tmp_path: Path, key: str, kind: str, where: str
) -> None:
    from urllib.parse import quote

    value = SECRET_VALUES[kind]
    extra = {"outer": {key: value}} if where == "nested" else {key: value, "region": "eu"}
    if where == "json text":
        entry = f"conn_id: c\nconn_type: http\nconn_extra: {json.dumps(json.dumps(extra))}"
    elif where == "uri __extra__":
        entry = f"conn_id: c\nconn_uri: 'http://h/?__extra__={quote(json.dumps(extra))}'"
    else:
        entry = f"conn_id: c\nconn_type: http\nconn_extra: {json.dumps(extra)}"
    result = imported(settings(entry))
    text = result.files["environments/imported/connections.yaml"]
    leaves = [value] if not isinstance(value, (dict, list)) else list(_leaves(value))
    for leaf in leaves:
        if not isinstance(leaf, bool):
            assert json.dumps(leaf).strip('"') not in text
    written = safe_load(text)["connections"]["c"]["extra"]
    inner = written["outer"][key] if where == "nested" else written[key]
    assert "secret" in json.dumps(inner) and set(_leaves(inner)) <= {*result.secrets}
    if key == "api_key":  # (one key is enough for the round trip through a real render)
        # The repository validates (no plaintext-secret) and renders each secret back as its text.
        rendered = render_imported(make_repo, tmp_path, result.files, result.secrets)
        back = json.loads(rendered["connections"][0]["conn_extra"])
        back = back["outer"][key] if where == "nested" else back[key]
        assert back == _as_secret_text(value)
    retyped = [d for d in result.diagnostics if d.code == "secret-as-text"]
    assert bool(retyped) == (isinstance(value, list) or any(not isinstance(leaf, str) for leaf in leaves))
    assert all(d.severity == "warning" and str(value) not in d.message for d in retyped)


def _leaves(value: Any) -> Any:
    if isinstance(value, dict):
        for child in value.values():
            yield from _leaves(child)
    elif isinstance(value, list):
        for child in value:
            yield from _leaves(child)
    else:
        yield value


def _as_secret_text(value: Any) -> Any:
    """What a secret holding `value` renders as: its text (a mapping is one secret, its JSON text)."""
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


@pytest.mark.parametrize(
    "entry",
    [
        "conn_id: c\nconn_type: http\nconn_password: 12345678",
        "conn_id: c\nconn_type: http\nconn_password: 1234.5678",
        "conn_id: c\nconn_type: http\nconn_password: true",
        "conn_id: c\nconn_uri: 'postgres://u:12345678@h/db'",
        "conn_id: c\nconn_uri: 'http://h/?api_key=12345678'",
    ],
)
def test_passwords_of_any_type_and_uri_secrets_become_secrets(entry: str) -> None:
    result = imported(settings(entry))
    text = result.files["environments/imported/connections.yaml"]
    assert "12345678" not in text and "1234.5678" not in text
    written = safe_load(text)["connections"]["c"]
    secret = written.get("password") or written["extra"]["api_key"]
    assert set(secret) == {"secret"}
    assert result.secrets[secret["secret"]] in ("12345678", "1234.5678", "1")


# --- --link: explicit, and nowhere by default -----------------------------------------------------


def import_cli(root: Path, *args: str, cwd: Path | None = None) -> Any:
    source = root / "airflow_settings.yaml"
    if not source.exists():
        source.write_text(SETTINGS)
    return run_cli("import", str(source), *args, cwd=cwd or root)


def test_import_links_nowhere_by_default_and_says_so(make_repo: MakeRepo) -> None:
    root = base_repo(make_repo)
    run = import_cli(root)
    assert run.code == 0, run.err
    assert "linked to no Deployment" in run.err and "--link" in run.err
    for relative in ("connections", "variables", "pools"):
        data = safe_load((root / f"environments/imported/{relative}.yaml").read_text())[relative]
        assert {json.dumps(o["links"]) for o in data.values()} == {"[]"}
    assert all(d.code == "unused-object" for d in validate_root(root).diagnostics)
    rendered = run_cli("render", "--deployment", "local", "--out", "out", cwd=root)
    assert rendered.code == 0, rendered.err
    assert safe_load((root / "out/local/airflow_settings.yaml").read_text())["airflow"]["connections"] == []


@pytest.mark.parametrize(("link", "expected"), [("all", "all"), ("local", ["local"])])
def test_import_links_where_told(make_repo: MakeRepo, link: str, expected: Any) -> None:
    root = base_repo(make_repo)
    run = import_cli(root, "--link", link)
    assert run.code == 0, run.err
    assert "linked to no Deployment" not in run.err
    data = safe_load((root / "environments/imported/connections.yaml").read_text())["connections"]
    assert all(o["links"] == expected for o in data.values())
    assert validate_root(root).diagnostics == ()


def test_import_refuses_a_link_to_an_unknown_deployment(make_repo: MakeRepo) -> None:
    root = base_repo(make_repo)
    run = import_cli(root, "--link", "locl")
    assert run.code == 2
    assert "locl" in run.err and "did you mean 'local'" in run.err
    assert not (root / "environments/imported").exists()


# --- what import prints: root-relative paths, errors and warnings counted apart -------------------


def test_import_prints_root_relative_paths_and_both_counts(make_repo: MakeRepo) -> None:
    root = base_repo(make_repo)
    (root / "sub").mkdir()
    warned = SETTINGS.replace('conn_port: "2222"', "conn_port: 2222\n      conn_typo: x")
    (root / "airflow_settings.yaml").write_text(warned.replace("conn_typo: x", "conn_schema: 42"))
    run = import_cli(root, "--link", "all", cwd=root / "sub")
    assert run.code == 0, run.err
    assert str(root) not in run.err.replace(f"repository root, {root}", "")
    assert run.err.startswith("airflow_settings.yaml:")  # as validate shows it, relative to the root
    assert "wrote environments/imported/connections.yaml" in run.out
    assert f"(paths relative to the repository root, {root})" in run.out
    assert run.out.splitlines()[-1].endswith(": 0 errors, 1 warning")


def test_failed_import_counts_errors_and_warnings_apart(make_repo: MakeRepo) -> None:
    root = base_repo(make_repo)
    bad = settings("conn_id: a\nconn_type: http\nconn_port: huge\nconn_login: 42")
    (root / "airflow_settings.yaml").write_text(bad)
    run = import_cli(root)
    assert run.code == 1
    assert "nothing written (1 error, 1 warning)" in run.err
    assert "airflow_settings.yaml:5:18: error[wrong-type]" in run.err


def test_a_file_outside_the_root_is_named_as_given(make_repo: MakeRepo, tmp_path: Path) -> None:
    root = base_repo(make_repo)
    outside = tmp_path / "elsewhere.yaml"
    outside.write_text("airflow:\n  connection: []\n")
    run = run_cli("import", str(outside), cwd=root)
    assert run.code == 1
    assert f"{outside}:2:3: error[unknown-key]" in run.err and "did you mean 'connections'" in run.err


# --- the README's table of import codes is what the code does ---------------------------------

CODE_SAMPLES: dict[str, str] = {
    "not-airflow-settings": "other: 1\n",
    "unknown-key": "airflow:\n  connection: []\n",
    "wrong-type": settings("conn_id: c\nconn_type: http\nconn_login: [a]"),
    "duplicate-key": settings("conn_id: c\nConn_Id: d\nconn_type: http"),
    "invalid-conn-id": settings("conn_id: 'a b'\nconn_type: http"),
    "conn-id-case-collision": settings("conn_id: c\nconn_type: http", "conn_id: C\nconn_type: http"),
    "invalid-port": settings("conn_id: c\nconn_type: http\nconn_port: 70000"),
    "invalid-variable-key": settings(
        "conn_id: c\nconn_type: http", variables=f"variable_name: {'k' * 251}\nvariable_value: x"
    ),
    "invalid-pool": settings("conn_id: c\nconn_type: http", pools="pool_name: p\npool_slot: -2"),
    "invalid-uri": settings("conn_id: c\nconn_uri: nothing"),
    "invalid-extra": settings("conn_id: c\nconn_type: http\nconn_extra: '{'"),
    "too-deep": settings("conn_id: c\nconn_type: http\nconn_extra: '" + '{"a": ' * 60 + "1" + "}" * 60 + "'"),
    "unrepresentable-extra": settings("conn_id: c\nconn_type: http\nconn_extra: {auth: {secret: x}}"),
    "nothing-imported": "airflow:\n  connections: []\n",
    "number-as-text": settings("conn_id: c\nconn_type: http\nconn_login: 42"),
    "bool-as-text": settings("conn_id: c\nconn_type: http\nconn_login: true"),
    "number-as-integer": settings("conn_id: c\nconn_type: http\nconn_port: 443.5"),
    "skipped-entry": settings("conn_id: c\nconn_type: http", "conn_id: d"),
    "uri-ignored": settings("conn_id: c\nconn_type: http\nconn_uri: http://h"),
    "extra-replaces-uri": settings("conn_id: c\nconn_uri: 'http://h?a=1'\nconn_extra: '{\"b\": 2}'"),
    "extra-dropped": settings("conn_id: c\nconn_type: http\nconn_extra: 5"),
    "extra-key-case": settings("conn_id: c\nconn_type: http\nconn_extra: {Account: x}"),
    "secret-as-text": settings("conn_id: c\nconn_type: http\nconn_extra: {api_key: 12345678}"),
    "duplicate-entry": settings("conn_id: c\nconn_type: http", "conn_id: c\nconn_type: http"),
}


def readme_import_codes() -> dict[str, str]:
    from conftest import REPO

    text = (REPO / "README.md").read_text()
    table = text.split("| import code | severity | when |\n|---|---|---|\n", 1)[1].split("\n\n", 1)[0]
    return {row.split("`")[1]: row.split("|")[2].strip() for row in table.splitlines()}


def test_every_import_code_is_documented_with_its_severity() -> None:
    from conftest import REPO

    documented = readme_import_codes()
    sources = [*(REPO / "compiler/onboarding").glob("*.py"), *(REPO / "compiler/onboarding/settingsfile").glob("*.py")]
    import re as regex

    in_code = {m for path in sources for m in regex.findall(r'"([a-z]+(?:-[a-z]+)+)",', path.read_text())}
    assert set(documented) == in_code == set(CODE_SAMPLES)


@pytest.mark.parametrize("code", sorted(CODE_SAMPLES))
def test_import_code_has_the_documented_severity(code: str) -> None:
    try:
        result: ImportResult | InvalidSettings = imported(CODE_SAMPLES[code])
    except InvalidSettings as exc:
        result = exc
    severities = {d.severity for d in result.diagnostics if d.code == code}
    assert severities == {readme_import_codes()[code]}
    # An error writes nothing; warnings alone never stop an import.
    assert isinstance(result, InvalidSettings) == (severities == {"error"})


def test_a_failed_import_prints_one_diagnostic_a_line(tmp_path: Path) -> None:
    """The diagnostics of a refused import are lines of their own, not one line with escaped breaks."""
    from conftest import run_cli

    (tmp_path / "settings.yaml").write_text("airflow:\n  connection: []\n  pools: 3\n")
    result = run_cli("import", "settings.yaml", cwd=tmp_path)
    assert result.code == 1, result.err
    lines = result.err.splitlines()
    assert lines[0].startswith("astro-gitops: error: cannot import settings.yaml, nothing written (")
    assert any(line.startswith("settings.yaml:2:3: error[unknown-key]") for line in lines[1:]), result.err
    assert "\\n" not in result.err
