"""Where the files of environments/ come from: the working tree, within file limits.

(Git history is read by gitrefs.py, into the same SourceFile values and limits.)
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from . import limits
from .diagnostics import Diagnostic, Location, error

ENVIRONMENTS = "environments"
WORKSPACE_FILE = f"{ENVIRONMENTS}/workspace.yaml"
DEPLOYMENTS_DIR = f"{ENVIRONMENTS}/deployments/"
YAML_SUFFIXES = (".yaml", ".yml")


@dataclass(frozen=True)
class SourceFile:
    """One file of environments/: its path relative to the root and its bytes, or why not."""

    path: str
    data: bytes | None
    problem: Diagnostic | None = None


def filesystem_sources(root: Path) -> list[SourceFile]:
    """Every YAML file below root/environments, in a stable order, never leaving it."""
    base = root / ENVIRONMENTS
    if not base.is_dir():
        return []
    real_base = base.resolve()
    found: list[SourceFile] = []
    for dirpath, dirnames, filenames in os.walk(base, followlinks=False):
        here = Path(dirpath)
        for name in sorted(dirnames):
            if (here / name).is_symlink():
                dirnames.remove(name)  # linked folders are never followed (no loops, no escapes)
                found.extend(_symlink_problem(root, here / name, real_base, is_dir=True))
        dirnames.sort()
        for name in sorted(filenames):
            if name.endswith(YAML_SUFFIXES):
                found.append(_read_file(root, here / name, real_base))
        if len(found) > limits.MAX_FILES:
            return [too_many_files(_relative(root, base))]
    return sorted(found, key=lambda s: s.path)


def too_many_files(folder: str) -> SourceFile:
    """The one source standing for a folder with more than MAX_FILES YAML files: none is read."""
    return SourceFile(folder, None, limits.too_many_files(folder))


def _relative(root: Path, path: Path) -> str:
    return PurePosixPath(path.relative_to(root).as_posix()).as_posix()


def _symlink_problem(root: Path, path: Path, real_base: Path, *, is_dir: bool) -> list[SourceFile]:
    if path.resolve().is_relative_to(real_base) and is_dir:
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
    if path.is_symlink() and not path.resolve().is_relative_to(real_base):
        return _symlink_problem(root, path, real_base, is_dir=False)[0]
    data = limits.read_regular_file(path, rel)
    return SourceFile(rel, None, data) if isinstance(data, Diagnostic) else SourceFile(rel, data)
