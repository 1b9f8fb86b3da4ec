"""A unified diff whose cost grows about linearly with the files' lines (for `render --check`).

difflib's SequenceMatcher is quadratic on the rendered files: a `--secrets dotenv` check of
a 1000x50 workspace with one changed input line took 8.5 minutes, 99.5 % of it in
`find_longest_match` (py-spy) on the 121,000-line `environment-objects.json`, whose two sides
then also differed in its 1,000 password lines (drift_lines.new_side). Here:

- inputs of at most SMALL line pairs (`len(a) * len(b)`) are aligned by difflib itself, so a
  small file's diff is byte for byte what `difflib.unified_diff` prints;
- larger ones: the common head and tail are trimmed, the middle is aligned on the lines that
  occur exactly once on each side (patience diff: the longest increasing run of such pairs),
  and each gap between two anchors is aligned the same way, DEPTH levels deep; a gap of at
  most SMALL pairs goes to difflib while the file's BUDGET of pairs lasts; a gap left over
  (too big at the last level, past the budget, or with no anchor) is one replaced block.

Time: O(n log n) per level in the lines n, plus difflib on at most BUDGET pairs in all.
The text is `difflib.unified_diff`'s (three lines of context, no dates), cut after SHOWN lines
per file; what was cut is counted in one last line (`unified`).
"""

from __future__ import annotations

import bisect
import difflib
from collections import Counter
from collections.abc import Callable, Iterator, Sequence

Opcode = tuple[str, int, int, int, int]  # difflib's (tag, i1, i2, j1, j2)
Block = tuple[int, int, int]  # a run of equal lines: (i, j, size)

SMALL = 250_000  # line pairs difflib aligns at once (about 0.1 s at its worst)
BUDGET = 2_000_000  # line pairs difflib aligns in all of one file's gaps (well under a second)
DEPTH = 4  # levels of anchoring on unique lines
SHOWN = 2_000  # lines of diff text shown per file, headers included
CONTEXT = 3  # difflib.unified_diff's default


def opcodes(a: Sequence[str], b: Sequence[str]) -> list[Opcode]:
    """How to turn `a` into `b`, as difflib.SequenceMatcher.get_opcodes gives it."""
    if len(a) * len(b) <= SMALL:
        return list(difflib.SequenceMatcher(None, a, b).get_opcodes())
    blocks: list[Block] = []
    _align(a, b, (0, len(a), 0, len(b)), DEPTH, _Budget(BUDGET), blocks)
    return _codes(blocks, len(a), len(b))


class _Budget:
    """The line pairs difflib may still align for one file (gaps past it are replaced blocks)."""

    def __init__(self, pairs: int) -> None:
        self.pairs = pairs

    def take(self, pairs: int) -> bool:
        """Whether `pairs` more fit (and if so, they are spent)."""
        if pairs > min(self.pairs, SMALL):
            return False
        self.pairs -= pairs
        return True


Span = tuple[int, int, int, int]  # a[alo:ahi] against b[blo:bhi]


def _align(a: Sequence[str], b: Sequence[str], span: Span, depth: int, budget: _Budget, out: list[Block]) -> None:
    """Append the equal runs of `a[alo:ahi]` and `b[blo:bhi]` to `out`, in order."""
    alo, ahi, blo, bhi = span
    head = 0
    while alo + head < ahi and blo + head < bhi and a[alo + head] == b[blo + head]:
        head += 1
    tail = 0
    while ahi - tail > alo + head and bhi - tail > blo + head and a[ahi - tail - 1] == b[bhi - tail - 1]:
        tail += 1
    if head:
        out.append((alo, blo, head))
    alo, ahi, blo, bhi = alo + head, ahi - tail, blo + head, bhi - tail
    if alo < ahi and blo < bhi:
        if budget.take((ahi - alo) * (bhi - blo)):
            matcher = difflib.SequenceMatcher(None, a[alo:ahi], b[blo:bhi], autojunk=False)
            out.extend((alo + i, blo + j, n) for i, j, n in matcher.get_matching_blocks() if n)
        elif depth > 0:
            _anchored(a, b, (alo, ahi, blo, bhi), depth, budget, out)
    if tail:
        out.append((ahi, bhi, tail))


def _anchored(a: Sequence[str], b: Sequence[str], span: Span, depth: int, budget: _Budget, out: list[Block]) -> None:
    """Patience alignment of the span: its anchors, the gaps between them one level deeper."""
    alo, ahi, blo, bhi = span
    anchors = _anchors(a, b, span)
    if not anchors:
        return  # nothing to hold on to: one replaced block
    i, j = alo, blo
    for ai, bj in anchors:
        _align(a, b, (i, ai, j, bj), depth - 1, budget, out)
        out.append((ai, bj, 1))
        i, j = ai + 1, bj + 1
    _align(a, b, (i, ahi, j, bhi), depth - 1, budget, out)


def _anchors(a: Sequence[str], b: Sequence[str], span: Span) -> list[tuple[int, int]]:
    """The longest run of lines unique on both sides of the span whose positions rise on both."""
    alo, ahi, blo, bhi = span
    in_a = Counter(a[alo:ahi])
    in_b = Counter(b[blo:bhi])
    where_b = {b[j]: j for j in range(blo, bhi) if in_b[b[j]] == 1 and in_a[b[j]] == 1}
    pairs = [(i, where_b[a[i]]) for i in range(alo, ahi) if a[i] in where_b]
    # Longest increasing subsequence of the b positions (patience sorting), O(k log k).
    tops: list[int] = []  # the smallest b position ending a run of each length
    ends: list[int] = []  # the index in pairs of that run's last pair
    before: list[int] = []  # each pair's predecessor in its run (-1: none)
    for k, (_, j) in enumerate(pairs):
        length = bisect.bisect_left(tops, j)
        if length == len(tops):
            tops.append(j)
            ends.append(k)
        else:
            tops[length], ends[length] = j, k
        before.append(ends[length - 1] if length else -1)
    run: list[tuple[int, int]] = []
    k = ends[-1] if ends else -1
    while k >= 0:
        run.append(pairs[k])
        k = before[k]
    return run[::-1]


def _codes(blocks: list[Block], la: int, lb: int) -> list[Opcode]:
    """difflib's opcodes from the equal runs (adjacent runs merged)."""
    merged: list[Block] = []
    for i, j, n in blocks:
        if merged and merged[-1][0] + merged[-1][2] == i and merged[-1][1] + merged[-1][2] == j:
            merged[-1] = (merged[-1][0], merged[-1][1], merged[-1][2] + n)
        else:
            merged.append((i, j, n))
    codes: list[Opcode] = []
    i = j = 0
    for ai, bj, n in [*merged, (la, lb, 0)]:
        tag = "replace" if i < ai and j < bj else "delete" if i < ai else "insert" if j < bj else ""
        if tag:
            codes.append((tag, i, ai, j, bj))
        i, j = ai + n, bj + n
        if n:
            codes.append(("equal", ai, i, bj, j))
    return codes


def _groups(codes: list[Opcode], n: int = CONTEXT) -> Iterator[list[Opcode]]:
    """difflib.SequenceMatcher.get_grouped_opcodes, over given opcodes."""
    codes = list(codes) or [("equal", 0, 1, 0, 1)]
    if codes[0][0] == "equal":
        tag, i1, i2, j1, j2 = codes[0]
        codes[0] = tag, max(i1, i2 - n), i2, max(j1, j2 - n), j2
    if codes[-1][0] == "equal":
        tag, i1, i2, j1, j2 = codes[-1]
        codes[-1] = tag, i1, min(i2, i1 + n), j1, min(j2, j1 + n)
    group: list[Opcode] = []
    for tag, i1, i2, j1, j2 in codes:
        if tag == "equal" and i2 - i1 > 2 * n:
            group.append((tag, i1, min(i2, i1 + n), j1, min(j2, j1 + n)))
            yield group
            group = []
            i1, j1 = max(i1, i2 - n), max(j1, j2 - n)
        group.append((tag, i1, i2, j1, j2))
    if group and not (len(group) == 1 and group[0][0] == "equal"):
        yield group


def _range(start: int, stop: int) -> str:
    """difflib's `_format_range_unified`: `line,count`, 1-based."""
    beginning, length = start + 1, stop - start
    if length == 1:
        return str(beginning)
    return f"{beginning - 1 if not length else beginning},{length}"


def _body(group: list[Opcode], old: Callable[[int], str], new: Callable[[int], str], room: int) -> list[str]:
    """A hunk's lines, at most `room` of them: a block cut short keeps a share of each side."""
    body: list[str] = []
    for tag, i1, i2, j1, j2 in group:
        left = room - len(body)
        if tag == "equal":
            body += [" " + new(j) for j in range(j1, min(j2, j1 + left))]
            continue
        olds = min(i2 - i1, max(left // 2, left - (j2 - j1)))
        body += ["-" + old(i) for i in range(i1, i1 + olds)]
        body += ["+" + new(j) for j in range(j1, min(j2, j1 + left - olds))]
    return body


def unified(
    codes: list[Opcode], old: Callable[[int], str], new: Callable[[int], str], names: tuple[str, str]
) -> list[str]:
    """`difflib.unified_diff` text of `codes` (from `opcodes`) with line i of the old side shown
    as `old(i)` and line j of the new side (and every context line) as `new(j)`.

    At most SHOWN lines: a hunk that would pass that is cut (its header counts the lines it
    shows; a replaced block cut short shows a share of each side), and one more line then says
    how many changed lines were left out. [] when nothing differs.
    """
    total = sum(i2 - i1 + j2 - j1 for tag, i1, i2, j1, j2 in codes if tag != "equal")
    text: list[str] = []
    changed = 0
    for group in _groups(codes):
        if not text:
            text += [f"--- {names[0]}\n", f"+++ {names[1]}\n"]
        room = SHOWN - len(text) - 1  # lines left for this hunk's body
        if room <= 2 * CONTEXT:
            break
        body = _body(group, old, new, room)
        olds = sum(1 for line in body if line[0] in " -")
        news = sum(1 for line in body if line[0] in " +")
        first = group[0]
        text.append(f"@@ -{_range(first[1], first[1] + olds)} +{_range(first[3], first[3] + news)} @@\n")
        text += body
        changed += sum(1 for line in body if line[0] != " ")
    if changed < total:
        text.append(
            f"{names[1]}: {total - changed} more changed line(s) not shown (the diff is cut at {SHOWN} lines)\n"
        )
    return text
