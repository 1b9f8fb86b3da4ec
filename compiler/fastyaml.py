"""The fast route of reading YAML: libyaml's parser, then plain data straight from its nodes.

Why: nearly every file is ordinary, and ruamel.yaml's safe loader spends most of its time
in Python machinery a plain document does not need (a YAML-version lookup that raises
two exceptions per scalar, a generic object constructor, then our own copy to plain
data). Here the C parser composes the nodes, a scalar's tag is resolved once per distinct
text, and one pass builds the dicts, lists and scalars, with ruamel's own functions for
ints, floats and booleans so the values are exactly the careful route's.

`plain_data` returns None for anything it does not vouch for, and load.py then takes the
careful route (the round-trip parser, with positions), which reports every problem:
syntax errors, duplicate keys, tags other than the core ones, non-string keys, NaN and
infinity, dates, merge keys, a `%YAML` directive, and the depth and alias limits.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.constructor import SafeConstructor
from ruamel.yaml.error import YAMLError
from ruamel.yaml.nodes import MappingNode, ScalarNode, SequenceNode
from ruamel.yaml.resolver import VersionedResolver

from .load import MAX_DEPTH, MAX_NODES

_CORE = "tag:yaml.org,2002:"
_STR, _INT, _FLOAT, _BOOL, _NULL = (_CORE + t for t in ("str", "int", "float", "bool", "null"))
_MAP, _SEQ = _CORE + "map", _CORE + "seq"
# A `%YAML 1.1` directive changes how scalars resolve; libyaml's route would ignore it.
_DIRECTIVE = re.compile(r"^%", re.MULTILINE)
_MEMO_TEXT = 64  # scalars up to this length have their resolved tag remembered
_TAGS: dict[tuple[str, tuple[bool, bool]], Any] = {}  # (text, implicit) -> tag, for the process


class _Unusual(Exception):
    """Something the fast route leaves to the careful one."""


def plain_data(text: str) -> Any:
    """The document's data (dicts with str keys, lists, str, int, float, bool, None), or None."""
    if "<<" in text or _DIRECTIVE.search(text):
        return None  # merge keys: the two routes order merged keys differently
    try:
        return _loader().load(text)
    except (_Unusual, YAMLError, RecursionError, ValueError, TypeError):
        return None


class _CoreResolver(VersionedResolver):
    """YAML 1.2 core-schema resolution with a memo: the same scalar text gets the same tag."""

    @property
    def processing_version(self) -> Any:
        return (1, 2)  # no directive reaches this route, so the version is the default

    def resolve(self, kind: Any, value: Any, implicit: Any) -> Any:
        if kind is not ScalarNode or not isinstance(implicit, tuple) or len(value) > _MEMO_TEXT:
            return super().resolve(kind, value, implicit)
        key = (value, implicit)
        tag = _TAGS.get(key)
        if tag is None:
            tag = _TAGS[key] = super().resolve(kind, value, implicit)
        return tag


class _PlainConstructor(SafeConstructor):
    """Builds plain data from the composed nodes in one pass (see the module docstring)."""

    def construct_document(self, node: Any) -> Any:
        return _Builder(self).value(node, 0)


class _Builder:
    def __init__(self, constructor: SafeConstructor) -> None:
        self.scalars = {
            _STR: _text,
            _INT: constructor.construct_yaml_int,
            _FLOAT: constructor.construct_yaml_float,
            _BOOL: constructor.construct_yaml_bool,
            _NULL: _null,
        }
        self.count = 0
        self.built: dict[int, tuple[Any, int]] = {}  # node id -> (value, values in it): aliases

    def value(self, node: Any, depth: int) -> Any:
        if depth > MAX_DEPTH:
            raise _Unusual("too deep")
        if type(node) is ScalarNode:
            self.count += 1
            return self._scalar(node)
        seen = self.built.get(id(node))
        if seen is not None:  # an alias: its whole expansion counts again, as on the careful route
            self.count += seen[1]
            if self.count > MAX_NODES:
                raise _Unusual("alias bomb")
            return seen[0]
        start = self.count
        self.count += 1
        tag = node.tag
        if tag == _MAP and type(node) is MappingNode:
            built: Any = self._mapping(node, depth)
        elif tag == _SEQ and type(node) is SequenceNode:
            built = [self.value(child, depth + 1) for child in node.value]
        else:
            raise _Unusual("tag")
        self.built[id(node)] = (built, self.count - start)
        return built

    def _scalar(self, node: Any) -> Any:
        make = self.scalars.get(node.tag)
        if make is None:
            raise _Unusual("tag")  # timestamps, binary, custom tags
        value = make(node)
        if type(value) is float and (value != value or value in (float("inf"), float("-inf"))):
            raise _Unusual("NaN or infinity")
        return value

    def _mapping(self, node: Any, depth: int) -> dict[str, Any]:
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if type(key_node) is not ScalarNode or key_node.tag != _STR or key_node.value in result:
                raise _Unusual("key")  # not a string, or a duplicate
            result[key_node.value] = self.value(value_node, depth + 1)
        return result


def _text(node: Any) -> str:
    return str(node.value)


def _null(_: Any) -> None:
    return None


@lru_cache(maxsize=1)
def _loader() -> Any:
    yaml = YAML(typ="safe")  # libyaml's parser when ruamel.yaml.clib is installed
    yaml.Resolver = _CoreResolver
    yaml.Constructor = _PlainConstructor
    return yaml
