"""The careful route of reading YAML: ruamel.yaml's round-trip parser, which decides.

Its tree keeps every position (load/documents.py's `locate`), its errors are the ones reported, and
`plain` turns the tree into the plain data later stages read. ruamel.yaml is wrapped so
that whatever the text, the result is a tree or located diagnostics:

- scalars resolve and construct by the YAML 1.2 core schema (load/core_schema.py), never by
  ruamel.yaml's own rules (which read `1_000`, `0b101` and `0x_1F` as numbers);
- a `%` directive other than `%YAML 1.2` is refused before ruamel.yaml sees it;
- NEL, LS and PS (line breaks in YAML 1.1 only) are refused, so lines are counted one way;
- nesting is bounded while composing, before Python's recursion limit could be reached;
- a warning of the parser (a reused anchor, say) becomes a diagnostic, never a printed warning;
- a key that is not a scalar is refused where ruamel.yaml would fail without a position.
"""

from __future__ import annotations

import re
import warnings
from typing import Any, NamedTuple, NoReturn

from ruamel.yaml import YAML
from ruamel.yaml.composer import Composer
from ruamel.yaml.constructor import RoundTripConstructor
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.events import AliasEvent, ScalarEvent
from ruamel.yaml.nodes import MappingNode, ScalarNode, SequenceNode
from ruamel.yaml.resolver import VersionedResolver
from ruamel.yaml.tag import Tag

from compiler.diagnostics import Diagnostic, Location, error, warning
from compiler.limits import MAX_DEPTH
from compiler.load import core_schema

SUPPORTED_VERSION = (1, 2)
_BREAKS_1_1 = re.compile("[\x85\u2028\u2029]")
_DIRECTIVE = re.compile(r"^%", re.MULTILINE)
_BREAK_NAMES = {"\x85": "NEL (U+0085)", "\u2028": "LS (U+2028)", "\u2029": "PS (U+2029)"}


class Parsed(NamedTuple):
    """The round-trip tree (None for an empty document) and the parser's warnings, as diagnostics.

    (A NamedTuple: a frozen value below model/frozen.py.)
    """

    tree: Any
    warnings: tuple[Diagnostic, ...] = ()


def parse(path: str, text: str) -> Parsed | Diagnostic:
    """The text's round-trip tree, or the one problem that stops reading it."""
    problem = _breaks_problem(path, text) or _directive_problem(path, text)
    if problem is not None:
        return problem
    yaml = _yaml()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            tree = yaml.load(text)
        except _Refused as exc:
            return error(_at(path, exc.problem_mark), exc.code, exc.problem)
        except MarkedYAMLError as exc:
            return _yaml_problem(path, exc)
        except YAMLError as exc:  # the reader's: a character YAML does not allow
            return _reader_problem(path, text, exc)
    reused = tuple(warning(_at(path, mark), "yaml-warning", message) for mark, message in yaml.composer.reused)
    return Parsed(tree, reused + tuple(_warning(path, w.message) for w in caught))


# --- what is refused before parsing ------------------------------------------------------


def _breaks_problem(path: str, text: str) -> Diagnostic | None:
    found = _BREAKS_1_1.search(text)
    if found is None:
        return None
    name = _BREAK_NAMES[found.group()]
    message = f"character {name} is a line break in YAML 1.1 only; write a newline, or an escape in double quotes"
    return error(_at_index(path, text, found.start()), "yaml-syntax", message)


def _directive_problem(path: str, text: str) -> Diagnostic | None:
    """A `%` directive other than `%YAML 1.2` (which changes nothing), located."""
    if not _DIRECTIVE.search(text):
        return None
    from ruamel.yaml.tokens import DirectiveToken

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for token in YAML(typ="rt").scan(text):
                if isinstance(token, DirectiveToken) and (token.name, token.value) != ("YAML", SUPPORTED_VERSION):
                    shown = "%" + token.name + (" " + ".".join(map(str, token.value)) if token.name == "YAML" else "")
                    message = f"directive '{shown}' is not supported: files are read as YAML 1.2 only"
                    return error(_at(path, token.start_mark), "unsupported-directive", message)
    except YAMLError:
        return None  # the parse reports it, located
    return None


# --- ruamel.yaml, bounded and YAML 1.2 -----------------------------------------------------


class _Refused(MarkedYAMLError):
    """A located problem found while composing or constructing, with our diagnostic code."""

    def __init__(self, code: str, message: str, mark: Any) -> None:
        super().__init__(problem=message, problem_mark=mark)
        self.code = code


class _CoreResolver(VersionedResolver):
    def resolve(self, kind: Any, value: Any, implicit: Any) -> Any:
        if kind is ScalarNode and implicit and implicit[0] and value != "<<":  # (a merge key)
            return _TAGS[core_schema.tag_of(value)]
        return super().resolve(kind, value, implicit)


_TAGS = {name: Tag(suffix=name) for name in core_schema.CONSTRUCTORS.keys() | {core_schema.TIMESTAMP}}


class _Composer(Composer):
    """Bounds nesting where it is built and records reused anchors (with positions)."""

    def __init__(self, loader: Any = None) -> None:
        super().__init__(loader)
        self.warn_double_anchors = False
        self.reused: list[tuple[Any, str]] = []
        self.levels = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        event = self.parser.peek_event()
        if isinstance(event, AliasEvent):
            return super().compose_node(parent, index)
        # The document is level 0, as in yamltree.plain; a key is one level below its
        # mapping, as its value is, but a scalar key is no nesting of its own.
        key = index is None and parent is not None
        if self.levels > MAX_DEPTH + (key and isinstance(event, ScalarEvent)):
            raise _Refused("too-deep", f"nesting deeper than {MAX_DEPTH} levels", event.start_mark)
        anchor = event.anchor
        if anchor is not None and anchor in self.anchors:
            first = self.anchors[anchor].start_mark.line + 1
            message = f"anchor '&{anchor}' is defined again (first at line {first}); later aliases refer to this one"
            self.reused.append((event.start_mark, message))
        self.levels += 1
        try:
            node = super().compose_node(parent, index)
        finally:
            self.levels -= 1
        if isinstance(node, ScalarNode) and isinstance(node.value, str) and _SURROGATE.search(node.value):
            # `"\ud800"` reads as a lone surrogate: no file, API or terminal can carry it as UTF-8.
            message = "a lone surrogate escape (\\ud800-\\udfff) is not a character: write the character itself"
            raise _Refused("invalid-value", message, node.start_mark)
        kind = _KIND_OF_TAG.get(node.tag)
        if kind is not None and not isinstance(node, kind):
            tag = "!!" + node.tag.removeprefix(core_schema.CORE)
            raise _Refused("unsupported-value", f"a YAML tag '{tag}' does not fit this value", node.start_mark)
        return node


_SURROGATE = re.compile("[\ud800-\udfff]")

# The node kind each tag of the YAML namespace belongs on (ruamel.yaml fails without a position otherwise).
_KIND_OF_TAG: dict[str, type] = {
    **{core_schema.CORE + t: ScalarNode for t in ("str", "int", "float", "bool", "null", "timestamp", "binary")},
    **{core_schema.CORE + t: SequenceNode for t in ("seq", "omap", "pairs")},
    **{core_schema.CORE + t: MappingNode for t in ("map", "set")},
}


class _Constructor(RoundTripConstructor):
    """Scalars by the YAML 1.2 core schema; keys that are not scalars refused, located."""

    def construct_core(self, node: Any) -> Any:
        if not isinstance(node, ScalarNode):
            raise _Refused(
                "unsupported-value", f"a YAML tag '{node.tag}' is not allowed on a collection", node.start_mark
            )
        try:
            return core_schema.CONSTRUCTORS[str(node.tag)](node.value)
        except core_schema.NotCore as exc:
            raise _Refused("invalid-value", str(exc), node.start_mark) from None

    def construct_timestamp(self, node: Any) -> NoReturn:
        raise _Refused("unsupported-value", "a YAML date is not allowed here; quote the value", node.start_mark)

    # (RoundTripConstructor's own signature differs from its base's; ruamel.yaml ignores that too.)
    def construct_mapping(self, node: Any, maptyp: Any, deep: bool = False) -> Any:  # type: ignore[override]
        for key_node, _ in node.value:
            if not isinstance(key_node, ScalarNode):
                raise _Refused("non-string-key", "mapping key is not a string; quote it", key_node.start_mark)
        return super().construct_mapping(node, maptyp, deep)


for _tag in (core_schema.INT, core_schema.FLOAT, core_schema.BOOL, core_schema.NULL):
    _Constructor.add_constructor(_tag, _Constructor.construct_core)
_Constructor.add_constructor(core_schema.TIMESTAMP, _Constructor.construct_timestamp)


def _yaml() -> Any:
    yaml = YAML(typ="rt")
    yaml.Resolver = _CoreResolver
    yaml.Composer = _Composer
    yaml.Constructor = _Constructor
    yaml.allow_duplicate_keys = False
    return yaml


# --- diagnostics ---------------------------------------------------------------------------


def _at(path: str, mark: Any) -> Location:
    return Location(path, mark.line + 1, mark.column + 1)


_LINE_BREAK = re.compile(r"\r\n|\r|\n")


def _at_index(path: str, text: str, index: int) -> Location:
    """The position of text[index], lines counted as the parser counts them (CR LF, CR or LF)."""
    index = max(0, min(index, len(text)))
    breaks = list(_LINE_BREAK.finditer(text, 0, index))
    start = breaks[-1].end() if breaks else 0
    return Location(path, len(breaks) + 1, index - start + 1)


def _reader_problem(path: str, text: str, exc: YAMLError) -> Diagnostic:
    """A character YAML does not allow (ruamel.yaml's ReaderError has an index, not a mark)."""
    where = _at_index(path, text, getattr(exc, "position", 0))
    character = getattr(exc, "character", None)
    if isinstance(character, int):
        return error(where, "yaml-syntax", f"character U+{character:04X} is not allowed in YAML")
    return error(where, "yaml-syntax", _one_line(str(exc)))


def _yaml_problem(path: str, exc: Any) -> Diagnostic:
    mark = exc.problem_mark or exc.context_mark
    where = _at(path, mark) if mark else Location(path)
    name = type(exc).__name__
    if name == "DuplicateKeyError":
        first = exc.context_mark
        seen = f" (first defined at line {first.line + 1})" if first else ""
        key = _one_line(str(exc.problem)).removeprefix("found duplicate key ")
        key = key.split(" with value")[0]
        return error(where, "duplicate-key", f"duplicate key {key}{seen}")
    message = " ".join(part for part in (exc.context, exc.problem) if part)
    if "'\\t'" in message:
        message += " (a tab; use spaces)"
    return error(where, "yaml-syntax", _one_line(message or name))


def _warning(path: str, message: Warning | str) -> Diagnostic:
    """Any other warning of the parser: its kind and position, never its text (it quotes the file)."""
    mark = getattr(message, "problem_mark", None) or getattr(message, "context_mark", None)
    where = _at(path, mark) if mark is not None else Location(path)
    kind = type(message).__name__ if isinstance(message, Warning) else "warning"
    return warning(where, "yaml-warning", f"the YAML parser warns ({kind})")


def _one_line(text: str) -> str:
    return " ".join(text.split())
