"""`import --from-astro`: read a live Astro workspace (remote/astro.py) into found.py's values,
then write them as environments/ files (onboarding/adoption.py).

What is read: the workspace's Deployments (previews, whose marker names a branch, left out:
their branches own them), its workspace-scoped connections and variables with their links,
exclusions and each link's overrides, and every Deployment's Deployment-scoped objects. A
masked value (ASTRO-API.md: secrets come back empty or absent; `setFields` says which fields
are set) becomes a masked path: the writer makes it a `{secret: NAME}`.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from compiler.errors import OperationError
from compiler.model.frozen import replace
from compiler.onboarding.adoption import Adopted, write_adopted
from compiler.onboarding.found import FoundDeployment, FoundObject, FoundOverride, FoundWorkspace
from compiler.onboarding.known_values import register_environ
from compiler.sync import marker as markers
from compiler.sync.astro_state import LiveDeployment, LiveLink, LiveObject, LiveState

# Members of a read that are not fields a file sets (ASTRO-API.md 1.2).
_NOT_FIELDS = frozenset({"isSecret", "connectionAuthType", "authTypeId"})
KINDS = {"CONNECTION": "connection", "AIRFLOW_VARIABLE": "variable"}


def import_astro(
    root: Path, environ: Mapping[str, str], *, workspace: str | None, force: bool, owner: str | None
) -> Adopted:
    """Read the workspace (by `workspace`, else workspace.yaml's name) and write its files."""
    from compiler.remote.astro import connect

    named = _named_in_file(root)
    if workspace is not None and named is not None and named != workspace:
        raise OperationError(
            f"workspace.yaml names the workspace '{named}', not '{workspace}': import that one, or change the file"
        )
    name = workspace or found_workspace_name(root)
    register_environ(root, environ)  # a secret value in a live field is never written (known_values.py)
    api = connect(environ)
    try:
        found = found_workspace(api, name)
    finally:
        api.close()
    adopted = write_adopted(root, found, source=f'Astro workspace "{name}"', force=force, owner=owner)
    notes = [*adopted.notes, *_not_live(root, found)]
    if adopted.values:
        # A value Astro showed under a secret-looking name: a reference, its value written nowhere.
        notes.append(
            f"{len(adopted.values)} value(s) under secret-looking names were readable in Astro: they were not "
            "written anywhere; put them in your secret store under the names above (and make them secret in Astro)"
        )
    return replace(adopted, notes=tuple(notes))


def _not_live(root: Path, found: FoundWorkspace) -> list[str]:
    """Deployment files that name a Deployment the workspace does not have (init's placeholders?)."""
    from compiler.load import documents
    from compiler.load.sources import filesystem_sources

    live = {d.name for d in found.deployments}
    loaded, _ = documents.load_documents(filesystem_sources(root))
    return [
        f"{doc.path} names Deployment '{doc.data['name']}', which workspace '{found.name}' does not have: "
        "plan will stop on it (remove the file if it is init's placeholder)"
        for doc in loaded
        if doc.kind == "deployment"
        and isinstance(doc.data, dict)
        and isinstance(doc.data.get("name"), str)
        and doc.data["name"] not in live
    ]


def _named_in_file(root: Path) -> str | None:
    try:
        return found_workspace_name(root)
    except OperationError:
        return None


def found_workspace_name(root: Path) -> str:
    """`workspace:` of environments/workspace.yaml; OperationError when there is none to read."""
    from compiler.load.fast_route import plain_data
    from compiler.load.sources import WORKSPACE_FILE

    path = root / WORKSPACE_FILE
    try:
        data = plain_data(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError):
        data = None
    name = data.get("workspace") if isinstance(data, dict) else None
    if not isinstance(name, str) or not name or "{" in name:
        raise OperationError(f"no workspace name: pass --workspace NAME, or set `workspace:` in {WORKSPACE_FILE}")
    return name


def found_workspace(api: Any, name: str) -> FoundWorkspace:
    """What the workspace holds live, as found.py's values (one read of each list)."""
    state: LiveState = api.read_workspace(name)
    kept = [d for d in state.deployments if not is_preview(d)]
    state = api.read_deployments(state, [d.name for d in kept])
    names = {d.id: d.name for d in kept}
    objects = tuple(
        _object(o, state, names)
        for o in sorted(state.objects, key=lambda o: (o.key.scope, o.key.object_type, o.key.object_key))
        if o.key.object_type in KINDS and (o.key.scope == "WORKSPACE" or o.key.scope_entity_id in names)
    )
    deployments = tuple(found_deployment(d) for d in sorted(kept, key=lambda d: d.name))
    return FoundWorkspace(state.workspace_name, deployments, objects)


def is_preview(dep: LiveDeployment) -> bool:
    """A preview carries a marker that names its branch (SPEC 7.3)."""
    _, mark = markers.split(dep.description)
    return mark is not None and mark.branch is not None


def found_deployment(dep: LiveDeployment) -> FoundDeployment:
    """The Deployment's name, description (its marker taken off) and settings (sync/settings_view.py)."""
    from compiler.sync.settings_view import settings_sections

    text, _ = markers.split(dep.description)
    settings, secret_env = settings_sections(dep)
    return FoundDeployment(dep.name, text.strip(), settings, secret_env)


def _object(obj: LiveObject, state: LiveState, names: Mapping[str, str]) -> FoundObject:
    text, _ = markers.split(obj.description)
    kind = KINDS[obj.key.object_type]
    fields = {k: v for k, v in obj.fields.items() if k not in _NOT_FIELDS}
    masked = _masked(fields, obj.set_fields, obj.is_secret)
    if obj.key.scope == "DEPLOYMENT":
        return FoundObject(kind, obj.key.object_key, text.strip(), fields, masked, names[obj.key.scope_entity_id])  # type: ignore[arg-type]
    links: Any = (
        "all" if obj.auto_link else tuple(sorted(names[k.deployment_id] for k in obj.links if k.deployment_id in names))
    )
    exclude = tuple(sorted(names[e] for e in obj.excludes if e in names))
    overrides = {names[k.deployment_id]: _override(k, obj.is_secret) for k in obj.links if k.deployment_id in names}
    overrides = {n: o for n, o in overrides.items() if o.fields or o.masked}
    return FoundObject(kind, obj.key.object_key, text.strip(), fields, masked, None, links, exclude, overrides)  # type: ignore[arg-type]


def _override(link: LiveLink, is_secret: bool) -> FoundOverride:
    fields = {k: v for k, v in link.overrides.items() if k not in _NOT_FIELDS}
    return FoundOverride(fields, _masked(fields, link.set_fields, is_secret))


def _masked(fields: Mapping[str, Any], set_fields: frozenset[str], is_secret: bool) -> frozenset[str]:
    """The paths set but not shown: in setFields with an empty or absent value; a secret variable's value."""
    masked = {p for p in set_fields - _NOT_FIELDS if _value(fields, p) in (None, "")}
    if is_secret and ("value" in set_fields or "value" in fields):
        masked.add("value")
    return frozenset(masked)


def _value(fields: Mapping[str, Any], path: str) -> Any:
    head, _, rest = path.partition(".")
    value = fields.get(head)
    if rest:
        return value.get(rest) if isinstance(value, Mapping) else None
    return value
