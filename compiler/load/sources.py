"""Where the files of environments/ come from: the working tree, within file limits.

(Git history is read by load/gitrefs.py, into the same SourceFile values and limits.)
"""

# No `from __future__ import annotations`: see compiler/diagnostics.py (SourceFile is a NamedTuple).
import os
import stat
from pathlib import Path, PurePosixPath
from typing import NamedTuple

from compiler import limits
from compiler.diagnostics import Diagnostic, Location, error, warning

ENVIRONMENTS = "environments"
WORKSPACE_FILE = f"{ENVIRONMENTS}/workspace.yaml"
DEPLOYMENTS_DIR = f"{ENVIRONMENTS}/deployments/"
YAML_SUFFIXES = (".yaml", ".yml")


class SourceFile(NamedTuple):
    """One file of environments/: its path relative to the root and its bytes, or why not.

    (A NamedTuple: a frozen value below model/frozen.py.)
    """

    path: str
    data: bytes | None
    problem: Diagnostic | None = None


def filesystem_sources(root: Path) -> list[SourceFile]:
    """Every YAML file below root/environments, in a stable order, never leaving it."""
    base = root / ENVIRONMENTS
    if not os.path.lexists(base):
        return []
    if not base.is_dir():
        return [_not_a_folder(base)]
    real_base = base.resolve()
    found: list[SourceFile] = []

    def unlisted(exc: OSError) -> None:  # os.walk would skip a folder it cannot list, silently
        folder = Path(exc.filename)
        found.append(
            SourceFile(_relative(root, folder), None, limits.unreadable(_relative(root, folder), exc, folder, "folder"))
        )

    for dirpath, dirnames, filenames in os.walk(base, onerror=unlisted, followlinks=False):
        here = Path(dirpath)
        for name in sorted(dirnames):
            if _relative(root, here / name) == WORKSPACE_FILE:  # else "workspace.yaml is required"
                found.append(SourceFile(WORKSPACE_FILE, None, limits.special_file(WORKSPACE_FILE, stat.S_IFDIR)))
            if (here / name).is_symlink():
                dirnames.remove(name)  # linked folders are never followed (no loops, no escapes)
                found.extend(_symlink_problem(root, here / name, real_base, is_dir=True))
        dirnames.sort()
        for name in sorted(filenames):
            if name.endswith(YAML_SUFFIXES):
                found.append(_read_file(root, here / name, real_base))
            elif (problem := suffix_problem(_relative(root, here / name))) is not None:
                found.append(problem)
        if len(found) > limits.MAX_FILES:
            return [too_many_files(_relative(root, base))]
    return sorted(found, key=lambda s: s.path)


def suffix_problem(path: str) -> SourceFile | None:
    """A warning for `X.YAML` or `X.Yml`: meant as YAML, but only `.yaml` and `.yml` are read
    (SPEC 2). Read on a case-insensitive disk and skipped on Linux and in git, such a file
    would make the result depend on the machine; it is named and never read."""
    name = path.rsplit("/", 1)[-1]
    if name.endswith(YAML_SUFFIXES) or not name.lower().endswith(YAML_SUFFIXES):
        return None
    stem, suffix = name.rsplit(".", 1)
    message = f"'{name}' is not read: only names ending in .yaml or .yml (lower case) are; rename it '{stem}.{suffix.lower()}'"
    return SourceFile(path, None, warning(Location(path), "ignored-file", message))


def _not_a_folder(base: Path) -> SourceFile:
    try:
        os.stat(base)
    except OSError as exc:  # a symbolic link loop, a dangling link
        return SourceFile(ENVIRONMENTS, None, limits.unreadable(ENVIRONMENTS, exc, base, "folder"))
    message = f"{ENVIRONMENTS} is a file; it must be the folder that holds the YAML files"
    return SourceFile(ENVIRONMENTS, None, error(Location(ENVIRONMENTS), "unreadable", message))


def too_many_files(folder: str) -> SourceFile:
    """The one source standing for a folder with more than MAX_FILES YAML files: none is read."""
    return SourceFile(folder, None, limits.too_many_files(folder))


def _relative(root: Path, path: Path) -> str:
    return PurePosixPath(path.relative_to(root).as_posix()).as_posix()


def _symlink_problem(root: Path, path: Path, real_base: Path, *, is_dir: bool) -> list[SourceFile]:
    if is_dir and Path(os.path.realpath(path)).is_relative_to(real_base):
        return []
    rel = _relative(root, path)
    what = "folder" if is_dir else "file"
    return [
        SourceFile(
            rel,
            None,
            error(Location(rel), "outside-root", f"symbolic link to a {what} outside environments/ is not read"),
        )
    ]


def _read_file(root: Path, path: Path, real_base: Path) -> SourceFile:
    rel = _relative(root, path)
    if path.is_symlink():
        try:
            target = Path(os.path.realpath(path, strict=True))  # Path.resolve raises RuntimeError on a loop
        except OSError as exc:  # a loop, a dangling link: said as such
            return SourceFile(rel, None, limits.unreadable(rel, exc, path))
        if not target.is_relative_to(real_base):
            return _symlink_problem(root, path, real_base, is_dir=False)[0]
    data = limits.read_regular_file(path, rel)
    return SourceFile(rel, None, data) if isinstance(data, Diagnostic) else SourceFile(rel, data)
