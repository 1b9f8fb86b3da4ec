"""The workspace view: what the Astro Environment Manager should hold, as one frozen value.

It is computed next to resolution, from the model and every resolved Deployment, and it is
what `render --all` serialises into environment-objects.json and what `plan` compares with
live state. Names follow the Astro API (CreateEnvironmentObjectRequest):

    WorkspaceView
      workspace: str                                  the workspace name
      objects: tuple[EnvironmentObject, ...]          sorted by (scope, scopeEntityId, objectType, objectKey)
      warnings: tuple[Diagnostic, ...]                override-as-scoped-object, located at the null

    EnvironmentObject
      object_key: str                                 objectKey (conn_id or variable name)
      object_type: "CONNECTION" | "AIRFLOW_VARIABLE"  objectType
      scope: "WORKSPACE" | "DEPLOYMENT"               scope
      scope_entity: str                               scopeEntityId: the workspace or Deployment name
      fields: {name: value}                           connection: type, host, schema, login, password,
                                                      port, extra; variable: value (secrets stay `Secret`)
      description: str | None
      auto_link_deployments: bool                     autoLinkDeployments (links: all)
      links: tuple[Link, ...]                         links, by Deployment name
      exclude_links: tuple[str, ...]                  excludeLinks: Deployment names

    Link
      deployment: str                                 scopeEntityId of the link
      overrides: {name: value} | None                 the fields the link sets on top of the object's;
                                                      a connection's `extra` is always complete

Environment Manager semantics: a Deployment linked to a workspace object gets its fields with
the link's overrides on top (an override sets fields, it never removes one); an excluded or
unlinked Deployment gets nothing; Deployment-scoped objects are the Deployment's own. Under
those semantics every Deployment gets exactly what resolution (SPEC 2.4) gives it. Where an
override cannot be written as a link override (a `null` that removes a field or an `extra`
key the object sets), the Deployment is excluded and gets a Deployment-scoped object holding
its resolved fields, with the warning `override-as-scoped-object` at the null (SPEC 5.3).

Secret values are never here: a planner compares references; serialisation fills values in.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from functools import cached_property
from types import MappingProxyType
from typing import Any, Literal

from compiler.diagnostics import Diagnostic, error, warning
from compiler.model.equality import holds_secret, same
from compiler.model.frozen import frozen
from compiler.model.objects import MAPPINGS, Model, ObjectKind, ObjectSpec, freeze
from compiler.resolve import template_values
from compiler.resolve.deployment import Locator, ResolvedDeployment, ResolvedObject, ResolveProblem, no_position

ObjectType = Literal["CONNECTION", "AIRFLOW_VARIABLE"]
Scope = Literal["WORKSPACE", "DEPLOYMENT"]
OBJECT_TYPE: dict[str, ObjectType] = {"connection": "CONNECTION", "variable": "AIRFLOW_VARIABLE"}
CONNECTION_FIELDS = ("type", "host", "schema", "login", "password", "port", "extra")
# The fields an Environment Manager object carries (a description is the object's own).
PAYLOAD_FIELDS: dict[str, tuple[str, ...]] = {"connection": CONNECTION_FIELDS, "variable": ("value",)}
_SAMPLE_BRANCH = "feature/example"


@frozen
class Link:
    deployment: str
    overrides: Mapping[str, Any] | None = None


@frozen
class EnvironmentObject:
    object_key: str
    object_type: ObjectType
    scope: Scope
    scope_entity: str
    fields: Mapping[str, Any]
    description: str | None = None
    auto_link_deployments: bool = False
    links: tuple[Link, ...] = ()
    exclude_links: tuple[str, ...] = ()

    @property
    def kind(self) -> ObjectKind:
        return "connection" if self.object_type == "CONNECTION" else "variable"

    @property
    def is_secret(self) -> bool:
        """A variable whose value is or holds a secret reference (Astro's `isSecret`)."""
        return holds_secret(self.fields.get("value"))

    def link(self, deployment: str) -> Link | None:
        return self._links_by_deployment.get(deployment)

    @cached_property
    def _links_by_deployment(self) -> Mapping[str, Link]:
        first: dict[str, Link] = {}
        for link in self.links:
            first.setdefault(link.deployment, link)
        return first


@frozen
class WorkspaceView:
    workspace: str
    objects: tuple[EnvironmentObject, ...]
    warnings: tuple[Diagnostic, ...] = ()

    def get(self, scope: Scope, scope_entity: str, kind: ObjectKind, key: str) -> EnvironmentObject | None:
        return next(
            (
                o
                for o in self.objects
                if (o.scope, o.scope_entity, o.kind, o.object_key) == (scope, scope_entity, kind, key)
            ),
            None,
        )


def workspace_view(
    model: Model, resolved: Sequence[ResolvedDeployment], locate: Locator = no_position
) -> WorkspaceView:
    """The view of the model's workspace objects and of the resolved Deployments' scoped ones.

    `resolved` holds every Deployment (as `render --all` resolves them), and may hold
    previews, which take their `from` Deployment's links; a Deployment left out keeps
    only a listed link. Raises ResolveProblem for a broken template in an object.
    """
    building = ViewBuilder(model, locate)
    for dep in resolved:
        building.add(dep)
    return building.view()


@frozen
class _Copy:
    """A Deployment that gets a Deployment-scoped copy of a workspace object, and why."""

    scoped: EnvironmentObject
    warning: Diagnostic


class ViewBuilder:
    """`workspace_view`, fed one resolved Deployment at a time (`add`), so that a caller can let
    each go once added: `render --all` holds one Deployment, not all of them (issue 26).

    What it keeps of a Deployment is what the view holds of it: its base's name, a Link where
    it overrides an object or an object lists it, a scoped copy, its own scoped objects.
    """

    def __init__(self, model: Model, locate: Locator = no_position) -> None:
        assert model.workspace is not None, "a valid model has a workspace"
        self.workspace, self.locate = model.workspace.name, locate
        self.problems: list[Diagnostic] = []
        self.objects = [o for o in model.objects if o.kind != "pool"]
        self.own = [_own_fields(o, self.workspace, locate, self.problems) for o in self.objects]
        self.base = [_payload(o.kind, own) for o, own in zip(self.objects, self.own, strict=True)]
        self.index = {(o.kind, o.key): i for i, o in enumerate(self.objects)}
        self.listed = [_listed(o) for o in self.objects]
        self.any_listed = any(self.listed)  # whether any object names the Deployments it links to
        self.base_of: dict[str, str] = {}  # each Deployment added: the Deployment it is (a preview's `from`)
        self.parts: list[dict[str, Link | _Copy]] = [{} for _ in self.objects]  # by object: the Deployments' parts
        self.scoped: list[EnvironmentObject] = []

    def add(self, dep: ResolvedDeployment) -> None:
        """One resolved Deployment's part of every object: links, scoped copies, its own objects.

        A Deployment's workspace objects are those linked to it (resolution takes each object
        linked to its base), so they are read from it, not looked up.
        """
        objects: Iterable[ResolvedObject] = dep.objects
        if not self.any_listed and dep.name not in self.base_of:
            # A shared object linked to all adds nothing, and a first-added Deployment has no
            # part to take back: only its own resolved objects are looked at (issue 26).
            objects = [o for o in objects if not o.shared or o.scope == "deployment"]
        self.base_of[dep.name] = dep.base
        for found in objects:
            if found.scope == "deployment":
                if found.kind != "pool":
                    self.scoped.append(_scoped(found, dep.name))
                continue
            index = self.index.get((found.kind, found.key))
            if index is None:  # a pool: not an Environment Manager object
                continue
            if found.shared:  # one value for every Deployment, as written: the object's own fields
                if dep.base in self.listed[index]:
                    self.parts[index][dep.name] = Link(dep.name, None)
                elif self.parts[index]:
                    self.parts[index].pop(dep.name, None)
                continue
            lost, overrides, overridden = self._compare(index, found)
            if lost is not None:
                warning = _scoped_warning(self.objects[index], dep.name, lost, found, self.locate)
                self.parts[index][dep.name] = _Copy(_scoped(found, dep.name), warning)
            elif overrides is not None or overridden or dep.base in self.listed[index]:
                self.parts[index][dep.name] = Link(dep.name, overrides)
            else:
                self.parts[index].pop(dep.name, None)

    def _compare(self, index: int, found: ResolvedObject) -> _Comparison:
        """A Deployment's own resolved object (overridden, or templated) against the object's own fields."""
        if found.as_written and not found.removed:
            # Nothing rendered, nothing removed: what differs is what the Deployment wrote.
            written = found.fields_named(found.touched)
            carried = {k: freeze(written[k]) for k in PAYLOAD_FIELDS[found.kind] if k in written}
            return (None, MappingProxyType(carried) if carried else None, found.overridden)
        fields = _payload(found.kind, found.fields())
        base = self.base[index]
        # Only an override's null takes a field or an `extra` key away (a merge adds and
        # replaces; a template renders a value): without one, nothing is lost.
        lost = _lost_field(base, fields) if found.removed else None
        return (lost, _overrides(found.kind, base, fields, found), found.overridden)

    def view(self) -> WorkspaceView:
        """The view of everything added. Raises ResolveProblem for a broken template in an object."""
        if self.problems:
            raise ResolveProblem(self.problems)
        objects: list[EnvironmentObject] = []
        warnings: list[Diagnostic] = []
        every = zip(self.objects, self.own, self.base, self.parts, self.listed, strict=True)
        for obj, own, base, parts, listed in every:
            objects.extend(self._workspace_object(obj, own, base, parts, listed, warnings))
        objects.extend(self.scoped)
        objects.sort(key=lambda o: (o.scope, o.scope_entity, o.object_type, o.object_key))
        return WorkspaceView(self.workspace, tuple(objects), tuple(warnings))

    def _workspace_object(
        self,
        obj: ObjectSpec,
        own: Mapping[str, Any],
        base: Mapping[str, Any],
        parts: Mapping[str, Link | _Copy],
        listed: set[str],
        warnings: list[Diagnostic],
    ) -> list[EnvironmentObject]:
        """The workspace object, and a Deployment-scoped copy for each Deployment it cannot link."""
        base_of = self.base_of
        excluded: set[str] = set()
        if obj.links == "all":
            excluded = {n for n in [*obj.exclude, *base_of] if base_of.get(n, n) in obj.exclude}
        # A listed Deployment that was not added keeps its link (with nothing to override).
        every = {**{n: Link(n) for n in listed if n not in base_of}, **parts}
        links: list[Link] = []
        copies: list[EnvironmentObject] = []
        for name in sorted(every):
            part = every[name]
            if isinstance(part, _Copy):
                warnings.append(part.warning)
                copies.append(part.scoped)
                if obj.links == "all":
                    excluded.add(name)
            else:
                links.append(part)
        description = own.get("description")
        main = EnvironmentObject(
            object_key=obj.key,
            object_type=OBJECT_TYPE[obj.kind],
            scope="WORKSPACE",
            scope_entity=self.workspace,
            fields=MappingProxyType({k: freeze(v) for k, v in base.items()}),
            description=description if isinstance(description, str) else None,
            auto_link_deployments=obj.links == "all",
            links=tuple(links),
            exclude_links=tuple(sorted(excluded)),
        )
        return [main, *copies]


def _listed(obj: ObjectSpec) -> set[str]:
    """The Deployments an object's `links:` names (none for `links: all`)."""
    return set(obj.links) if isinstance(obj.links, tuple) else set()


_Comparison = tuple[tuple[str, ...] | None, Mapping[str, Any] | None, bool]  # lost field, overrides, overridden


def _payload(kind: ObjectKind, fields: Mapping[str, Any]) -> dict[str, Any]:
    return {k: fields[k] for k in PAYLOAD_FIELDS[kind] if k in fields}


def _overrides(
    kind: ObjectKind, base: Mapping[str, Any], fields: Mapping[str, Any], found: ResolvedObject
) -> Mapping[str, Any] | None:
    """The fields a link must set: those the Deployment overrides, and those that differ.

    A variable's override is its whole value; a connection's `extra` is carried complete.
    """
    touched = found.touched  # computed once, where resolution applied the overrides
    # Without a template, only what the Deployment's layers wrote or removed can differ.
    compared = touched | {path[0] for path in found.removed} if found.as_written else PAYLOAD_FIELDS[kind]
    carried = [
        k
        for k in PAYLOAD_FIELDS[kind]
        if k in fields and (k in touched or (k in compared and not same(fields[k], base.get(k))))
    ]
    if not carried:
        return None
    return MappingProxyType({k: freeze(fields[k]) for k in carried})


def _lost_field(base: Mapping[str, Any], fields: Mapping[str, Any]) -> tuple[str, ...] | None:
    """The first field (or `extra` key, at any depth) the object sets that the Deployment lacks.

    A variable's value is one string in Astro: a key removed from a mapping value is a new
    value, which a link override carries.
    """
    for key, value in base.items():
        if key not in fields:
            return (key,)
        if key == "extra":
            inner = _lost_key(value, fields[key])
            if inner is not None:
                return (key, *inner)
    return None


def _lost_key(base: Any, value: Any) -> tuple[str, ...] | None:
    if not isinstance(base, MAPPINGS) or not isinstance(value, MAPPINGS):
        return None
    for key, child in base.items():
        if key not in value:
            return (key,)
        inner = _lost_key(child, value[key])
        if inner is not None:
            return (key, *inner)
    return None


def _scoped_warning(
    obj: ObjectSpec, deployment: str, lost: tuple[str, ...], found: ResolvedObject, locate: Locator
) -> Diagnostic:
    """Located at the null that removed the field (or, failing that, at the object)."""
    origin = next((o for p, o in found.removed.items() if p[: len(lost)] == lost or lost[: len(p)] == p), None)
    where = locate(origin.path, (*origin.ypath, *lost)) if origin else locate(obj.path, obj.ypath)
    what = ".".join(lost)
    message = (
        f"null removes '{what}' of {obj.kind} '{obj.key}' for '{deployment}', which a link override cannot do: "
        f"'{deployment}' is excluded from the workspace {obj.kind} and gets a Deployment-scoped copy"
    )
    return warning(where, "override-as-scoped-object", message)


def _scoped(obj: ResolvedObject, deployment: str) -> EnvironmentObject:
    fields = obj.fields()
    description = fields.get("description")
    return EnvironmentObject(
        object_key=obj.key,
        object_type=OBJECT_TYPE[obj.kind],
        scope="DEPLOYMENT",
        scope_entity=deployment,
        fields=MappingProxyType({k: freeze(v) for k, v in _payload(obj.kind, fields).items()}),
        description=description if isinstance(description, str) else None,
    )


def _own_fields(obj: ObjectSpec, workspace: str, locate: Locator, problems: list[Diagnostic]) -> dict[str, Any]:
    """The object's fields as written, templates rendered where `workspace` alone suffices.

    A template that names the branch or the Deployment has no workspace-wide value: it stays
    as written, and every linked Deployment gets its value in its link's override. A template
    that fails even with a Deployment's context is an error, never kept.
    """
    only_workspace = {"workspace": workspace}
    sample = template_values.context(_SAMPLE_BRANCH, "feature-example", "example", workspace)

    def render(value: Any, ypath: tuple[str | int, ...]) -> Any:
        if isinstance(value, MAPPINGS):
            return {k: render(v, (*ypath, k)) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [render(v, (*ypath, i)) for i, v in enumerate(value)]
        if not isinstance(value, str) or not template_values.has_template(value):
            return value
        try:
            return template_values.render_string(value, only_workspace)
        except template_values.TemplateProblem:
            pass
        try:
            template_values.render_string(value, sample)
        except template_values.TemplateProblem as problem:
            problems.append(error(locate(obj.path, (*obj.ypath, *ypath)), problem.code, problem.message))
        return value

    return {k: render(v, (k,)) for k, v in obj.fields.items()}


def resolve_links(view: WorkspaceView, deployment: str) -> dict[tuple[ObjectKind, str], Mapping[str, Any]]:
    """What Deployment `deployment` gets under Environment Manager semantics: (kind, key) -> fields.

    An object's fields, then its link's override fields on top; excluded or unlinked
    Deployments get nothing; the Deployment's scoped objects are added.
    """
    got: dict[tuple[ObjectKind, str], Mapping[str, Any]] = {}
    for obj in view.objects:
        if obj.scope == "DEPLOYMENT":
            if obj.scope_entity == deployment:
                got[(obj.kind, obj.object_key)] = obj.fields
            continue
        link = obj.link(deployment)
        auto = obj.auto_link_deployments and deployment not in obj.exclude_links
        if link is None and not auto:
            continue
        got[(obj.kind, obj.object_key)] = MappingProxyType(
            {**obj.fields, **(link.overrides if link and link.overrides else {})}
        )
    return got
