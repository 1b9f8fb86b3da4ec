"""`matrix [--since REF]`: the GitHub Actions matrix of Deployments (those changed since a ref)."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

from compiler.errors import InvalidEnvironments, OperationError
from compiler.model.frozen import replace
from compiler.model.secrets import SecretValues
from compiler.render import pipeline, texts
from compiler.resolve.deployment import ResolvedDeployment
from compiler.review.sides import compared_side, names_of, resolver, same_files, side
from compiler.validate import project


def _files(found: project.Project, dep: ResolvedDeployment, memo: texts.Memo) -> dict[str, str]:
    """A Deployment's rendered files (secrets redacted); `memo` carries a side's shared objects'
    items from one Deployment to the next, so each is rendered once."""
    workspace = found.model.workspace
    assert workspace is not None
    return texts.render_deployment(dep, workspace.name, SecretValues(), workspace.conn_extra, memo)


def _listed(dep: ResolvedDeployment) -> ResolvedDeployment:
    """What the matrix shows of a Deployment (name, preview, base, branch): its objects let go."""
    return replace(dep, objects=())


def matrix(root: Path, since: str | None, environ: Mapping[str, str]) -> tuple[ResolvedDeployment, ...]:
    """The Deployments of a GitHub Actions matrix, by name: every one, or those changed since a ref
    (report/documents.py makes them `{"include": [...]}`).

    One Deployment (with its counterpart at `since`) is resolved, rendered and compared at a
    time, and only its name and branch are kept (issue 26: all of both sides were held).
    """
    readings = project.Readings()  # a file the same at both sides is read once
    current = side(root, None, readings)
    preview = _current_preview(current, root, environ)
    resolved = resolver(current)
    if since is None:
        return tuple(sorted((_listed(d) for d in _each(resolved, names_of(current), preview)), key=lambda d: d.name))
    before_project = compared_side(root, since, readings)
    before = resolver(before_project)
    before_preview: dict[str, ResolvedDeployment] = {}
    if preview is not None and before_project is not None:
        before_preview = _preview_at(before_project, root, preview.branch)
    # A Deployment made of the same files at both sides is not resolved, rendered or listed.
    unchanged = same_files(before_project, current)
    names = [n for n in names_of(current) if n in before_preview or not unchanged(n)]
    memo_new: texts.Memo = {}
    memo_old: texts.Memo = {}
    changed = []
    for dep in _each(resolved, names, preview):
        if before_project is not None:
            old = before_preview.get(dep.name) or before(dep.name)
            if old is not None and _files(before_project, old, memo_old) == _files(current, dep, memo_new):
                continue
        changed.append(_listed(dep))
    return tuple(sorted(changed, key=lambda d: d.name))


def _each(
    resolved: Callable[[str], ResolvedDeployment | None], names: list[str], preview: ResolvedDeployment | None
) -> Iterator[ResolvedDeployment]:
    """Each named Deployment, resolved as it is asked for, then the preview (if any)."""
    for name in names:
        dep = resolved(name)
        if dep is not None:
            yield dep
    if preview is not None:
        yield preview


def _current_preview(found: project.Project, root: Path, environ: Mapping[str, str]) -> ResolvedDeployment | None:
    """The preview the current branch maps to, if it maps to one (no branch: none)."""
    try:
        target = pipeline.target(found, root, None, environ)
    except (OperationError, InvalidEnvironments):
        return None
    if not target.is_preview:
        return None
    return pipeline.resolve_selection(found, root, pipeline.Selection(branch=target.branch), environ)[0]


def _preview_at(found: project.Project, root: Path, branch: str) -> dict[str, ResolvedDeployment]:
    try:
        dep = pipeline.resolve_selection(found, root, pipeline.Selection(branch=branch), {})[0]
    except (OperationError, InvalidEnvironments):
        return {}
    return {dep.name: dep} if dep.is_preview else {}
