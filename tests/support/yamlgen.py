"""A seeded generator of YAML edge cases, for comparing the fast and careful reading routes.

Deterministic (`random.Random(seed)`), so CI runs the same inputs every time and a
disagreement found once is found again. The pieces are the constructs where YAML parsers
differ: flow collections (quoted keys with and without a space before the value, empty
values, `?` keys, single-pair mappings in sequences, nested flows, trailing commas,
comments and line breaks inside, anchors, aliases and tags inside), block structures
(indentation, block scalars with indicators, multi-line plain and quoted scalars),
scalars whose type depends on the YAML version (`1_000`, `0x_1F`, `0b101`, `017`,
`+.inf`, `1:20`, `yes`), escapes, tabs, and the line breaks and characters only some
readers treat specially (NEL, LS, PS, BOM, DEL, CR).
"""

from __future__ import annotations

import random
from collections.abc import Iterator

PLAIN = [
    "x", "a b", "é", "1", "-1", "+1", "0", "00", "017", "0o17", "0O17", "-0o17", "0x1F", "0X1f", "0x_1F", "0b101",
    "1_000", "1_0.5", "1.", ".5", "1e3", "1E+3", "1e", "+.5", "-.inf", "+.inf", ".inf", ".Inf", ".INF", ".iNf", ".nan",
    ".NaN", "1:20", "1:20:30.5", "yes", "no", "on", "off", "y", "n", "Yes", "true", "True", "TRUE", "tRue", "false",
    "null", "Null", "NULL", "nULL", "~", "2024-01-01", "12:30", "a:b", "a#b", "a,b", "-a", "?x", ":x", "x:", "@x",
    "%x", "!x", "&x", "*x", "a - b", "a: b", "0.", "1_", "_1", "0x", "0o", "0b", "1e3_0", "+", "-", ".", "-.",
    "http://h/p?q=1#f", "a\\b",
]  # fmt: skip
SINGLE = ["''", "'x'", "'it''s'", "'1'", "'a: b'", "'#'", "'a\n  b'", "'a\n\n  b'", "' x '", "'\t'"]
DOUBLE = [
    '""', '"x"', '"1"', '"a\\tb"', '"\\/"', '"\\x41"', '"\\u00e9"', '"\\U0001F600"', '"\\N"', '"\\_"', '"\\L"',
    '"\\P"', '"\\ "', '"\\e"', '"\\0"', '"\\a"', '"\\q"', '"\\x4"', '"a\\\n  b"', '"a\n  b"', '"a \n\n  b"',
    '"\\\t"', '"\t"', '"\\""', "\"'\"",
]  # fmt: skip
ANCHOR = ["&a ", "&b ", "&a1 ", "&a.b ", "&a] ", "&"]
ALIAS = ["*a", "*b", "*a1", "*a.b", "*zz", "*a ", "*"]
TAG = [
    "!!str ",
    "!!int ",
    "!!float ",
    "!!bool ",
    "!!null ",
    "! ",
    "!x ",
    "!!map ",
    "!!seq ",
    "!<tag:yaml.org,2002:str> ",
]
SPACE = [" ", " ", " ", "", "  ", "\t", " \t", "\n  ", "\n", " # c\n  ", "#c\n "]
BREAK = ["\n", "\n", "\n", "\r\n", "\r", "\x85", "\u2028", "\u2029"]
ODD = ["\t", "\ufeff", "\x7f", "\x1b", "\xa0", "\u2028", "\x85", "\r", "\ufffe", "\U0001f600", "\\", "#", "%"]
# The tame half of the inputs: mostly valid YAML, so that values (not only verdicts) are compared.
TAME_PLAIN = [
    "x", "a b", "é", "1", "-1", "0", "017", "0o17", "0x1F", "0x_1F", "0b101", "1_000", "1.", ".5", "1e3", "-1.5E-2",
    "1:20", "yes", "on", "Off", "true", "FALSE", "null", "~", "a:b", "a#b", "-a", "http://h/p?q=1#f", "12:30", "0.",
]  # fmt: skip
TAME_QUOTED = ["''", "'x'", "'it''s'", "'1'", "'a: b'", '""', '"x"', '"a\\tb"', '"\\u00e9"', '"\\x41"', "'#'"]
TAME_COLON = [": ", ": ", " : ", ":\n  "]
TAME_SEP = [", ", ", ", ",", ",\n  ", ", # c\n  "]
BLOCK_HEADER = ["|", ">", "|-", ">-", "|+", ">+", "|2", ">1", "|2-", "|-2", "|0", "|10", "| # c", "|\t"]


class Generator:
    """Random YAML texts of one family each, from one seed."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.tame = False

    def pick(self, options: list[str], tame: list[str] | None = None) -> str:
        return self.rng.choice(tame if self.tame and tame else options)

    def chance(self, p: float) -> bool:
        return self.rng.random() < p

    # --- scalars ------------------------------------------------------------------------

    def scalar(self) -> str:
        roll = self.rng.random()
        if roll < 0.55:
            return self.pick(PLAIN, TAME_PLAIN)
        if roll < 0.7:
            return self.pick(SINGLE, TAME_QUOTED)
        if roll < 0.85:
            return self.pick(DOUBLE, TAME_QUOTED)
        if roll < 0.9 and not self.tame:
            return self.pick(ALIAS)
        return ""

    def decorated(self, text: str) -> str:
        if self.chance(0.1):
            text = self.pick(ANCHOR, ["&a ", "&b "]) + text
        if self.chance(0.08 if not self.tame else 0.02):
            text = self.pick(TAG) + text
        return text

    # --- flow collections ------------------------------------------------------------------

    def flow_node(self, depth: int) -> str:
        if depth < 3 and self.chance(0.3):
            return self.decorated(self.flow_seq(depth + 1) if self.chance(0.5) else self.flow_map(depth + 1))
        return self.decorated(self.scalar())

    def flow_pair(self, depth: int) -> str:
        if self.tame:
            key = self.decorated(self.scalar() or "k")
            return ("? " if self.chance(0.1) else "") + key + self.pick(TAME_COLON) + self.flow_node(depth)
        key = self.flow_node(depth) if self.chance(0.9) else ""
        colon = self.pick([": ", ":", " : ", ":\t", ": \n  ", " :", ":  "], TAME_COLON)
        roll = self.rng.random()
        if roll < 0.15:
            return "? " + key + (colon + self.flow_node(depth) if self.chance(0.6) else "")
        if roll < 0.25:
            return key + colon.rstrip()  # an empty value
        if roll < 0.3:
            return ": " + self.flow_node(depth)  # an empty key
        return key + colon + self.flow_node(depth)

    def flow_items(self, depth: int, pairs: float) -> str:
        items = [
            self.flow_pair(depth) if self.chance(pairs) else self.flow_node(depth)
            for _ in range(self.rng.randint(0, 4))
        ]
        text = ""
        for i, item in enumerate(items):
            text += (
                self.pick([",", ", ", " ,", ",\n  ", ", # c\n  ", ",,"], TAME_SEP)
                if i
                else self.pick(["", " ", "\n  "])
            ) + item
        if items and self.chance(0.2):
            text += self.pick([",", ", ", ",\n"])
        return text + self.pick(["", "", " ", "\n", "\n  ", " # c\n  "])

    def flow_seq(self, depth: int = 0) -> str:
        return "[" + self.flow_items(depth, 0.3) + "]"

    def flow_map(self, depth: int = 0) -> str:
        return "{" + self.flow_items(depth, 0.85) + "}"

    def flow_document(self) -> str:
        """A block mapping whose values are flow collections, the way environments files use them."""
        lines = []
        for i in range(self.rng.randint(1, 3)):
            value = self.flow_seq() if self.chance(0.5) else self.flow_map()
            lines.append(
                f"k{i}:{self.pick([' ', ' ', '  ', chr(9)], [' '])}{self.decorated(value)}{self.pick(['', ' # c'])}"
            )
        if self.chance(0.2) and not self.tame:
            lines.append(f"r: {self.pick(ALIAS)}")
        return self.pick(BREAK if self.chance(0.1) else ["\n"]).join(lines) + "\n"

    # --- block structures ----------------------------------------------------------------

    def block_scalar(self, indent: int) -> str:
        pad = " " * indent
        lines = [
            self.pick(["x", "  y", "", " ", "\t z", "#c", "a: b", "- q", "'s'"], ["x", "  y", "", "a: b"])
            for _ in range(self.rng.randint(0, 4))
        ]
        return self.pick(BLOCK_HEADER, ["|", ">", "|-", ">+", "|2"]) + "".join(
            "\n" + (pad + line if line else "") for line in lines
        )

    def block_value(self, indent: int, depth: int) -> str:
        roll = self.rng.random()
        pad = " " * indent
        if depth < 3 and roll < 0.2:
            return "\n" + self.block_mapping(indent, depth + 1)
        if depth < 3 and roll < 0.35:
            inner = self.pick([indent, indent, max(0, indent - 2)])
            return "\n" + self.block_sequence(inner, depth + 1)
        if roll < 0.45:
            return " " + self.block_scalar(indent)
        if roll < 0.55:
            return " " + (self.flow_seq() if self.chance(0.5) else self.flow_map())
        if roll < 0.65 and not self.tame:
            return " " + self.scalar() + self.pick(["\n" + pad + "more", "\n" + pad, "\n\n" + pad + "m"])
        return (
            self.pick([" ", " ", "\t", "  ", " \t"], [" "])
            + self.decorated(self.scalar())
            + self.pick(["", "", " # c", "#c", " "], ["", " # c"])
        )

    def block_mapping(self, indent: int, depth: int) -> str:
        pad = " " * indent
        entries = []
        for _ in range(self.rng.randint(1, 3)):
            key = self.decorated(self.pick(PLAIN + SINGLE[:4] + DOUBLE[:4], TAME_PLAIN + TAME_QUOTED[:5]))
            if self.chance(0.08):
                entries.append(f"{pad}? {key}\n{pad}:{self.block_value(indent + 2, depth)}")
            elif self.tame:
                entries.append(
                    f"{pad}k{len(entries)}{key if key[:1].isalnum() else ''}:{self.block_value(indent + 2, depth)}"
                )
            else:
                entries.append(f"{pad}{key}:{self.block_value(indent + 2, depth)}")
        return "\n".join(entries)

    def block_sequence(self, indent: int, depth: int) -> str:
        pad = " " * indent
        items = []
        for _ in range(self.rng.randint(1, 3)):
            if self.chance(0.3):
                items.append(f"{pad}- " + self.block_mapping(indent + 2, depth + 1).lstrip(" "))
            else:
                items.append(f"{pad}-{self.block_value(indent + 2, depth)}")
        return "\n".join(items)

    def block_document(self) -> str:
        body = self.block_mapping(0, 0) if self.chance(0.8) else self.block_sequence(0, 0)
        head = self.pick(["", "", "", "---\n", "--- ", "%YAML 1.2\n---\n", "# c\n", "\ufeff"], ["", "---\n", "# c\n"])
        tail = self.pick(["\n", "\n", "\n", "", "\n...\n", "\n---\n", "\n\n"], ["\n", "\n...\n"])
        return head + body + tail

    # --- mutations of ordinary files -------------------------------------------------------

    def mutated(self, base: str) -> str:
        text = base
        for _ in range(self.rng.randint(1, 3)):
            at = self.rng.randrange(len(text) + 1)
            piece = self.pick(ODD + BREAK + [":", "- ", "[", "]", "{", "}", ",", "'", '"', "? ", "&a ", "*a", " "])
            replaced = 0 if self.chance(0.5) else len(piece)  # inserted, or written over
            text = text[:at] + piece + text[at + replaced :]
        return text

    def documents(self, count: int, bases: list[str]) -> Iterator[str]:
        """`count` texts: flow-heavy, block-heavy (wild and tame) and mutated ordinary files, interleaved."""
        for i in range(count):
            kind = i % 6
            self.tame = kind in (1, 3)
            if kind in (0, 1, 4):
                yield self.flow_document()
            elif kind in (2, 3):
                yield self.block_document()
            else:
                yield self.mutated(self.pick(bases))
