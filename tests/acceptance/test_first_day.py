"""README "Your first day", walked as a user runs it: every command of its block, in a fresh git
repository holding an Astro project's airflow_settings.yaml, through the installed command,
against the local Astro API server whose workspace already has the two Deployments (unmarked,
as in an organization that has never seen astro-gitops). The credentials its `export` line
names come from the server. Then Astro holds what the repository says, and a second plan is
empty."""

from __future__ import annotations

import re
import shlex
import stat
from pathlib import Path

from conftest import REPO, clean_env, git, installed_command, run_process
from support.astro_fake import FakeAstro, resolve_em, settings_view

from acceptance.test_readme import Command, readme_commands

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
      conn_host: hooks.slack.com
      conn_extra: '{"token": "xoxb-local"}'
  variables:
    - variable_name: data_bucket
      variable_value: s3://acme-data-dev
"""
NOT_RUN = ("python3 -m venv", ". ", "pip install", "cd ")  # the install and the `cd` of the block


def first_day_block() -> list[Command]:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    section = text.index("## Your first day")
    first, last = text.index("```bash\n", section), text.index("\n```", text.index("```bash\n", section))
    lines = (text[:first].count("\n") + 1, text[:last].count("\n") + 1)
    return [c for c in readme_commands() if lines[0] < c.line <= lines[1]]


def test_the_first_day_runs_from_init_to_apply_against_astro(astro: FakeAstro, tmp_path: Path) -> None:
    astro.seed("Data Platform", ["production", "development"], owner=None)
    root = tmp_path / "data-team"
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    git(root, "commit", "-q", "--allow-empty", "-m", "the team's repository")
    (root / "airflow_settings.yaml").write_text(SETTINGS)
    env = clean_env(
        {"GIT_AUTHOR_NAME": "T", "GIT_AUTHOR_EMAIL": "t@example.com", "GIT_COMMITTER_NAME": "T"}
        | {"GIT_COMMITTER_EMAIL": "t@example.com", "GIT_CONFIG_GLOBAL": "/dev/null"}
    )
    commands = first_day_block()
    ran = []
    for command in commands:
        if command.text.startswith(NOT_RUN):
            continue
        if command.text.startswith("export "):
            names = re.findall(r"([A-Z_]+)=", command.text)
            env |= {
                k: v
                for k, v in astro.env(ASTRO_GITOPS_FINGERPRINT_KEY="first-day-fingerprint-key").items()
                if k in names
            }
            env |= {k: v for k, v in astro.env().items() if k.startswith("ASTRO_")}  # the server's URL
            continue
        argv = shlex.split(command.text)
        argv[0] = installed_command() if argv[0] == "astro-gitops" else argv[0]
        run = run_process(argv, cwd=root, env=env, timeout=120)
        assert run.returncode == 0, f"README.md:{command.line}: {command.text}\n{run.stdout}{run.stderr}"
        assert "l0cal-pw" not in run.stdout + run.stderr and "xoxb-local" not in run.stdout + run.stderr
        ran.append(argv[1] if argv[0] != "git" else "git")
    assert ran[:1] == ["init"] and {"import", "validate", "render", "plan", "apply", "git"} <= set(ran)

    # The secrets stayed out of git; Astro holds what development's rendered file says.
    assert stat.S_IMODE((root / ".env").stat().st_mode) == 0o600
    tracked = git(root, "ls-files").split()
    assert ".env" not in tracked and "first.plan.json" not in tracked and "environments/workspace.yaml" in tracked
    rendered = settings_view((root / "build/development/airflow_settings.yaml").read_text())
    assert resolve_em(astro.state(), "development") == rendered
    assert rendered["connections"]["local_pg"]["conn_password"] == "l0cal-pw"
    again = run_process(
        [installed_command(), "plan", "--secrets", "dotenv:.env", "--exit-code"], cwd=root, env=env, timeout=120
    )
    assert again.returncode == 0 and "No changes" in again.stdout, again.stdout + again.stderr
