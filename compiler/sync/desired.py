"""What the Environment Manager should hold, as frozen values, from the resolved Deployments.

Environment Manager semantics (SPEC 5.3): a Deployment linked to a workspace object gets the
object's fields with its link's override fields on top; an override sets fields, never removes
one. So each Deployment's *part* of a workspace object is: linked or not, and the override
fields (the complete merged `extra`) where its resolved fields differ from the object's own.
A Deployment whose resolved object lost a field (an override's `null`) is not linked and gets a
Deployment-scoped object with its resolved fields instead. Secret references stay `Secret`
values here; the values are put in only when a request is sent.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Literal

from ..load import YPath
from ..model import MAPPINGS, Model, ObjectSpec, Secret
from ..resolve import ResolvedDeployment, ResolvedObject

CONNECTION_FIELDS = ("type", "host", "schema", "login", "password", "port", "extra")
OBJECT_TYPE = {"connection": "CONNECTION", "variable": "AIRFLOW_VARIABLE"}
Kind = Literal["connection", "variable"]


@dataclass(frozen=True)
class JsonText:
    """A non-string variable value: Airflow stores it as its JSON text (secrets inside)."""

    value: Any


@dataclass(frozen=True)
class Part:
    """One Deployment's part of a workspace object."""

    deployment: str
    linked: bool
    overrides: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))


@dataclass(frozen=True)
class DesiredObject:
    kind: Kind
    key: str
    scope: Literal["WORKSPACE", "DEPLOYMENT"]
    entity: str  # the workspace's or the Deployment's name
    description: str | None
    fields: Mapping[str, Any]
    auto_link: bool
    parts: Mapping[str, Part]
    path: str
    ypath: YPath

    @property
    def object_type(self) -> str:
        return OBJECT_TYPE[self.kind]

    @property
    def is_secret(self) -> bool:
        return self.kind == "variable" and has_secret(self.fields.get("value"))


@dataclass(frozen=True)
class Desired:
    """The desired state of one scope: `full` manages objects' own fields; `deployments` are the
    Deployments whose parts (and Deployment-scoped objects) are in scope."""

    workspace: str
    full: bool
    deployments: tuple[str, ...]
    objects: tuple[DesiredObject, ...]


def has_secret(value: Any) -> bool:
    if isinstance(value, Secret):
        return True
    if isinstance(value, JsonText):
        return has_secret(value.value)
    if isinstance(value, MAPPINGS):
        return any(has_secret(v) for v in value.values())
    if isinstance(value, (list, tuple)):
        return any(has_secret(v) for v in value)
    return False


def build(model: Model, workspace: str, resolved: Sequence[ResolvedDeployment], *, full: bool) -> Desired:
    from ..render import _base_fields

    objects: list[DesiredObject] = []
    for obj in model.objects:
        if obj.kind == "pool":
            continue
        base = _base_fields(obj, workspace)
        parts: dict[str, Part] = {}
        for dep in resolved:
            part, fallback = _part(obj, base, dep)
            parts[dep.name] = part
            if fallback is not None:
                objects.append(fallback)
        objects.append(_workspace_object(obj, base, workspace, parts))
    for dep in resolved:
        objects.extend(
            _scoped(o, dep.name, _spec_location(model, dep, o.kind, o.key))
            for o in dep.objects
            if o.scope == "deployment" and o.kind != "pool"
        )
    return Desired(workspace, full, tuple(d.name for d in resolved), tuple(objects))


def _own_fields(kind: str, fields: Mapping[str, Any]) -> Mapping[str, Any]:
    if kind == "connection":
        return MappingProxyType({k: fields[k] for k in CONNECTION_FIELDS if k in fields and fields[k] is not None})
    return MappingProxyType({"value": variable_value(fields.get("value", ""))})


def variable_value(value: Any) -> Any:
    return value if isinstance(value, (str, Secret)) else JsonText(value)


def _workspace_object(
    obj: ObjectSpec, base: Mapping[str, Any], workspace: str, parts: dict[str, Part]
) -> DesiredObject:
    return DesiredObject(
        kind=obj.kind,  # type: ignore[arg-type]
        key=obj.key,
        scope="WORKSPACE",
        entity=workspace,
        description=base.get("description"),
        fields=_own_fields(obj.kind, base),
        auto_link=obj.links == "all",
        parts=MappingProxyType(parts),
        path=obj.path,
        ypath=obj.ypath,
    )


def _part(obj: ObjectSpec, base: Mapping[str, Any], dep: ResolvedDeployment) -> tuple[Part, DesiredObject | None]:
    found = dep.find(obj.kind, obj.key)
    if found is None or found.scope != "workspace":
        return Part(dep.name, linked=False), None
    if found.removed:
        return Part(dep.name, linked=False), _scoped(found, dep.name, (obj.path, obj.ypath))
    fields = found.fields()
    if obj.kind == "variable":
        same = fields.get("value") == base.get("value")
        overrides = {} if same else {"value": variable_value(fields.get("value", ""))}
    else:
        overrides = {k: fields[k] for k in CONNECTION_FIELDS if k in fields and fields[k] != base.get(k)}
    return Part(dep.name, linked=True, overrides=MappingProxyType(overrides)), None


def _scoped(obj: ResolvedObject, deployment: str, where: tuple[str, YPath]) -> DesiredObject:
    fields = obj.fields()
    return DesiredObject(
        kind=obj.kind,  # type: ignore[arg-type]
        key=obj.key,
        scope="DEPLOYMENT",
        entity=deployment,
        description=fields.get("description"),
        fields=_own_fields(obj.kind, fields),
        auto_link=False,
        parts=MappingProxyType({}),
        path=where[0],
        ypath=where[1],
    )


def _spec_location(model: Model, dep: ResolvedDeployment, kind: str, key: str) -> tuple[str, YPath]:
    spec = model.deployment(dep.base)
    found = next((o for o in spec.objects if o.kind == kind and o.key == key), None) if spec else None
    return (found.path, found.ypath) if found else (dep.spec.path, ())
