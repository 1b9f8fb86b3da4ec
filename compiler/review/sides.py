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


def side(root: Path, ref: str | None, readings: project.Readings | None = None) -> project.Project:
    """environments/ at a git ref (from git objects), or the working tree when ref is None.

    `readings` shared by the sides of one comparison reads a file the same at both once.
    """
    return _validated(_sources(root, ref), ref, readings)


def compared_side(root: Path, ref: str | None, readings: project.Readings | None = None) -> project.Project | None:
    """`side` for a comparison; None when that side has no environments/ at all.

    A commit from before the repository adopted astro-gitops has no Deployments, so the
    pull request that adds environments/ gets a plan (everything added), not an error.
    """
    sources = _sources(root, ref)
    return _validated(sources, ref, readings) if sources else None


def _validated(sources: list[SourceFile], ref: str | None, readings: project.Readings | None) -> project.Project:
    # Resolved one Deployment at a time, when compared.
    found = project.validate(sources, keep_resolved=False, readings=readings)
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


def same_files(before: project.Project | None, after: project.Project | None) -> Callable[[str], bool]:
    """Whether a Deployment is made of the same files at both sides, so resolves and renders the same.

    The model is built from the documents alone, a Deployment from its own file, the
    workspace file and the objects files: when those are the same text at the same paths
    (both sides valid, so nothing was pruned), the Deployment is the same at both sides,
    and `diff` and `matrix` need neither resolve nor render it (a change to a few files no
    longer costs a resolution and a render of every Deployment twice, issue 26). Texts,
    not parsed values, are compared: `1` and `true` are equal values in Python, not in a file.
    """
    if before is None or after is None or _common_files(before) != _common_files(after):
        return lambda name: False
    return lambda name: _own_file(before, name) == _own_file(after, name) is not None


def _common_files(found: project.Project) -> list[tuple[str, str]]:
    """(path, text) of every file that is not a Deployment's: the workspace and the objects."""
    return sorted((d.path, d.text) for d in found.documents if d.kind != "deployment")


def _own_file(found: project.Project, name: str) -> tuple[str, str] | None:
    spec = found.model.deployment(name)
    document = found.document(spec.path) if spec is not None else None
    return (document.path, document.text) if document is not None else None


def names_of(found: project.Project | None) -> list[str]:
    """The names of a side's Deployments, sorted (none for a side without environments/)."""
    return sorted(set(found.model.deployment_names)) if found is not None else []
