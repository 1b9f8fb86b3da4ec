"""The lines `render --check` shows, with no secret value in them (output.drift says why).

A line that may hold a value is reduced to its indentation, its key where the new side shows
the same key, and MASK. The diff itself is line_diff's (linear-ish in the lines).
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from collections.abc import Set as AbstractSet

from compiler.model.frozen import frozen
from compiler.model.secrets import SecretValues
from compiler.render import line_diff

MASK = "***"
# The start of the note a file rendered under `--secrets redact` carries in its header.
REDACTED_NOTE = "# Secrets: redacted (--secrets redact)"


def diff(current: list[str], real: list[str], marked_lines: list[str], names: tuple[str, str]) -> list[str]:
    """The unified diff shown for one file (line_diff.unified: cut after SHOWN lines; [] when the
    lines are equal), with no secret value in it (output.drift says why).

    `marked_lines` is the file rendered with markers for the secret values (`marked`; the real
    text itself when the values are redacted). The lines are aligned on what they hold (the
    file on disk against the real rendering), so an unchanged secret line is no difference
    and a changed one is a changed line; each is then shown in its safe form: a new line as
    `new_side` shows it, an old line that equals its new line as that line, any other old
    line by `OldSide`.
    """
    new = new_side(real, marked_lines)
    codes = line_diff.opcodes(current, real)
    old = OldSide.of(current, new, real)
    return line_diff.unified(codes, lambda i: old.shown(current[i]), new.__getitem__, names)


@frozen
class OldSide:
    """How a line of the file on disk that is not a line of the new render is shown: as it is in
    a file render wrote without values; else as the new side shows the real line it equals, as
    it is when the new side shows it too, or masked (its key kept when the new side shows it).

    Either way, a line under a key that holds a secret in the new rendering (`secret_heads`:
    the key and its indentation) is masked, unless it is a `<secret:NAME>` placeholder: the
    file may hold an earlier secret value there (rotated since), or one typed into a redacted
    file by hand, and that value may equal a public line elsewhere."""

    trusted: bool
    real_to_shown: Mapping[str, str]
    known: frozenset[str]
    heads: frozenset[str | None]
    secret_heads: frozenset[str | None]

    @classmethod
    def of(cls, old: list[str], new: list[str], real: list[str]) -> OldSide:
        """`new` is `new_side(real, ...)`, line for line with `real`."""
        real_to_shown: dict[str, str] = {}
        for line, shown in zip(real, new, strict=True):
            if line != shown:
                real_to_shown.setdefault(line, shown)
        secret_heads = frozenset({_head(shown) for shown in real_to_shown.values()} - {None})
        if holds_no_values(old):
            return cls(True, {}, frozenset(), frozenset(), secret_heads)
        known = frozenset(new)
        return cls(False, real_to_shown, known, frozenset({_head(line) for line in known} - {None}), secret_heads)

    def shown(self, line: str) -> str:
        head = _head(line)
        if head is not None and head in self.secret_heads and not _PLACEHOLDER.search(line):
            return _mask_line(line, {head})
        if self.trusted:
            return line
        if line in self.real_to_shown:
            return self.real_to_shown[line]
        if line in self.known:
            return line
        return _mask_line(line, self.heads)


# A redacted settings file's stand-in for a secret value (texts.py: `<secret:NAME>`, quoted).
_PLACEHOLDER = re.compile(r""": (['"])<secret:[A-Za-z0-9_]+>\1$""")


def holds_no_values(text: list[str]) -> bool:
    """A file render wrote under `--secrets redact` (its header says so)."""
    return any(line.startswith(REDACTED_NOTE) for line in _header(text))


def _header(text: list[str]) -> list[str]:
    """The leading comment lines: the template's, before any value."""
    count = next((i for i, line in enumerate(text) if not line.startswith("#")), len(text))
    return text[:count]


def marked(values: SecretValues) -> SecretValues:
    """`values` with each secret's value replaced by a marker of its own: the rendering that
    `new_side` reads to know which lines of the real rendering hold a secret value.

    A marker is letters and digits only, so every encoding the rendered files use (YAML plain
    or quoted, JSON) writes it as it is; it carries a random token of this run, so no file in
    git can hold one by chance.
    """
    return SecretValues(redacted=False, values={name: f"{_MARKER}{i}x" for i, name in enumerate(sorted(values.values))})


_MARKER = "astrogitopssecret" + os.urandom(8).hex() + "n"


def new_side(real: list[str], marked_lines: list[str]) -> list[str]:
    """Each line of the real rendering as shown: as it is where the rendering with markers in
    place of the secret values (`marked`) has the same line and no marker in it; else masked,
    with the key of the marked line. A line holds a secret value exactly where the marked
    rendering holds a marker (the two renderings differ in nothing else), so no alignment is
    guessed: a secret equal to some public value elsewhere is masked all the same. Were the
    two ever not line for line (they always are: every value, a secret included, is one
    scalar on one line), every line would be masked. A key is never part of a value
    (yaml_text, json.dumps), so a line's key is the template's or the environments/ file's."""
    if len(real) != len(marked_lines):
        return [_mask_line(line, set()) for line in real]
    return [
        line if line == mark and _MARKER not in mark else _mask_line(mark, {_head(mark)})
        for line, mark in zip(real, marked_lines, strict=True)
    ]


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
