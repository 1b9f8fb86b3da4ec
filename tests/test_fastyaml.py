"""The fast route reads what the careful route reads, or leaves the file to it.

The careful route (the round-trip parser and its conversion to plain data) is the oracle:
whenever the fast route returns data, it must be the careful route's data with the same
types (`1`, `1.0` and `true` are told apart) and the same key order, and the careful route
must find no problem in the file.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from conftest import EXAMPLE, REPO
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from compiler.diagnostics import Diagnostic
from compiler.fastyaml import plain_data
from compiler.load import _parse_yaml, _Plain

PATH = "environments/x.yaml"


def typed(value: Any) -> Any:
    """The value with every type spelled out, and dicts as key-ordered lists."""
    if isinstance(value, dict):
        return ("dict", [(typed(k), typed(v)) for k, v in value.items()])
    if isinstance(value, list):
        return ("list", [typed(v) for v in value])
    return (type(value).__name__, value)


def careful(text: str) -> tuple[Any, bool]:
    """The careful route's plain data, and whether it found a problem."""
    tree = _parse_yaml(PATH, text)
    if isinstance(tree, Diagnostic):
        return None, True
    converter = _Plain(PATH)
    data = converter.convert(tree, (), tree, 0)
    return data, bool(converter.problems)


def assert_agree(text: str) -> Any:
    fast = plain_data(text)
    if fast is not None:
        data, problem = careful(text)
        assert not problem, f"the fast route read a file the careful route rejects: {text!r}"
        assert typed(fast) == typed(data), text
    return fast


# --- the corpus ----------------------------------------------------------------------------

CORPUS = sorted(
    p
    for base in (REPO / "tests" / "cases", EXAMPLE)
    for p in base.rglob("*.y*ml")
    if p.is_file() and not p.is_symlink() and p.stat().st_size < 100_000
)


@pytest.mark.parametrize("path", CORPUS, ids=lambda p: p.relative_to(REPO).as_posix())
def test_the_corpus_reads_the_same_on_both_routes(path: Path) -> None:
    assert_agree(path.read_bytes().decode("utf-8", errors="replace").removeprefix("\ufeff"))


def test_the_fast_route_reads_the_shipped_example() -> None:
    """Without this, the comparisons would pass if the fast route never ran."""
    files = sorted(EXAMPLE.rglob("*.yaml"))
    assert files
    for path in files:
        assert plain_data(path.read_text(encoding="utf-8")) is not None, path


# --- what the fast route reads itself, and what it leaves --------------------------------

READ = [
    "a: yes\nb: no\nc: on\n",  # YAML 1.2: strings
    "a: 010\nb: 0o10\nc: 0x1F\nd: 0b11\ne: 1_000\nf: -7\ng: +3\nh: 0\n",
    "a: .5\nb: 1e3\nc: -1.5E-2\nd: 1_000.5\ne: 6.0\n",
    "a: true\nb: False\nc: TRUE\n",
    "a: ~\nb: null\nc: Null\nd:\ne: NULL\n",
    "a: !!str 3\nb: !!int '7'\nc: !!float '1'\nd: !!bool 'yes'\ne: !!null ''\n",
    "a: '1'\nb: \"true\"\nc: 'null'\n",
    "a: &x [1, {b: c}]\nd: *x\ne: *x\n",
    "- &k key\n- {*k : 1}\n",
    "a: |\n  line 1\n  line 2\nb: >-\n  folded\n  text\n",
    "a: 'it''s'\nb: \"tab\\there\"\nc: é ü 中\n",
    "!!map {a: !!seq [1, 2]}\n",
    "a: 12:30\nb: 1:20:30\n",  # sexagesimal only in 1.1
    "x\n",
    "[1, 2, 3]\n",
    "a: [1, 2,\n  3]\n",
]
LEFT = [
    "%YAML 1.1\n---\na: yes\n",
    "%TAG !e! tag:example.com,2000:\n---\na: !e!x 1\n",
    "a: 1\na: 2\n",
    "1: x\n",
    "true: x\n",
    "null: x\n",
    "? [a]\n: 1\n",
    "a: .inf\n",
    "a: -.Inf\n",
    "a: .nan\n",
    "a: 2024-01-01\n",
    "a: 2024-01-01T10:00:00Z\n",
    "a: !foo x\n",
    "a: !!binary aGk=\n",
    "a: !!set {x: null}\n",
    "a: !!omap [{x: 1}]\n",
    "a: &x {b: 1}\nc:\n  <<: *x\n",
    "---\na: 1\n---\nb: 2\n",
    "a: [\n",
    "a: b: c\n",
    "",
    "# only a comment\n",
    "a: &r [*r]\n",
]


@pytest.mark.parametrize("text", READ)
def test_what_the_fast_route_reads(text: str) -> None:
    assert assert_agree(text) is not None


@pytest.mark.parametrize("text", LEFT)
def test_what_the_fast_route_leaves_to_the_careful_one(text: str) -> None:
    assert plain_data(text) is None


def test_the_depth_limit_holds_on_the_fast_route() -> None:
    from compiler.load import MAX_DEPTH

    def nested(levels: int) -> str:
        return "".join(f"{'  ' * i}k{i}:\n" for i in range(levels)) + f"{'  ' * levels}leaf\n"

    assert plain_data(nested(MAX_DEPTH)) is not None
    assert plain_data(nested(MAX_DEPTH + 1)) is None


def test_an_alias_bomb_is_left_to_the_careful_route() -> None:
    lines = ['l0: &l0 ["x", "x", "x", "x", "x", "x", "x", "x", "x", "x"]']
    lines += [f"l{i}: &l{i} [" + ", ".join([f"*l{i - 1}"] * 10) + "]" for i in range(1, 9)]

    assert plain_data("\n".join(lines) + "\n") is None


# --- fuzzing: scalars made of the characters that decide a scalar's type -----------------

SCALAR = st.text(alphabet="0123456789_.+-eExXoObB:~ntrufalsNTRUFALS'\" #", min_size=1, max_size=8)


@settings(max_examples=400, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(values=st.lists(SCALAR, min_size=1, max_size=6), flow=st.booleans())
def test_fuzzed_scalars_read_the_same_on_both_routes(values: list[str], flow: bool) -> None:
    """Repeated texts also exercise the memo of resolved tags."""
    if flow:
        text = "a: [" + ", ".join(values) + "]\n"
    else:
        text = "".join(f"k{i}: {v}\n" for i, v in enumerate(values)) + "again: " + values[0] + "\n"

    assert_agree(text)
