"""`import --dotenv FILE`: the secret values `import` takes out, into a git-ignored dotenv file.

The file is what `--secrets dotenv:FILE` reads back (model/secrets.read_dotenv). It is
created with mode 0600 (owner read/write only) and only when git ignores it: a file git
would commit (not ignored, or already tracked) is refused before anything is written, so
a value never reaches a commit by way of this option. An existing file keeps its lines; the
names it lacks are appended; a name it holds with another value is refused, naming the
name (never a value).
"""

from __future__ import annotations

import os
import stat
import subprocess
from collections.abc import Mapping
from pathlib import Path

from compiler.atomic import reason, refuse_special
from compiler.errors import OperationError
from compiler.model.frozen import frozen
from compiler.model.secrets import dotenv_text, read_dotenv

MODE = 0o600
CHECK_IGNORE = "check-ignore"  # exit 0: ignored (and not tracked), 1: git would commit it, 128: no repository


@frozen
class DotenvWritten:
    """What `write_secrets` did: the file, and the names added and already there."""

    path: Path
    added: tuple[str, ...]
    present: tuple[str, ...]  # names the file already held with the same value


def write_secrets(path: Path, values: Mapping[str, str], root: Path) -> DotenvWritten:
    """Add `values` to the dotenv file at `path` (mode 0600), which git under `root` must ignore.

    Raises OperationError when git would commit the file, when the file holds one of the
    names with another value, or when it cannot be read or written.
    """
    refuse_unless_ignored(path, root)
    existing = read_dotenv(path) if path.exists() else {}
    conflicts = sorted(n for n in values if n in existing and existing[n] != values[n])
    if conflicts:
        raise OperationError(
            f"{path} already holds {', '.join(conflicts)} with another value: no secret value was written to it "
            "(remove those lines, then import again with --force --dotenv)"
        )
    added = {n: v for n, v in values.items() if n not in existing}
    _append(path, dotenv_text(added) if added else "")
    return DotenvWritten(path, tuple(sorted(added)), tuple(sorted(set(values) - set(added))))


def refuse_unless_ignored(path: Path, root: Path) -> None:
    """OperationError unless git ignores `path` (a path outside the repository is never committed)."""
    try:
        Path(os.path.realpath(path)).relative_to(os.path.realpath(root))
    except ValueError:
        return
    run = _git(root, CHECK_IGNORE, "-q", "--", os.path.realpath(path))
    if run.returncode == 0:
        return
    if run.returncode == 1:
        raise OperationError(
            f"refusing to write secret values to {path}: git does not ignore it (or it is tracked); "
            f"add it to .gitignore (`astro-gitops init` ignores .env) and run import again"
        )
    # 128: not a git repository (or git failed): nothing would commit the file.


def _git(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    try:
        return subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, timeout=60, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise OperationError(f"cannot ask git whether it ignores the dotenv file: {exc}") from None


def _append(path: Path, text: str) -> None:
    """Create the file 0600 (or take an existing one to 0600) and append `text`."""
    try:
        # Never waits on a FIFO; never follows a link; anything but a regular file is refused.
        flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
        refuse_special(path)
        fd = os.open(path, flags, MODE)
        try:
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                raise OperationError(f"refusing to write {path}: it is not a regular file")
            os.fchmod(fd, MODE)
            if text and os.fstat(fd).st_size and not path.read_bytes().endswith(b"\n"):
                text = "\n" + text
            os.write(fd, text.encode("utf-8"))
        finally:
            os.close(fd)
    except OSError as exc:
        raise OperationError(f"cannot write {path}: {reason(exc)}") from None
