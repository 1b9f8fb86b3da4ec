"""What the CI system says about the run that a branch's own files cannot change: the
repository's default branch.

Why: the sync branch (SPEC 7.2) applies everything, and `sync.branch` is read from the
checked-out `workspace.yaml`, which any branch can edit. A feature branch that names itself
the sync branch would get the sync branch's scope. Where CI knows the repository's default
branch (a setting of the repository, not a file of the branch), a sync-scope plan or apply
is confirmed against it (live/astro_run.py).

Sources, in order:
- `ASTRO_GITOPS_SYNC_BRANCH`: the sync branch as the CI configuration names it (for a sync
  branch that is not the default branch);
- GitHub Actions: `repository.default_branch` of the event payload at `GITHUB_EVENT_PATH`
  (https://docs.github.com/en/actions/writing-workflows/choosing-when-your-workflow-runs/events-that-trigger-workflows;
  the payload is a file GitHub writes for the job);
- GitLab CI: `CI_DEFAULT_BRANCH` (https://docs.gitlab.com/ci/variables/predefined_variables/).
None of them: not known (a laptop, another CI), and nothing is confirmed. But a CI run that
names no default branch (GitHub Actions without a payload, or with one that has no
`repository.default_branch`: a `schedule` event's has no repository at all, see
github/codeql-action#1211; GitLab CI with an empty `CI_DEFAULT_BRANCH`) is a check that could
not be made, not one that passed: it is a TrustedBranch whose name is None, and the sync scope
is refused there unless ASTRO_GITOPS_SYNC_BRANCH names the branch.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import NamedTuple

from compiler.errors import OperationError

MAX_EVENT_BYTES = 64 * 1024 * 1024  # GitHub caps a webhook payload at 25 MB


class TrustedBranch(NamedTuple):
    name: str | None  # None: a CI run that names no default branch (nothing can be confirmed)
    source: str  # where it was read (or why it could not be), for messages


def sync_branch(environ: Mapping[str, str]) -> TrustedBranch | None:
    """The branch CI names as the sync branch (or the repository's default branch); a
    TrustedBranch named None when a CI run names none; None outside CI. Raises OperationError
    when GitHub's event payload cannot be read: a check that could not be made is not a check
    that passed."""
    named = environ.get("ASTRO_GITOPS_SYNC_BRANCH", "")
    if named:
        return TrustedBranch(named, "ASTRO_GITOPS_SYNC_BRANCH")
    unknown = None
    if environ.get("GITHUB_ACTIONS") == "true":
        path = environ.get("GITHUB_EVENT_PATH", "")
        default = _event_default_branch(path) if path else None
        if default is not None:
            return TrustedBranch(default, "the repository's default branch (GitHub's event payload)")
        unknown = (
            "GitHub's event payload (GITHUB_EVENT_PATH) has no repository.default_branch (a schedule event's has none)"
            if path
            else "GitHub Actions set no GITHUB_EVENT_PATH"
        )
    if environ.get("GITLAB_CI") == "true":
        gitlab = environ.get("CI_DEFAULT_BRANCH", "")
        if gitlab:
            return TrustedBranch(gitlab, "the repository's default branch (GitLab's CI_DEFAULT_BRANCH)")
        unknown = unknown or "GitLab CI set no CI_DEFAULT_BRANCH"
    return TrustedBranch(None, unknown) if unknown else None


def _event_default_branch(path: str) -> str | None:
    try:
        with open(path, "rb") as stream:
            data = stream.read(MAX_EVENT_BYTES + 1)
    except OSError as exc:
        raise OperationError(f"cannot read GitHub's event payload (GITHUB_EVENT_PATH): {type(exc).__name__}") from None
    if len(data) > MAX_EVENT_BYTES:
        raise OperationError(f"GitHub's event payload (GITHUB_EVENT_PATH) is larger than {MAX_EVENT_BYTES} bytes")
    try:
        event = json.loads(data)
    except (ValueError, RecursionError):
        raise OperationError("GitHub's event payload (GITHUB_EVENT_PATH) is not JSON") from None
    repository = event.get("repository") if isinstance(event, dict) else None
    default = repository.get("default_branch") if isinstance(repository, dict) else None
    return default if isinstance(default, str) and default else None
