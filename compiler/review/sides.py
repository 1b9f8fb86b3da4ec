"""The two sides a review compares: environments/ at a git ref, or the working tree, validated and resolved."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from compiler.diagnostics import Diagnostic, Location
from compiler.errors import InvalidEnvironments
from compiler.load.documents import YPath
from compiler.load.sources import SourceFile, filesystem_sources
from compiler.resolve.deployment import ResolvedDeployment, ResolveProblem, Shared, resolve_deployment
from compiler.validate import project
from compiler.validate.resolution_rules import literal_branch


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


def resolver(found: project.Project | None) -> Callable[[str], ResolvedDeployment | None]:
    """A side's Deployment by name, resolved as `render --all` resolves it, when asked for (None:
    the side has no such Deployment). Objects that no Deployment overrides are resolved once
    for the side; each Deployment is the caller's to let go, so a comparison of two sides
    holds one pair at a time (issue 26: `diff` and `matrix` held every Deployment of both)."""
    if found is None:
        return lambda name: None
    model, workspace = found.model, found.model.workspace
    assert workspace is not None, "a valid side has a workspace"
    names, shared = set(model.deployment_names), Shared()
    by_path = {d.path: d for d in found.documents}

    def locate(path: str, ypath: YPath) -> Location:
        document = by_path.get(path)
        return document.locate(ypath) if document else Location(path)

    def resolved(name: str) -> ResolvedDeployment | None:
        if name not in names:
            return None
        try:
            return resolve_deployment(model, name, literal_branch(workspace, name), workspace.name, locate, shared)
        except ResolveProblem as exc:
            raise InvalidEnvironments(exc.diagnostics) from None

    return resolved


def names_of(found: project.Project | None) -> list[str]:
    """The names of a side's Deployments, sorted (none for a side without environments/)."""
    return sorted(set(found.model.deployment_names)) if found is not None else []
