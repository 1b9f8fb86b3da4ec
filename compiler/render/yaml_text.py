"""Deterministic YAML text for the rendered files (the Jinja filters `yaml` and `yaml_block`).

Plain scalars only where no YAML 1.1 or 1.2 reader could take them for anything but a
string (the Astro CLI reads with Go's yaml through viper, which is YAML 1.1-ish), single
quotes where that suffices, JSON-style double quotes for the rest.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from typing import Any

from compiler.model.objects import MAPPINGS

_PLAIN = re.compile(r"[A-Za-z_/][A-Za-z0-9_./@+-]*(?: [A-Za-z0-9_./@+()-]+)*")
# What JSON leaves raw but YAML must not see raw: DEL and C1 controls (outside YAML's
# printable set; U+0085 is a YAML 1.1 line break), the 1.1 line and paragraph separators,
# and the non-characters a YAML reader rejects. Inside double quotes `\uXXXX` is read back.
_UNPRINTABLE = re.compile("[\x7f-\x9f\u2028\u2029\ufeff\ufffe\uffff]")
_AMBIGUOUS = re.compile(
    r"(?i)(?:y|yes|n|no|true|false|on|off|null|~|[-+]?(?:\.?[0-9][0-9_.:eE+-]*|\.inf|\.nan|0x[0-9a-f_]+|0o?[0-7_]+|0b[01_]+))"
)


def scalar(value: Any) -> str:
    if type(value) is str:
        return _string(value)
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if type(value) is int:
        return int.__repr__(value)  # json.dumps' text of an int, without an encoder
    if isinstance(value, (int, float)):
        return json.dumps(value)
    return _string(str(value))


# The same strings recur in every Deployment's file (hosts, logins, types): each is quoted
# once per run. Bounded, so a workspace of distinct values costs what it did uncached.
@lru_cache(maxsize=1 << 16)
def _string(text: str) -> str:
    if text and _PLAIN.fullmatch(text) and not _AMBIGUOUS.fullmatch(text):
        return text
    if text.isprintable() and "\n" not in text:
        return "'" + text.replace("'", "''") + "'"
    return _UNPRINTABLE.sub(lambda m: f"\\u{ord(m.group()):04x}", json.dumps(text, ensure_ascii=False))


def block(value: Any, indent: int = 0) -> str:
    """A value as YAML after `key:` (a scalar on the same line, collections below it)."""
    if type(value) is str:
        return " " + _string(value)
    pad = " " * indent
    if isinstance(value, MAPPINGS) and value:
        return "".join(f"\n{pad}{scalar(k)}:{_after(v, indent + 2)}" for k, v in value.items())
    if isinstance(value, (list, tuple)) and value:
        return "".join(f"\n{pad}-{_item(v, indent + 2)}" for v in value)
    if isinstance(value, MAPPINGS):
        return " {}"
    if isinstance(value, (list, tuple)):
        return " []"
    return " " + scalar(value)


def _after(value: Any, indent: int) -> str:
    return block(value, indent)


def _item(value: Any, indent: int) -> str:
    if isinstance(value, MAPPINGS) and value:
        text = block(value, indent)
        return " " + text.lstrip("\n").lstrip(" ")
    return block(value, indent)
