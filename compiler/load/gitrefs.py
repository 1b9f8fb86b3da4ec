"""Everything astro-gitops asks git: the only module that imports GitPython."""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Any, NamedTuple

from compiler import limits
from compiler.errors import OperationError
from compiler.load import sources
from compiler.load.sources import ENVIRONMENTS, SourceFile


def _repo(root: Path) -> Any:
    import git

    try:
        return git.Repo(root, search_parent_directories=True)
    except (git.InvalidGitRepositoryError, git.NoSuchPathError):
        return None


def checked_out_branch(root: Path) -> str | None:
    """The branch HEAD points at; None when detached or not in a repository."""
    plain = _plain_head_branch(root)
    if plain is not None:
        return plain
    repo = _repo(root)
    if repo is None:
        return None
    try:
        return str(repo.active_branch.name)
    except UnicodeDecodeError:  # HEAD names a branch whose name is not UTF-8 (git allows any bytes)
        raise OperationError(
            "the checked-out branch's name (in HEAD) is not UTF-8 text, which astro-gitops needs for "
            "Astro names and markers: pass --branch, or rename the branch"
        ) from None
    except (TypeError, ValueError):
        return None  # detached HEAD


# Variables that make git (and GitPython) look for the repository elsewhere than `root/.git`.
_GIT_LOCATION = ("GIT_DIR", "GIT_WORK_TREE", "GIT_COMMON_DIR", "GIT_OBJECT_DIRECTORY")
_HEAD_BYTES = 1024  # a HEAD holding a branch name is one short line (git's refs are bounded in length)
# HEAD exactly as git writes it for a branch, the name made only of what git's
# check-ref-format allows (no control or space characters, none of ~^:?*[\, no `..`, no
# `@{`, no part starting with a dot or ending in `.lock`, no trailing `/` or `.`); any other
# HEAD, even one git would read, goes to GitPython.
_PLAIN_HEAD = re.compile(
    rb"ref: refs/heads/((?:[^\x00-\x20\x7f~^:?*\[\\/.][^\x00-\x20\x7f~^:?*\[\\/]*/)*[^\x00-\x20\x7f~^:?*\[\\/.][^\x00-\x20\x7f~^:?*\[\\/]*)\n?"
)


def _plain_head_branch(root: Path) -> str | None:
    """The branch of the plain case read from `root/.git/HEAD` as git writes it (`ref:
    refs/heads/NAME` and a newline), without importing GitPython (about 25 ms of a plan's CPU,
    issue 26).

    Plain: `root/.git` is a folder holding `objects/` and `refs/` itself (no `commondir`, not
    even a dangling link), HEAD is a small regular file naming a branch in the form above,
    `root` is not itself a git folder, its path holds no `$` (GitPython expands variables in
    it) and no git location variable is set. None otherwise: GitPython answers, as before, so
    a HEAD this reader does not know can never name a different branch (a feature branch must
    never be taken for production).
    """
    import os

    if any(name in os.environ for name in _GIT_LOCATION) or "$" in str(root):
        return None
    dotgit = root / ".git"
    head = dotgit / "HEAD"
    try:
        if (
            not dotgit.is_dir()
            or head.is_symlink()
            or not head.is_file()
            or os.path.lexists(dotgit / "commondir")
            or not (dotgit / "objects").is_dir()
            or not (dotgit / "refs").is_dir()
            or os.path.lexists(root / "HEAD")
        ):
            return None
        with head.open("rb") as file:
            data = file.read(_HEAD_BYTES + 1)
    except OSError:
        return None
    found = _PLAIN_HEAD.fullmatch(data) if len(data) <= _HEAD_BYTES else None
    if found is None:
        return None
    name = found.group(1)
    if b".." in name or b"@{" in name or name.endswith((b".lock", b".")) or b".lock/" in name:
        return None
    return name.decode("utf-8", "surrogateescape")  # bytes that are not UTF-8: refused by model/branches.py


def default_branch(root: Path) -> str | None:
    """origin's default branch, else the branch checked out, else git's init.defaultBranch."""
    import git

    repo = _repo(root)
    if repo is None:
        return None
    try:
        return str(repo.git.symbolic_ref("--short", "refs/remotes/origin/HEAD")).removeprefix("origin/")
    except git.GitCommandError:  # no origin, or origin's HEAD unknown (a clone sets it; `git init` does not)
        pass
    checked_out = checked_out_branch(root)
    if checked_out:
        return checked_out
    try:
        return str(repo.git.config("--get", "init.defaultBranch")) or None
    except git.GitCommandError:  # not set
        return None


LS_REMOTE_SECONDS = 30  # a remote that does not answer is "unknown", not a hang


class BranchNames(NamedTuple):
    """The branches a repository knows of, and why some may be missing.

    (A NamedTuple: a frozen value below model/frozen.py.)
    """

    names: tuple[str, ...]
    unknown: tuple[str, ...] = ()  # one sentence per place whose branches could not be listed


@lru_cache(maxsize=8)  # asked once per command, however many previews it resolves
def branch_names(root: Path) -> BranchNames:
    """Local branches and the branches every remote has now (for preview-name collisions).

    A shallow CI checkout has fetched one branch, so the remote is asked directly
    (`git ls-remote --heads`, no history needed); when it cannot answer (offline, no
    access) or there is no remote, `unknown` says so instead of pretending there are none.
    """
    repo = _repo(root)
    if repo is None:
        return BranchNames((), (f"{root} is not in a git repository, so no other branch is known",))
    names = {str(h.name) for h in repo.heads}
    unknown = []
    if not repo.remotes:
        unknown.append("the repository has no git remote, so only local branches are known")
    for remote in repo.remotes:
        listed = _remote_heads(repo, str(remote.name))
        if listed is None:
            unknown.append(f"the branches of remote '{remote.name}' could not be listed (git ls-remote failed)")
            listed = [str(ref.remote_head) for ref in remote.refs if str(ref.remote_head) != "HEAD"]
        names.update(listed)
    return BranchNames(tuple(sorted(names)), tuple(unknown))


def _remote_heads(repo: Any, remote: str) -> list[str] | None:
    import git

    # No prompt for credentials (a CI job has no one to answer), and a bounded wait.
    env = {"GIT_TERMINAL_PROMPT": "0", "GIT_SSH_COMMAND": "ssh -o BatchMode=yes"}
    try:
        command = ["git", "ls-remote", "--heads", "--end-of-options", remote]  # a name is never an option
        text = repo.git.execute(command, env=env, kill_after_timeout=LS_REMOTE_SECONDS)
    except git.GitCommandError:
        return None
    prefix = "refs/heads/"
    return [
        ref[len(prefix) :]
        for _, _, ref in (line.partition("\t") for line in str(text).splitlines())
        if ref.startswith(prefix)
    ]


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
    if repo.bare or repo.working_tree_dir is None:
        raise OperationError(f"{root} is in a bare git repository: run diff in a clone with a working tree")
    try:
        commit = repo.commit(ref)
        commit.tree  # noqa: B018 - the commit object itself: absent beyond a shallow clone's depth
    except (git.BadName, git.BadObject, git.GitCommandError, ValueError, OSError, IndexError, KeyError):
        raise OperationError(_unknown_ref(repo, ref)) from None
    try:
        return _sources_in(commit, root, repo)
    except (git.GitCommandError, ValueError, OSError):
        # A partial clone missing blobs, a corrupt object: what git could not give.
        raise OperationError(f"cannot read environments/ at git ref '{ref}' ({_history_hint(repo)})") from None


def _unknown_ref(repo: Any, ref: str) -> str:
    """The error for a ref git cannot resolve, with how to get more history."""
    return f"unknown git ref '{ref}' ({_history_hint(repo)})"


def _history_hint(repo: Any) -> str:
    if _is_shallow(repo):
        return (
            "this clone is shallow, so older commits are not here: run `git fetch --unshallow`, "
            "or in GitHub Actions give actions/checkout `fetch-depth: 0`"
        )
    return "check the name, or fetch it first, e.g. `git fetch origin <branch>`"


def _is_shallow(repo: Any) -> bool:
    try:
        return bool(repo.git.rev_parse("--is-shallow-repository").strip() == "true")
    except Exception:  # an old git: the marker file says the same
        return Path(repo.git_dir, "shallow").exists()


def _sources_in(commit: Any, root: Path, repo: Any) -> list[SourceFile]:
    prefix = Path(root).resolve().relative_to(Path(repo.working_tree_dir).resolve()).as_posix()
    folder = f"{prefix}/{ENVIRONMENTS}" if prefix != "." else ENVIRONMENTS
    try:
        tree = commit.tree / folder
    except KeyError:
        return []
    if tree.type != "tree":  # a file, a symbolic link or a submodule where the folder belongs
        what = {"commit": "a git submodule"}.get(tree.type, "a symbolic link" if tree.mode == 0o120000 else "a file")
        return [_not_a_folder(folder if prefix == "." else ENVIRONMENTS, what)]
    # Listed first and counted before any content is read: the limit of the working tree.
    blobs = [b for b in tree.traverse() if b.type == "blob" and b.path.endswith(sources.YAML_SUFFIXES)]
    if len(blobs) > limits.MAX_FILES:
        return [sources.too_many_files(ENVIRONMENTS)]
    found = _misnamed(tree, prefix)
    for blob in blobs:
        relative = blob.path[len(prefix) + 1 :] if prefix != "." else blob.path
        if blob.mode == 0o120000:
            found.append(_link_in_tree(relative))
        elif blob.size > limits.MAX_FILE_BYTES:
            found.append(SourceFile(relative, None, limits.too_large(relative, blob.size)))
        else:
            found.append(SourceFile(relative, blob.data_stream.read()))
    return sorted(found, key=lambda s: s.path)


def _misnamed(tree: Any, prefix: str) -> list[SourceFile]:
    """`X.YAML` in the tree: named, as the working tree names it (sources.suffix_problem)."""
    paths = (b.path[len(prefix) + 1 :] if prefix != "." else b.path for b in tree.traverse() if b.type == "blob")
    return [p for p in map(sources.suffix_problem, paths) if p is not None]


def _not_a_folder(relative: str, what: str) -> SourceFile:
    from compiler.diagnostics import Location, error

    message = f"{ENVIRONMENTS}/ is {what} in this commit, not a folder: it is not read"
    return SourceFile(relative, None, error(Location(relative), "outside-root", message))


def _link_in_tree(relative: str) -> SourceFile:
    from compiler.diagnostics import Location, error

    return SourceFile(
        relative, None, error(Location(relative), "outside-root", "symbolic links are not read from git history")
    )


def remote_branches(root: Path, remote: str) -> set[str]:
    """The branches `remote` has now, asked of the remote itself (`git ls-remote --heads`), so a
    shallow or single-branch checkout (CI) sees every branch. Failing to ask is an error: a
    preview sweep must never read "no answer" as "no branches"."""
    repo = _repo(root)
    if repo is None:
        raise OperationError(f"{root} is not in a git repository: cannot ask remote '{remote}' for its branches")
    configured = sorted(str(r.name) for r in repo.remotes)
    if remote not in configured:  # a name given to git is never an option (`--upload-pack=CMD`) nor a URL
        from compiler.escaping import one_line

        known = ", ".join(configured) or "none"
        raise OperationError(f"no git remote named {one_line(remote)!r} (configured: {known})")
    listed = _remote_heads(repo, remote)
    if listed is None:
        raise OperationError(f"git ls-remote --heads {remote} failed: the remote's branches are unknown")
    return set(listed)
