"""Branch regexes: Python's syntax and verdicts, in time linear in the branch name."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from compiler.model.branch_patterns import MAX_PROGRAM, compile_regex

# Small patterns over a small alphabet, so generated texts often match.
_ATOMS = ["a", "b", "-", "/", ".", r"\d", r"\w", r"\W", r"\s", "[ab]", "[^a]", "[a-c]", "[/-]", r"\b", r"\B", "^", "$", r"\A", r"\Z",
          "i", "s", "k", "[a-z]", "[^i-k]", "\u00df", "[\u00df-\ufb06]"]  # fmt: skip
_QUANTIFIERS = ["", "", "*", "+", "?", "*?", "+?", "{2}", "{1,3}", "{0,2}?", "{2,}"]


@st.composite
def _patterns(draw: st.DrawFn, depth: int = 0) -> str:
    parts = []
    for _ in range(draw(st.integers(1, 4))):
        if depth < 2 and draw(st.integers(0, 4)) == 0:
            inner = "|".join(draw(st.lists(_patterns(depth + 1), min_size=1, max_size=3)))
            group = draw(st.sampled_from(["({})", "(?:{})", "(?i:{})", "(?={})", "(?!{})"]))
            atom = group.format(inner)
        else:
            atom = draw(st.sampled_from(_ATOMS))
        quantifier = draw(st.sampled_from(_QUANTIFIERS))
        if (quantifier and atom in ("^", "$", r"\A", r"\Z", r"\b", r"\B")) or atom.startswith(("(?=", "(?!")):
            quantifier = ""
        parts.append(atom + quantifier)
    return "".join(parts)


# With the letters whose case-insensitive matching in re is not lower() == lower() of both
# (U+0130, U+0131, U+017F, U+212A, U+1E9E, U+00DF, U+FB00, U+01F0; re/_casefix.py).
TEXTS = st.text(alphabet="ab-/.A1 _\niskIS\u0130\u0131\u017f\u212a\u1e9e\u00df\ufb00\u01f0", max_size=8)


def _same_verdict(pattern: str, texts: list[str]) -> None:
    try:
        expected = re.compile(pattern)
    except re.error:
        return
    matcher = compile_regex(pattern)
    for text in texts:
        assert matcher.fullmatch(text) is (expected.fullmatch(text) is not None), (pattern, text)


@settings(max_examples=500, deadline=None)
@given(pattern=_patterns(), texts=st.lists(TEXTS, min_size=1, max_size=6))
def test_same_verdict_as_python_re(pattern: str, texts: list[str]) -> None:
    _same_verdict(pattern, texts)


@settings(max_examples=500, deadline=None)
@given(pattern=_patterns(), texts=st.lists(TEXTS, min_size=1, max_size=6))
def test_same_verdict_as_python_re_ignoring_case(pattern: str, texts: list[str]) -> None:
    _same_verdict("(?i)" + pattern, texts)


@pytest.mark.parametrize(
    ("pattern", "text", "matches"),
    [
        (r"(?!main$).*", "main", False),
        (r"(?!main$).*", "mainline", True),
        (r"release/\d+\.\d+", "release/1.2", True),
        (r"(?<=x/)y", "x/y", False),  # fullmatch from 0: the lookbehind has no room
        (r"x/(?<=x/)y", "x/y", True),
        (r"(?i)FEATURE/.+", "feature/a", True),
        (r"(spike|sandbox)/.+", "sandbox/x", True),
        (r"a{3}", "aaa", True),
        (r"a{3}", "aaaa", False),
    ],
)
def test_examples(pattern: str, text: str, matches: bool) -> None:
    assert compile_regex(pattern).fullmatch(text) is matches
    assert (re.fullmatch(pattern, text) is not None) is matches


@pytest.mark.parametrize("pattern", [r"(a+)+$", r"(a|a)*$", r"(a*)*b", r"(.*a){20}", r"(\w+\s?)+$", r"(a|aa)+$"])
def test_catastrophic_patterns_finish_on_long_names(pattern: str) -> None:
    text = "a" * 5000 + "!"

    assert compile_regex(pattern).fullmatch(text) is False  # Python's re would run for ages


@pytest.mark.parametrize(
    ("pattern", "reason"),
    [
        (r"(a)\1", "backreferences"),
        (r"(a)?(?(1)b|c)", "backreferences and conditionals"),
        ("(?:a{1000}){1000}", "too large"),
    ],
)
def test_what_needs_backtracking_or_is_too_large_is_refused(pattern: str, reason: str) -> None:
    with pytest.raises(re.error, match=reason):
        compile_regex(pattern)
    assert MAX_PROGRAM < 1_000_000


# --- case-insensitive matching is Python's, character for character (SPEC 2.1) -------------

_BMP = "".join(chr(c) for c in range(0x10000) if not 0xD800 <= c < 0xE000)
_ASTRAL = "".join(chr(c) for c in (0x10400, 0x10428, 0x1E900, 0x1E922, 0x1F600, 0x10FFFF))
SINGLE = [
    "(?i)[a-z]",
    "(?i)[^a-z]",
    "(?i)[A-Z0-9]",
    "(?i)i",
    "(?i)I",
    "(?i)s",
    "(?i)k",
    "(?i)ß",
    "(?i)ǰ",
    "(?i)ﬀ",
    "(?i)[ß-ﬆ]",
    "(?i)μ",
    "(?i)[Σσς]",
    "(?i)[^i]",
    "(?i)\\w",
    "(?i)[\\W]",
    "(?ia)[a-z]",
    "(?i)[\U00010400]",
    "(?i)[\U00010400-\U0001044f]",
    "[a-z]",
    "\\w",
    "\\d",
    "\\s",
    "(?a)\\w",
    ".",
    "(?s).",
    "(?i)[.-]",
]


@pytest.mark.parametrize("pattern", SINGLE)
def test_a_one_character_pattern_matches_what_python_matches_over_the_whole_bmp(pattern: str) -> None:
    ours, python = compile_regex(pattern), re.compile(pattern)
    differ = [c for c in _BMP + _ASTRAL if ours.fullmatch(c) != (python.fullmatch(c) is not None)]
    assert differ == [], [f"U+{ord(c):04X}" for c in differ[:20]]


@pytest.mark.parametrize("pattern", ["(?i)main", "(?i)feature/[a-z]+", "(?i)release-[^/]*", "(?i)(fix|hotfix)/.+"])
@pytest.mark.parametrize(
    "text",
    [
        "MAİN",
        "ma\u0131n",
        "main",
        "MAIN",
        "feature/ß",
        "feature/ẞ",
        "feature/ǰ",
        "FEATURE/ﬀ",
        "feature/\u0131",
        "hotf\u0131x/x",
    ],
)
def test_case_insensitive_rules_agree_with_python_on_special_case_letters(pattern: str, text: str) -> None:
    assert compile_regex(pattern).fullmatch(text) == (re.fullmatch(pattern, text) is not None)
