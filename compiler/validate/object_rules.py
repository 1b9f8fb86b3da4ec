"""Semantic rules of connections, variables and pools: keys Airflow accepts, no duplicates (nor
conn_ids one AIRFLOW_CONN_ name apart), secrets by reference, links and overrides that resolve."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from compiler.diagnostics import did_you_mean, warning
from compiler.load.documents import SCALARS, YPath
from compiler.model import airflow_ids
from compiler.model.objects import ObjectKind, ObjectSpec, OverrideSpec, Secret
from compiler.model.secrets import SECRET_NAME, plaintext_paths
from compiler.validate.schema_check import SECRET_NAME_MESSAGE

if TYPE_CHECKING:
    from compiler.validate.checker import Checker


def check_objects(c: Checker) -> None:
    scoped = [o for d in c.model.deployments for o in d.objects]
    _duplicates(c, c.model.objects)
    for d in c.model.deployments:
        _case_collisions(c, [o for o in d.objects if o.kind == "connection"])
    _case_collisions(c, [o for o in c.model.objects if o.kind == "connection"])
    for obj in (*c.model.objects, *scoped):
        _check_object(c, obj)


def _duplicates(c: Checker, objects: Iterable[ObjectSpec]) -> None:
    first: dict[tuple[str, str], ObjectSpec] = {}
    for obj in objects:
        seen = first.setdefault((obj.kind, obj.key), obj)
        if seen is not obj:
            other = c.at(seen.path, seen.ypath, key=True)
            c.error(
                obj.path, obj.ypath, "duplicate-object", f"{obj.kind} '{obj.key}' is also defined at {other}", key=True
            )


def _case_collisions(c: Checker, connections: list[ObjectSpec]) -> None:
    first: dict[str, ObjectSpec] = {}
    for obj in connections:
        seen = first.setdefault(obj.key.upper(), obj)
        if seen is not obj and seen.key != obj.key:
            c.error(
                obj.path, obj.ypath, "conn-id-case-collision",
                f"conn_id '{obj.key}' differs from '{seen.key}' only in case; {airflow_ids.env_name(obj.key)} would be the same",
                key=True,
            )  # fmt: skip


def _check_object(c: Checker, obj: ObjectSpec) -> None:
    problem = _key_problem(obj.kind, obj.key)
    if problem is not None:
        c.error(obj.path, obj.ypath, *problem, key=True)
    if obj.kind == "connection":
        _check_plaintext(c, obj.path, obj.ypath, obj.fields, obj.allow_plaintext)
    check_secret_names(c, obj.path, obj.ypath, obj.fields)
    if obj.deployment is None and obj.linked_nowhere:
        c.found.append(
            warning(
                c.at(obj.path, obj.ypath, key=True),
                "unused-object",
                f"{obj.kind} '{obj.key}' is linked to no Deployment",
            )
        )
    if obj.exclude and obj.links != "all":
        c.error(
            obj.path,
            (*obj.ypath, "exclude"),
            "exclude-without-all",
            "'exclude' is only allowed with 'links: all'",
            key=True,
        )


_KEY_CODES: dict[ObjectKind, str] = {
    "connection": "invalid-conn-id",
    "variable": "invalid-variable-key",
    "pool": "invalid-pool-name",
}
_KEY_RULES = {
    "connection": airflow_ids.conn_id_problem,
    "variable": airflow_ids.variable_key_problem,
    "pool": airflow_ids.pool_name_problem,
}


def _key_problem(kind: ObjectKind, key: str) -> tuple[str, str] | None:
    """(code, message) when Airflow would refuse the object's key."""
    message = _KEY_RULES[kind](key)
    return None if message is None else (_KEY_CODES[kind], message)


def _check_plaintext(c: Checker, path: str, ypath: YPath, fields: Mapping[str, Any], allowed: bool) -> None:
    if allowed:
        return
    for leaf in plaintext_paths(fields):
        c.error(
            path, (*ypath, *leaf), "plaintext-secret",
            f"'{'.'.join(map(str, leaf))}' holds a literal secret; write {{secret: NAME}} (or set allow_plaintext: true for a throwaway local database)",
        )  # fmt: skip


def check_secret_names(c: Checker, path: str, ypath: YPath, value: Any) -> None:
    for leaf, secret in _secrets(value, ()):
        if not SECRET_NAME.fullmatch(secret.name):
            c.error(
                path,
                (*ypath, *leaf, "secret"),
                "invalid-secret-name",
                SECRET_NAME_MESSAGE,
            )


def _secrets(value: Any, ypath: YPath) -> list[tuple[YPath, Secret]]:
    """Every secret reference in `value`, with its path, in order."""
    found: list[tuple[YPath, Secret]] = []
    _collect_secrets(value, ypath, found)
    return found


def _collect_secrets(value: Any, ypath: YPath, found: list[tuple[YPath, Secret]]) -> None:
    # Scalars are passed over without a path or a call: every object and override is walked.
    if isinstance(value, Secret):
        found.append((ypath, value))
    elif isinstance(value, Mapping):
        for key, child in value.items():
            if type(child) not in SCALARS:
                _collect_secrets(child, (*ypath, key), found)
    elif isinstance(value, (list, tuple)):
        for index, child in enumerate(value):
            if type(child) not in SCALARS:
                _collect_secrets(child, (*ypath, index), found)


def check_links(c: Checker) -> None:
    for obj in c.model.objects:
        if isinstance(obj.links, tuple):
            for i, name in enumerate(obj.links):
                c.unknown_deployment(name, obj.path, (*obj.ypath, "links", i), f"{obj.kind} '{obj.key}' links")
        for i, name in enumerate(obj.exclude):
            c.unknown_deployment(name, obj.path, (*obj.ypath, "exclude", i), f"{obj.kind} '{obj.key}' exclude")


def check_overrides(c: Checker) -> None:
    same_key: dict[tuple[ObjectKind, str], list[ObjectSpec]] = {}  # the workspace's objects, by kind and key
    for obj in c.model.objects:
        same_key.setdefault((obj.kind, obj.key), []).append(obj)
    for d in c.model.deployments:
        _check_override_set(c, d.name, d.overrides, d.objects, same_key)
    workspace = c.model.workspace
    for rule in workspace.rules if workspace else ():
        base = c.model.deployment(rule.preview.from_) if rule.preview else None
        if rule.preview and base:
            _check_override_set(c, base.name, rule.preview.overrides, base.objects, same_key, preview=True)


def _linked(c: Checker, name: str) -> dict[tuple[ObjectKind, str], ObjectSpec]:
    """The workspace's objects linked to Deployment `name`, by kind and key (the last of a key)."""
    return {(o.kind, o.key): o for o in c.model.objects if o.linked_to(name)}


def _check_override_set(
    c: Checker,
    name: str,
    overrides: Iterable[OverrideSpec],
    scoped: Sequence[ObjectSpec],
    same_key: Mapping[tuple[ObjectKind, str], Sequence[ObjectSpec]],
    *,
    preview: bool = False,
) -> None:
    # Each override's object is looked up, not every linked object listed: a Deployment of a
    # large workspace overrides a few of thousands (issue 26).
    if scoped:
        _check_scoped(c, name, scoped, _linked(c, name))
    for override in overrides:
        candidates = same_key.get((override.kind, override.key), ())
        target = next((o for o in reversed(candidates) if o.linked_to(name)), None)
        if target is None and override.key in c.partially_known:
            continue
        if target is None:
            keys = [k for kind, k in _linked(c, name) if kind == override.kind]
            whose = f"the preview's base '{name}'" if preview else f"'{name}'"
            c.error(
                override.path,
                override.ypath,
                "override-unlinked",
                f"override of {override.kind} '{override.key}', which is not linked to {whose}{did_you_mean(override.key, keys)}",
                key=True,
            )
            continue
        check_secret_names(c, override.path, override.ypath, override.fields)
        if override.kind == "connection":
            allowed = override.allow_plaintext if override.allow_plaintext is not None else target.allow_plaintext
            _check_plaintext(c, override.path, override.ypath, override.fields, allowed)


def _check_scoped(
    c: Checker, name: str, scoped: Iterable[ObjectSpec], linked: Mapping[tuple[ObjectKind, str], ObjectSpec]
) -> None:
    """Deployment-scoped objects must not take the key of an object linked to the Deployment."""
    # A conn_id that differs only in case would share AIRFLOW_CONN_<ID> inside this Deployment.
    linked_conn_ids = {key.upper(): obj for (kind, key), obj in linked.items() if kind == "connection"}
    for obj in scoped:
        if (obj.kind, obj.key) in linked:
            other = c.at(*_where(linked[(obj.kind, obj.key)]), key=True)
            c.error(
                obj.path,
                obj.ypath,
                "scoped-collision",
                f"Deployment-scoped {obj.kind} '{obj.key}' has the key of the {obj.kind} linked to '{name}' at {other}; override it instead",
                key=True,
            )
        elif obj.kind == "connection" and obj.key.upper() in linked_conn_ids:
            seen = linked_conn_ids[obj.key.upper()]
            c.error(
                obj.path, obj.ypath, "conn-id-case-collision",
                f"conn_id '{obj.key}' differs from '{seen.key}' (linked to '{name}' at {c.at(*_where(seen), key=True)}) only in case; {airflow_ids.env_name(obj.key)} would be the same",
                key=True,
            )  # fmt: skip


def _where(obj: ObjectSpec) -> tuple[str, YPath]:
    return obj.path, obj.ypath
