"""Every command, in every --format its --help offers, reports an invalid repository as
located diagnostics with exit 1: never a traceback, whichever format the command's own
result has (diff's `markdown` has no diagnostics counterpart)."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import git, run_cli, write_files

from acceptance.test_cli_validate import INVALID, VALID

MakeRepo = Callable[..., Path]
# The command's arguments on a repository whose Deployment is `prod` and connection `db`.
COMMANDS: dict[str, tuple[str, ...]] = {
    "validate": (),
    "which": ("--branch", "main"),
    "render": ("--all",),
    "diff": ("HEAD",),
    "explain": ("prod", "db"),
    "matrix": (),
}
# connections.yaml:4:11 (invalid-port) as text, github or JSON diagnostics write it.
LOCATED = re.compile(r"connections\.yaml(:4:11|,line=4,col=11|\"[^}]*\"line\": 4)")


def _formats(command: str, cwd: Path) -> list[str | None]:
    """The --format choices that `command --help` offers (None: the command has no --format)."""
    result = run_cli(command, "--help", cwd=cwd)
    assert result.code == 0, result.err
    found = re.search(r"--format \{([a-z,]+)\}", result.out)
    return [None, *found.group(1).split(",")] if found else [None]


def _check(args: tuple[str, ...], cwd: Path) -> None:
    result = run_cli(*args, cwd=cwd)
    assert "Traceback" not in result.err + result.out, (args, result.err)
    assert result.code == 1, (args, result.code, result.err)
    assert LOCATED.search(result.err + result.out), (args, result.err, result.out)


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_every_format_reports_an_invalid_repository(command: str, make_repo: MakeRepo) -> None:
    root = make_repo(INVALID)
    for fmt in _formats(command, root):
        _check((command, *COMMANDS[command], *(("--format", fmt) if fmt else ())), root)


def test_every_diff_format_reports_an_invalid_git_ref_side(make_repo: MakeRepo) -> None:
    """The base is invalid, the working tree valid: the base side's diagnostics, located."""
    root = make_repo(INVALID)
    for name in set(INVALID) - set(VALID):
        (root / name).unlink()
    write_files(root, VALID)
    git(root, "commit", "-qam", "valid")
    for fmt in _formats("diff", root):
        _check(("diff", "HEAD~1", *(("--format", fmt) if fmt else ())), root)
        _check(("diff", "HEAD~1", "HEAD", *(("--format", fmt) if fmt else ())), root)
