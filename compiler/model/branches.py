"""Branch names: glob and regex rules, the first match, and the branch slug (SPEC 3)."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from functools import lru_cache

from compiler.errors import OperationError
from compiler.escaping import has_undecodable, one_line
from compiler.model.branch_patterns import Matcher, compile_regex
from compiler.model.frozen import frozen
from compiler.model.objects import BranchRule, WorkspaceSpec

SLUG_MAX = 40
SLUG_CUT = 33
MAX_BRANCH = 255  # characters; a longer name is refused before any rule sees it


def slug(branch: str) -> str:
    """Lower-case, runs outside [a-z0-9] become one '-', trimmed; long names get a hash suffix."""
    text = re.sub(r"[^a-z0-9]+", "-", branch.lower()).strip("-")
    if len(text) > SLUG_MAX:
        import hashlib  # only long names need it; keep it off the start-up path

        # Another branch git lists may hold bytes that are not UTF-8: its own bytes are hashed.
        digest = hashlib.sha1(branch.encode("utf-8", "surrogateescape")).hexdigest()[:6]
        text = f"{text[:SLUG_CUT]}-{digest}"
    return text


@lru_cache(maxsize=256)
def glob_regex(pattern: str) -> Matcher:
    """`*` within a path segment, `**` across segments, `?` one character (not '/')."""
    out = []
    i = 0
    while i < len(pattern):
        char = pattern[i]
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")  # `a/**/b` also matches `a/b`
            i += 3
            continue
        if pattern.startswith("**", i):
            out.append(".*")
            i += 2
            continue
        out.append({"*": "[^/]*", "?": "[^/]"}.get(char, re.escape(char)))
        i += 1
    return compile_regex("".join(out))


def rule_regex(rule: BranchRule) -> Matcher:
    """The matcher of a rule, linear in the branch name (model/branch_patterns.py); re.error for an invalid one."""
    return _compile(rule.pattern) if rule.is_regex else glob_regex(rule.pattern)


@lru_cache(maxsize=256)
def _compile(pattern: str) -> Matcher:
    return compile_regex(pattern)


@frozen
class Target:
    """Where a branch goes: an existing Deployment or a preview derived from one."""

    branch: str
    slug: str
    rule: BranchRule

    @property
    def is_preview(self) -> bool:
        return self.rule.preview is not None

    @property
    def base(self) -> str:
        """The Deployment whose files this target starts from."""
        if self.rule.preview is not None:
            return self.rule.preview.from_
        assert self.rule.deployment is not None
        return self.rule.deployment


def match(workspace: WorkspaceSpec, branch: str) -> Target | None:
    if len(branch) > MAX_BRANCH:
        return None
    for rule in workspace.rules:
        if rule_regex(rule).fullmatch(branch):
            return Target(branch=branch, slug=slug(branch), rule=rule)
    return None


def detect(explicit: str | None, environ: Mapping[str, str], checked_out: Callable[[], str | None]) -> str:
    """The branch, in SPEC 3's order: --branch, GITHUB_HEAD_REF, GITHUB_REF_NAME, git."""
    if explicit:
        return _bounded(explicit, "--branch")
    if environ.get("GITHUB_HEAD_REF"):
        return _bounded(environ["GITHUB_HEAD_REF"], "GITHUB_HEAD_REF")
    if environ.get("GITHUB_REF", "").startswith("refs/heads/") and environ.get("GITHUB_REF_NAME"):
        return _bounded(environ["GITHUB_REF_NAME"], "GITHUB_REF_NAME")
    branch = checked_out()
    if branch is None:
        raise OperationError(
            "cannot tell the branch: HEAD is detached (or this is not a git repository); pass --branch"
        )
    return _bounded(branch, "the checked-out branch")


def _bounded(branch: str, source: str) -> str:
    if len(branch) > MAX_BRANCH:
        raise OperationError(
            f"the branch name from {source} is {len(branch)} characters long; at most {MAX_BRANCH} are read"
        )
    if has_undecodable(branch):
        raise OperationError(f"the branch name from {source}, '{one_line(branch)}', {NOT_UTF8}")
    return branch


# Why a branch name of bytes that are not UTF-8 (git allows them; Python reads them as lone
# surrogates) is refused: it names previews and is written into Astro's markers, which are text.
NOT_UTF8 = "is not UTF-8 text, which astro-gitops needs for Astro names and markers: rename the branch"


def no_match_message(workspace: WorkspaceSpec, branch: str) -> str:
    listed = "; ".join(f"{i + 1}. {rule.describe()}" for i, rule in enumerate(workspace.rules))
    return f"branch '{branch}' matches no rule in {workspace.path}: {listed}"
