"""The lines `render --check` shows, with no secret value in them (output.drift says why).

A line that may hold a value is reduced to its indentation, its key where the redacted render
has the same key, and MASK.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

MASK = "***"
# The start of the note a file rendered under `--secrets redact` carries in its header.
REDACTED_NOTE = "# Secrets: redacted (--secrets redact)"


def old_side(old: list[str], new: list[str], shown: list[str], real_to_shown: Mapping[str, str]) -> list[str]:
    """The lines on disk as shown: as they are in a file render wrote without values, else each
    line shown only when the new side shows it (a real secret line: masked as there)."""
    if holds_no_values(old):
        return old
    heads = {_head(line) for line in shown} - {None}
    known = set(new) | set(shown)
    return [_old_line(line, real_to_shown, known, heads) for line in old]


def holds_no_values(text: list[str]) -> bool:
    """A file render wrote under `--secrets redact` (its header says so)."""
    return any(line.startswith(REDACTED_NOTE) for line in _header(text))


def _header(text: list[str]) -> list[str]:
    """The leading comment lines: the template's, before any value."""
    count = next((i for i, line in enumerate(text) if not line.startswith("#")), len(text))
    return text[:count]


def new_side(real: list[str], redacted: list[str]) -> tuple[list[str], dict[str, str]]:
    """The new side as shown (secret lines masked), and each real line's shown form."""
    if real == redacted:
        return redacted, {}
    header = _header(real)
    real_body, redacted_body = real[len(header) :], redacted[len(_header(redacted)) :]
    shown = list(redacted_body)
    mapping = {line: line for line in header}
    for i1, i2, j1, j2 in _differing(real_body, redacted_body):
        for j in range(j1, j2):
            shown[j] = _mask_line(redacted_body[j], {_head(redacted_body[j])})
        if i2 - i1 == j2 - j1:
            for i, j in zip(range(i1, i2), range(j1, j2), strict=True):
                mapping.setdefault(real_body[i], shown[j])
    return header + shown, mapping


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


def _old_line(line: str, real_to_shown: Mapping[str, str], known: set[str], heads: set[str | None]) -> str:
    if line in real_to_shown:
        return real_to_shown[line]
    if line in known:
        return line
    return _mask_line(line, heads)


_HEAD = re.compile(r'( *(?:- )?(?:[A-Za-z0-9_.-]+|"[A-Za-z0-9_.-]+")):(?: |\n|$)')


def _head(line: str) -> str | None:
    """`  key: value` -> `  key` (the indentation, a list dash and a plain key), else None."""
    matched = _HEAD.match(line)
    return matched.group(1) if matched else None


def _mask_line(line: str, heads: set[str | None]) -> str:
    """A line reduced to its indentation, its key when `heads` knows it, and `***`."""
    head = _head(line)
    if head is not None and head in heads:
        return f"{head}: {MASK}\n"
    return " " * (len(line) - len(line.lstrip(" "))) + MASK + "\n"
