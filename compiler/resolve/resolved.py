"""What resolution makes of one object (`ResolvedObject`), and what the Deployments of one
model share of it (`Shared`): `render --all`, `validate` and `plan` resolve every Deployment
of a model, and an object that nothing overrides is resolved once for all of them (issue 26).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from functools import cached_property
from operator import attrgetter
from types import MappingProxyType
from typing import Any, Literal

from compiler.model.frozen import field, frozen
from compiler.model.objects import MAPPINGS, ObjectKind, ObjectSpec
from compiler.resolve import template_values
from compiler.resolve.layers import FieldPath, Origin, Setting, unflatten

_VALUE = attrgetter("value")  # a Setting's value
KIND_AND_KEY = attrgetter("kind", "key")  # a resolved Deployment's order, of resolved objects and of specs


@frozen
class ResolvedObject:
    kind: ObjectKind
    key: str
    scope: Literal["workspace", "deployment"]
    leaves: Mapping[FieldPath, Setting]
    removed: Mapping[FieldPath, Origin] = field(default_factory=lambda: MappingProxyType({}))
    # The override difference, computed once where the overrides are applied (issue 26) and
    # read by the workspace view (render --all, plan): the top-level fields a leaf of which
    # the Deployment's override or preview layer wrote. Empty when no override applies.
    touched: frozenset[str] = field(default=frozenset(), compare=False)
    # One value for every Deployment that resolves it (kept in `Shared` for the whole run):
    # what is rendered from it can be kept by its id and reused.
    shared: bool = field(default=False, compare=False)
    # No template was rendered into it: a field that neither `touched` nor `removed` names is
    # the object's own field as written (the workspace view compares only the others).
    as_written: bool = field(default=False, compare=False)

    def fields(self) -> dict[str, Any]:
        """The nested, plain value of every field (secrets stay `Secret`). Read it; never change it:
        it is built once and shared, like the object, by every Deployment that resolves the same."""
        return self._fields

    def fields_named(self, names: Collection[str]) -> dict[str, Any]:
        """The fields among `names`, as `fields()` has them, without making the others when
        `fields()` was not asked yet (`plan`'s workspace view reads only what an override wrote)."""
        if "_fields" in self.__dict__:
            every = self._fields
            return {k: every[k] for k in names if k in every}
        return unflatten([(p, s.value) for p, s in self.leaves.items() if p[0] in names])

    @cached_property
    def _fields(self) -> dict[str, Any]:
        return unflatten(zip(self.leaves, map(_VALUE, self.leaves.values()), strict=True))  # pairs made in C

    @property
    def overridden(self) -> bool:
        """Whether the Deployment's own override layer (or a preview's) touched the object at all:
        wrote a leaf, or removed one (only an override's null removes)."""
        return bool(self.touched or self.removed)


class Order:
    """A model's objects in a resolved Deployment's order (by kind and key, stable), with each
    object's place in it and, once a Deployment resolved them, the shared resolved objects at
    their places: a Deployment's objects are that list, with its overridden (and templated)
    places resolved anew.
    """

    def __init__(self, objects: tuple[ObjectSpec, ...], shared: Shared) -> None:
        self.model_objects = objects  # the model's tuple, held: the cache is keyed by its id
        self.objects = tuple(sorted(objects, key=KIND_AND_KEY))
        self.place = {(o.kind, o.key): i for i, o in enumerate(self.objects)}
        self._shared = shared
        # Every object linked to every Deployment (`links: all`, nothing excluded): then each
        # Deployment resolves every place, and `resolved` can stand for the shared ones.
        self.linked_to_all = all(o.links == "all" and not o.exclude for o in self.objects)
        self.resolved: list[ResolvedObject | None] = [None] * len(self.objects)
        self.missing = set(range(len(self.objects)))  # places with no shared resolved object yet

    @cached_property
    def templated(self) -> list[int]:
        """The places of the objects whose own fields hold a template."""
        return [i for i, o in enumerate(self.objects) if templated_object(o, self._shared)]

    def places(self, keys: Mapping[tuple[str, str], object]) -> list[int]:
        """The places of the objects `keys` names, in order (a key of no object is passed by)."""
        place = self.place
        return sorted(place[k] for k in keys if k in place)


@frozen
class Shared:
    """What the Deployments of one model share, keyed by the model object's id.

    Resolved objects that no override or template of a Deployment changes are the same for
    every Deployment, and an object's own leaves are the first layer of every Deployment:
    `render --all` computes each once.
    """

    resolved: dict[int, ResolvedObject] = field(default_factory=dict)
    leaves: dict[int, dict[FieldPath, Setting]] = field(default_factory=dict)
    templated: dict[int, bool] = field(default_factory=dict)  # whether an object's fields hold a template
    # The order of the model's objects, by id of the model's tuple (held by the Order).
    orders: dict[int, Order] = field(default_factory=dict)

    def order(self, objects: tuple[ObjectSpec, ...]) -> Order:
        """The `Order` of a model's objects, made once per run."""
        kept = self.orders.get(id(objects))
        if kept is None or kept.model_objects is not objects:
            kept = self.orders[id(objects)] = Order(objects, self)
        return kept

    def may_fail(
        self, objects: tuple[ObjectSpec, ...], layers_of: Mapping[tuple[str, str], object]
    ) -> list[ObjectSpec]:
        """The objects whose resolution in one Deployment can fail, in `Order`'s order: those
        it overrides (`layers_of`'s keys) and those holding a template. The others are plain
        values, which merge without a problem: `validate` passes them by without a look."""
        order = self.order(objects)
        chosen = order.templated
        overridden = order.places(layers_of)
        if overridden:
            chosen = sorted({*chosen, *overridden})
        return [order.objects[i] for i in chosen]


def templated_object(obj: ObjectSpec, shared: Shared) -> bool:
    """Whether an object's own fields hold a template (asked once per object and run)."""
    if id(obj) not in shared.templated:
        shared.templated[id(obj)] = has_template(obj.fields)
    return shared.templated[id(obj)]


def has_template(value: Any) -> bool:
    """Whether a field value holds a Jinja template anywhere (strings in mappings and lists)."""
    if isinstance(value, str):
        return "{" in value and template_values.has_template(value)  # most strings: no "{", no call
    if isinstance(value, MAPPINGS):
        return any(map(has_template, value.values()))
    if isinstance(value, (list, tuple)):
        return any(map(has_template, value))
    return False
