"""Everything astro-gitops asks git: the only module that imports GitPython."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from . import limits, sources
from .errors import OperationError
from .sources import ENVIRONMENTS, SourceFile


def _repo(root: Path) -> Any:
    import git

    try:
        return git.Repo(root, search_parent_directories=True)
    except (git.InvalidGitRepositoryError, git.NoSuchPathError):
        return None


def checked_out_branch(root: Path) -> str | None:
    """The branch HEAD points at; None when detached or not in a repository."""
    repo = _repo(root)
    if repo is None:
        return None
    try:
        return str(repo.active_branch.name)
    except (TypeError, ValueError):
        return None  # detached HEAD


def branch_names(root: Path) -> list[str]:
    """Local branches and origin's remote branches (for preview-name collisions)."""
    repo = _repo(root)
    if repo is None:
        return []
    names = {str(h.name) for h in repo.heads}
    for remote in repo.remotes:
        for ref in remote.refs:
            name = str(ref.remote_head)
            if name != "HEAD":
                names.add(name)
    return sorted(names)


def tracked(root: Path, paths: list[Path]) -> list[Path]:
    """Those of `paths` that git tracks (or that sit in the index)."""
    repo = _repo(root)
    if repo is None or not paths:
        return []
    top = Path(repo.working_tree_dir).resolve()
    known = {top / p for p in repo.git.ls_files("-z").split("\0") if p}
    return [p for p in paths if p.resolve() in known]


def sources_at(root: Path, ref: str) -> list[SourceFile]:
    """environments/ as it is in commit `ref`, read from git objects (no checkout)."""
    import git

    repo = _repo(root)
    if repo is None:
        raise OperationError(f"{root} is not in a git repository, so '{ref}' cannot be read")
    try:
        commit = repo.commit(ref)
    except (git.BadName, git.BadObject, ValueError) as exc:
        raise OperationError(f"unknown git ref '{ref}'") from exc
    prefix = Path(root).resolve().relative_to(Path(repo.working_tree_dir).resolve()).as_posix()
    folder = f"{prefix}/{ENVIRONMENTS}" if prefix != "." else ENVIRONMENTS
    try:
        tree = commit.tree / folder
    except KeyError:
        return []
    # Listed first and counted before any content is read: the limit of the working tree.
    blobs = [b for b in tree.traverse() if b.type == "blob" and b.path.endswith(sources.YAML_SUFFIXES)]
    if len(blobs) > limits.MAX_FILES:
        return [sources.too_many_files(ENVIRONMENTS)]
    found = []
    for blob in blobs:
        relative = blob.path[len(prefix) + 1 :] if prefix != "." else blob.path
        if blob.mode == 0o120000:
            found.append(_link_in_tree(relative))
        elif blob.size > limits.MAX_FILE_BYTES:
            found.append(SourceFile(relative, None, limits.too_large(relative, blob.size)))
        else:
            found.append(SourceFile(relative, blob.data_stream.read()))
    return sorted(found, key=lambda s: s.path)


def _link_in_tree(relative: str) -> SourceFile:
    from .diagnostics import Location, error

    return SourceFile(
        relative, None, error(Location(relative), "outside-root", "symbolic links are not read from git history")
    )
