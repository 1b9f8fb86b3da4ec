"""Bounds on hostile input, in one place (README, section "Limits"), and reading a file within them.

Files are bounded here; what a server answers is too (MAX_LIST_ITEMS, VALUE_BYTES, READ_BODIES:
remote/http.py applies them, with ASTRO_GITOPS_HTTP_MAX_BYTES and ASTRO_GITOPS_MAX_LIST_ITEMS).

Every YAML file the tool reads (environments/, the `.pre-commit-config.yaml` that `init`
edits, the `airflow_settings.yaml` that `import` converts) is read by `read_regular_file`
and parsed by load/documents.py within these bounds, so none of them can hang or exhaust the tool.
"""

from __future__ import annotations

import errno
import os
import re
import stat
from pathlib import Path

from compiler.diagnostics import Diagnostic, Location, error

MAX_FILE_BYTES = 2 * 1024 * 1024
MAX_FILES = 20_000
MAX_DEPTH = 64
MAX_NODES = 1_000_000  # per file, counting every alias expansion

# What one run reads from one server (the Astro API, an Airflow REST API): remote/http.py and the
# page readers of remote/astro.py and remote/airflow.py. A server that answers without end or
# with a body of millions of tiny values gets an exit-1 error naming the bound, not the memory.
MAX_LIST_ITEMS = 50_000  # items of all lists together, every page counted (ASTRO_GITOPS_MAX_LIST_ITEMS)
VALUE_BYTES = 32  # a body may hold one JSON value per 32 bytes of the body limit (ASTRO_GITOPS_HTTP_MAX_BYTES):
# 2,097,152 values at the default 64 MiB, counted before it is decoded (each value costs some 50
# to 100 bytes of memory once decoded: the limit keeps a decoded body within about 3 times the body limit)
READ_BODIES = 8  # all the bodies of a run together: at most 8 times the body limit (512 MiB at the default)

# Opening never waits: a FIFO, a terminal or a device swapped in after the check returns at once.
_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_BINARY", 0)
_KINDS = (
    (stat.S_ISDIR, "a folder"),
    (stat.S_ISFIFO, "a named pipe (FIFO)"),
    (stat.S_ISSOCK, "a socket"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
)


def read_regular_file(path: Path, rel: str) -> bytes | Diagnostic:
    """The bytes of the regular file at path (named rel in diagnostics), or why not.

    Anything but a regular file (after following a symbolic link) is a diagnostic, checked
    before opening and again on the opened descriptor; no open or read ever blocks, and no
    more than MAX_FILE_BYTES + 1 bytes are read.
    """
    try:
        found = os.stat(path).st_mode
        if not stat.S_ISREG(found):
            return special_file(rel, found)
        descriptor = os.open(path, _OPEN_FLAGS)
    except OSError as exc:
        return unreadable(rel, exc, path)
    with os.fdopen(descriptor, "rb") as handle:
        try:
            opened = os.fstat(descriptor)
            if not stat.S_ISREG(opened.st_mode):
                return special_file(rel, opened.st_mode)
            if opened.st_size > MAX_FILE_BYTES:
                return too_large(rel, opened.st_size)
            data = handle.read(MAX_FILE_BYTES + 1)
        except OSError as exc:
            return unreadable(rel, exc, path)
    return too_large(rel, len(data)) if len(data) > MAX_FILE_BYTES else data


def file_kind(mode: int) -> str:
    """What a file that is not a regular one is ("a named pipe (FIFO)", "a folder", ...)."""
    return next((name for test, name in _KINDS if test(mode)), "not a regular file")


def special_file(rel: str, mode: int) -> Diagnostic:
    what = file_kind(mode)
    return error(Location(rel), "special-file", f"{what} is not read: only regular files are")


def unreadable(rel: str, exc: OSError, path: Path | None = None, what: str = "file") -> Diagnostic:
    """`file is a symbolic link loop ...`: what the error says about the file (or folder) at path."""
    return error(Location(rel), "unreadable", f"{what} {os_problem(exc, path)}")


def os_problem(exc: OSError, path: Path | None = None) -> str:
    """What an OSError says about a path, as the end of a sentence ("... does not exist")."""
    if exc.errno == errno.ENOENT and path is not None and os.path.islink(path):
        return f"is a symbolic link to '{os.readlink(path)}', which does not exist"
    known = _OS_PROBLEMS.get(exc.errno or 0)
    return known or f"cannot be read ({exc.strerror or type(exc).__name__})"


_OS_PROBLEMS = {
    errno.ENOENT: "does not exist",
    errno.ELOOP: "is a symbolic link loop (or a chain of more than 40 links)",
    errno.EACCES: "cannot be read: permission denied",
    errno.EPERM: "cannot be read: operation not permitted",
    errno.EISDIR: "is a folder, not a file",
    errno.ENOTDIR: "has a file where a folder belongs in its path",
    errno.ENAMETOOLONG: "has a name that is too long",
    errno.EIO: "cannot be read: input/output error",
    errno.EMFILE: "cannot be opened now: too many open files",
    errno.ENFILE: "cannot be opened now: too many open files",
}


def too_large(rel: str, size: int) -> Diagnostic:
    return error(Location(rel), "file-too-large", f"file is {size} bytes; the limit is {MAX_FILE_BYTES}")


def too_many_files(folder: str) -> Diagnostic:
    return error(Location(folder), "too-many-files", f"more than {MAX_FILES} files")


# --- nesting, before any recursive parser sees the text ----------------------------------

_FLOW_CHARS = re.compile(r"[\[\]{}\"']")


def flow_depth_problem(path: str, text: str) -> Diagnostic | None:
    """Catch absurd [[[...]]] / {{{...}}} nesting before the recursive parser sees it."""
    if text.count("[") + text.count("{") <= MAX_DEPTH:
        return None
    depth = 0
    quote = ""
    for match in _FLOW_CHARS.finditer(text):  # only the characters that matter, not every one
        char = match.group()
        if quote:
            quote = "" if char == quote else quote
        elif char in "\"'" and depth:
            quote = char
        elif char in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                at = match.start()
                line, column = text.count("\n", 0, at) + 1, at - text.rfind("\n", 0, at)
                return error(Location(path, line, column), "too-deep", f"nesting deeper than {MAX_DEPTH} levels")
        elif char in "]}":
            depth = max(0, depth - 1)
    return None


# Block nesting needs indentation or `- `/`? `/`: ` indicators at the start of a line, at
# least one column per two levels; libyaml's recursive composer (the fast route) must never
# see the hundreds of thousands of levels a 2 MiB file could hold.
DEEP_INDENT = re.compile(rf"^[ ?:-]{{{4 * MAX_DEPTH}}}", re.MULTILINE)
