"""Links + overrides -> what one Deployment gets, every field with its provenance (SPEC 2.4).

The merge of one object's layers is in `layers`; this module picks the layers of each
Deployment (links, overrides, a preview's overrides, templates) and applies them.
Resolution builds new values; it never mutates the model.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import cached_property
from types import MappingProxyType
from typing import Any, Literal, cast

from compiler.diagnostics import Diagnostic, Location
from compiler.load.documents import YPath
from compiler.model.branches import Target
from compiler.model.frozen import field, frozen, replace
from compiler.model.objects import MAPPINGS, DeploymentSpec, Model, ObjectKind, ObjectSpec, OverrideSpec, freeze
from compiler.resolve import template_values
from compiler.resolve.layers import FieldPath as FieldPath  # re-exported: results are read in these terms
from compiler.resolve.layers import Layer as Layer
from compiler.resolve.layers import Origin as Origin
from compiler.resolve.layers import Setting as Setting
from compiler.resolve.layers import flatten as flatten
from compiler.resolve.layers import merge as merge
from compiler.resolve.layers import unflatten as unflatten
from compiler.resolve.resolved import KIND_AND_KEY, Order, has_template, templated_object
from compiler.resolve.resolved import ResolvedObject as ResolvedObject  # re-exported
from compiler.resolve.resolved import Shared as Shared


@frozen
class ResolvedDeployment:
    """Everything rendered for one Deployment (or preview)."""

    name: str
    base: str
    is_preview: bool
    branch: str
    spec: DeploymentSpec
    objects: tuple[ResolvedObject, ...]

    def of_kind(self, kind: ObjectKind) -> list[ResolvedObject]:
        return [o for o in self.objects if o.kind == kind]

    def find(self, kind: ObjectKind, key: str) -> ResolvedObject | None:
        return self._by_key.get((kind, key))

    @cached_property
    def _by_key(self) -> dict[tuple[str, str], ResolvedObject]:
        # `find` runs once per object and Deployment in the workspace view: keep it O(1).
        return {(o.kind, o.key): o for o in self.objects}


class ResolveProblem(Exception):
    def __init__(self, diagnostics: list[Diagnostic]) -> None:
        super().__init__(f"{len(diagnostics)} problem(s)")
        self.diagnostics = diagnostics


# --- resolution ------------------------------------------------------------------------


Locator = Callable[[str, YPath], Location]


def no_position(path: str, ypath: YPath) -> Location:
    return Location(path)


@frozen
class Context:
    branch: str
    slug: str
    workspace: str
    locate: Locator = no_position
    shared: Shared = field(default_factory=lambda: Shared(), compare=False)


def resolve(model: Model, target: Target, workspace: str, locate: Locator = no_position) -> ResolvedDeployment:
    """The Deployment a branch maps to (SPEC 3), with a preview's layers."""
    base = model.deployment(target.base)
    assert base is not None, "validate() guarantees the rule's Deployment exists"
    ctx = Context(target.branch, target.slug, workspace, locate)
    name = base.name
    preview_overrides: tuple[OverrideSpec, ...] = ()
    if target.rule.preview is not None:
        name = _render_text(
            target.rule.preview.name,
            ctx,
            name,
            Origin(target.rule.path, (*target.rule.ypath, "preview", "name"), "preview"),
        )
        preview_overrides = target.rule.preview.overrides
    return _resolve(model, base, name, ctx, preview_overrides, is_preview=target.is_preview)


def resolve_deployment(
    model: Model,
    name: str,
    branch: str,
    workspace: str,
    locate: Locator = no_position,
    shared: Shared | None = None,
) -> ResolvedDeployment:
    """A Deployment by name, for `render --deployment` and `--all` (no preview layers).

    Pass the same `shared` dict when resolving several Deployments of one model.
    """
    from compiler.model.branches import slug

    base = model.deployment(name)
    assert base is not None
    ctx = Context(branch, slug(branch), workspace, locate, Shared() if shared is None else shared)
    return _resolve(model, base, name, ctx, (), is_preview=False)


def deployment_problems(
    model: Model, name: str, branch: str, workspace: str, locate: Locator = no_position, shared: Shared | None = None
) -> list[Diagnostic]:
    """What `resolve_deployment` would raise (ResolveProblem's diagnostics, in its order), [] when it
    would succeed, without building the Deployment: for `validate`, which only checks.

    Only two things make a problem: an override's null of a required field (read from the
    override alone) and a template that fails (rendered after the merge, so it is resolved
    here in full). An object with no template in it or its overrides is not merged: the
    merge of plain values cannot fail (issue 26: `validate` built every Deployment only to
    check it, and `render --all` held them all from there to its last file).
    """
    from compiler.model.branches import slug

    base = model.deployment(name)
    assert base is not None
    ctx = Context(branch, slug(branch), workspace, locate, Shared() if shared is None else shared)
    problems: list[Diagnostic] = []
    layers_of = _layers_of(base, ())
    for obj in ctx.shared.may_fail(model.objects, layers_of):  # in order
        if obj.linked_to(base.name):
            _check_object(obj, "object", layers_of.get((obj.kind, obj.key)), ctx, name, problems)
    for obj in base.objects:
        _check_object(obj, "deployment", None, ctx, name, problems)
    _render_spec(base, name, ctx, problems)
    return problems


def _check_object(
    obj: ObjectSpec,
    layer: Layer,
    overrides: list[tuple[OverrideSpec, str]] | None,
    ctx: Context,
    name: str,
    problems: list[Diagnostic],
) -> None:
    """`_object`'s problems: resolved in full only where a template is rendered."""
    if templated_object(obj, ctx.shared) or (overrides and any(has_template(o.fields) for o, _ in overrides)):
        _object(obj, layer, overrides or [], ctx, name, problems)
    elif overrides:
        for override, _ in overrides:
            problems.extend(_required_removed(obj, override, ctx))


def _layers_of(
    base: DeploymentSpec, preview: tuple[OverrideSpec, ...]
) -> dict[tuple[str, str], list[tuple[OverrideSpec, str]]]:
    """Each object's override layers, in order: indexed once per Deployment, so resolution is
    linear in objects x Deployments."""
    layers_of: dict[tuple[str, str], list[tuple[OverrideSpec, str]]] = {}
    for layer, overrides in (("override", base.overrides), ("preview", preview)):
        for override in overrides:
            layers_of.setdefault((override.kind, override.key), []).append((override, layer))
    return layers_of


def _resolve(
    model: Model, base: DeploymentSpec, name: str, ctx: Context, preview: tuple[OverrideSpec, ...], *, is_preview: bool
) -> ResolvedDeployment:
    problems: list[Diagnostic] = []
    objects: list[ResolvedObject] = []
    layers_of = _layers_of(base, preview)
    order = ctx.shared.order(model.objects)
    if order.linked_to_all:
        objects = _in_place(order, layers_of, ctx, name, problems)
    else:
        ready = ctx.shared.resolved
        for obj in order.objects:  # so the objects come out in order
            if obj.linked_to(base.name):
                layers = layers_of.get((obj.kind, obj.key))
                # Most objects are one shared value for every Deployment: taken without a call.
                found = ready.get(id(obj)) if layers is None else None
                objects.append(found or _object(obj, "object", layers or [], ctx, name, problems))
    own = [_object(obj, "deployment", [], ctx, name, problems) for obj in base.objects]
    spec = _render_spec(base, name, ctx, problems)
    if is_preview:  # its own description, not a copy of its base's: what it is, and whose branch
        spec = replace(spec, description=f"Preview of {base.name} for branch {ctx.branch}")
    if problems:
        raise ResolveProblem(problems)
    if own:  # after the workspace's objects of the same kind and key (a stable sort)
        objects.extend(own)
        objects.sort(key=KIND_AND_KEY)
    return ResolvedDeployment(name, base.name, is_preview, ctx.branch, spec, tuple(objects))


def _in_place(
    order: Order,
    layers_of: Mapping[tuple[str, str], list[tuple[OverrideSpec, str]]],
    ctx: Context,
    name: str,
    problems: list[Diagnostic],
) -> list[ResolvedObject]:
    """A Deployment's workspace objects when every object is linked to every Deployment: the
    shared resolved objects in their places (one list copy), and resolved here only the places
    it overrides and those with no shared object (yet, or ever: a templated one), in order.
    Resolution per Deployment then grows with its overrides, not with the workspace (issue 26).
    """
    objects = order.resolved.copy()
    for i in sorted({*order.missing, *order.places(layers_of)}):
        obj = order.objects[i]
        found = objects[i] = _object(obj, "object", layers_of.get((obj.kind, obj.key)) or [], ctx, name, problems)
        if found.shared:  # no override, no template: every Deployment's, from now on taken in place
            order.resolved[i] = found
            order.missing.discard(i)
    return cast("list[ResolvedObject]", objects)  # every place filled: the missing ones just now


def _object(
    obj: ObjectSpec,
    layer: Layer,
    overrides: list[tuple[OverrideSpec, str]],
    ctx: Context,
    name: str,
    problems: list[Diagnostic],
) -> ResolvedObject:
    if not overrides and id(obj) in ctx.shared.resolved:
        return ctx.shared.resolved[id(obj)]
    if id(obj) not in ctx.shared.leaves:
        ctx.shared.leaves[id(obj)] = _base_leaves(obj.fields, Origin(obj.path, obj.ypath, layer))
    leaves = ctx.shared.leaves[id(obj)]  # merge() copies; this stays as written
    removed: dict[FieldPath, Origin] = {}
    for override, override_layer in overrides:
        origin = Origin(override.path, override.ypath, override_layer)  # type: ignore[arg-type]
        leaves, gone = merge(leaves, override.fields, origin)
        removed.update(gone)
        problems.extend(_required_removed(obj, override, ctx))
    # Plain values merged with plain values hold no template: only then are the leaves read.
    may_hold = templated_object(obj, ctx.shared) or any(has_template(o.fields) for o, _ in overrides)
    templated = may_hold and any(has_template(s.value) for s in leaves.values())
    rendered = (
        {path: _render_setting(s, ctx, name, path, problems) for path, s in leaves.items()} if templated else leaves
    )
    scope: Literal["workspace", "deployment"] = "deployment" if obj.deployment else "workspace"
    touched: frozenset[str] = frozenset()
    if overrides:
        # Layers apply in order (the object's, then the Deployment's own): a leaf an own layer
        # wrote has that layer last.
        touched = frozenset([p[0] for p, s in leaves.items() if s.origins[-1].layer in _OWN_LAYERS])
    shared = not overrides and not templated
    resolved = ResolvedObject(
        obj.kind, obj.key, scope, MappingProxyType(rendered), MappingProxyType(removed), touched, shared, not templated
    )
    if shared:
        ctx.shared.resolved[id(obj)] = resolved
    return resolved


_OWN_LAYERS = ("override", "preview")  # a Deployment's own layers of a workspace object


# The field each kind cannot do without (Airflow and the Astro API require it).
REQUIRED: dict[ObjectKind, str] = {"connection": "type", "variable": "value", "pool": "slots"}


def _required_removed(obj: ObjectSpec, override: OverrideSpec, ctx: Context) -> list[Diagnostic]:
    """An override's null may remove any field but the one the object is nothing without."""
    required = REQUIRED[obj.kind]
    if required not in override.fields or override.fields[required] is not None:
        return []
    from compiler.diagnostics import error

    where = ctx.locate(override.path, (*override.ypath, required))
    message = f"null removes '{required}' of {obj.kind} '{obj.key}', which it cannot do without; override it with a value instead"
    return [error(where, "required-field-removed", message)]


def _base_leaves(fields: Mapping[str, Any], origin: Origin) -> dict[FieldPath, Setting]:
    """The object as written: `null` is a JSON value there (only an override's null removes)."""
    return {path: Setting(value, (origin,), (value,)) for path, value in flatten(fields)}


def _render_setting(setting: Setting, ctx: Context, name: str, path: FieldPath, problems: list[Diagnostic]) -> Setting:
    origin = setting.origins[-1]
    located = Origin(origin.path, (*origin.ypath, *path), origin.layer)
    try:
        rendered = _render_value(setting.value, lambda text: _render_text(text, ctx, name, located))
        return Setting(rendered, setting.origins, setting.written)
    except ResolveProblem as exc:
        problems.extend(exc.diagnostics)
        return setting


def _render_value(value: Any, render_text: Callable[[str], str]) -> Any:
    """Every templated string in a leaf, lists included (a list is one leaf of the merge)."""
    if isinstance(value, str):
        return render_text(value) if template_values.has_template(value) else value
    if isinstance(value, tuple):
        return tuple(_render_value(v, render_text) for v in value)
    if isinstance(value, MAPPINGS):
        return MappingProxyType({k: _render_value(v, render_text) for k, v in value.items()})
    return value


def _render_text(text: str, ctx: Context, deployment: str, origin: Origin) -> str:
    variables = template_values.context(ctx.branch, ctx.slug, deployment, ctx.workspace)
    try:
        return template_values.render_string(text, variables)
    except template_values.TemplateProblem as problem:
        from compiler.diagnostics import error

        raise ResolveProblem([error(ctx.locate(origin.path, origin.ypath), problem.code, problem.message)]) from None


def _render_spec(base: DeploymentSpec, name: str, ctx: Context, problems: list[Diagnostic]) -> DeploymentSpec:
    def render(value: Any, ypath: YPath) -> Any:
        if isinstance(value, MAPPINGS):
            return {k: render(v, (*ypath, k)) for k, v in value.items()}
        if isinstance(value, tuple):
            return [render(v, (*ypath, i)) for i, v in enumerate(value)]
        if isinstance(value, str) and template_values.has_template(value):
            try:
                return _render_text(value, ctx, name, Origin(base.path, ypath, "deployment"))
            except ResolveProblem as exc:
                problems.extend(exc.diagnostics)
        return value

    return replace(
        base,
        name=name,
        description=render(base.description, ("description",)),
        astro=freeze(render(base.astro, ("astro",))),
        environment_variables=freeze(render(base.environment_variables, ("environment_variables",))),
        worker_queues=freeze(render(base.worker_queues, ("worker_queues",))),
        alert_emails=freeze(render(base.alert_emails, ("alert_emails",))),
        hibernation_schedules=freeze(render(base.hibernation_schedules, ("hibernation_schedules",))),
    )
