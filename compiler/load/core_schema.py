"""The YAML 1.2 core schema, exactly: which plain scalar is what, and its value.

Both reading routes (load/fast_route.py and load/careful_route.py) resolve and construct scalars here,
so they cannot disagree on a type. The rules (README, "YAML"):

- null: `null`, `Null`, `NULL`, `~` and the empty value;
- booleans: `true`, `True`, `TRUE`, `false`, `False`, `FALSE` (`yes`, `no`, `on`, `off`: strings);
- integers: `[-+]?[0-9]+` in decimal (`017` is 17), `0o[0-7]+` octal, `0x[0-9a-fA-F]+` hex;
- floats: `[-+]?(.[0-9]+|[0-9]+(.[0-9]*)?)([eE][-+]?[0-9]+)?`; `.inf` and `.nan` forms are floats
  that the loader then refuses;
- everything else is a string: `1_000`, `0x_1F`, `0b101`, `0O17`, `+0x1F`, `1:20` (YAML 1.1 forms);
- one exception, for safety: an unquoted date or timestamp (`2024-01-01`), which YAML 1.1
  readers (the Astro CLI's among them) take for a date, is refused; quote it.

An explicit tag (`!!int`, `!!float`, `!!bool`, `!!null`) takes the same forms, else the
value is refused (`!!bool yes` is not a boolean in YAML 1.2).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

CORE = "tag:yaml.org,2002:"
STR, INT, FLOAT, BOOL, NULL, TIMESTAMP = (CORE + t for t in ("str", "int", "float", "bool", "null", "timestamp"))

# Sets, not patterns, where the forms are few: each compiled pattern cost every cold start ~0.1 ms.
_NULL = frozenset(("null", "Null", "NULL", "~", ""))
_BOOL = frozenset(("true", "True", "TRUE", "false", "False", "FALSE"))
_INT = re.compile(r"[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+")
_FLOAT = re.compile(
    r"[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?|[-+]?(?:\.inf|\.Inf|\.INF)|\.nan|\.NaN|\.NAN"
)
# The YAML 1.1 timestamp type, as libyaml's and ruamel.yaml's resolvers know it.
_TIMESTAMP = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}"
    r"|[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}(?:[Tt]|[ \t]+)[0-9]{1,2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]*)?"
    r"(?:[ \t]*(?:Z|[-+][0-9]{1,2}(?::[0-9]{2})?))?"
)
# A scalar can only be something but a string if it starts with one of these characters.
_MAYBE = frozenset("0123456789-+.~nNtTfF")


class NotCore(ValueError):
    """An explicitly tagged scalar whose text is not a form of its tag in the core schema.

    The message never quotes the text: it may be a secret written in the wrong place.
    """


def tag_of(text: str) -> str:
    """The tag of a plain (unquoted, untagged) scalar."""
    if text and text[0] not in _MAYBE:
        return STR
    if text in _NULL:
        return NULL
    if text in _BOOL:
        return BOOL
    if _INT.fullmatch(text):
        return INT
    if _FLOAT.fullmatch(text):
        return FLOAT
    if _TIMESTAMP.fullmatch(text):
        return TIMESTAMP
    return STR


MAX_INT_DIGITS = 4000  # under sys.get_int_max_str_digits()'s default of 4300


def to_int(text: str) -> int:
    if not _INT.fullmatch(text):
        raise NotCore("the value tagged !!int is not a YAML 1.2 integer")
    if len(text) > MAX_INT_DIGITS:  # Python refuses longer decimal texts (ValueError); none is a real setting
        raise NotCore(f"an integer of more than {MAX_INT_DIGITS} digits")
    if text.startswith(("0o", "0x")):
        return int(text[2:], 8 if text[1] == "o" else 16)
    return int(text, 10)


def to_float(text: str) -> float:
    if not _FLOAT.fullmatch(text):
        raise NotCore("the value tagged !!float is not a YAML 1.2 float")
    lowered = text.lower()
    if lowered.endswith(".nan"):
        return float("nan")
    if lowered.endswith(".inf"):
        return float("-inf") if text.startswith("-") else float("inf")
    return float(text)


def to_bool(text: str) -> bool:
    if text not in _BOOL:
        raise NotCore("the value tagged !!bool is not a YAML 1.2 boolean (true or false)")
    return text.lower() == "true"


def to_null(text: str) -> None:
    if text not in _NULL:
        raise NotCore("the value tagged !!null is not a YAML 1.2 null")


CONSTRUCTORS: dict[str, Callable[[str], Any]] = {STR: str, INT: to_int, FLOAT: to_float, BOOL: to_bool, NULL: to_null}
