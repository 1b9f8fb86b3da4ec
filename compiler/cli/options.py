"""The values a command line may give, checked as argparse reads them.

An option given explicitly is never treated as absent: `--branch ''` is not "no branch",
`--out ''` is not "the current folder". A value that cannot be right is bad usage (exit 2,
argparse's `argument --X: ...` line), as terraform and kubectl answer an empty or malformed
flag value, before any file is read.
"""

from __future__ import annotations

import argparse
import os
import stat
import unicodedata
from pathlib import Path

from compiler.escaping import has_undecodable, one_line
from compiler.limits import os_problem

# Categories of characters no name typed on a command line holds: control, format
# (invisible), surrogate, line and paragraph separators.
_INVISIBLE = ("Cc", "Cf", "Cs", "Zl", "Zp")
# Bytes that are not UTF-8 reach Python as lone surrogates; shown escaped (`\\xff`).
_NOT_UTF8 = "is not UTF-8 text"


def checked(action: argparse.Action) -> argparse.Action:
    """The action, with the check its value needs: `--branch` and `--root` their own, every
    other string `text` and every other path `path`. Flags (no value) are left as they are."""
    if action.nargs == 0 or action.type not in (None, Path):
        return action
    plain = text if action.type is None else path
    action.type = _BY_DEST.get(action.dest, plain)
    return action


def _invisible(value: str) -> bool:
    return any(unicodedata.category(c) in _INVISIBLE for c in value)


def text(value: str) -> str:
    """A non-empty value without control or invisible characters."""
    if not value.strip():
        raise argparse.ArgumentTypeError("must not be empty" if not value else "must not be blank")
    if has_undecodable(value):
        raise argparse.ArgumentTypeError(f"'{one_line(value)}' {_NOT_UTF8}")
    if _invisible(value):
        raise argparse.ArgumentTypeError(f"{value!r} holds a control or invisible character")
    return value


def secrets_mode(value: str) -> str:
    """`--secrets`: text, but the PATH of `dotenv:PATH` is the file system's, which allows any bytes."""
    if value.startswith("dotenv:") and value != "dotenv:":
        path(value.removeprefix("dotenv:"))
        return value
    return text(value)


def path(value: str) -> Path:
    """A non-empty path (an empty one would silently mean the current folder); any other name
    is the file system's to judge."""
    if not value:
        raise argparse.ArgumentTypeError("must not be empty")
    return Path(value)


def branch(value: str) -> str:
    """A branch name: not empty or blank, and no ASCII control character (git refuses them in
    any ref). Other odd characters are left to the branch rules: the name may come from a CI
    variable, and slugs are made for names of any shape."""
    if not value.strip():
        raise argparse.ArgumentTypeError("must not be empty" if not value else "must not be blank")
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in value):
        raise argparse.ArgumentTypeError(f"{value!r} holds a control character, which no git branch name has")
    if has_undecodable(value):
        raise argparse.ArgumentTypeError(f"'{one_line(value)}' {_NOT_UTF8}: a branch name must be")
    return value


def folder(value: str) -> Path:
    """An existing folder (--root): a missing one is not an empty project."""
    given = path(value)
    try:
        mode = os.stat(given).st_mode
    except OSError as exc:
        raise argparse.ArgumentTypeError(f"{_quoted(value)} {os_problem(exc, given)}") from None
    if not stat.S_ISDIR(mode):
        raise argparse.ArgumentTypeError(f"{_quoted(value)} is not a folder")
    return given


def _quoted(value: str) -> str:
    """`repr(value)`, a byte that is not UTF-8 shown as `\\xff` (repr would say `\\udcff`)."""
    return repr(value) if not has_undecodable(value) else f"'{one_line(value)}'"


_BY_DEST = {"branch": branch, "root": folder, "secrets": secrets_mode}
