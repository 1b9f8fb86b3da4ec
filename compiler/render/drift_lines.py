"""The lines `render --check` shows, with no secret value in them (output.drift says why).

A line that may hold a value is reduced to its indentation, its key where the new side shows
the same key, and MASK. The diff itself is line_diff's (linear-ish in the lines).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from collections.abc import Set as AbstractSet
from dataclasses import dataclass

from compiler.render import line_diff

MASK = "***"
# The start of the note a file rendered under `--secrets redact` carries in its header.
REDACTED_NOTE = "# Secrets: redacted (--secrets redact)"


def diff(current: list[str], real: list[str], redacted: list[str], names: tuple[str, str]) -> list[str]:
    """The unified diff shown for one file (line_diff.unified: cut after SHOWN lines; [] when the
    lines are equal), with no secret value in it (output.drift says why).

    The lines are aligned on what they hold (the file on disk against the real render), so an
    unchanged secret line is no difference and a changed one is a changed line; each is then
    shown in its safe form: a new line as `new_side` shows it, an old line that equals its new
    line as that line, any other old line by `OldSide`.
    """
    new = new_side(real, redacted)
    codes = line_diff.opcodes(current, real)
    old = OldSide.of(current, new, redacted, real)
    return line_diff.unified(codes, lambda i: old.shown(current[i]), new.__getitem__, names)


@dataclass(frozen=True)
class OldSide:
    """How a line of the file on disk that is not a line of the new render is shown: as it is in
    a file render wrote without values; else as the new side shows the real line it equals, as
    it is when the new side shows it too, or masked (its key kept when the new side shows it)."""

    trusted: bool
    real_to_shown: Mapping[str, str]
    known: frozenset[str]
    heads: frozenset[str | None]

    @classmethod
    def of(cls, old: list[str], new: list[str], redacted: list[str], real: list[str]) -> OldSide:
        """`new` is `new_side(real, redacted)`, line for line with `real`."""
        if holds_no_values(old):
            return cls(True, {}, frozenset(), frozenset())
        real_to_shown: dict[str, str] = {}
        for line, shown in zip(real, new, strict=True):
            if line != shown:
                real_to_shown.setdefault(line, shown)
        known = frozenset(new) | frozenset(redacted)
        return cls(False, real_to_shown, known, frozenset({_head(line) for line in known} - {None}))

    def shown(self, line: str) -> str:
        if self.trusted:
            return line
        if line in self.real_to_shown:
            return self.real_to_shown[line]
        if line in self.known:
            return line
        return _mask_line(line, self.heads)


def holds_no_values(text: list[str]) -> bool:
    """A file render wrote under `--secrets redact` (its header says so)."""
    return any(line.startswith(REDACTED_NOTE) for line in _header(text))


def _header(text: list[str]) -> list[str]:
    """The leading comment lines: the template's, before any value."""
    count = next((i for i, line in enumerate(text) if not line.startswith("#")), len(text))
    return text[:count]


def new_side(real: list[str], redacted: list[str]) -> list[str]:
    """Each line of the real render as shown: as it is where the redacted render agrees (and in
    the leading comment lines, the template's header); a line that differs masked with the key of
    its redacted counterpart; a line the redacted render leaves out (a secret field under redact:
    SPEC 5.2, 5.3) masked with its own key. A key is never part of a value: every value, a secret
    included, is one scalar on one line (yaml_text, json.dumps), so a line's key is the template's
    or the environments/ file's."""
    if real == redacted:
        return real
    header = _header(real)
    real_body, redacted_body = real[len(header) :], redacted[len(_header(redacted)) :]
    shown = list(real_body)
    for i1, i2, j1, j2 in _differing(real_body, redacted_body):
        if i2 - i1 == j2 - j1:
            for i, j in zip(range(i1, i2), range(j1, j2), strict=True):
                shown[i] = _mask_line(redacted_body[j], {_head(redacted_body[j])})
        else:
            for i in range(i1, i2):
                shown[i] = _mask_line(real_body[i], {_head(real_body[i])})
    return header + shown


def _differing(real: list[str], redacted: list[str], window: int = 64) -> list[tuple[int, int, int, int]]:
    """The blocks `(i1, i2, j1, j2)` where the real and the redacted lines differ, in linear time.

    Renders of one layout differ in values and in lines a value adds (a secret field that the
    redacted render leaves out, a value spanning lines): a differing pair is skipped up to the
    nearest line where the two agree again, looked for `window` lines ahead on either side.
    Any alignment is safe (every shown line is a redacted one, masked where it differs); a
    worse one only masks more. difflib's SequenceMatcher took minutes on a 120,000-line file."""
    if len(real) == len(redacted):
        return [(i, i + 1, i, i + 1) for i, (a, b) in enumerate(zip(real, redacted, strict=True)) if a != b]
    blocks: list[tuple[int, int, int, int]] = []
    i = j = 0
    while i < len(real) and j < len(redacted):
        if real[i] == redacted[j]:
            i, j = i + 1, j + 1
            continue
        i2, j2 = _resync(real, redacted, i, j, window)
        blocks.append((i, i2, j, j2))
        i, j = i2, j2
    if i < len(real) or j < len(redacted):
        blocks.append((i, len(real), j, len(redacted)))
    return blocks


def _resync(real: list[str], redacted: list[str], i: int, j: int, window: int) -> tuple[int, int]:
    """The nearest `(i2, j2)` past `(i, j)` where the lines agree again (else one line each)."""
    for k in range(1, window + 1):
        if i + k < len(real) and real[i + k] == redacted[j]:
            return i + k, j
        if j + k < len(redacted) and real[i] == redacted[j + k]:
            return i, j + k
        if i + k < len(real) and j + k < len(redacted) and real[i + k] == redacted[j + k]:
            return i + k, j + k
    return i + 1, j + 1


_HEAD = re.compile(r'( *(?:- )?(?:[A-Za-z0-9_.-]+|"[A-Za-z0-9_.-]+")):(?: |\n|$)')


def _head(line: str) -> str | None:
    """`  key: value` -> `  key` (the indentation, a list dash and a plain key), else None."""
    matched = _HEAD.match(line)
    return matched.group(1) if matched else None


def _mask_line(line: str, heads: AbstractSet[str | None]) -> str:
    """A line reduced to its indentation, its key when `heads` knows it, and `***`."""
    head = _head(line)
    if head is not None and head in heads:
        return f"{head}: {MASK}\n"
    return " " * (len(line) - len(line.lstrip(" "))) + MASK + "\n"
