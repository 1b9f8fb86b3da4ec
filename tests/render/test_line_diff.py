"""line_diff: its opcodes always turn the old lines into the new ones, and on small inputs its
text is difflib.unified_diff's, byte for byte."""

from __future__ import annotations

import difflib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from compiler.render import line_diff

# Few distinct lines, so that inputs repeat lines (the hard case for an alignment on unique lines).
LINES = st.lists(st.sampled_from(["a\n", "b\n", "c\n", "{\n", "}\n", "x", "unique-1\n", "unique-2\n"]), max_size=60)


def _applied(codes: list[line_diff.Opcode], a: list[str], b: list[str]) -> list[str]:
    """`a` edited by `codes`: must be `b` (each range in order, covering both sides)."""
    out: list[str] = []
    i_at = j_at = 0
    for tag, i1, i2, j1, j2 in codes:
        assert (i1, j1) == (i_at, j_at)
        if tag == "equal":
            assert a[i1:i2] == b[j1:j2]
            out += a[i1:i2]
        else:
            out += b[j1:j2]
        i_at, j_at = i2, j2
    assert (i_at, j_at) == (len(a), len(b))
    return out


@settings(max_examples=300)
@given(LINES, LINES)
def test_small_inputs_are_difflibs_diff(a: list[str], b: list[str]) -> None:
    codes = line_diff.opcodes(a, b)
    assert _applied(codes, a, b) == b
    assert line_diff.unified(codes, a.__getitem__, b.__getitem__, ("x", "y")) == list(
        difflib.unified_diff(a, b, "x", "y")
    )


@settings(max_examples=300)
@given(LINES, LINES, st.integers(min_value=0, max_value=3), st.integers(min_value=0, max_value=40))
def test_the_anchored_alignment_turns_old_into_new(a: list[str], b: list[str], depth: int, budget: int) -> None:
    """With every threshold low (so that the anchored path runs on small inputs), the opcodes
    are still a correct edit, and the text's changed lines are the opcodes' lines."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(line_diff, "SMALL", 4)
        patch.setattr(line_diff, "DEPTH", depth)
        patch.setattr(line_diff, "BUDGET", budget)
        codes = line_diff.opcodes(a, b)
    assert _applied(codes, a, b) == b
    text = line_diff.unified(codes, a.__getitem__, b.__getitem__, ("x", "y"))
    changed = sum(i2 - i1 + j2 - j1 for tag, i1, i2, j1, j2 in codes if tag != "equal")
    assert sum(1 for line in text[2:] if line[0] in "-+") == changed


def test_a_cut_diff_counts_what_it_leaves_out() -> None:
    a = [f"old {n}\n" for n in range(3000)]
    b = [f"new {n}\n" for n in range(3000)]
    text = line_diff.unified(line_diff.opcodes(a, b), a.__getitem__, b.__getitem__, ("x", "y"))
    assert text[:3] == ["--- x\n", "+++ y\n", "@@ -1,998 +1,999 @@\n"]
    assert text[3:1001] == [f"-{line}" for line in a[:998]]
    assert text[1001:2000] == [f"+{line}" for line in b[:999]]
    assert text[2000:] == ["y: 4003 more changed line(s) not shown (the diff is cut at 2000 lines)\n"]
