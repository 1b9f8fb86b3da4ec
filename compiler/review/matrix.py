"""`matrix [--since REF]`: the GitHub Actions matrix of Deployments (those changed since a ref)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from compiler.errors import InvalidEnvironments, OperationError
from compiler.model.secrets import SecretValues
from compiler.render import pipeline
from compiler.resolve.deployment import ResolvedDeployment
from compiler.review.sides import compared_side, resolved_all, side
from compiler.validate import project


def _rendered(found: project.Project, deps: Mapping[str, ResolvedDeployment]) -> dict[str, dict[str, str]]:
    """Each Deployment's rendered files (secrets redacted), rendered in one call so that an
    object shared by many Deployments is rendered once."""
    files = pipeline.render_files(found.model, list(deps.values()), SecretValues())
    return {name: {p: text for p, text in files.items() if p.startswith(f"{name}/")} for name in deps}


def matrix(root: Path, since: str | None, environ: Mapping[str, str]) -> tuple[ResolvedDeployment, ...]:
    """The Deployments of a GitHub Actions matrix, by name: every one, or those changed since a ref
    (report/documents.py makes them `{"include": [...]}`)."""
    current = side(root, None)
    deps = resolved_all(current)
    preview = _current_preview(current, root, environ)
    if preview is not None:
        deps[preview.name] = preview
    if since is not None:
        before_project = compared_side(root, since)
        before = resolved_all(before_project)
        if preview is not None and before_project is not None:
            before.update(_preview_at(before_project, root, preview.branch))
        old = _rendered(before_project, before) if before_project is not None else {}
        new = _rendered(current, deps)
        deps = {n: d for n, d in deps.items() if old.get(n) != new[n]}
    return tuple(sorted(deps.values(), key=lambda d: d.name))


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
