"""Every shell command README.md shows (its ```bash blocks) is run here, against a temporary
repository, with the installed command — or is skipped for a reason listed below, by
name. A command the README gains that this test does not know fails it: add it to RUN
(how to run it here) or to SKIPPED (why it cannot run here)."""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import EXAMPLE, REPO, clean_env, git, installed_command

# Commands that cannot run in this test, by their first words, and why.
SKIPPED = {
    "python3 -m venv": "creates the environment the suite already runs in (astro-gitops is installed in it)",
    "python3.11 -m venv": "builds Airflow's own environment (minutes, and the network): .ci/run does, with the same constraints",
    "~/airflow3/bin/pip": "installs Airflow (the network): .ci/run runs the same line",
    "~/airflow2/bin/pip": "installs Airflow 2 (the network): .ci/run runs the same line",
    ".": "activates that environment (`. .venv/bin/activate`): the suite runs inside it",
    "pip install": "installs the package the suite already runs (and would need the network)",
    "pytest": "the suite itself",
    "python benchmarks/run.py": "minutes of CPU; tests/acceptance/test_benchmarks.py runs benchmarks/run.py at a small size",
    "cd": "`cd /path/to/your-repo`: the test's temporary repository stands in for yours",
    "astro dev": "needs the Astro CLI and Docker; the test checks that the file it names was rendered",
    "export": "sets the credentials of the commands after it (live Astro or Airflow)",
    "astro-gitops plan": "reads live Astro or Airflow: tests/acceptance/test_sync_apply.py and tests/acceptance/test_apply_airflow.py run it",
    "astro-gitops apply": "writes live Astro or Airflow: tests/acceptance/test_sync_apply.py and tests/acceptance/test_apply_airflow.py run it",
    "astro-gitops preview": "needs a live Astro API: tests/acceptance/test_previews.py runs it against the local server",
}
# Secret values for `render --secrets env` (the scaffold's example connection).
SECRETS = {"EXAMPLE_DB_PASSWORD": "readme-dev-password", "EXAMPLE_DB_PROD_PASSWORD": "readme-prod-password"}
# What an Astro project's settings file holds, for `astro-gitops import airflow_settings.yaml`.
AIRFLOW_SETTINGS = """\
airflow:
  connections:
    - conn_id: local_pg
      conn_type: postgres
      conn_host: host.docker.internal
      conn_login: airflow
      conn_password: airflow
  variables:
    - variable_name: env
      variable_value: local
"""


@dataclass(frozen=True)
class Command:
    block: int
    line: int
    text: str  # one `&&` step, without its comment


def readme_commands() -> list[Command]:
    text = (REPO / "README.md").read_text()
    commands = []
    for block, match in enumerate(re.finditer(r"(?ms)^```bash\n(.*?)^```", text)):
        first = text[: match.start(1)].count("\n") + 1
        for offset, line in enumerate(match.group(1).splitlines()):
            code = _without_comment(line).strip()
            commands += [Command(block, first + offset, step.strip()) for step in code.split("&&") if step.strip()]
    return commands


def _without_comment(line: str) -> str:
    """The line up to a `#` that starts a comment (outside quotes, after a blank or at the start)."""
    quote = ""
    for i, char in enumerate(line):
        if quote:
            quote = "" if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char == "#" and (i == 0 or line[i - 1] in " \t"):
            return line[:i]
    return line


def skipped(command: Command) -> str | None:
    return next(
        (why for start, why in SKIPPED.items() if command.text.split()[: len(start.split())] == start.split()), None
    )


def test_the_readme_shows_commands_and_each_is_run_or_skipped_for_a_reason() -> None:
    commands = readme_commands()
    assert any(c.text.startswith("astro-gitops ") for c in commands)
    unknown = [c for c in commands if not c.text.startswith(("astro-gitops ", "git ")) and skipped(c) is None]
    assert unknown == [], "README commands this test neither runs nor skips for a reason: add them to SKIPPED"
    assert all(skipped(c) for c in commands if c.text.startswith("astro dev"))


def test_every_readme_command_runs(tmp_path: Path) -> None:
    """Blocks run in order; until one runs `init`, in a copy of this repository's example
    environments/ (the README's first line renders it); from there on, in a fresh repository."""
    root = _example_repo(tmp_path / "example")
    env = dict(SECRETS)
    ran = []
    for command in readme_commands():
        if "astro-gitops init" in command.text and not (tmp_path / "fresh").exists():
            root = _fresh_repo(tmp_path / "fresh")
        if command.text.startswith("astro dev"):
            _check_astro_dev(command, root)
            continue
        if skipped(command) is not None:
            continue
        argv = shlex.split(command.text)
        if argv[0] == "astro-gitops":
            argv[0] = installed_command()
        run = subprocess.run(
            argv, cwd=root, env=clean_env(env), capture_output=True, text=True, timeout=120, check=False
        )
        assert run.returncode == 0, f"README.md:{command.line}: {command.text}\n{run.stdout}{run.stderr}"
        # As a user would: the values `import` takes out go to the secret store (here, the environment).
        env.update(re.findall(r"(?m)^([A-Z_][A-Z0-9_]*)='([^'\n]*)'$", run.stderr) if argv[1:2] == ["import"] else [])
        if command.text == "astro-gitops validate":
            assert run.stdout + run.stderr == "", f"README.md:{command.line} promises silence"
        ran.append(command.text)
    assert any(text.startswith("astro-gitops init") for text in ran)
    assert any(text.startswith("astro-gitops import") for text in ran)


def _check_astro_dev(command: Command, root: Path) -> None:
    """`astro dev start|object import --settings-file PATH`: PATH was rendered, with real values."""
    argv = shlex.split(command.text)
    assert argv[2:3] in (["start"], ["object"]), command
    path = root / argv[argv.index("--settings-file") + 1]
    assert path.is_file(), f"README.md:{command.line}: {path.relative_to(root)} was not rendered before"
    assert "<secret:" not in path.read_text(), f"README.md:{command.line}: redacted placeholders would be applied"


def _example_repo(root: Path) -> Path:
    root.mkdir(parents=True)
    git(root, "init", "-q", "-b", "main")
    shutil.copytree(EXAMPLE, root / "environments")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "environments")
    return root


def _fresh_repo(root: Path) -> Path:
    root.mkdir(parents=True)
    git(root, "init", "-q", "-b", "main")
    git(root, "commit", "-q", "--allow-empty", "-m", "first")
    (root / "airflow_settings.yaml").write_text(AIRFLOW_SETTINGS)
    return root


@pytest.mark.parametrize(
    ("line", "code"),
    [
        ("a # b", "a "),
        ("# all comment", ""),
        ("x '#not' # yes", "x '#not' "),
        ('y "a #b" #c', 'y "a #b" '),
        ("u#v", "u#v"),
    ],
)
def test_comment_stripping(line: str, code: str) -> None:
    assert _without_comment(line) == code
