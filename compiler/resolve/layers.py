"""Layers of one object's fields: flat leaves, where each came from, and the merge (SPEC 2.4).

An object's fields are kept flat: one `Setting` per leaf path (`("extra", "role")`), so the
recursive merge of `extra` and mapping variable values is a sequence of leaf writes, and
every leaf remembers the chain of layers that wrote it, and the value each wrote, for
`explain` and `diff`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import Any, Literal

from compiler.load.documents import SCALARS, YPath
from compiler.model.frozen import field, frozen
from compiler.model.objects import MAPPINGS, thaw

Layer = Literal["object", "override", "preview", "deployment"]
FieldPath = tuple[str, ...]


@frozen
class Origin:
    """One layer that set a value: the file, the YAML path in it, and which layer it was."""

    path: str
    ypath: YPath
    layer: Layer


@frozen
class Setting:
    value: Any
    origins: tuple[Origin, ...]  # oldest first; the last one is in effect
    # What each origin wrote, as written (a template before rendering): explain's history.
    written: tuple[Any, ...] = field(default=(), compare=False)

    @property
    def history(self) -> tuple[tuple[Origin, Any], ...]:
        return tuple(zip(self.origins, self.written or (self.value,) * len(self.origins), strict=True))


# --- flat leaves and the merge -------------------------------------------------------


def flatten(value: Any, prefix: FieldPath = ()) -> list[tuple[FieldPath, Any]]:
    """Leaf paths of nested mappings, in order; an empty mapping, a list or a scalar is a leaf.

    An empty mapping at the top has no leaves: it is an override of nothing, not a value.
    """
    if not (isinstance(value, MAPPINGS) and (value or not prefix)):
        return [(prefix, value)]
    leaves: list[tuple[FieldPath, Any]] = []
    _flatten_into(value, prefix, leaves)
    return leaves


def _flatten_into(mapping: Mapping[str, Any], prefix: FieldPath, leaves: list[tuple[FieldPath, Any]]) -> None:
    # A list, not a generator per level: flatten runs for every override of every Deployment.
    for key, child in mapping.items():
        if isinstance(child, MAPPINGS) and child:
            _flatten_into(child, (*prefix, key), leaves)
        else:
            leaves.append(((*prefix, key), child))


def unflatten(leaves: Iterable[tuple[FieldPath, Any]]) -> dict[str, Any]:
    """The nested, plain value of (leaf path, value) pairs, in order (`flatten` undone)."""
    result: dict[str, Any] = {}
    for path, value in leaves:
        if len(path) == 1:  # a top-level field: most leaves, most of them scalars (no call)
            result[path[0]] = value if type(value) in SCALARS else thaw(value)
            continue
        node = result
        for step in path[:-1]:
            node = node.setdefault(step, {})
        node[path[-1]] = thaw(value)
    return result


def _is_under(path: FieldPath, prefix: FieldPath) -> bool:
    return len(path) > len(prefix) and path[: len(prefix)] == prefix


def merge(
    leaves: Mapping[FieldPath, Setting], patch: Mapping[str, Any], origin: Origin
) -> tuple[dict[FieldPath, Setting], dict[FieldPath, Origin]]:
    """Apply one layer: scalars and lists replace, mappings merge key by key, null removes."""
    result = dict(leaves)
    removed: dict[FieldPath, Origin] = {}
    for path, value in flatten(patch):
        # A leaf has nothing under it (flat leaves): most override paths replace a leaf.
        below = [] if path in result else [p for p in result if _is_under(p, path)]
        if value is None:
            gone = [p for p in [*below, path] if p in result]  # a leaf whose value is JSON null goes too
            for p in gone:
                del result[p]
                removed[p] = origin
            parent = path[:-1]
            if gone and parent and not any(_is_under(p, parent) for p in result):
                # Removing the last key of a mapping leaves that mapping, empty: only the key goes.
                empty: Mapping[str, Any] = MappingProxyType({})
                result[parent] = Setting(empty, (origin,), (empty,))
            continue
        if value == {} and below:
            continue  # merging an empty mapping changes nothing
        for p in below:
            del result[p]
        for i in range(1, len(path)):
            result.pop(path[:i], None)  # a scalar replaced by a mapping
        earlier = result[path] if path in result else Setting(None, ())
        result[path] = Setting(value, (*earlier.origins, origin), (*earlier.written, value))
    return result, removed
