"""Review over resolved Deployments: diff between git refs, explain provenance, the CI matrix."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from . import build, project
from .diagnostics import Diagnostic, did_you_mean
from .errors import InvalidEnvironments, OperationError, UsageError
from .model import KINDS, ObjectKind, Secret, thaw
from .resolve import Origin, ResolvedDeployment, ResolvedObject, flatten
from .secrets import SecretValues, looks_secret, reference_name
from .sources import SourceFile, filesystem_sources

if TYPE_CHECKING:
    from .reports import MatrixReport

Action = Literal["added", "removed", "changed"]
SENSITIVE = "(sensitive value)"


@dataclass(frozen=True)
class FieldChange:
    path: str
    old: str | None  # None: the field is absent on that side
    new: str | None


@dataclass(frozen=True)
class ObjectChange:
    kind: str
    key: str
    action: Action
    fields: tuple[FieldChange, ...]


@dataclass(frozen=True)
class DeploymentPlan:
    name: str
    action: Action
    objects: tuple[ObjectChange, ...]
    settings: tuple[FieldChange, ...]

    def count(self, action: Action) -> int:
        counted = sum(1 for o in self.objects if o.action == action)
        # The Deployment file counts once, as what happened to the Deployment itself.
        return counted + (1 if self.settings and action == self.action else 0)


@dataclass(frozen=True)
class Plan:
    base: str
    head: str
    deployments: tuple[DeploymentPlan, ...]

    @property
    def has_changes(self) -> bool:
        return bool(self.deployments)


# --- reading both sides -------------------------------------------------------------


def _sources(root: Path, ref: str | None) -> list[SourceFile]:
    from . import gitrefs

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
    found = project.validate(sources)
    if not found.ok:
        label = ref or "the working tree"
        raise InvalidEnvironments([_labelled(d, label) for d in found.diagnostics])
    return found


def _labelled(diagnostic: Diagnostic, label: str) -> Diagnostic:
    return Diagnostic(diagnostic.location, diagnostic.severity, diagnostic.code, f"{diagnostic.message} (at {label})")


def resolved_all(found: project.Project | None) -> dict[str, ResolvedDeployment]:
    if found is None:
        return {}
    resolved = build.resolve_selection(found, Path("."), build.Selection(all=True), {})
    return {d.name: d for d in resolved}


# --- comparing ----------------------------------------------------------------------------


def display(path: tuple[Any, ...], value: Any) -> str:
    """A value as the plan shows it: secret references by name, literal secrets never."""
    if isinstance(value, Secret):
        return str(value)
    # Any literal under a secret-looking name, not only a string: `api_key: 123456` or
    # `credentials: [...]` pass validation yet are still secrets. Booleans are flags.
    if not isinstance(value, bool | None) and any(looks_secret(str(step)) for step in path):
        return SENSITIVE
    return json.dumps(thaw(value), ensure_ascii=False, sort_keys=True, default=str)


Leaves = dict[tuple[Any, ...], Any]


def _leaves(value: Mapping[str, Any]) -> Leaves:
    """Every leaf by its path; a null leaf is a field that is absent."""
    return {p: v for p, v in flatten(value) if p and v is not None}


def _identity(value: Any) -> str:
    """What makes two values equal: their JSON text (so 1, 1.0 and true differ), secrets by name.

    Values are compared before they are displayed: a literal password that changes shows
    as a change, although both sides display as the same `(sensitive value)`.
    """
    return json.dumps(thaw(value), sort_keys=True, default=_secret_as_json)


def _secret_as_json(value: Any) -> Any:
    return {"secret": value.name} if isinstance(value, Secret) else str(value)


def _compare(old: Leaves, new: Leaves) -> tuple[FieldChange, ...]:
    changes = []
    for path in sorted(set(old) | set(new), key=lambda p: ".".join(map(str, p))):
        if path in old and path in new and _identity(old[path]) == _identity(new[path]):
            continue
        before = display(path, old[path]) if path in old else None
        after = display(path, new[path]) if path in new else None
        changes.append(FieldChange(".".join(map(str, path)), before, after))
    return tuple(changes)


def settings_view(dep: ResolvedDeployment) -> dict[str, Any]:
    """The Deployment-file side of a Deployment, keyed for a readable diff."""
    spec = dep.spec
    return {
        "configuration": {"description": spec.description, **thaw(spec.astro)},
        "worker_queues": {q.get("name", str(i)): thaw(q) for i, q in enumerate(spec.worker_queues)},
        "environment_variables": thaw(spec.environment_variables),
        "alert_emails": list(spec.alert_emails),
        "hibernation_schedules": thaw(spec.hibernation_schedules),
    }


class _Comparer:
    """The field changes between two resolved objects, each pair compared once.

    Why: an object that no Deployment overrides is one shared ResolvedObject on each side,
    so without this a diff of N objects x M Deployments would flatten and compare it M
    times, which was most of the cost of a big diff. Objects are kept with their ids so
    the ids stay theirs.
    """

    def __init__(self) -> None:
        self.leaves: dict[int, tuple[ResolvedObject, Leaves]] = {}
        self.pairs: dict[tuple[int, int], tuple[Any, Any, tuple[FieldChange, ...]]] = {}

    def changes(self, old: ResolvedObject | None, new: ResolvedObject | None) -> tuple[FieldChange, ...]:
        key = (id(old), id(new))
        if key not in self.pairs:
            self.pairs[key] = (old, new, _compare(self._leaves(old), self._leaves(new)))
        return self.pairs[key][2]

    def _leaves(self, obj: ResolvedObject | None) -> Leaves:
        if obj is None:
            return {}
        if id(obj) not in self.leaves:
            self.leaves[id(obj)] = (obj, _leaves(obj.fields()))
        return self.leaves[id(obj)][1]


def compare_deployment(
    name: str, old: ResolvedDeployment | None, new: ResolvedDeployment | None, comparer: _Comparer | None = None
) -> DeploymentPlan | None:
    comparer = comparer or _Comparer()
    before = {(o.kind, o.key): o for o in old.objects} if old else {}
    after = {(o.kind, o.key): o for o in new.objects} if new else {}
    changes = []
    for kind, key in sorted(set(before) | set(after)):
        fields = comparer.changes(before.get((kind, key)), after.get((kind, key)))
        action: Action = "added" if (kind, key) not in before else "removed" if (kind, key) not in after else "changed"
        if fields or action != "changed":
            changes.append(ObjectChange(kind, key, action, fields))
    settings = _compare(_leaves(settings_view(old)) if old else {}, _leaves(settings_view(new)) if new else {})
    if not changes and not settings:
        return None
    action = "added" if old is None else "removed" if new is None else "changed"
    return DeploymentPlan(name, action, tuple(changes), settings)


def diff(root: Path, base: str, head: str | None, deployment: str | None = None) -> Plan:
    """The per-Deployment plan of changes from `base` to `head` (the working tree when None)."""
    old, new = resolved_all(compared_side(root, base)), resolved_all(compared_side(root, head))
    names = sorted(set(old) | set(new))
    if deployment is not None:
        if deployment not in names:
            raise OperationError(f"no Deployment named '{deployment}' at either side{did_you_mean(deployment, names)}")
        names = [deployment]
    comparer = _Comparer()
    plans = [compare_deployment(n, old.get(n), new.get(n), comparer) for n in names]
    return Plan(base, head or "working tree", tuple(p for p in plans if p is not None))


# --- matrix -------------------------------------------------------------------------------


def _rendered(found: project.Project, deps: Mapping[str, ResolvedDeployment]) -> dict[str, dict[str, str]]:
    """Each Deployment's rendered files (secrets redacted), rendered in one call so that an
    object shared by many Deployments is rendered once."""
    files = build.render_files(found.model, list(deps.values()), SecretValues(), workspace_view=False)
    return {name: {p: text for p, text in files.items() if p.startswith(f"{name}/")} for name in deps}


def matrix(root: Path, since: str | None, environ: Mapping[str, str]) -> MatrixReport:
    """`{"include": [...]}` for a GitHub Actions matrix: every Deployment, or those changed since a ref."""
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
    from .reports import MatrixEntry, MatrixReport

    include = [
        MatrixEntry(deployment=d.name, preview=d.is_preview, from_=d.base, branch=d.branch if d.is_preview else None)
        for d in sorted(deps.values(), key=lambda d: d.name)
    ]
    return MatrixReport(include=include)


def _current_preview(found: project.Project, root: Path, environ: Mapping[str, str]) -> ResolvedDeployment | None:
    """The preview the current branch maps to, if it maps to one (no branch: none)."""
    try:
        target = build.target(found, root, None, environ)
    except (OperationError, InvalidEnvironments):
        return None
    if not target.is_preview:
        return None
    return build.resolve_selection(found, root, build.Selection(branch=target.branch), environ)[0]


def _preview_at(found: project.Project, root: Path, branch: str) -> dict[str, ResolvedDeployment]:
    try:
        dep = build.resolve_selection(found, root, build.Selection(branch=branch), {})[0]
    except (OperationError, InvalidEnvironments):
        return {}
    return {dep.name: dep} if dep.is_preview else {}


# --- explain ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Step:
    """One layer in a field's history: where, which layer, and the value it wrote."""

    location: str
    layer: str
    value: str


@dataclass(frozen=True)
class Explained:
    deployment: str
    kind: ObjectKind
    key: str
    scope: str
    fields: tuple[tuple[str, str, tuple[Step, ...]], ...]  # path, value, history
    removed: tuple[tuple[str, str], ...]  # path, where it was removed


def explain(root: Path, deployment: str, key: str, kind: ObjectKind | None) -> Explained:
    found = side(root, None)
    deps = resolved_all(found)
    if deployment not in deps:
        raise OperationError(f"no Deployment named '{deployment}'{did_you_mean(deployment, deps)}")
    dep = deps[deployment]
    kinds = [kind] if kind else list(KINDS)
    matches = [o for o in dep.objects if o.key == key and o.kind in kinds]
    if len(matches) > 1:
        raise UsageError(f"'{key}' is both a {matches[0].kind} and a {matches[1].kind}; pass --kind")
    if not matches:
        raise OperationError(_why_not(found, deployment, key, kinds, dep))
    obj = matches[0]
    fields = tuple(
        (".".join(path), display(path, setting.value), tuple(_step(found, o, path) for o in setting.origins))
        for path, setting in obj.leaves.items()
    )
    removed = tuple((".".join(p), _where(found, o, p)) for p, o in obj.removed.items())
    return Explained(deployment, obj.kind, obj.key, obj.scope, fields, removed)


def _where(found: project.Project, origin: Origin, path: tuple[str, ...] = ()) -> str:
    document = found.document(origin.path)
    location = document.locate((*origin.ypath, *path)) if document else None
    return f"{origin.path}:{location.line}" if location else origin.path


def _step(found: project.Project, origin: Origin, path: tuple[str, ...]) -> Step:
    document = found.document(origin.path)
    value: Any = document.data if document else None
    for step in (*origin.ypath, *path):
        value = value.get(step) if isinstance(value, dict) else None
    name = reference_name(value)
    if name is not None:
        value = Secret(name)
    return Step(_where(found, origin, path), origin.layer, display(path, value))


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
