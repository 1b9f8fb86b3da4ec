"""A template's syntax tree, checked and rewritten so that its work is charged as it runs.

Before parsing, bracket nesting (the parser recurses on it); after, the tree's depth; then
loops and macros charge their size per run, every piece written counts against the output
bound, and `~` measures its result. The rewritten template calls the hooks below by name.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any

from jinja2 import nodes

from compiler.resolve.template_cost import BUDGET, MAX_DEPTH, TooCostly, ensure


class Unsupported(Exception):
    """A tag that needs other templates (`include`, `import`, `from`, `extends`; `self`): a value has none."""


# A value is one string: there is no loader, so these tags could only fail (with a TypeError).
_LOADING_TAGS = ((nodes.Extends, "extends"), (nodes.Include, "include"), (nodes.Import, "import"), (nodes.FromImport, "from ... import"))  # fmt: skip


def check_tags(tree: nodes.Template) -> None:
    for kind, tag in _LOADING_TAGS:
        if any(True for _ in tree.find_all(kind)):
            raise Unsupported(f"'{{% {tag} %}}': a templated value cannot load other templates or files")
    if any(name.name == "self" for name in tree.find_all(nodes.Name)):
        raise Unsupported("'self' (the template's own blocks): a templated value is text, not a template to reuse")


def check_nesting(env: Any, source: str) -> None:
    """Bracket nesting, from the tokens (the parser recurses on it), before parsing."""
    depth = 0
    for _, kind, value in env.lex(source):
        if kind == "operator" and value in "([{":
            depth += 1
            if depth > MAX_DEPTH:
                raise TooCostly(f"brackets nested deeper than {MAX_DEPTH} levels")
        elif kind == "operator" and value in ")]}":
            depth -= 1


def check_depth(tree: nodes.Node) -> None:
    pending: list[tuple[nodes.Node, int]] = [(tree, 0)]
    while pending:
        node, depth = pending.pop()
        if depth > MAX_DEPTH:
            raise TooCostly(f"nested deeper than {MAX_DEPTH} levels")
        pending.extend((child, depth + 1) for child in node.iter_child_nodes())


def rewritten(tree: nodes.Template) -> nodes.Template:
    """Loops and macros charge their work, everything written its size, `~` its result."""
    for loop in tree.find_all(nodes.For):
        if loop.recursive:
            raise TooCostly("recursive loops are not allowed in a template")
        loop.iter = _call(_iterate, loop.iter)
    blocks: list[nodes.For | nodes.Macro | nodes.CallBlock] = [
        *tree.find_all(nodes.For), *tree.find_all(nodes.Macro), *tree.find_all(nodes.CallBlock)
    ]  # fmt: skip
    for block in blocks:
        size = len(block.body) + sum(1 for statement in block.body for _ in statement.find_all(nodes.Node))
        block.body.insert(0, nodes.ExprStmt(_call(_charge, nodes.Const(size))))
    for output in tree.find_all(nodes.Output):
        # Every piece, literal or not: a constant would otherwise be folded in uncounted.
        output.nodes = [
            _call(_write, nodes.Const(n.data) if isinstance(n, nodes.TemplateData) else n) for n in output.nodes
        ]
    for parent in tree.find_all(nodes.Node):
        for field in parent.fields:
            child = getattr(parent, field)
            if isinstance(child, nodes.Concat):
                setattr(parent, field, _call(_concat, nodes.List(child.nodes)))
            elif isinstance(child, list):
                setattr(
                    parent,
                    field,
                    [_call(_concat, nodes.List(c.nodes)) if isinstance(c, nodes.Concat) else c for c in child],
                )
    return tree


def _call(function: Callable[..., Any], argument: nodes.Node) -> nodes.Call:
    return nodes.Call(nodes.ImportedName(f"{__name__}.{function.__name__}"), [argument], [], None, None)


def _iterate(iterable: Iterable[Any]) -> Iterator[Any]:
    budget = BUDGET.get()
    for item in iterable:
        budget.step()
        yield item


def _charge(size: int) -> None:
    BUDGET.get().step(size)


def _write(value: Any) -> str:
    """Every piece a render writes, in the result or captured by `set` or a macro."""
    text = value if isinstance(value, str) else str(value)
    BUDGET.get().write(len(text))
    return text


def _concat(parts: list[Any]) -> str:
    texts = [p if isinstance(p, str) else str(p) for p in parts]
    ensure(sum(map(len, texts)), "a '~' concatenation")
    return "".join(texts)


# The functions a rewritten template calls (the sandbox lets it).
HOOKS: tuple[Callable[..., Any], ...] = (_iterate, _charge, _write, _concat)
