"""What a scope cannot apply: changes the repository holds that only the sync branch writes.

SPEC 7.2: on a branch that maps to a Deployment or a preview, the plan writes that Deployment's
part of each workspace object; the objects' own fields, their link mode, a create and a delete
of a workspace object are the sync branch's. SPEC 7.5: the plan still says that such a change
exists and which branch applies it, never "No changes". These changes are plan lines in their
own section (and `deferred` in JSON): not counted, not written, not in `--exit-code`.
"""

from __future__ import annotations

from collections.abc import Sequence

from compiler.model.frozen import replace
from compiler.model.secrets import SecretValues, referenced
from compiler.review.changes import FieldChange, ObjectChange
from compiler.sync import marker as markers
from compiler.sync import reach
from compiler.sync.astro_state import LiveObject, LiveState
from compiler.sync.changeset import KIND, SECRET_CHANGED
from compiler.sync.desired import DesiredObject, Part, has_secret
from compiler.sync.fingerprints import Fingerprinter
from compiler.sync.values import concrete, hidden, leaves, same, shown


def link_mode(auto_link: bool) -> str:
    return "all" if auto_link else "listed"


def applied_by(branch: str) -> str:
    return f"applied by branch {branch}, not by this scope"


def create(obj: DesiredObject, parts: Sequence[Part], branch: str) -> ObjectChange:
    """A workspace object git defines and Astro does not hold yet (`not-yet-applied`)."""
    return ObjectChange(obj.kind, obj.key, "create", reach.create_fields(obj, parts), note=f"({applied_by(branch)})")


def update(obj: DesiredObject, found: LiveObject, branch: str, fingerprints: Fingerprinter) -> ObjectChange | None:
    """The object's own fields, description and link mode as git changed them, each with the
    Deployments it reaches; a secret field where this scope can tell it changed (`secret_changes`)."""
    live = dict(leaves(found.fields))
    fields = [
        FieldChange(path, live.get(path), shown(value), reach=reach.field_reach(path, obj.parts.values()))
        for path, value in leaves(obj.fields)
        if not hidden(path, value, secret_variable=obj.sensitive)
        and not (live.get(path) is not None and same(live.get(path), concrete(value, SecretValues())))
    ]
    fields += secret_changes(obj, found, fingerprints)
    user_text, _ = markers.split(found.description)
    if (obj.description or "") != user_text.strip():
        fields.append(FieldChange("description", user_text.strip() or None, obj.description))
    if obj.scope == "WORKSPACE" and obj.auto_link != found.auto_link:
        fields.append(FieldChange("links", link_mode(found.auto_link), link_mode(obj.auto_link)))
    if not fields:
        return None
    return ObjectChange(obj.kind, obj.key, "update", tuple(fields), note=f"({applied_by(branch)})")


def secret_changes(obj: DesiredObject, found: LiveObject, fingerprints: Fingerprinter) -> list[FieldChange]:
    """The object's own secret fields whose value is not the one the live marker's fingerprint
    records: the sync branch's apply sends them, so this scope says so (SPEC 7.5: never "No
    changes" while such a change exists). Only where this scope can tell: with the key, a
    recorded fingerprint and the value of every secret the field references (those are optional
    on a branch scope; a field whose values are not set is left to the sync branch's plan)."""
    values = fingerprints.values
    _, mark = markers.split(found.description)
    if fingerprints.key is None or values is None or mark is None:
        return []
    live = {p for p, v in leaves(found.fields) if v not in (None, "")} | set(found.set_fields)
    changed = []
    for path, value in leaves(obj.fields):
        if not hidden(path, value, secret_variable=obj.sensitive):
            continue
        if any(s.name not in values.values for s in referenced(value)):
            continue
        recorded = mark.fingerprints.get((markers.OWN, path))
        if recorded is None and path in live:
            continue  # set live, with no fingerprint to tell: the sync branch's plan says it
        if recorded != fingerprints.fp(obj, markers.OWN, path, value):
            after = shown(value) if has_secret(value) else "<hidden>"
            where = reach.field_reach(path, obj.parts.values())
            changed.append(FieldChange(path, None, after, note=SECRET_CHANGED, reach=where))
    return changed


def delete(found: LiveObject, live: LiveState, branch: str) -> ObjectChange:
    """A managed workspace object that left git, with the Deployments that lose it."""
    removed = reach.removed_from(found, live)[1:-1]
    note = f"({removed}; {applied_by(branch)})"
    return ObjectChange(KIND[found.key.object_type], found.key.object_key, "delete", note=note)


def warning_text(change: ObjectChange, branch: str) -> str:
    """The `applied-by-sync-branch` warning of a deferred update."""
    paths = ", ".join(f.path for f in change.fields)
    return (
        f"{change.kind} '{change.key}': this branch changes {paths}, which only the sync branch "
        f"'{branch}' applies; this scope applies its Deployments' parts only"
    )


def of_other_deployments(
    parts: Sequence[ObjectChange], settings: Sequence[ObjectChange], branch: str
) -> tuple[ObjectChange, ...]:
    """From the plan of the Deployments outside a scope (made without secret values): the changes
    of their parts of workspace objects and of their settings, as deferred changes. Their
    Deployment-scoped objects are not read live, so their creates are not kept."""
    found = []
    for change in parts:
        fields = tuple(f for f in change.fields if f.deployment is not None)
        if change.operation == "update" and fields:
            found.append(ObjectChange(change.kind, change.key, "update", fields, note=f"({applied_by(branch)})"))
    for change in settings:
        if change.operation == "update" and change.kind == "deployment":
            found.append(replace(change, note=f"({applied_by(branch)})", writes=(), touched=()))
    return tuple(found)


def with_reach(change: ObjectChange, parts: Sequence[Part] | None) -> ObjectChange:
    """`change` with the reach of each own field recomputed over `parts` (every Deployment's)."""
    if parts is None or change.operation != "update":
        return change
    fields = tuple(
        replace(f, reach=reach.field_reach(f.path, parts)) if f.reach and f.deployment is None else f
        for f in change.fields
    )
    return replace(change, fields=fields)
