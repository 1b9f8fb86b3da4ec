"""The Jinja sandbox of templated values, with every cost bounded by construction.

A template runs in every pre-commit hook and CI job, so none may run long, fill memory or
exhaust the stack, whatever it says. jinja2's sandbox stops attribute escapes; this module
bounds the rest, each where the cost arises, not by timing the render:

- size: every value a template makes (operators, `~`, filters, method calls) is measured
  before or right after it is made; a string, list or mapping may hold MAX_VALUE units
  (characters, items), an integer MAX_INT_BITS bits (`((10**64)**64)**64` is refused at
  the second `**`, before Python computes it);
- steps: loop iterations and calls share MAX_STEPS per render (three nested loops over
  `'x' * 10000` stop after MAX_STEPS); recursive loops are refused;
- output: everything a render writes, captured or not, counts against MAX_WRITTEN, and
  the result against MAX_RESULT;
- recursion: a template's source is at most MAX_SOURCE characters, its syntax tree at most
  MAX_DEPTH deep, and calls (macros) nest at most MAX_CALL_DEPTH deep;
- calls: only macros and a fixed list of str/list/dict methods that cannot grow a value
  beyond the bounds (no `ljust`, `center`, `format`, `zfill`).

Every bound raises TooCostly, which `templating` turns into `template-too-costly`.
This module imports jinja2: import it only when a template needs Jinja.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Generator, Iterable, Iterator
from contextvars import ContextVar
from typing import Any

from jinja2 import StrictUndefined, nodes
from jinja2.runtime import LoopContext, Macro
from jinja2.sandbox import ImmutableSandboxedEnvironment

MAX_VALUE = 20_000
MAX_INT_BITS = 4096
MAX_STEPS = 100_000
MAX_WRITTEN = 100_000
MAX_RESULT = 10_000
MAX_SOURCE = 10_000
MAX_DEPTH = 64
MAX_CALL_DEPTH = 32

ALLOWED_FILTERS = (
    "capitalize", "default", "d", "first", "int", "join", "last", "length", "lower",
    "replace", "string", "title", "trim", "truncate", "upper",
)  # fmt: skip
_METHODS: dict[type, frozenset[str]] = {
    str: frozenset(
        [
            "capitalize",
            "casefold",
            "count",
            "endswith",
            "find",
            "index",
            "isalnum",
            "isalpha",
            "isdigit",
            "islower",
            "isspace",
            "istitle",
            "isupper",
            "join",
            "lower",
            "lstrip",
            "partition",
            "removeprefix",
            "removesuffix",
            "replace",
            "rfind",
            "rindex",
            "rpartition",
            "rsplit",
            "rstrip",
            "split",
            "splitlines",
            "startswith",
            "strip",
            "swapcase",
            "title",
            "upper",
        ]
    ),
    list: frozenset({"count", "index"}),
    tuple: frozenset({"count", "index"}),
    dict: frozenset({"get", "items", "keys", "values"}),
    LoopContext: frozenset({"cycle", "changed"}),
}


class TooCostly(Exception):
    """A template passed one of the bounds; the message says which."""


class Unsupported(Exception):
    """A tag that needs other templates (`include`, `import`, `from`, `extends`; `self`): a value has none."""


# A value is one string: there is no loader, so these tags could only fail (with a TypeError).
_LOADING_TAGS = ((nodes.Extends, "extends"), (nodes.Include, "include"), (nodes.Import, "import"), (nodes.FromImport, "from ... import"))  # fmt: skip


class _Budget:
    def __init__(self) -> None:
        self.steps = 0
        self.written = 0
        self.depth = 0

    def step(self, weight: int = 1) -> None:
        self.steps += weight
        if self.steps > MAX_STEPS:
            raise TooCostly(f"more than {MAX_STEPS} steps (loop iterations and calls, weighted by their size)")

    def write(self, size: int) -> None:
        self.written += size
        if self.written > MAX_WRITTEN:
            raise TooCostly(f"writes more than {MAX_WRITTEN} characters")


_BUDGET: ContextVar[_Budget] = ContextVar("template_budget")


def render(source: str, variables: dict[str, Any]) -> str:
    """The template's result; raises TooCostly past a bound (and jinja2's own errors)."""
    token = _BUDGET.set(_Budget())
    try:
        chunks: list[str] = []
        size = 0
        stream: Generator[str, None, None] = _environment().from_string(source).generate(variables)  # type: ignore[assignment]
        try:
            for chunk in stream:
                size += len(chunk)
                if size > MAX_RESULT:
                    raise TooCostly(f"output longer than {MAX_RESULT} characters")
                chunks.append(chunk)
        finally:
            stream.close()
        return "".join(chunks)
    except (RecursionError, SyntaxError):
        # The parser and compilers recurse: Python's own limits (recursion depth, 20 nested
        # blocks) bound them, and are reported here like the other bounds.
        raise TooCostly("nested too deeply") from None
    finally:
        _BUDGET.reset(token)


# --- measuring values ------------------------------------------------------------------


def cost(value: Any, limit: int = MAX_VALUE) -> int:
    """Characters and items in `value`, counted until `limit` is passed (then limit + 1)."""
    total = 0
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            total += len(item)
        elif isinstance(item, dict):
            total += len(item)
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, (list, tuple)):
            total += len(item)
            pending.extend(item)
        else:
            total += 1
        if total > limit:
            return limit + 1
    return total


def _bounded(value: Any) -> Any:
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > MAX_INT_BITS:
        raise TooCostly(f"an integer larger than {MAX_INT_BITS} bits")
    if isinstance(value, (str, list, tuple, dict)) and cost(value) > MAX_VALUE:
        raise TooCostly(f"a value larger than {MAX_VALUE} characters or items")
    return value


def _ensure(estimate: int, what: str) -> None:
    if estimate > MAX_VALUE:
        raise TooCostly(f"{what} larger than {MAX_VALUE} characters or items")


def _binop_estimate(operator: str, left: Any, right: Any) -> None:
    """Refuse an operation whose result would pass a bound, before Python computes it."""
    ints = all(isinstance(x, int) for x in (left, right))
    if operator == "**" and ints and right > 0:
        if left not in (0, 1, -1) and max(abs(left).bit_length() - 1, 1) * right > MAX_INT_BITS:
            raise TooCostly(f"a power larger than {MAX_INT_BITS} bits")
    elif operator == "*" and ints:
        if abs(left).bit_length() + abs(right).bit_length() > MAX_INT_BITS + 1:
            raise TooCostly(f"a product larger than {MAX_INT_BITS} bits")
    elif operator == "*":
        sequence, times = (left, right) if isinstance(right, int) else (right, left)
        if isinstance(times, int) and isinstance(sequence, (str, list, tuple)):
            _ensure(cost(sequence) * max(times, 0), "a repetition")
    elif operator == "+" and isinstance(left, (str, list, tuple)) and type(left) is type(right):
        _ensure(cost(left) + cost(right), "a concatenation")
    elif operator == "%" and isinstance(left, str):
        raise TooCostly("'%' string formatting (its width is unbounded); use '~'")


# --- the environment -------------------------------------------------------------------


class _Sandbox(ImmutableSandboxedEnvironment):
    intercepted_binops = frozenset({"+", "-", "*", "/", "//", "%", "**"})

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        _binop_estimate(operator, left, right)
        return _bounded(super().call_binop(context, operator, left, right))

    def call(__self, __context: Any, __obj: Any, *args: Any, **kwargs: Any) -> Any:
        if not _callable(__obj):
            name = getattr(__obj, "__name__", type(__obj).__name__)
            raise TooCostly(f"calling '{name}' is not allowed in a template")
        _pre_check(__obj, args)
        budget = _BUDGET.get()
        budget.step()
        budget.depth += 1
        try:
            if budget.depth > MAX_CALL_DEPTH:
                raise TooCostly(f"calls nested deeper than {MAX_CALL_DEPTH}")
            return _bounded(super().call(__context, __obj, *args, **kwargs))
        finally:
            budget.depth -= 1

    def _parse(self, source: str, name: str | None, filename: str | None) -> nodes.Template:
        if len(source) > MAX_SOURCE:
            raise TooCostly(f"template longer than {MAX_SOURCE} characters")
        _check_nesting(self, source)
        tree = super()._parse(source, name, filename)
        _check_depth(tree)
        _check_tags(tree)
        return _rewritten(tree)


def _callable(obj: Any) -> bool:
    if isinstance(obj, Macro) or obj in (_iterate, _charge, _write, _concat):
        return True
    owner = getattr(obj, "__self__", None)
    allowed = next((names for kind, names in _METHODS.items() if isinstance(owner, kind)), frozenset())
    return getattr(obj, "__name__", None) in allowed


def _pre_check(obj: Any, args: tuple[Any, ...]) -> None:
    """The methods whose result can be far larger than their inputs, estimated first."""
    owner = getattr(obj, "__self__", None)
    name = getattr(obj, "__name__", None)
    if isinstance(owner, str) and name == "replace" and len(args) >= 2:
        _ensure_replace(owner, args[0], args[1])
    elif isinstance(owner, str) and name == "join" and args:
        _ensure_join(owner, args[0])


def _ensure_replace(text: Any, old: Any, new: Any) -> None:
    if isinstance(text, str) and isinstance(old, str) and isinstance(new, str):
        hits = text.count(old) if old else len(text) + 1
        _ensure(len(text) + hits * len(new), "a replacement")


def _ensure_join(separator: Any, items: Any) -> None:
    if isinstance(items, (list, tuple, str, dict)):
        _ensure(cost(items) + len(str(separator)) * len(items), "a join")


def _check_nesting(env: Any, source: str) -> None:
    """Bracket nesting, from the tokens (the parser recurses on it), before parsing."""
    depth = 0
    for _, kind, value in env.lex(source):
        if kind == "operator" and value in "([{":
            depth += 1
            if depth > MAX_DEPTH:
                raise TooCostly(f"brackets nested deeper than {MAX_DEPTH} levels")
        elif kind == "operator" and value in ")]}":
            depth -= 1


def _check_depth(tree: nodes.Node) -> None:
    pending: list[tuple[nodes.Node, int]] = [(tree, 0)]
    while pending:
        node, depth = pending.pop()
        if depth > MAX_DEPTH:
            raise TooCostly(f"nested deeper than {MAX_DEPTH} levels")
        pending.extend((child, depth + 1) for child in node.iter_child_nodes())


def _check_tags(tree: nodes.Template) -> None:
    for kind, tag in _LOADING_TAGS:
        if any(True for _ in tree.find_all(kind)):
            raise Unsupported(f"'{{% {tag} %}}': a templated value cannot load other templates or files")
    if any(name.name == "self" for name in tree.find_all(nodes.Name)):
        raise Unsupported("'self' (the template's own blocks): a templated value is text, not a template to reuse")


def _rewritten(tree: nodes.Template) -> nodes.Template:
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
    budget = _BUDGET.get()
    for item in iterable:
        budget.step()
        yield item


def _charge(size: int) -> None:
    _BUDGET.get().step(size)


def _write(value: Any) -> str:
    """Every piece a render writes, in the result or captured by `set` or a macro."""
    text = value if isinstance(value, str) else str(value)
    _BUDGET.get().write(len(text))
    return text


def _concat(parts: list[Any]) -> str:
    texts = [p if isinstance(p, str) else str(p) for p in parts]
    _ensure(sum(map(len, texts)), "a '~' concatenation")
    return "".join(texts)


def _bounded_filter(name: str, function: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(function)
    def bounded(*args: Any, **kwargs: Any) -> Any:
        plain = args[1:] if hasattr(function, "jinja_pass_arg") else args
        if name == "replace" and len(plain) >= 3:
            _ensure_replace(*plain[:3])
        elif name == "join" and plain:
            _ensure_join(plain[1] if len(plain) > 1 else kwargs.get("d", ""), plain[0])
        _BUDGET.get().step(1 + cost(plain[0] if plain else None) // 1000)
        return _bounded(function(*args, **kwargs))

    return bounded


@functools.lru_cache(maxsize=1)
def _environment() -> _Sandbox:
    env = _Sandbox(undefined=StrictUndefined, autoescape=False, keep_trailing_newline=True)
    env.globals.clear()
    env.filters = {name: _bounded_filter(name, env.filters[name]) for name in ALLOWED_FILTERS}
    env.tests = {name: env.tests[name] for name in ("defined", "undefined", "none", "string", "number")}
    return env
