"""A newcomer's view of the command: --version, every --help, and the summary on a terminal."""

from __future__ import annotations

import os
import pty
import re
import shlex
import subprocess
from importlib.metadata import version
from pathlib import Path

import pytest
from conftest import clean_env, installed_command, run_cli, run_process

from compiler import cli
from compiler.cli import parser as cli_parser
from compiler.errors import ExitCode

SUBCOMMANDS = sorted(cli.COMMANDS)


def test_the_version_comes_from_the_package_metadata(tmp_path: Path) -> None:
    result = run_cli("--version", cwd=tmp_path)
    assert (result.code, result.out, result.err) == (0, f"astro-gitops {version('astro-gitops')}\n", "")


def test_the_version_is_read_only_when_asked_for(example_repo: Path) -> None:
    probe = "import sys; from compiler.cli import main; main(['validate']); print('importlib.metadata' in sys.modules)"
    proc = run_process([str(Path(installed_command()).parent / "python"), "-c", probe], cwd=example_repo, check=True)
    assert proc.stdout.splitlines()[-1] == "False"


def _sections(text: str) -> dict[str, list[str]]:
    """The help text's sections ('options:', 'exit codes:', ...) and their lines."""
    sections: dict[str, list[str]] = {}
    current = None
    for line in text.splitlines():
        if line and not line.startswith(" "):
            current = line if line.endswith(":") else None
            if current:
                sections[current] = []
        elif current and line:
            sections[current].append(line)
    return sections


@pytest.mark.parametrize("command", [None, *SUBCOMMANDS])
def test_every_help_has_one_line_per_option_the_exit_codes_and_an_example(command: str | None, tmp_path: Path) -> None:
    args = (command, "--help") if command else ("--help",)
    result = run_cli(*args, cwd=tmp_path)
    assert result.code == 0 and result.err == ""
    sections = _sections(result.out)

    parser = cli_parser.build_parser()
    if command:  # its options and arguments
        options = sections["options:"] + sections.get("positional arguments:", [])
        shown = parser._subparsers._group_actions[0].choices[command]._actions  # type: ignore[union-attr]
    else:  # its options (the commands are listed above them, one line each)
        options = sections["options:"]
        shown = [a for a in parser._actions if a.option_strings]
    # One line each: an option or argument, two spaces, its help; no wrapped continuation lines.
    entries = [line for line in options if re.match(r"^  \S", line)]
    assert len(entries) == len(options), f"wrapped lines in:\n{result.out}"
    assert len(entries) == len(shown)
    assert all(re.match(r"^  \S.*\S  +\S", line) for line in entries), result.out
    assert all(a.help for a in shown)

    codes = {int(line.split()[0]) for line in sections["exit codes:"]}
    expected = set(cli.COMMANDS[command].codes) if command else set(ExitCode)
    assert codes == {int(c) for c in expected}
    assert {0, 1, 2, 70} <= codes

    (example,) = sections["example:"]
    words = shlex.split(example.split(">", 1)[0].split("&&", 1)[0])
    assert words[0] == "astro-gitops" and (command is None or words[1] == command)
    parser.parse_args(words[1:])  # the example is a valid command line


def test_a_command_that_can_find_changes_lists_exit_3() -> None:
    assert ExitCode.CHANGES in cli.COMMANDS["diff"].codes and ExitCode.CHANGES in cli.COMMANDS["render"].codes
    assert ExitCode.CHANGES not in cli.COMMANDS["validate"].codes


# --- validate on a terminal ---------------------------------------------------------------


def _on_a_terminal(cwd: Path, *args: str) -> tuple[int, str]:
    """Run the installed command with its stdout on a pseudo-terminal; (exit code, what it showed)."""
    main, secondary = pty.openpty()
    with subprocess.Popen(
        [installed_command(), *args],
        cwd=cwd,
        env=clean_env({"NO_COLOR": "1"}),
        stdout=secondary,
        stderr=subprocess.PIPE,
    ) as proc:
        os.close(secondary)
        shown = b""
        while True:
            try:
                chunk = os.read(main, 4096)
            except OSError:  # EIO: the child closed the terminal
                break
            if not chunk:
                break
            shown += chunk
        os.close(main)
        _, err = proc.communicate(timeout=120)
    assert err == b""
    return proc.returncode, shown.decode().replace("\r\n", "\n")


def test_validate_on_a_terminal_ends_with_a_summary(example_repo: Path) -> None:
    code, shown = _on_a_terminal(example_repo, "validate")
    assert code == 0
    assert shown == "3 Deployments, 4 connections, 4 variables, 3 pools: 0 errors, 0 warnings\n"


def test_validate_on_a_terminal_counts_its_diagnostics(example_repo: Path) -> None:
    (example_repo / "environments" / "more-pools.yaml").write_text(
        "pools:\n  p: {slots: -7, links: all}\n  q: {slots: 1}\n"
    )
    code, shown = _on_a_terminal(example_repo, "validate")
    lines = shown.splitlines()
    assert code == 1 and len(lines) == 3
    assert "error[invalid-slots]" in lines[0] and "warning[unused-object]" in lines[1]
    assert lines[2] == "1 error, 1 warning"


@pytest.mark.parametrize("fmt", ["json", "github"])
def test_machine_formats_have_no_summary_on_a_terminal(example_repo: Path, fmt: str) -> None:
    code, shown = _on_a_terminal(example_repo, "validate", "--format", fmt)
    assert code == 0 and "Deployments" not in shown
    assert shown == run_cli("validate", "--format", fmt, cwd=example_repo).out


def test_validate_into_a_pipe_stays_silent_on_success(example_repo: Path) -> None:
    assert run_cli("validate", cwd=example_repo).out == ""


# --- only the command being run gets its subparser (issue 26: cold start) ----------------


@pytest.mark.parametrize(
    ("argv", "named"),
    [
        (["validate"], "validate"),
        (["--root", "validate", "render", "--all"], "render"),
        (["--root=x", "plan"], "plan"),
        (["--ro", "x", "apply"], "apply"),
        (["--version", "validate"], "validate"),
        (["-h"], None),
        (["--he", "validate"], None),
        (["--bogus", "validate"], None),
        (["--", "validate"], None),
        (["nope"], None),
        (["--root"], None),
        ([], None),
    ],
)
def test_the_command_is_named_only_when_plain(argv: list[str], named: str | None) -> None:
    assert cli_parser.named_command(argv) == named


@pytest.mark.parametrize("args", [("--ro", "{root}", "validate"), ("--root={root}", "validate", "--format", "json")])
def test_global_options_before_the_command_still_work(
    example_repo: Path, tmp_path: Path, args: tuple[str, ...]
) -> None:
    result = run_cli(*(a.format(root=example_repo) for a in args), cwd=tmp_path)
    assert (result.code, result.err) == (0, "")


def test_an_unknown_command_still_lists_every_command(tmp_path: Path) -> None:
    result = run_cli("nope", cwd=tmp_path)
    assert result.code == 2
    assert all(f"'{name}'" in result.err for name in SUBCOMMANDS)
