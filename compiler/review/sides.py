"""The two sides a review compares: environments/ at a git ref, or the working tree, validated and resolved."""

from __future__ import annotations

from pathlib import Path

from compiler.diagnostics import Diagnostic
from compiler.errors import InvalidEnvironments
from compiler.load.sources import SourceFile, filesystem_sources
from compiler.render import pipeline
from compiler.resolve.deployment import ResolvedDeployment
from compiler.validate import project


def _sources(root: Path, ref: str | None) -> list[SourceFile]:
    from compiler.load import gitrefs

    return filesystem_sources(root) if ref is None else gitrefs.sources_at(root, ref)


def side(root: Path, ref: str | None) -> project.Project:
    """environments/ at a git ref (from git objects), or the working tree when ref is None."""
    return _validated(_sources(root, ref), ref)


def compared_side(root: Path, ref: str | None) -> project.Project | None:
    """`side` for a comparison; None when that side has no environments/ at all.

    A commit from before the repository adopted astro-gitops has no Deployments, so the
    pull request that adds environments/ gets a plan (everything added), not an error.
    """
    sources = _sources(root, ref)
    return _validated(sources, ref) if sources else None


def _validated(sources: list[SourceFile], ref: str | None) -> project.Project:
    found = project.validate(sources, keep_resolved=False)  # resolved one Deployment at a time, when compared
    if not found.ok:
        label = ref or "the working tree"
        raise InvalidEnvironments([_labelled(d, label) for d in found.diagnostics])
    return found


def _labelled(diagnostic: Diagnostic, label: str) -> Diagnostic:
    return Diagnostic(diagnostic.location, diagnostic.severity, diagnostic.code, f"{diagnostic.message} (at {label})")


def resolved_all(found: project.Project | None) -> dict[str, ResolvedDeployment]:
    """Every Deployment of a side, resolved as `render --all` resolves it."""
    if found is None:
        return {}
    resolved = pipeline.resolve_selection(found, Path("."), pipeline.Selection(all=True), {})
    return {d.name: d for d in resolved}
