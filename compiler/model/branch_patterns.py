"""Branch patterns matched in time linear in the branch name, whatever the pattern says.

Python's `re` backtracks: `(a+)+$` against a long run of `a`s and one `b` takes longer than
the universe, and no timeout can interrupt it inside the C matcher. A branch rule is
user input that runs in every CI job, so its `regex:` is parsed with Python's own parser
(the syntax stays Python's) and run here as a Thompson NFA: every step advances a set of
at most MAX_PROGRAM states by one character, so a match costs at most
len(branch) x MAX_PROGRAM steps. Globs are translated to the same machine.

Backreferences and conditionals need backtracking and are refused (`re.error`, so the
rule gets `invalid-regex`); lookarounds are evaluated by the same machine from the
position they stand at (memoised, so each runs at most once per position).
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable
from typing import Any

from compiler.model.frozen import field, frozen

if sys.version_info >= (3, 11):
    import re._compiler as _compiler
    import re._constants as _c
    import re._parser as _parser
else:  # pragma: no cover - Python 3.10
    import sre_compile as _compiler
    import sre_constants as _c
    import sre_parse as _parser

MAX_PROGRAM = 2_000  # NFA states of one pattern (a{1000}{1000} would be a million)
MAX_SOURCE = 1_000  # characters of one pattern

Predicate = Callable[[str], bool]


class _Ins:
    """One instruction of the NFA; a split's or a jump's targets are set once the code after it is."""

    __slots__ = ("check", "op", "pred", "targets")

    def __init__(
        self,
        op: str,  # "char", "split", "jmp", "assert", "look", "match"
        pred: Predicate | None = None,
        targets: tuple[int, ...] = (),
        check: Callable[[str, int], bool] | None = None,
    ) -> None:
        self.op, self.pred, self.targets, self.check = op, pred, targets, check


@frozen
class Matcher:
    """A compiled pattern: `fullmatch(text)` is True when the whole text matches."""

    pattern: str
    program: list[_Ins] = field(repr=False)

    def fullmatch(self, text: str) -> bool:
        return _run(self.program, 0, text, 0, whole=True)


def compile_regex(pattern: str) -> Matcher:
    """A linear-time matcher of a Python regular expression; re.error when unsupported."""
    if len(pattern) > MAX_SOURCE:
        raise re.error(f"longer than {MAX_SOURCE} characters")
    try:
        parsed = _parser.parse(pattern)
    except RecursionError:
        raise re.error("nested too deeply") from None
    builder = _Builder(parsed.state.flags)
    builder.emit(parsed.data, parsed.state.flags)
    builder.add(_Ins("match"))
    return Matcher(pattern, builder.program)


# --- compiling the parsed pattern to an NFA --------------------------------------------


class _Builder:
    def __init__(self, flags: int) -> None:
        self.program: list[_Ins] = []
        self.flags = flags

    def add(self, ins: _Ins) -> int:
        if len(self.program) >= MAX_PROGRAM:
            raise re.error(f"too large: more than {MAX_PROGRAM} states (lower the repetition counts)")
        self.program.append(ins)
        return len(self.program) - 1

    def emit(self, items: list[tuple[Any, Any]], flags: int) -> None:
        for op, av in items:
            self.emit_one(op, av, flags)

    def emit_one(self, op: Any, av: Any, flags: int) -> None:
        if op in (_c.LITERAL, _c.NOT_LITERAL, _c.ANY, _c.IN):
            self.add(_Ins("char", _predicate(op, av, flags)))
        elif op is _c.BRANCH:
            self.branch(av[1], flags)
        elif op is _c.SUBPATTERN:
            _, add_flags, del_flags, body = av
            self.emit(list(body), (flags | add_flags) & ~del_flags)
        elif op in (_c.MAX_REPEAT, _c.MIN_REPEAT):
            self.repeat(av[0], av[1], list(av[2]), flags)
        elif op is _c.AT:
            self.add(_Ins("assert", check=_anchor(av, flags)))
        elif op in (_c.ASSERT, _c.ASSERT_NOT):
            self.lookaround(av[0], list(av[1]), flags, negate=op is _c.ASSERT_NOT)
        elif op in (_c.GROUPREF, _c.GROUPREF_EXISTS):
            raise re.error("backreferences and conditionals are not supported in branch rules (they need backtracking)")
        else:
            raise re.error(f"{str(op).lower()} is not supported in branch rules")

    def branch(self, alternatives: list[Any], flags: int) -> None:
        jumps = []
        for i, alternative in enumerate(alternatives):
            if i < len(alternatives) - 1:
                split = self.add(_Ins("split"))
                self.emit(list(alternative), flags)
                jumps.append(self.add(_Ins("jmp")))
                self.program[split].targets = (split + 1, len(self.program))
            else:
                self.emit(list(alternative), flags)
        for jump in jumps:
            self.program[jump].targets = (len(self.program),)

    def repeat(self, least: int, most: int, body: list[Any], flags: int) -> None:
        for _ in range(least):
            self.emit(body, flags)
        if most is _c.MAXREPEAT:
            loop = self.add(_Ins("split"))
            self.emit(body, flags)
            self.add(_Ins("jmp", targets=(loop,)))
            self.program[loop].targets = (loop + 1, len(self.program))
            return
        splits = []
        for _ in range(most - least):
            splits.append(self.add(_Ins("split")))
            self.emit(body, flags)
        for split in splits:
            self.program[split].targets = (split + 1, len(self.program))

    def lookaround(self, direction: int, body: list[Any], flags: int, *, negate: bool) -> None:
        inner = _Builder(flags)
        inner.program = []
        inner.emit(body, flags)
        inner.add(_Ins("match"))
        if len(self.program) + len(inner.program) > MAX_PROGRAM:
            raise re.error(f"too large: more than {MAX_PROGRAM} states")
        program = inner.program
        if direction == 1:

            def check(text: str, pos: int) -> bool:
                return _run(program, 0, text, pos, whole=False) != negate

        else:
            width = _width(body)

            def check(text: str, pos: int) -> bool:
                found = pos >= width and _run(program, 0, text[pos - width : pos], 0, whole=True)
                return found != negate

        self.add(_Ins("look", check=_memoised(check)))


def _width(body: list[Any]) -> int:
    low, high = _parser.SubPattern(_parser.State(), body).getwidth()
    if low != high:
        raise re.error("look-behind requires fixed-width pattern")
    return int(low)


def _memoised(check: Callable[[str, int], bool]) -> Callable[[str, int], bool]:
    cache: dict[tuple[str, int], bool] = {}

    def memo(text: str, pos: int) -> bool:
        key = (text, pos)
        if key not in cache:
            if len(cache) > 4096:
                cache.clear()
            cache[key] = check(text, pos)
        return cache[key]

    return memo


# --- character classes and anchors, as Python's re reads them ---------------------------


def _predicate(op: Any, av: Any, flags: int) -> Predicate:
    """Whether one character matches one item (a literal, a class, `.`), answered by Python's
    own matcher compiled from the parsed item: the same answer as `re` for every character,
    case-insensitive matching included (its simple lower-casing plus the equivalences of
    re/_casefix.py, e.g. `(?i)i` and İ, `(?i)[a-z]` and ß). One character costs constant
    time: the item holds no repetition, so nothing backtracks."""
    if op is _c.ANY:
        return (lambda ch: True) if flags & _c.SRE_FLAG_DOTALL else (lambda ch: ch != "\n")
    state = _parser.State()
    state.flags = flags
    match = _compiler.compile(_parser.SubPattern(state, [(op, av)]), flags).fullmatch
    return lambda ch: match(ch) is not None


def _word(flags: int) -> Predicate:
    if flags & _c.SRE_FLAG_ASCII:
        return lambda ch: ch.isascii() and (ch.isalnum() or ch == "_")
    return lambda ch: ch.isalnum() or ch == "_"


def _anchor(at: Any, flags: int) -> Callable[[str, int], bool]:
    multiline = bool(flags & _c.SRE_FLAG_MULTILINE)
    word = _word(flags)

    def boundary(text: str, pos: int) -> bool:
        before = pos > 0 and word(text[pos - 1])
        after = pos < len(text) and word(text[pos])
        return before != after

    checks: dict[str, Callable[[str, int], bool]] = {
        "AT_BEGINNING": lambda t, p: p == 0 or (multiline and t[p - 1] == "\n"),
        "AT_BEGINNING_STRING": lambda t, p: p == 0,
        "AT_END": lambda t, p: p == len(t) or (t[p] == "\n" and (multiline or p == len(t) - 1)),
        "AT_END_STRING": lambda t, p: p == len(t),
        "AT_BOUNDARY": boundary,
        "AT_NON_BOUNDARY": lambda t, p: bool(t) and not boundary(t, p),
    }
    return checks[str(at)]


# --- running the NFA ---------------------------------------------------------------------


def _run(program: list[_Ins], start: int, text: str, pos: int, *, whole: bool) -> bool:
    """Whether the program matches text[pos:] (whole) or a prefix of it (not whole)."""
    states = _closure(program, {start}, text, pos)
    for i in range(pos, len(text)):
        if not whole and any(program[s].op == "match" for s in states):
            return True
        ch = text[i]
        moved = {s + 1 for s in states if program[s].op == "char" and program[s].pred(ch)}  # type: ignore[misc]
        if not moved:
            return False
        states = _closure(program, moved, text, i + 1)
    return any(program[s].op == "match" for s in states)


def _closure(program: list[_Ins], states: set[int], text: str, pos: int) -> set[int]:
    """The states reachable without consuming a character (zero-width checks at `pos`)."""
    seen: set[int] = set()
    pending = list(states)
    while pending:
        state = pending.pop()
        if state in seen:
            continue
        seen.add(state)
        ins = program[state]
        if ins.op in ("split", "jmp"):
            pending.extend(ins.targets)
        elif ins.op in ("assert", "look") and ins.check is not None and ins.check(text, pos):
            pending.append(state + 1)
    return {s for s in seen if program[s].op in ("char", "match")}
