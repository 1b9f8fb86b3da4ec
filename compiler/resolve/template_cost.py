"""What a template's values and work cost, and the bounds they must stay within.

A template runs in every pre-commit hook and CI job, so none may run long, fill memory or
exhaust the stack, whatever it says. jinja2's sandbox stops attribute escapes; the sandbox
(resolve/template_sandbox.py, resolve/template_tree.py) bounds the rest with the measures here, each where the cost
arises, not by timing the render:

- size: every value a template makes (operators, `~`, filters, method calls) is measured
  before or right after it is made; a string, list or mapping may hold MAX_VALUE units
  (characters, items), an integer MAX_INT_BITS bits (`((10**64)**64)**64` is refused at
  the second `**`, before Python computes it);
- steps: loop iterations and calls share MAX_STEPS per render (three nested loops over
  `'x' * 10000` stop after MAX_STEPS); recursive loops are refused;
- output: everything a render writes, captured or not, counts against MAX_WRITTEN, and
  the result against MAX_RESULT;
- recursion: a template's source is at most MAX_SOURCE characters, its syntax tree at most
  MAX_DEPTH deep, and calls (macros) nest at most MAX_CALL_DEPTH deep.

Every bound raises TooCostly, which `templating` turns into `template-too-costly`.
This module does not import jinja2.
"""

from __future__ import annotations

from contextvars import ContextVar
from typing import Any

MAX_VALUE = 20_000
MAX_INT_BITS = 4096
MAX_STEPS = 100_000
MAX_WRITTEN = 100_000
MAX_RESULT = 10_000
MAX_SOURCE = 10_000
MAX_DEPTH = 64
MAX_CALL_DEPTH = 32


class TooCostly(Exception):
    """A template passed one of the bounds; the message says which."""


class Budget:
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


BUDGET: ContextVar[Budget] = ContextVar("template_budget")


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


def bounded(value: Any) -> Any:
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > MAX_INT_BITS:
        raise TooCostly(f"an integer larger than {MAX_INT_BITS} bits")
    if isinstance(value, (str, list, tuple, dict)) and cost(value) > MAX_VALUE:
        raise TooCostly(f"a value larger than {MAX_VALUE} characters or items")
    return value


def ensure(estimate: int, what: str) -> None:
    if estimate > MAX_VALUE:
        raise TooCostly(f"{what} larger than {MAX_VALUE} characters or items")


def binop_estimate(operator: str, left: Any, right: Any) -> None:
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
            ensure(cost(sequence) * max(times, 0), "a repetition")
    elif operator == "+" and isinstance(left, (str, list, tuple)) and type(left) is type(right):
        ensure(cost(left) + cost(right), "a concatenation")
    elif operator == "%" and isinstance(left, str):
        raise TooCostly("'%' string formatting (its width is unbounded); use '~'")


def ensure_replace(text: Any, old: Any, new: Any) -> None:
    if isinstance(text, str) and isinstance(old, str) and isinstance(new, str):
        hits = text.count(old) if old else len(text) + 1
        ensure(len(text) + hits * len(new), "a replacement")


def ensure_join(separator: Any, items: Any) -> None:
    if isinstance(items, (list, tuple, str, dict)):
        ensure(cost(items) + len(str(separator)) * len(items), "a join")
