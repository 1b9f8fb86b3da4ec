"""`explain DEPLOYMENT KEY`: every field of one resolved object, with the layers that wrote it.

Only the named Deployment is resolved. Each field's history comes from its provenance chain
(the value each layer wrote, and where); the files are read only to turn a YAML path into
a line number.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from compiler.diagnostics import did_you_mean
from compiler.errors import OperationError, UsageError
from compiler.model.frozen import frozen
from compiler.model.objects import KINDS, ObjectKind
from compiler.render import pipeline
from compiler.resolve.deployment import Origin, ResolvedDeployment
from compiler.review.changes import display, sensitive_object
from compiler.review.sides import side
from compiler.validate import project


@frozen
class Step:
    """One layer in a field's history: where, which layer, and the value it wrote."""

    location: str
    layer: str
    value: str


@frozen
class Explained:
    deployment: str
    kind: ObjectKind
    key: str
    scope: str
    fields: tuple[tuple[str, str, tuple[Step, ...]], ...]  # path, value, history
    removed: tuple[tuple[str, str], ...]  # path, where it was removed


def explain(
    root: Path,
    deployment: str | None,
    key: str,
    kind: ObjectKind | None,
    *,
    branch: str | None = None,
    environ: Mapping[str, str] | None = None,
) -> Explained:
    """Explain `key` in `deployment` (a Deployment of deployments/, or the preview the current
    branch maps to, by its name), or in what `branch` maps to (a Deployment or its preview)."""
    found = side(root, None)
    dep = _target(found, root, deployment, branch, environ or {})
    deployment = dep.name
    kinds = [kind] if kind else list(KINDS)
    matches = [o for o in dep.objects if o.key == key and o.kind in kinds]
    if len(matches) > 1:
        raise UsageError(f"'{key}' is both a {matches[0].kind} and a {matches[1].kind}; pass --kind")
    if not matches:
        raise OperationError(_why_not(found, deployment, key, kinds, dep))
    obj = matches[0]
    hide = sensitive_object(obj.kind, obj.key)
    fields = tuple(
        (
            ".".join(path),
            display(path, setting.value, hide),
            tuple(Step(_where(found, o, path), o.layer, display(path, wrote, hide)) for o, wrote in setting.history),
        )
        for path, setting in obj.leaves.items()
    )
    removed = tuple((".".join(p), _where(found, o, p)) for p, o in obj.removed.items())
    return Explained(deployment, obj.kind, obj.key, obj.scope, fields, removed)


def _target(
    found: project.Project, root: Path, deployment: str | None, branch: str | None, environ: Mapping[str, str]
) -> ResolvedDeployment:
    names = found.model.deployment_names
    if deployment in names:
        return pipeline.resolve_selection(found, root, pipeline.Selection(deployment=deployment), environ)[0]
    if deployment is None and branch is None:
        raise UsageError("explain needs a DEPLOYMENT or --branch B")
    try:
        dep = pipeline.resolve_selection(found, root, pipeline.Selection(branch=branch), environ)[0]
    except OperationError:
        if branch is not None:
            raise
        dep = None  # the current branch maps to nothing: say which names exist
    if dep is not None and deployment in (None, dep.name):
        return dep
    hint = " (a preview is named by its branch: explain --branch B KEY)"
    raise OperationError(f"no Deployment named '{deployment}'{did_you_mean(str(deployment), names) or hint}")


def _where(found: project.Project, origin: Origin, path: tuple[str, ...] = ()) -> str:
    document = found.document(origin.path)
    location = document.locate((*origin.ypath, *path)) if document else None
    return f"{origin.path}:{location.line}" if location else origin.path


def _why_not(
    found: project.Project, deployment: str, key: str, kinds: list[ObjectKind], dep: ResolvedDeployment
) -> str:
    candidates = [o for o in found.model.objects if o.key == key and o.kind in kinds]
    if not candidates:
        known = [o.key for o in dep.objects if o.kind in kinds]
        return f"'{key}' is not an object of '{deployment}'{did_you_mean(key, known)}"
    obj = candidates[0]
    document = found.document(obj.path)

    def at(ypath: tuple[str | int, ...]) -> str:
        return f"{obj.path}:{document.locate(ypath).line}" if document else obj.path

    if obj.links == "all" and deployment in obj.exclude:
        return f"{obj.kind} '{key}' is linked to all Deployments but excludes '{deployment}' ({at((*obj.ypath, 'exclude'))})"
    if obj.links:
        return f"{obj.kind} '{key}' is linked only to {', '.join(obj.links)} ({at((*obj.ypath, 'links'))}), not to '{deployment}'"
    return f"{obj.kind} '{key}' is linked to no Deployment ({at(obj.ypath)}); add 'links'"
