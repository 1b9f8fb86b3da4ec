"""The round-trip tree of the careful route: plain data from it, within bounds, and positions in it."""

from __future__ import annotations

from typing import Any

from compiler.diagnostics import Diagnostic, Location, error
from compiler.limits import MAX_DEPTH, MAX_NODES
from compiler.load import core_schema

YPath = tuple[str | int, ...]


def plain(path: str, tree: Any) -> tuple[Any, list[Diagnostic]]:
    """The tree as plain data (dicts with str keys, lists, str, int, float, bool, None), or problems."""
    converter = _Plain(path)
    data = converter.convert(tree, (), tree, 0)
    return data, converter.problems


class _Plain:
    """Converts a round-trip tree to plain data, enforcing depth and alias-expansion bounds."""

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
            name = _key_text(key)
            if name is None:
                shown = f"with tag '{_custom_tag(key)}'" if _custom_tag(key) else repr(key)
                self._fail(root, ypath, "non-string-key", f"mapping key {shown} is not a string; quote it")
                return None
            if name in result:  # `!!str a` and `a` are one key to every later stage
                self._fail(root, (*ypath, key), "duplicate-key", f'duplicate key "{name}"')
                return None
            result[name] = self.convert(child, (*ypath, key), root, depth + 1)
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
        if tag == core_schema.STR:
            return str(node.value)  # `!!str 3.1`: an explicit string, as good as quoting
        what = f"tag '{tag}'" if tag else type(node).__name__
        return self._fail(root, ypath, "unsupported-value", f"a YAML {what} is not allowed here; quote the value")

    def _fail(self, root: Any, ypath: YPath, code: str, message: str) -> Any:
        """Record a problem; returns None, the stand-in value, so callers can `return self._fail(...)`."""
        self.problems.append(error(locate_tree(self.path, root, ypath, "value"), code, message))
        return None


def _key_text(key: Any) -> str | None:
    """A key as plain str (an anchored key is a ruamel str subclass; `!!str 1` a tagged scalar), or None."""
    if isinstance(key, str):
        return str(key)
    return str(key.value) if _custom_tag(key) == core_schema.STR else None


def _custom_tag(node: Any) -> str | None:
    """The explicit tag of a node the round-trip loader kept as is (`!custom`, `!!python/...`).

    ruamel.yaml keeps unknown tags on the node instead of refusing them; the plain data
    would silently drop the tag, so such nodes are reported instead.
    """
    tag = getattr(getattr(node, "tag", None), "value", None)
    return tag if isinstance(tag, str) else None


# --- positions -----------------------------------------------------------------------------


def locate_tree(path: str, tree: Any, ypath: YPath, at: str) -> Location:
    """The file:line:column of the key or value at ypath in a round-trip tree, or of its nearest ancestor."""
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
