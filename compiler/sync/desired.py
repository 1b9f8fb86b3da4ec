"""The desired state of one scope, from the workspace view (compiler/resolve/workspace_view.py).

The view says what the Environment Manager should hold for the resolved Deployments, with
SPEC 5.3's fidelity (a removing `null` becomes an exclusion plus a Deployment-scoped copy).
Planning needs it per Deployment: each Deployment's *part* of a workspace object is whether
it is linked, and its link's override fields (the complete merged `extra`). Secret references
stay `Secret` values here; the values are put in only when a request is sent.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import Any, Literal

from compiler.diagnostics import Diagnostic
from compiler.load.documents import YPath
from compiler.model.frozen import field, frozen
from compiler.model.objects import MAPPINGS, Model, Secret
from compiler.model.secrets import looks_secret
from compiler.resolve.deployment import ResolvedDeployment
from compiler.resolve.workspace_view import EnvironmentObject

CONNECTION_FIELDS = ("type", "host", "schema", "login", "password", "port", "extra")
OBJECT_TYPE = {"connection": "CONNECTION", "variable": "AIRFLOW_VARIABLE"}
Kind = Literal["connection", "variable"]


@frozen
class JsonText:
    """A non-string variable value: Airflow stores it as its JSON text (secrets inside)."""

    value: Any


@frozen
class Part:
    """One Deployment's part of a workspace object."""

    deployment: str
    linked: bool
    overrides: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))


@frozen
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

    @property
    def sensitive(self) -> bool:
        """A variable whose value is never shown: a secret, or one under a key that says secret
        (Airflow masks it: compiler.model.secrets.looks_secret), compared by fingerprint."""
        return self.is_secret or (self.kind == "variable" and looks_secret(self.key))


@frozen
class Desired:
    """The desired state of one scope: `full` manages objects' own fields; `deployments` are the
    Deployments whose parts (and Deployment-scoped objects) are in scope."""

    workspace: str
    full: bool
    deployments: tuple[str, ...]
    objects: tuple[DesiredObject, ...]
    warnings: tuple[Diagnostic, ...] = ()
    defined: frozenset[tuple[str, str]] = frozenset()  # (kind, key) of every workspace object in git


def has_secret(value: Any) -> bool:
    if isinstance(value, str):  # most values: asked first
        return False
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
    from compiler.resolve.workspace_view import workspace_view

    view = workspace_view(model, resolved)
    names = [d.name for d in resolved]
    where = _locations(model, resolved)
    parts = _PartsOf(names)
    objects = [_desired(obj, parts, where) for obj in view.objects]
    defined = frozenset((o.kind, o.key) for o in model.objects)
    return Desired(workspace, full, tuple(names), tuple(objects), view.warnings, defined)


_NOTHING: Mapping[str, Any] = MappingProxyType({})


class _PartsOf:
    """Each workspace object's parts, by Deployment name (in `names`' order).

    A part that overrides nothing depends only on its Deployment and whether it is linked, and
    the parts of an object without a link entry only on its auto-link and exclusions: each is
    built once and shared by every object (1,000 objects x 50 Deployments built 50,000 parts
    for the 7,150 overrides, issue 26). Values are frozen, so sharing them is safe.
    """

    def __init__(self, names: Sequence[str]) -> None:
        self.names = names
        self.plain: dict[tuple[str, bool], Part] = {}
        self.shared: dict[tuple[bool, tuple[str, ...]], Mapping[str, Part]] = {}

    def of(self, obj: EnvironmentObject) -> Mapping[str, Part]:
        if obj.scope != "WORKSPACE":
            return _NOTHING
        auto, excluded = obj.auto_link_deployments, obj.exclude_links
        if not obj.links:
            found = self.shared.get((auto, excluded))
            if found is None:
                found = MappingProxyType({n: self._plain(n, auto and n not in excluded) for n in self.names})
                self.shared[(auto, excluded)] = found
            return found
        parts = {}
        for name in self.names:
            link = obj.link(name)
            overrides = _own_fields(obj.kind, link.overrides, partial=True) if link and link.overrides else _NOTHING
            if overrides:
                parts[name] = Part(name, True, overrides)  # _own_fields made it: a frozen copy
            else:
                parts[name] = self._plain(name, link is not None or (auto and name not in excluded))
        return MappingProxyType(parts)

    def _plain(self, name: str, linked: bool) -> Part:
        part = self.plain.get((name, linked))
        if part is None:
            part = self.plain[(name, linked)] = Part(name, linked, _NOTHING)
        return part


def _desired(
    obj: EnvironmentObject, parts: _PartsOf, where: Mapping[tuple[str, str, str], tuple[str, YPath]]
) -> DesiredObject:
    entity = obj.scope_entity if obj.scope == "DEPLOYMENT" else ""
    path, ypath = where.get((entity, obj.kind, obj.object_key)) or where.get(("", obj.kind, obj.object_key), ("", ()))
    return DesiredObject(
        kind=obj.kind,  # type: ignore[arg-type]
        key=obj.object_key,
        scope=obj.scope,
        entity=obj.scope_entity,
        description=obj.description,
        fields=_own_fields(obj.kind, obj.fields),
        auto_link=obj.auto_link_deployments,
        parts=parts.of(obj),
        path=path,
        ypath=ypath,
    )


def _locations(model: Model, resolved: Sequence[ResolvedDeployment]) -> dict[tuple[str, str, str], tuple[str, YPath]]:
    """Where git defines each object, for diagnostics: (Deployment or "", kind, key) -> (file, YAML path).
    A Deployment-scoped copy (SPEC 5.3) is located at its workspace object."""
    where: dict[tuple[str, str, str], tuple[str, YPath]] = {
        ("", o.kind, o.key): (o.path, o.ypath) for o in model.objects
    }
    for dep in resolved:
        spec = model.deployment(dep.base)
        for o in spec.objects if spec else ():
            where[(dep.name, o.kind, o.key)] = (o.path, o.ypath)
    return where


def _own_fields(kind: str, fields: Mapping[str, Any], *, partial: bool = False) -> Mapping[str, Any]:
    if kind == "connection":
        return MappingProxyType({k: fields[k] for k in CONNECTION_FIELDS if k in fields and fields[k] is not None})
    if partial and "value" not in fields:
        return MappingProxyType({})
    return MappingProxyType({"value": variable_value(fields.get("value", ""))})


def variable_value(value: Any) -> Any:
    return value if isinstance(value, (str, Secret)) else JsonText(value)
