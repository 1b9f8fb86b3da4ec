"""Where the output goes: a closed or full stdout or stderr, and a stream that cannot hold a name.

A broken stdout (`>&-`, `> /dev/full`, a reader that went away) is a quiet exit 1, never
exit 70 or a traceback. A stream whose encoding cannot show a character (ASCII-only, or
Latin-1 under a non-UTF-8 locale) gets the character escaped: the output stays correct, and
JSON stays valid JSON.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from conftest import commit_files, installed_command, run_cli, run_process

NAME = "caf\u00e9_\u4e2d\U0001f600"  # Latin-1, BMP and astral: each needs its own escape
# One run of each command that prints something on stdout.
COMMANDS: dict[str, tuple[str, ...]] = {
    "validate": ("validate", "--format", "text"),
    "validate-json": ("validate", "--format", "json"),
    "validate-github": ("validate", "--format", "github"),
    "which": ("which", "--branch", "main"),
    "which-json": ("which", "--branch", "main", "--format", "json"),
    "render": ("render", "--deployment", "production", "--out", "out"),
    "diff": ("diff", "HEAD~1"),
    "diff-markdown": ("diff", "HEAD~1", "--format", "markdown"),
    "diff-json": ("diff", "HEAD~1", "--format", "json"),
    "explain": ("explain", "production", "greeting"),
    "matrix": ("matrix",),
    "schema": ("schema", "diff-report"),
    "help": ("diff", "--help"),
    "version": ("--version",),
}
# Commands run on the invalid copy (diagnostics on stdout).
INVALID = {"validate", "validate-json", "validate-github"}


@pytest.fixture
def repos(example_repo: Path, tmp_path: Path) -> dict[str, Path]:
    """The example with a non-ASCII value changed in the last commit, and an invalid copy."""
    variable = f"variables:\n  greeting:\n    value: 'bonjour {NAME}'\n    links: all\n"
    commit_files(example_repo, {"environments/greeting.yaml": variable}, "a greeting")
    commit_files(example_repo, {"environments/greeting.yaml": variable.replace("bonjour", "salut")}, "salut")
    invalid = tmp_path / "invalid"
    invalid.mkdir()
    subprocess.run(["cp", "-r", str(example_repo / "environments"), str(invalid)], check=True)
    (invalid / "environments" / "bad.yaml").write_text(f"variables:\n  {NAME}:\n    value: x\n    link: all\n")
    return {"valid": example_repo, "invalid": invalid}


def _run(
    shell: str, args: tuple[str, ...], cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """`astro-gitops ARGS` with its descriptors redirected by `shell` (e.g. `>&-`)."""
    return run_process(["sh", "-c", f'"$@" {shell}', "sh", installed_command(), *args], cwd=cwd, env=env)


def _cwd(name: str, repos: dict[str, Path]) -> Path:
    return repos["invalid" if name in INVALID else "valid"]


@pytest.mark.parametrize("name", sorted(COMMANDS))
@pytest.mark.parametrize("redirect", [">&-", ">/dev/full"])
def test_a_broken_stdout_is_a_quiet_exit_1(repos: dict[str, Path], name: str, redirect: str) -> None:
    proc = _run(redirect, COMMANDS[name], _cwd(name, repos))

    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stderr and "internal error" not in proc.stderr
    assert "Exception ignored" not in proc.stderr
    said = "".join(line for line in proc.stderr.splitlines(keepends=True) if ": warning[" not in line)
    assert said in ("", "astro-gitops: error: cannot write to stdout: No space left on device\n")


@pytest.mark.parametrize("redirect", ["2>&-", "2>/dev/full"])
@pytest.mark.parametrize("args", [("explain", "production", "nothing_here"), ("validate", "--format", "text")])
def test_a_broken_stderr_is_a_quiet_exit_1(repos: dict[str, Path], redirect: str, args: tuple[str, ...]) -> None:
    # explain writes its error to stderr; validate on a valid repository writes nothing there.
    proc = _run(redirect, args, repos["valid"])

    assert proc.returncode == (0 if args[0] == "validate" else 1)
    assert proc.stdout == ""


@pytest.mark.parametrize("name", sorted(COMMANDS))
@pytest.mark.parametrize(
    "env",
    [{"PYTHONIOENCODING": "ascii"}, {"LC_ALL": "C", "LANG": "C", "PYTHONUTF8": "0", "PYTHONCOERCECLOCALE": "0"}],
    ids=["ascii", "c-locale"],
)
def test_a_stream_that_cannot_hold_a_character_gets_it_escaped(
    repos: dict[str, Path], name: str, env: dict[str, str]
) -> None:
    cwd = _cwd(name, repos)
    plain = run_cli(*COMMANDS[name], cwd=cwd)
    limited = run_cli(*COMMANDS[name], cwd=cwd, env=env)
    if name == "render":  # the second render finds its files unchanged
        plain = run_cli(*COMMANDS[name], cwd=cwd)

    assert limited.code == plain.code, limited.err
    assert "Traceback" not in limited.err and "internal error" not in limited.err
    assert limited.out.isascii() and limited.err.isascii()
    if name.endswith("json") or name in ("matrix", "schema"):
        assert json.loads(limited.out) == json.loads(plain.out)
    else:
        assert limited.out == _escaped(plain.out)


def _escaped(text: str) -> str:
    """What the command prints in place of each character the stream cannot hold."""
    out = []
    for char in text:
        units = char.encode("utf-16-be")
        out.append(
            char if char.isascii() else "".join(f"\\u{units[i]:02x}{units[i + 1]:02x}" for i in range(0, len(units), 2))
        )
    return "".join(out)


def test_the_escaped_names_are_in_the_commands_that_show_them(repos: dict[str, Path]) -> None:
    """Guards the test above: the non-ASCII name does reach these outputs."""
    for name in ("validate", "explain", "diff", "diff-markdown"):
        assert NAME in run_cli(*COMMANDS[name], cwd=_cwd(name, repos)).out, name
