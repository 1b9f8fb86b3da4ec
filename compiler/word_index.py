"""Finding any of many words (the forms of the secret values: compiler/redaction.py) in a text in
one pass, in time that does not grow with the number of words that share a start.

One regular expression of the words' distinct starts (a trie of `START` characters: small to
compile, whatever the number of words) finds where a word may begin; at each such offset the
words with that start are looked up by length, longest first: one slice and one set lookup
for each distinct length among them. A list of the words per start, tried in turn, made each
hit cost as much as the number of words sharing that start: 2,000 secrets of the form
`postgresql://...` made every `postgresql://` of a text try 2,000 words (and the registration
check of each value against the others quadratic).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

START = 3  # characters of a word's start in the pattern: no word is shorter


class Words:
    """The words (each at least START characters long), indexed by start, then by length."""

    def __init__(self, words: Iterable[str]) -> None:
        by_start: dict[str, dict[int, set[str]]] = {}
        for word in set(words):
            by_start.setdefault(word[:START], {}).setdefault(len(word), set()).add(word)
        # Per start: (length, words of that length), longest first.
        self._by_start = {
            start: tuple(sorted(lengths.items(), key=lambda item: -item[0])) for start, lengths in by_start.items()
        }
        self._starts = _trie(self._by_start)
        self._every = re.compile(f"(?=({self._starts.pattern}))") if self._starts else None

    def _longest(self, text: str, at: int, start: str) -> int:
        """The length of the longest word at `at` in `text` (0: none)."""
        for length, words in self._by_start[start]:
            if text[at : at + length] in words:
                return length
        return 0

    def spans(self, text: str) -> list[tuple[int, int]]:
        """Where the words are in `text`, the longest at each offset (overlapping ones too)."""
        if self._every is None or self._starts is None or not self._starts.search(text):
            return []
        found = []
        for match in self._every.finditer(text):
            at = match.start()
            length = self._longest(text, at, match.group(1))
            if length:
                found.append((at, at + length))
        return found

    def search(self, text: str) -> bool:
        """Whether any word is in `text`."""
        if self._every is None or self._starts is None or not self._starts.search(text):
            return False
        return any(self._longest(text, m.start(), m.group(1)) for m in self._every.finditer(text))


def _trie(words: Iterable[str]) -> re.Pattern[str] | None:
    """One pattern matching any of `words` (none a prefix of another): a trie."""
    root: dict[str, Any] = {}
    for word in words:
        node = root
        for char in word:
            node = node.setdefault(char, {})
    if not root:
        return None

    def build(node: dict[str, Any]) -> str:
        branches = [re.escape(char) + build(child) for char, child in sorted(node.items())]
        if len(branches) <= 1:
            return "".join(branches)
        return "(?:" + "|".join(branches) + ")"

    return re.compile(build(root))
