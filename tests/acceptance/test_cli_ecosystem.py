"""Wiring of `init`, `import` and `schema` through the installed command."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import git, run_cli
from jsonschema import Draft202012Validator

SETTINGS = """\
airflow:
  connections:
    - conn_id: warehouse
      conn_type: postgres
      conn_host: db.internal
      conn_login: loader
      conn_password: Pa55-only-here
      conn_port: 5432
      conn_extra: '{"sslmode": "require", "api_token": "tok-only-here"}'
  variables:
    - {variable_name: bucket, variable_value: s3://landing}
  pools:
    - {pool_name: io, pool_slot: 4, pool_description: IO bound}
"""


def test_init_scaffolds_a_setup_that_validates_and_renders(tmp_path: Path) -> None:
    git(tmp_path, "init", "-q", "-b", "main")
    first = run_cli("init", "--workspace", "Data Platform", cwd=tmp_path)
    assert first.code == 0, first.err
    assert "created environments/workspace.yaml" in first.out
    for relative in (
        ".github/workflows/astro-gitops.yml",
        ".pre-commit-config.yaml",
        "environments/deployments/production.yaml",
    ):
        assert (tmp_path / relative).is_file(), relative
    assert "build/" in (tmp_path / ".gitignore").read_text().splitlines()

    checked = run_cli("validate", cwd=tmp_path)
    assert (checked.code, checked.out) == (0, "")
    rendered = run_cli("render", "--all", cwd=tmp_path)
    assert rendered.code == 0, rendered.err
    assert (tmp_path / "build" / "production" / "airflow_settings.yaml").is_file()


def test_init_refuses_to_overwrite_unless_forced(tmp_path: Path) -> None:
    git(tmp_path, "init", "-q", "-b", "main")
    assert run_cli("init", cwd=tmp_path).code == 0
    workspace = tmp_path / "environments" / "workspace.yaml"
    workspace.write_text(workspace.read_text() + "# mine\n")

    again = run_cli("init", cwd=tmp_path)
    assert again.code == 1
    assert "environments/workspace.yaml" in again.err and "Traceback" not in again.err
    assert workspace.read_text().endswith("# mine\n")

    forced = run_cli("init", "--force", cwd=tmp_path)
    assert forced.code == 0, forced.err
    assert not workspace.read_text().endswith("# mine\n")


def test_import_writes_references_and_shows_values_once_on_stderr(tmp_path: Path) -> None:
    git(tmp_path, "init", "-q", "-b", "main")
    assert run_cli("init", cwd=tmp_path).code == 0
    (tmp_path / "airflow_settings.yaml").write_text(SETTINGS)

    imported = run_cli("import", "airflow_settings.yaml", cwd=tmp_path)

    assert imported.code == 0, imported.err
    assert "imported 1 connection(s), 1 variable(s), 1 pool(s)" in imported.out
    for value in ("Pa55-only-here", "tok-only-here"):
        assert value not in imported.out
        assert imported.err.count(value) == 1
        written = [p for p in (tmp_path / "environments").rglob("*") if p.is_file() and value in p.read_text()]
        assert written == []
    assert run_cli("validate", cwd=tmp_path).code == 0


def test_import_of_a_broken_file_is_a_diagnostic(tmp_path: Path) -> None:
    (tmp_path / "bad.yaml").write_text("airflow:\n  connections:\n    - conn_id: x\n      conn_port: 99999\n")
    result = run_cli("--root", str(tmp_path), "import", str(tmp_path / "bad.yaml"), cwd=tmp_path)
    assert result.code == 1
    assert "invalid-port" in result.err and "Traceback" not in result.err


def test_schema_prints_each_schema_and_they_are_valid_json_schema(tmp_path: Path) -> None:
    for name in ("workspace", "objects", "deployment"):
        result = run_cli("schema", name, cwd=tmp_path)
        assert result.code == 0
        Draft202012Validator.check_schema(json.loads(result.out))
    everything = json.loads(run_cli("schema", cwd=tmp_path).out)
    assert sorted(everything) == ["deployment", "objects", "workspace"]
    assert run_cli("schema", "nope", cwd=tmp_path).code == 2
