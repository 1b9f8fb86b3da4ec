"""The fast route reads what the careful route reads, or leaves the file to it.

The careful route (carefulyaml.parse and its conversion to plain data) is the oracle:
whenever the fast route returns data, the careful route must accept the file without a
problem or a warning, and return the same data with the same types (`1`, `1.0`, `'1'` and
`true` are told apart) and the same key order. Inputs come from the repository's corpus,
from fixed lists (every disagreement ever found is in LEFT), and from a seeded generator
of edge cases (tests/support/yamlgen.py); the careful route must never raise on any of them.

CI runs a bounded number of generated inputs; for a longer local run:
    ASTRO_GITOPS_YAML_CASES=100000 pytest tests/load/test_fast_route.py
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import pytest
from conftest import EXAMPLE, REPO
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support.yamlgen import Generator

from compiler.diagnostics import Diagnostic
from compiler.limits import MAX_DEPTH
from compiler.load import careful_route, roundtrip_tree
from compiler.load.fast_route import leaves_to_careful, plain_data

PATH = "environments/x.yaml"
GENERATED = int(os.environ.get("ASTRO_GITOPS_YAML_CASES", "3000"))


def typed(value: Any) -> Any:
    """The value with every type spelled out, and dicts as key-ordered lists."""
    if isinstance(value, dict):
        return ("dict", [(typed(k), typed(v)) for k, v in value.items()])
    if isinstance(value, list):
        return ("list", [typed(v) for v in value])
    return (type(value).__name__, value)


def careful(text: str) -> tuple[Any, bool]:
    """The careful route's plain data, and whether it found a problem (or a warning)."""
    parsed = careful_route.parse(PATH, text)
    if isinstance(parsed, Diagnostic):
        return None, True
    if parsed.tree is None:
        return {}, True  # an empty document: load.py reports it, the fast route must leave it
    data, problems = roundtrip_tree.plain(PATH, parsed.tree)
    return data, bool(problems or parsed.warnings)


def disagreement(text: str) -> str | None:
    """Why the two routes disagree on text, or None."""
    fast = plain_data(text)
    if fast is None:
        careful(text)  # the careful route decides; it must not raise either
        return None
    data, problem = careful(text)
    if problem:
        return f"the fast route read a file the careful route refuses: {text!r}"
    if typed(fast) != typed(data):
        return f"the routes read different values: {text!r}: fast {fast!r}, careful {data!r}"
    return None


def assert_agree(text: str) -> Any:
    found = disagreement(text)
    assert found is None, found
    return plain_data(text)


# --- the corpus ----------------------------------------------------------------------------

CORPUS = sorted(
    p
    for base in (REPO / "tests" / "acceptance" / "cases", EXAMPLE)
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
    "a: 010\nb: 0o10\nc: 0x1F\nd: 0b11\ne: 1_000\nf: -7\ng: +3\nh: 0\n",  # 0b11, 1_000: strings
    "a: .5\nb: 1e3\nc: -1.5E-2\nd: 1_000.5\ne: 6.0\nf: 1.\n",
    "a: true\nb: False\nc: TRUE\nd: tRue\n",
    "a: ~\nb: null\nc: Null\nd:\ne: NULL\n",
    "a: '1'\nb: \"true\"\nc: 'null'\n",
    "a: &x [1, {b: c}]\nd: *x\ne: *x\n",
    "- &k key\n- {*k : 1}\n",
    "a: |\n  line 1\n  line 2\nb: >-\n  folded\n  text\n",
    "a: 'it''s'\nb: \"tab\\there\"\nc: é ü 中\n",
    "a: 12:30\nb: 1:20:30\n",  # sexagesimal only in 1.1
    "x\n",
    "[1, 2, 3]\n",
    "a: [1, 2,\n  3]\n",
    "a: ['x': 1, \"y\": 2, ? z : 3]\n",
    "a: {\"x\": 1, 'y': , z}\n",
    "a: 'x'\nb: \"http://h/p?q=1#f\"\nc: R&D\nd: wow!\n",
]
# Every form the two routes were seen to read differently, or that crashed one of them: the
# fast route must leave each to the careful one (which reads, refuses or warns, located).
LEFT = [
    "%YAML 1.1\n---\na: yes\n",
    "%YAML 1.2\n---\na: 1\n",
    "%YAML 1.3\n---\na: 1\n",
    "%TAG !e! tag:example.com,2000:\n---\na: !e!x 1\n",
    "a: 1\na: 2\n",
    "1: x\n",
    "true: x\n",
    "null: x\n",
    "? [a]\n: 1\n",
    "? a: b\n: c\n",
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
    "a: &x 1\nb: &x 2\nc: *x\n",  # a reused anchor: the careful route warns
    # tags, all of them (`!!str` on a key, `!` alone, core tags on the wrong node or form)
    "a: !!str 3\nb: !!int '7'\nc: !!float '1'\ne: !!null ''\n",
    "!!map {a: !!seq [1, 2]}\n",
    "a: !!bool yes\n",
    "a: [!!bool a - b]\n",
    "a: !!float\n",
    "a: !!map x\n",
    "a: [!!map ' x ']\n",
    "!!str .: |+\n\n",
    "a: [off: [1e3], ! ,]\n",
    "a: {! &x # c\n  }\n",
    # flow collections: a quoted key with its value (or nothing) right after the colon
    "a: [26, 'x':, 3]\n",
    'a: ["x":1]\n',
    'a: ["x" :]\n',
    'a: ["":,]\n',
    'a: [? "x" :]\n',
    "a: [\"\\L\":, ' x ']\n",
    'a: [off, "\\0" :]\n',
    "a: ['x' :\"\\x41\", 'y']\n",
    "a: [true, 'it''s' :'b']\n",
    "a: ['1' :_1, ]\n",
    # anchors named beyond [A-Za-z0-9_-] (libyaml stops the name earlier)
    "&a:b:\n  c: d\n",
    # tabs (the careful route refuses `key:<TAB>value`), YAML 1.1 line breaks, a BOM inside
    "key:\tvalue\n",
    "a:\t[1, 2]\n",
    "a: x\t\nb: y\n",
    "a: b\n\u2028c: d\n",
    "# c\x85d: 1\n",
    "a: b\x85c\n",
    "a: 1\n\ufeff b: 2\n",
]


@pytest.mark.parametrize("text", READ)
def test_what_the_fast_route_reads(text: str) -> None:
    assert assert_agree(text) is not None


@pytest.mark.parametrize("text", LEFT)
def test_what_the_fast_route_leaves_to_the_careful_one(text: str) -> None:
    assert plain_data(text) is None
    careful(text)  # and the careful route reads or refuses it without raising


def test_the_depth_limit_holds_on_the_fast_route() -> None:
    def nested(levels: int) -> str:
        return "".join(f"{'  ' * i}k{i}:\n" for i in range(levels)) + f"{'  ' * levels}leaf\n"

    assert plain_data(nested(MAX_DEPTH)) is not None
    assert plain_data(nested(MAX_DEPTH + 1)) is None


@pytest.mark.parametrize("text", ["- " * 1_000_000 + "x\n", "".join(" " * i + "- k:\n" for i in range(0, 600, 2))])
def test_deep_block_nesting_never_reaches_libyaml(text: str) -> None:
    """libyaml's composer recurses in C: a million levels crashed the process (SIGSEGV)."""
    assert plain_data(text) is None


def test_an_alias_bomb_is_left_to_the_careful_route() -> None:
    lines = ['l0: &l0 ["x", "x", "x", "x", "x", "x", "x", "x", "x", "x"]']
    lines += [f"l{i}: &l{i} [" + ", ".join([f"*l{i - 1}"] * 10) + "]" for i in range(1, 9)]

    assert plain_data("\n".join(lines) + "\n") is None


# --- the seeded generator of edge cases ----------------------------------------------------

BASES = [p.read_text(encoding="utf-8") for p in sorted(EXAMPLE.rglob("*.yaml"))]


@pytest.mark.parametrize("seed", [0, 1])
def test_generated_edge_cases_read_the_same_on_both_routes(seed: int) -> None:
    """Flow collections, block structures, scalars, escapes and odd characters, seeded."""
    texts = list(Generator(seed).documents(GENERATED // 2, BASES))
    found = [d for d in map(disagreement, texts) if d is not None]
    read = sum(plain_data(t) is not None for t in texts)

    assert found == [], f"{len(found)} disagreement(s); add each to LEFT and fix the fast route:\n" + "\n".join(
        found[:10]
    )
    # Both verdicts occur often, else the comparison proves little.
    assert len(texts) // 10 < read < len(texts) // 2


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


# --- which texts the fast route leaves to the careful one ---------------------------------

# The one pattern `leaves_to_careful` was written from: each form searched apart must find
# what this finds, and nothing else.
LEFT_FORMS = re.compile(
    "|".join(
        (
            r"^%",
            r"<<",
            "[\t\x85\u2028\u2029\ufeff]",
            r"""['"] *:[^ \n]""",
            r":[,\]}]",
            r"(?:^|[ \[{,])!",
            r"""(?:^|[ \[{,])[&*](?=[^ \n"'])(?![A-Za-z0-9_-]+(?:[ ,\]}\n]|$))""",
        )
    ),
    re.MULTILINE,
)
FORM_PIECES = ["%", "<", "<<", "\t", "\x85", "\u2028", "\u2029", "\ufeff", "'", '"', " ", ":", ",", "]", "}", "[", "{"]
FORM_PIECES += ["!", "&", "*", "\n", "-", "_", "a", "Z", "0", "x: y", "&a", "*a ", "*é", "? "]


# Each form, found and not found (the generated texts below rarely hold some of them).
FORM_TEXTS = [
    "%YAML 1.2\n", "a: 1\n%TAG ! x\n", "a: 5%\n", "<<: *b\n", "a: x << y\n", "a: <b>\n",
    "a:\tb\n", "a: \x85\n", "a: \u2028\n", "a: \ufeffb\n", '"a":b\n', "'a' :b\n", '"a": b\n',
    "[a :]\n", "{a :}\n", "[a :,b]\n", "a: b:c\n", "a: !t x\n", "[!t x]\n", "a: b!c\n", "!a\n",
    "a: &x1 b\n", "a: &x.y b\n", "a: *x.y\n", "a: *x\n", "c: * * * * *\n", "[&é x]\n", "a: b&c\n",
    "*\n", "&a\n", "a: &a",
]  # fmt: skip


@pytest.mark.parametrize("text", FORM_TEXTS)
def test_each_form_is_left_to_the_careful_route_as_the_one_pattern_says(text: str) -> None:
    assert leaves_to_careful(text) == bool(LEFT_FORMS.search(text))


@settings(max_examples=2000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(FORM_PIECES), max_size=12))
def test_the_forms_left_to_the_careful_route_are_those_of_the_one_pattern(pieces: list[str]) -> None:
    text = "".join(pieces)
    assert leaves_to_careful(text) == bool(LEFT_FORMS.search(text)), repr(text)


@pytest.mark.parametrize("path", CORPUS, ids=lambda p: p.relative_to(REPO).as_posix())
def test_the_corpus_is_left_to_the_careful_route_as_the_one_pattern_says(path: Path) -> None:
    text = path.read_bytes().decode("utf-8", errors="replace")
    assert leaves_to_careful(text) == bool(LEFT_FORMS.search(text))
    for line in text.splitlines(keepends=True):
        assert leaves_to_careful(line) == bool(LEFT_FORMS.search(line)), repr(line)
