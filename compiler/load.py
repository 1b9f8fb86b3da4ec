"""YAML documents of environments/ with positions, within hostile-input limits.

A document keeps the ruamel.yaml round-trip tree (for positions) beside a plain copy of
its data (dicts, lists, str, int, float, bool, None) that every later stage reads.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Literal

from .diagnostics import Diagnostic, Location, error, warning
from .sources import DEPLOYMENTS_DIR, MAX_FILE_BYTES, WORKSPACE_FILE, SourceFile, too_large

# Bounds on hostile input (documented in the README, section "Limits"; files: sources.py).
MAX_DEPTH = 64
MAX_NODES = 1_000_000  # per file, counting every alias expansion

Kind = Literal["workspace", "deployment", "objects"]
YPath = tuple[str | int, ...]


@dataclass(frozen=True)
class Document:
    path: str
    kind: Kind
    data: Any
    text: str = field(default="", repr=False, compare=False)

    @cached_property
    def tree(self) -> Any:
        """The round-trip tree with positions, parsed only when a position is asked for.

        (cached_property stores into __dict__ directly, which a frozen dataclass allows.)
        """
        parsed = _parse_yaml(self.path, self.text) if self.text else None
        return {} if parsed is None or isinstance(parsed, Diagnostic) else parsed

    def locate(self, ypath: YPath, *, at: Literal["key", "value"] = "value") -> Location:
        return locate(self, ypath, at=at)


def kind_of(path: str) -> Kind:
    if path == WORKSPACE_FILE:
        return "workspace"
    if path.startswith(DEPLOYMENTS_DIR):
        return "deployment"
    return "objects"


# --- parsing -------------------------------------------------------------------------


def load_documents(sources: Iterable[SourceFile]) -> tuple[list[Document], list[Diagnostic]]:
    """Parse every source; return the documents that parsed and every problem found."""
    documents: list[Document] = []
    problems: list[Diagnostic] = []
    for source in sources:
        if source.problem is not None:
            problems.append(source.problem)
            continue
        assert source.data is not None
        document, found = parse_document(source.path, source.data)
        problems.extend(found)
        if document is not None:
            documents.append(document)
    return documents, problems


def parse_document(path: str, data: bytes) -> tuple[Document | None, list[Diagnostic]]:
    if len(data) > MAX_FILE_BYTES:
        return None, [too_large(path, len(data))]
    text_or_problem = _decode(path, data)
    if isinstance(text_or_problem, Diagnostic):
        return None, [text_or_problem]
    text = text_or_problem
    deep = _flow_depth_problem(path, text)
    if deep is not None:
        return None, [deep]
    fast = _fast_document(path, text)
    if fast is not None:
        return fast, []
    # The careful route: the round-trip parser, whose errors and positions are the ones we report.
    tree_or_problem = _parse_yaml(path, text)
    if isinstance(tree_or_problem, Diagnostic):
        return None, [tree_or_problem]
    tree = tree_or_problem
    kind = kind_of(path)
    if tree is None:
        if kind != "objects":
            # Not checked further: its schema would only repeat that every key is missing.
            return None, [error(Location(path), "empty-file", "file is empty")]
        return Document(path, kind, {}), [warning(Location(path), "empty-file", "file is empty")]
    converter = _Plain(path)
    plain = converter.convert(tree, (), tree, 0)
    if converter.problems:
        return None, converter.problems
    return Document(path, kind, plain, text), []


def _fast_document(path: str, text: str) -> Document | None:
    """The document through the fast route (fastyaml.py), or None: take the careful route.

    The round-trip parser is several times slower and is only needed for positions, so
    a file read here keeps its text and is re-parsed with positions only if a diagnostic
    or `explain` asks. Anything unusual takes the careful route, so every diagnostic
    comes from one parser.
    """
    from .fastyaml import plain_data

    data = plain_data(text)
    return None if data is None else Document(path, kind_of(path), data, text)


def _decode(path: str, data: bytes) -> str | Diagnostic:
    if b"\x00" in data:
        return error(Location(path), "binary-file", "file is binary (contains NUL bytes), not YAML")
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        before = data[: exc.start]
        line = before.count(b"\n") + 1
        # Columns count characters, as the YAML parser's do; the bytes before the first
        # invalid one are valid UTF-8.
        column = len(before[before.rfind(b"\n") + 1 :].decode("utf-8")) + 1
        return error(Location(path, line, column), "not-utf8", "file is not valid UTF-8")


_FLOW_CHARS = re.compile(r"[\[\]{}\"']")


def _flow_depth_problem(path: str, text: str) -> Diagnostic | None:
    """Catch absurd [[[...]]] / {{{...}}} nesting before the recursive parser sees it."""
    if text.count("[") + text.count("{") <= MAX_DEPTH:
        return None
    depth = 0
    quote = ""
    for match in _FLOW_CHARS.finditer(text):  # only the characters that matter, not every one
        char = match.group()
        if quote:
            quote = "" if char == quote else quote
        elif char in "\"'" and depth:
            quote = char
        elif char in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                at = match.start()
                line, column = text.count("\n", 0, at) + 1, at - text.rfind("\n", 0, at)
                return error(Location(path, line, column), "too-deep", f"nesting deeper than {MAX_DEPTH} levels")
        elif char in "]}":
            depth = max(0, depth - 1)
    return None


def _parse_yaml(path: str, text: str) -> Any:
    from ruamel.yaml import YAML
    from ruamel.yaml.error import MarkedYAMLError, YAMLError

    yaml = YAML(typ="rt")
    yaml.allow_duplicate_keys = False
    try:
        return yaml.load(text)
    except MarkedYAMLError as exc:
        return _yaml_problem(path, exc)
    except YAMLError as exc:
        return error(Location(path), "yaml-syntax", _one_line(str(exc)))
    except RecursionError:
        return error(Location(path), "too-deep", f"nesting deeper than {MAX_DEPTH} levels")


def _yaml_problem(path: str, exc: Any) -> Diagnostic:
    mark = exc.problem_mark or exc.context_mark
    where = Location(path, mark.line + 1, mark.column + 1) if mark else Location(path)
    name = type(exc).__name__
    if name == "DuplicateKeyError":
        first = exc.context_mark
        seen = f" (first defined at line {first.line + 1})" if first else ""
        key = _one_line(str(exc.problem)).removeprefix("found duplicate key ")
        key = key.split(" with value")[0]
        return error(where, "duplicate-key", f"duplicate key {key}{seen}")
    message = " ".join(part for part in (exc.context, exc.problem) if part)
    return error(where, "yaml-syntax", _one_line(message or name))


def _one_line(text: str) -> str:
    return " ".join(text.split())


class _Plain:
    """Converts a ruamel tree to plain data, enforcing depth and alias-expansion bounds."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.nodes = 0
        self.problems: list[Diagnostic] = []
        self.memo: dict[int, tuple[Any, int]] = {}

    def convert(self, node: Any, ypath: YPath, root: Any, depth: int) -> Any:
        if self.problems:
            return None
        if depth > MAX_DEPTH:
            return self._fail(root, ypath, "too-deep", f"nesting deeper than {MAX_DEPTH} levels")
        if isinstance(node, (dict, list)):
            tag = _custom_tag(node)
            if tag is not None:
                return self._fail(root, ypath, "unsupported-value", f"a YAML tag '{tag}' is not allowed here")
            return self._container(node, ypath, root, depth)
        self.nodes += 1
        return self._scalar(node, ypath, root)

    def _container(self, node: Any, ypath: YPath, root: Any, depth: int) -> Any:
        cached = self.memo.get(id(node))
        if cached is not None:
            # An alias: count its whole expansion again without copying it again.
            value, size = cached
            self.nodes += size
            if self.nodes > MAX_NODES:
                return self._fail(root, ypath, "alias-bomb", f"aliases expand to more than {MAX_NODES} values")
            return value
        start = self.nodes
        value = (
            self._mapping(node, ypath, root, depth) if isinstance(node, dict) else self._list(node, ypath, root, depth)
        )
        self.memo[id(node)] = (value, self.nodes - start)
        return value

    def _mapping(self, node: dict[Any, Any], ypath: YPath, root: Any, depth: int) -> dict[str, Any] | None:
        self.nodes += 1
        result: dict[str, Any] = {}
        for key, child in node.items():
            if not isinstance(key, str):
                self._fail(root, ypath, "non-string-key", f"mapping key {key!r} is not a string; quote it")
                return None
            # str(): an anchored key is a ruamel str subclass; later stages see plain str.
            result[str(key)] = self.convert(child, (*ypath, key), root, depth + 1)
        return result

    def _list(self, node: list[Any], ypath: YPath, root: Any, depth: int) -> list[Any]:
        self.nodes += 1
        return [self.convert(child, (*ypath, i), root, depth + 1) for i, child in enumerate(node)]

    def _scalar(self, node: Any, ypath: YPath, root: Any) -> Any:
        if node is None or isinstance(node, bool):
            return node
        if isinstance(node, str):
            return str(node)
        if isinstance(node, int):
            return bool(node) if type(node).__name__ == "ScalarBoolean" else int(node)
        if isinstance(node, float):
            if node != node or node in (float("inf"), float("-inf")):
                return self._fail(root, ypath, "invalid-value", "NaN and infinity are not allowed")
            return float(node)
        tag = _custom_tag(node)
        if tag == _STR_TAG:
            return str(node.value)  # `!!str 3.1`: an explicit string, as good as quoting
        what = f"tag '{tag}'" if tag else type(node).__name__
        return self._fail(root, ypath, "unsupported-value", f"a YAML {what} is not allowed here; quote the value")

    def _fail(self, root: Any, ypath: YPath, code: str, message: str) -> Any:
        """Record a problem; returns None, the stand-in value, so callers can `return self._fail(...)`."""
        self.problems.append(error(_locate_tree(self.path, root, ypath, "value"), code, message))
        return None


_STR_TAG = "tag:yaml.org,2002:str"


def _custom_tag(node: Any) -> str | None:
    """The explicit tag of a node the round-trip loader kept as is (`!custom`, `!!python/...`).

    ruamel.yaml keeps unknown tags on the node instead of refusing them; the plain data
    would silently drop the tag, so such nodes are reported instead.
    """
    tag = getattr(getattr(node, "tag", None), "value", None)
    return tag if isinstance(tag, str) else None


# --- positions -----------------------------------------------------------------------


def locate(document: Document, ypath: YPath, *, at: Literal["key", "value"] = "value") -> Location:
    """The file:line:column of the key or value at ypath, or of its nearest ancestor."""
    return _locate_tree(document.path, document.tree, ypath, at)


def _locate_tree(path: str, tree: Any, ypath: YPath, at: str) -> Location:
    best = (0, 0)
    node = tree
    for depth, step in enumerate(ypath):
        position = _position(node, step, at if depth == len(ypath) - 1 else "key")
        if position is None:
            break
        best = position
        try:
            node = node[step]
        except (KeyError, IndexError, TypeError):
            break
    else:
        if not ypath:
            best = _own_position(tree)
    return Location(path, best[0] + 1, best[1] + 1)


def _position(node: Any, step: str | int, at: str) -> tuple[int, int] | None:
    lc = getattr(node, "lc", None)
    if lc is None:
        return None
    try:
        position = lc.item(step) if isinstance(step, int) else lc.value(step) if at == "value" else lc.key(step)
        return (position[0], position[1])
    except (KeyError, IndexError, TypeError):
        return None


def _own_position(tree: Any) -> tuple[int, int]:
    lc = getattr(tree, "lc", None)
    return (lc.line, lc.col) if lc is not None and lc.line is not None else (0, 0)


def iter_leaves(value: Any, ypath: YPath = ()) -> Iterator[tuple[YPath, Any]]:
    """Every leaf (anything but a mapping or a list) of nested data, with its path."""
    if isinstance(value, Mapping):
        for key, child in value.items():
            yield from iter_leaves(child, (*ypath, key))
    elif isinstance(value, (list, tuple)):
        for i, child in enumerate(value):
            yield from iter_leaves(child, (*ypath, i))
    else:
        yield ypath, value


def iter_strings(value: Any, ypath: YPath = ()) -> Iterator[tuple[YPath, str]]:
    """Every string leaf of plain data with its path."""
    return ((path, leaf) for path, leaf in iter_leaves(value, ypath) if isinstance(leaf, str))
