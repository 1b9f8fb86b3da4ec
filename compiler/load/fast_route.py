"""The fast route of reading YAML: libyaml's parser, then plain data straight from its nodes.

Why: nearly every file is ordinary, and ruamel.yaml's safe loader spends most of its time
in Python machinery a plain document does not need (a YAML-version lookup that raises
two exceptions per scalar, a generic object constructor, then our own copy to plain
data). Here the C parser composes the nodes, a scalar's tag is resolved once per distinct
text, and one pass builds the dicts, lists and scalars; both routes resolve and construct
scalars by load/core_schema.py, so the values are exactly the careful route's.

`plain_data` returns None for anything it does not vouch for, and load/documents.py then takes the
careful route (load/careful_route.py, with positions), which decides and reports every problem:
syntax errors, duplicate keys, tags other than the core ones, non-string keys, NaN and
infinity, dates, merge keys, directives, and the depth and alias limits. libyaml and
ruamel.yaml do not accept exactly the same texts, so the fast route also leaves alone
every construct where they were seen to differ (tests/test_fastyaml.py searches for
more): tabs, NEL/LS/PS/BOM characters, and the flow-collection forms of `leaves_to_careful`.
"""

from __future__ import annotations

import re
import sys
from functools import lru_cache
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.constructor import SafeConstructor
from ruamel.yaml.nodes import MappingNode, ScalarNode, SequenceNode
from ruamel.yaml.resolver import VersionedResolver
from ruamel.yaml.tag import Tag

from compiler.limits import DEEP_INDENT, MAX_DEPTH, MAX_NODES
from compiler.load import core_schema

_MAP, _SEQ = core_schema.CORE + "map", core_schema.CORE + "seq"
# Texts the fast route leaves to the careful one (`leaves_to_careful`): directives (`%` at a line
# start), merge keys, and characters libyaml reads differently from ruamel.yaml.
_ODD_CHARACTERS = ("\t", "\x85", "\u2028", "\u2029", "\ufeff")  # tabs; YAML 1.1 line breaks; a BOM inside
# a quoted key with its value right after the colon (JSON-like)
_QUOTED_KEY = re.compile(r"""['"] *:[^ \n]""")
# a colon right before a flow indicator (`["x" :]`, `[? "x" :]`)
_FLOW_COLON = re.compile(r":[,\]}]")
# a tag, `!` alone included
_TAG = re.compile(r"(?:^|[ \[{,])!", re.MULTILINE)
# an anchor or alias whose name goes beyond [A-Za-z0-9_-] (not `* *` in a cron string)
_ANCHOR = re.compile(r"""(?:^|[ \[{,])[&*](?=[^ \n"'])(?![A-Za-z0-9_-]+(?:[ ,\]}\n]|$))""", re.MULTILINE)


def leaves_to_careful(text: str) -> bool:
    """Whether `text` holds one of the forms above, which the fast route leaves to the careful one.

    Each form is searched apart, most behind a test for a character it needs: one pattern of
    all of them tried every form at every character, ~60 ns a character (5 % of `render --all`
    at 1000x50, issue 26). tests/load/test_fast_route.py holds it to that one pattern.
    """
    return bool(
        ("%" in text and (text.startswith("%") or "\n%" in text))
        or ("<" in text and "<<" in text)
        or any(c in text for c in _ODD_CHARACTERS)
        or _QUOTED_KEY.search(text)
        or _FLOW_COLON.search(text)
        or ("!" in text and _TAG.search(text))
        or (("&" in text or "*" in text) and _ANCHOR.search(text))
    )


_MEMO_TEXT = 64  # scalars up to this length have their resolved tag remembered
_SHARED_TEXT = 64  # string scalars up to this length are one object per text (sys.intern)
_TAGS: dict[str, Any] = {}  # plain scalar text -> tag, for the process
# One Tag per tag name, as the careful route has them: a new Tag decodes its name character by
# character the first time it is read (every node's tag is), a third of parsing a small file.
_TAG_OF_NAME = {name: Tag(suffix=name) for name in (*core_schema.CONSTRUCTORS, core_schema.TIMESTAMP)}


class _Unusual(Exception):
    """Something the fast route leaves to the careful one."""


def plain_data(text: str) -> Any:
    """The document's data (dicts with str keys, lists, str, int, float, bool, None), or None."""
    if leaves_to_careful(text) or DEEP_INDENT.search(text):
        return None  # (merge keys: the two routes order merged keys differently)
    try:
        return _loader().load(text)
    except Exception:
        return None


class _CoreResolver(VersionedResolver):
    """YAML 1.2 core-schema resolution (load/core_schema.py) with a memo: the same scalar text gets the same tag."""

    @property
    def processing_version(self) -> Any:
        return (1, 2)  # no directive reaches this route, so the version is the default

    def resolve(self, kind: Any, value: Any, implicit: Any) -> Any:
        if kind is not ScalarNode or not isinstance(implicit, tuple) or not implicit[0]:
            return super().resolve(kind, value, implicit)
        if len(value) > _MEMO_TEXT:
            return _TAG_OF_NAME[core_schema.tag_of(value)]
        tag = _TAGS.get(value)
        if tag is None:
            tag = _TAGS[value] = _TAG_OF_NAME[core_schema.tag_of(value)]
        return tag


class _PlainConstructor(SafeConstructor):
    """Builds plain data from the composed nodes in one pass (see the module docstring)."""

    def construct_document(self, node: Any) -> Any:
        return _Builder().value(node, 0)


class _Builder:
    def __init__(self) -> None:
        self.scalars = core_schema.CONSTRUCTORS
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
        tag = node.ctag.trval
        if tag == _MAP and type(node) is MappingNode:
            built: Any = self._mapping(node, depth)
        elif tag == _SEQ and type(node) is SequenceNode:
            built = [self.value(child, depth + 1) for child in node.value]
        else:
            raise _Unusual("tag")
        self.built[id(node)] = (built, self.count - start)
        return built

    def _scalar(self, node: Any) -> Any:
        make = self.scalars.get(node.ctag.trval)
        if make is None:
            raise _Unusual("tag")  # timestamps, binary, custom tags
        value = make(node.value)
        if type(value) is str and len(value) <= _SHARED_TEXT:
            # One object for each short text however often it is written (keys, `reader`,
            # `user3` in 700 overrides): the model keeps them all (issue 26, validate's memory).
            return sys.intern(value)
        if type(value) is float and (value != value or value in (float("inf"), float("-inf"))):
            raise _Unusual("NaN or infinity")
        return value

    def _mapping(self, node: Any, depth: int) -> dict[str, Any]:
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if type(key_node) is not ScalarNode or key_node.ctag.trval != core_schema.STR or key_node.value in result:
                raise _Unusual("key")  # not a string, or a duplicate
            result[sys.intern(key_node.value)] = self.value(value_node, depth + 1)
        return result


@lru_cache(maxsize=1)
def _loader() -> Any:
    yaml = YAML(typ="safe")  # libyaml's parser when ruamel.yaml.clib is installed
    yaml.Resolver = _CoreResolver
    yaml.Constructor = _PlainConstructor
    return yaml
