"""Who a change reaches: a create's fields per Deployment, the Deployments a shared field or a
link change reaches, and those a delete removes an object from (SPEC 7.5).

A reviewer approves what merging does to each Deployment's Airflow, so every line of a plan
says it: `+ [production] host: "..."`, `(reaches: development, staging; production overrides
it)`, `(removed from: development, production)`. Pure: values in, FieldChanges and text out;
secrets by name only (`(secret NAME)`), a literal under a secret-looking name never.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from compiler.model.objects import Secret
from compiler.review.changes import REDACTED, FieldChange
from compiler.sync.astro_state import LiveObject, LiveState
from compiler.sync.desired import DesiredObject, JsonText, Part, has_secret
from compiler.sync.values import hidden_path, leaves, shown


def field(
    path: str, value: Any, *, secret_variable: bool = False, deployment: str | None = None, reach: str | None = None
) -> FieldChange:
    """One field of a create: `after` as shown, a secret by its name, a sensitive literal never."""
    return _field(path, value, secret_variable or hidden_path(path), deployment, reach)


def _field(path: str, value: Any, masked: bool, deployment: str | None, reach: str | None) -> FieldChange:
    """`field`, where `masked` says whether the object or the path alone hides the value."""
    if isinstance(value, Secret):
        return FieldChange(path, None, shown(value), True, f"secret {value.name}", deployment, reach)
    if (masked or has_secret(value)) and not isinstance(value, JsonText):
        return FieldChange(path, None, REDACTED, True, "sensitive value", deployment, reach)
    return FieldChange(path, None, shown(value), deployment=deployment, reach=reach)


def create_fields(obj: DesiredObject, parts: Sequence[Part]) -> tuple[FieldChange, ...]:
    """Every field a create sets: the object's own, then each linked Deployment's overrides
    (an override leaf equal to the object's own value is not repeated).

    Each part's leaves are read once, and whether a path is masked once per path (a 1000x50
    plan reads 7,150 overriding parts of the same few paths, issue 26)."""
    sensitive = obj.sensitive
    masked: dict[str, bool] = {}

    def hides(path: str) -> bool:
        found = masked.get(path)
        if found is None:
            found = masked[path] = sensitive or hidden_path(path)
        return found

    own = dict(leaves(obj.fields))
    # Each linked Deployment's override leaves and the paths it overrides (each leaf, `extra.KEY`,
    # and each field, `extra`): read once per part, not once per field and Deployment.
    found = {p.deployment: tuple(leaves(p.overrides)) for p in parts if p.linked and p.overrides}
    if not found:
        return tuple(_field(path, value, hides(path), None, None) for path, value in own.items())
    paths = {p.deployment: _override_paths(p.overrides, found[p.deployment]) for p in parts if p.deployment in found}
    overridden = set().union(*paths.values())
    fields = [
        _field(path, value, hides(path), None, field_reach(path, parts, paths) if path in overridden else None)
        for path, value in own.items()
    ]
    own_shown = {path: shown(value) for path, value in own.items()}
    for deployment, part_leaves in found.items():
        for path, value in part_leaves:
            if path in own_shown and own_shown[path] == shown(value):
                continue
            fields.append(_field(path, value, hides(path), deployment, None))
    return tuple(fields)


def field_reach(path: str, parts: Iterable[Part], paths: Mapping[str, set[str]] | None = None) -> str:
    """The Deployments a change of the object's own `path` reaches, and those that override it
    (`paths`: each linked part's override paths by Deployment, when the caller has them)."""
    linked = [p for p in parts if p.linked]
    if paths is None:
        overriding = sorted(p.deployment for p in linked if _overrides(p.overrides, path))
    else:
        overriding = sorted(p.deployment for p in linked if path in paths.get(p.deployment, ()))
    skipped = set(overriding)
    reaching = sorted(p.deployment for p in linked if p.deployment not in skipped)
    text = f"reaches: {', '.join(reaching)}" if reaching else "reaches no Deployment"
    if overriding:
        text += f"; {', '.join(overriding)} {'overrides' if len(overriding) == 1 else 'override'} it"
    return text


def _overrides(overrides: Mapping[str, Any], path: str) -> bool:
    return path in _override_paths(overrides)


def _override_paths(overrides: Mapping[str, Any], read: Iterable[tuple[str, Any]] | None = None) -> set[str]:
    """The paths a link's overrides set: each leaf (`extra.KEY`) and each field (`extra`);
    `read`: the overrides' leaves, when the caller has them already."""
    return {path for path, _ in (leaves(overrides) if read is None else read)} | set(overrides)


def link_reach(kind: str, deployment: str, linked: bool) -> str:
    """What a link change does to one Deployment's Airflow."""
    return f"{deployment} {'gains' if linked else 'loses'} the {kind}"


def linked_names(found: LiveObject, live: LiveState) -> list[str]:
    """The live Deployments a live object reaches: its own Deployment, or its links."""
    if found.key.scope == "DEPLOYMENT":
        return [n for n in [live.deployment_name(found.key.scope_entity_id)] if n]
    ids = {d.id for d in live.deployments}
    if found.auto_link:
        ids -= set(found.excludes)
    else:
        ids &= {link.deployment_id for link in found.links}
    return sorted(n for i in ids if (n := live.deployment_name(i)))


def removed_from(found: LiveObject, live: LiveState) -> str:
    names = linked_names(found, live)
    return f"(removed from: {', '.join(names)})" if names else "(linked to no Deployment)"


def describe(obj: DesiredObject) -> str:
    """A create's head note: `(workspace; linked: all but sandbox)`, `(deployment production)`."""
    if obj.scope == "DEPLOYMENT":
        return f"(deployment {obj.entity})"
    linked = sorted(n for n, p in obj.parts.items() if p.linked)
    if obj.auto_link:
        excluded = sorted(n for n, p in obj.parts.items() if not p.linked)
        return "(workspace; linked: all" + (f" but {', '.join(excluded)})" if excluded else ")")
    return f"(workspace; linked: {', '.join(linked) if linked else 'none'})"
