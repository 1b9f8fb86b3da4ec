"""`diff BASE [HEAD]`: the per-Deployment plan of changes between two git refs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from compiler.diagnostics import did_you_mean
from compiler.errors import OperationError
from compiler.model.frozen import frozen
from compiler.model.objects import thaw
from compiler.resolve.deployment import ResolvedDeployment
from compiler.review.changes import Action as Operation
from compiler.review.changes import Comparer, DiffAction, FieldChange, ObjectChange, compare, leaves
from compiler.review.sides import compared_side, names_of, resolver, same_files
from compiler.validate.project import Readings

Action = DiffAction  # what happened to a Deployment, and (as `ObjectChange.action`) to each object


@frozen
class DeploymentPlan:
    name: str
    action: Action
    objects: tuple[ObjectChange, ...]
    settings: tuple[FieldChange, ...]

    def count(self, action: Action) -> int:
        counted = sum(1 for o in self.objects if o.action == action)
        # The Deployment file counts once, as what happened to the Deployment itself.
        return counted + (1 if self.settings and action == self.action else 0)


@frozen
class DiffPlan:
    base: str
    head: str
    deployments: tuple[DeploymentPlan, ...]

    @property
    def has_changes(self) -> bool:
        return bool(self.deployments)


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


def compare_deployment(
    name: str, old: ResolvedDeployment | None, new: ResolvedDeployment | None, comparer: Comparer | None = None
) -> DeploymentPlan | None:
    comparer = comparer or Comparer()
    before = {(o.kind, o.key): o for o in old.objects} if old else {}
    after = {(o.kind, o.key): o for o in new.objects} if new else {}
    changes = []
    for kind, key in sorted(set(before) | set(after)):
        fields = comparer.changes(before.get((kind, key)), after.get((kind, key)))
        found = (kind, key) in before, (kind, key) in after
        if fields or found != (True, True):
            operation: Operation = "create" if not found[0] else "delete" if not found[1] else "update"
            changes.append(ObjectChange(kind, key, operation, fields, name))
    settings = compare(leaves(settings_view(old)) if old else {}, leaves(settings_view(new)) if new else {})
    if not changes and not settings:
        return None
    action: Action = "added" if old is None else "removed" if new is None else "changed"
    return DeploymentPlan(name, action, tuple(changes), settings)


def diff(root: Path, base: str, head: str | None, deployment: str | None = None) -> DiffPlan:
    """The per-Deployment plan of changes from `base` to `head` (the working tree when None)."""
    readings = Readings()  # a file the same at both sides is read once
    before, after = compared_side(root, base, readings), compared_side(root, head, readings)
    names = sorted(set(names_of(before)) | set(names_of(after)))
    if deployment is not None:
        if deployment not in names:
            raise OperationError(f"no Deployment named '{deployment}' at either side{did_you_mean(deployment, names)}")
        names = [deployment]
    comparer = Comparer()
    old, new, unchanged = resolver(before), resolver(after), same_files(before, after)
    # One pair of Deployments at a time: each is let go once compared (issue 26).
    plans = [None if unchanged(n) else compare_deployment(n, old(n), new(n), comparer) for n in names]
    return DiffPlan(base, head or "working tree", tuple(p for p in plans if p is not None))
