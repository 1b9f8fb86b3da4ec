"""The Jinja sandbox of templated values: every cost bounded by construction (resolve/template_cost.py).

jinja2's sandbox stops attribute escapes; this environment measures every operator, call and
filter result, checks and rewrites each template's tree (resolve/template_tree.py), and allows only
macros and a fixed list of str/list/dict methods that cannot grow a value beyond the bounds
(no `ljust`, `center`, `format`, `zfill`).
This module imports jinja2: import it only when a template needs Jinja.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Generator
from typing import Any

from jinja2 import StrictUndefined, nodes
from jinja2.runtime import LoopContext, Macro
from jinja2.sandbox import ImmutableSandboxedEnvironment

from compiler.resolve.template_cost import (
    BUDGET,
    MAX_CALL_DEPTH,
    MAX_RESULT,
    MAX_SOURCE,
    Budget,
    TooCostly,
    binop_estimate,
    bounded,
    cost,
    ensure_join,
    ensure_replace,
)
from compiler.resolve.template_tree import HOOKS, check_depth, check_nesting, check_tags, rewritten

ALLOWED_FILTERS = (
    "capitalize", "default", "d", "first", "int", "join", "last", "length", "lower",
    "replace", "string", "title", "trim", "truncate", "upper",
)  # fmt: skip
_STR_METHODS = frozenset({
    "capitalize", "casefold", "count", "endswith", "find", "index", "isalnum", "isalpha", "isdigit",
    "islower", "isspace", "istitle", "isupper", "join", "lower", "lstrip", "partition", "removeprefix",
    "removesuffix", "replace", "rfind", "rindex", "rpartition", "rsplit", "rstrip", "split", "splitlines",
    "startswith", "strip", "swapcase", "title", "upper",
})  # fmt: skip
_METHODS: dict[type, frozenset[str]] = {
    str: _STR_METHODS,
    list: frozenset({"count", "index"}),
    tuple: frozenset({"count", "index"}),
    dict: frozenset({"get", "items", "keys", "values"}),
    LoopContext: frozenset({"cycle", "changed"}),
}


def render(source: str, variables: dict[str, Any]) -> str:
    """The template's result; raises TooCostly past a bound (and jinja2's own errors)."""
    token = BUDGET.set(Budget())
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
        BUDGET.reset(token)


# --- the environment -------------------------------------------------------------------


class _Sandbox(ImmutableSandboxedEnvironment):
    intercepted_binops = frozenset({"+", "-", "*", "/", "//", "%", "**"})

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        binop_estimate(operator, left, right)
        return bounded(super().call_binop(context, operator, left, right))

    def call(__self, __context: Any, __obj: Any, *args: Any, **kwargs: Any) -> Any:
        if not _callable(__obj):
            name = getattr(__obj, "__name__", type(__obj).__name__)
            raise TooCostly(f"calling '{name}' is not allowed in a template")
        _pre_check(__obj, args)
        budget = BUDGET.get()
        budget.step()
        budget.depth += 1
        try:
            if budget.depth > MAX_CALL_DEPTH:
                raise TooCostly(f"calls nested deeper than {MAX_CALL_DEPTH}")
            return bounded(super().call(__context, __obj, *args, **kwargs))
        finally:
            budget.depth -= 1

    def _parse(self, source: str, name: str | None, filename: str | None) -> nodes.Template:
        if len(source) > MAX_SOURCE:
            raise TooCostly(f"template longer than {MAX_SOURCE} characters")
        check_nesting(self, source)
        tree = super()._parse(source, name, filename)
        check_depth(tree)
        check_tags(tree)
        return rewritten(tree)


def _callable(obj: Any) -> bool:
    if isinstance(obj, Macro) or obj in HOOKS:
        return True
    owner = getattr(obj, "__self__", None)
    allowed = next((names for kind, names in _METHODS.items() if isinstance(owner, kind)), frozenset())
    return getattr(obj, "__name__", None) in allowed


def _pre_check(obj: Any, args: tuple[Any, ...]) -> None:
    """The methods whose result can be far larger than their inputs, estimated first."""
    owner = getattr(obj, "__self__", None)
    name = getattr(obj, "__name__", None)
    if isinstance(owner, str) and name == "replace" and len(args) >= 2:
        ensure_replace(owner, args[0], args[1])
    elif isinstance(owner, str) and name == "join" and args:
        ensure_join(owner, args[0])


def _bounded_filter(name: str, function: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(function)
    def filtered(*args: Any, **kwargs: Any) -> Any:
        plain = args[1:] if hasattr(function, "jinja_pass_arg") else args
        if name == "replace" and len(plain) >= 3:
            ensure_replace(*plain[:3])
        elif name == "join" and plain:
            ensure_join(plain[1] if len(plain) > 1 else kwargs.get("d", ""), plain[0])
        BUDGET.get().step(1 + cost(plain[0] if plain else None) // 1000)
        return bounded(function(*args, **kwargs))

    return filtered


@functools.lru_cache(maxsize=1)
def _environment() -> _Sandbox:
    env = _Sandbox(undefined=StrictUndefined, autoescape=False, keep_trailing_newline=True)
    env.globals.clear()
    env.filters = {name: _bounded_filter(name, env.filters[name]) for name in ALLOWED_FILTERS}
    env.tests = {name: env.tests[name] for name in ("defined", "undefined", "none", "string", "number")}
    return env
