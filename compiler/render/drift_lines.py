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
    import difflib

    header = _header(real)
    real_body, redacted_body = real[len(header) :], redacted[len(_header(redacted)) :]
    shown = list(redacted_body)
    mapping = {line: line for line in header}
    matcher = difflib.SequenceMatcher(None, real_body, redacted_body, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        for j in range(j1, j2):
            shown[j] = _mask_line(redacted_body[j], {_head(redacted_body[j])})
        if i2 - i1 == j2 - j1:
            for i, j in zip(range(i1, i2), range(j1, j2), strict=True):
                mapping.setdefault(real_body[i], shown[j])
    return header + shown, mapping


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
