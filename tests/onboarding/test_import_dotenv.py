"""`import --dotenv FILE` (compiler/onboarding/dotenvfile.py) and init's example (example.py),
through the installed command in a fresh repository that `init` scaffolded."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from conftest import clean_env, git, run_cli

SETTINGS = """\
airflow:
  connections:
    - conn_id: local_pg
      conn_type: postgres
      conn_host: host.docker.internal
      conn_login: airflow
      conn_password: l0cal-pw
    - conn_id: slack_alerts
      conn_type: http
      conn_extra: '{"token": "xoxb-local"}'
"""
VALUES = ("l0cal-pw", "xoxb-local")


@pytest.fixture
def fresh(tmp_path: Path) -> Path:
    git(tmp_path, "init", "-q", "-b", "main")
    assert run_cli("init", "--workspace", "Data Platform", cwd=tmp_path, env=clean_env()).code == 0
    (tmp_path / "airflow_settings.yaml").write_text(SETTINGS)
    return tmp_path


def test_dotenv_gets_the_values_git_ignored_0600_and_render_reads_them(fresh: Path) -> None:
    run = run_cli(
        "import", "airflow_settings.yaml", "--link", "development", "--dotenv", ".env", cwd=fresh, env=clean_env()
    )
    assert run.code == 0, run.err
    assert not any(v in run.out + run.err for v in VALUES)
    assert "LOCAL_PG_PASSWORD, SLACK_ALERTS_EXTRA_TOKEN" in run.err and "--secrets dotenv:.env" in run.err
    dotenv = fresh / ".env"
    assert stat.S_IMODE(dotenv.stat().st_mode) == 0o600
    assert dotenv.read_text() == "LOCAL_PG_PASSWORD='l0cal-pw'\nSLACK_ALERTS_EXTRA_TOKEN='xoxb-local'\n"
    git(fresh, "add", "-A")
    assert ".env" not in git(fresh, "diff", "--cached", "--name-only").split()
    render = run_cli("render", "--deployment", "development", "--secrets", "dotenv:.env", cwd=fresh, env=clean_env())
    assert render.code == 0, render.err
    assert "l0cal-pw" in (fresh / "build/development/airflow_settings.yaml").read_text()


def test_dotenv_keeps_the_files_lines_and_refuses_another_value(fresh: Path) -> None:
    dotenv = fresh / ".env"
    dotenv.write_text("MINE=keep\nLOCAL_PG_PASSWORD=mine-Zq9\n")
    dotenv.chmod(0o644)
    run = run_cli("import", "airflow_settings.yaml", "--dotenv", ".env", cwd=fresh, env=clean_env())
    assert run.code == 1 and "LOCAL_PG_PASSWORD with another value" in run.err, run.err
    assert "mine-Zq9" not in run.err and not any(v in run.err for v in VALUES)
    dotenv.write_text("MINE=keep\n")
    run = run_cli("import", "airflow_settings.yaml", "--force", "--dotenv", ".env", cwd=fresh, env=clean_env())
    assert run.code == 0, run.err
    assert dotenv.read_text().startswith("MINE=keep\nLOCAL_PG_PASSWORD='l0cal-pw'\n")
    assert stat.S_IMODE(dotenv.stat().st_mode) == 0o600


def test_dotenv_that_git_would_commit_is_refused_before_anything_is_written(fresh: Path) -> None:
    run = run_cli("import", "airflow_settings.yaml", "--dotenv", "secrets.txt", cwd=fresh, env=clean_env())
    assert run.code == 1
    assert "git does not ignore it" in run.err
    assert not (fresh / "secrets.txt").exists() and not (fresh / "environments/imported").exists()


def test_import_removes_inits_untouched_example_and_its_override(fresh: Path) -> None:
    run = run_cli("import", "airflow_settings.yaml", "--link", "all", "--dotenv", ".env", cwd=fresh, env=clean_env())
    assert run.code == 0, run.err
    assert "removed init's example connection example_db" in run.err
    assert not (fresh / "environments/connections/example.yaml").exists()
    assert "example_db" not in (fresh / "environments/deployments/production.yaml").read_text()
    for deployment in ("development", "production"):
        render = run_cli("render", "--deployment", deployment, "--secrets", "dotenv:.env", cwd=fresh, env=clean_env())
        assert render.code == 0, render.err


def test_import_tells_where_an_edited_example_is(fresh: Path) -> None:
    example = fresh / "environments/connections/example.yaml"
    example.write_text(example.read_text().replace("dev-db.example.com", "db.internal"))
    run = run_cli("import", "airflow_settings.yaml", cwd=fresh, env=clean_env())
    assert run.code == 0, run.err
    assert example.exists()
    assert "# note: environments/connections/example.yaml still holds init's example connection" in run.err


def test_import_help_shows_the_dotenv_way(tmp_path: Path) -> None:
    run = run_cli("import", "--help", cwd=tmp_path, env=clean_env())
    assert "--dotenv FILE" in run.out
    example = run.out.split("example:")[1]
    assert "--dotenv .env" in example and "production" not in example
