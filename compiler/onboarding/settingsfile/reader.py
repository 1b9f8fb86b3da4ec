"""The reader the per-kind modules share: the file's layout, keys, and typed fields.

Typing follows the Astro CLI, which decodes the file with viper and mapstructure's weak
typing: a number or a boolean where a string belongs becomes its text (a boolean is
"1" or "0"), a boolean or a whole float where an integer belongs becomes that integer, and a
mapping or a list where a scalar belongs is a decoding error, on which the CLI loads
nothing from the file. Each problem is one diagnostic: a field that fails to read makes
its entry fail without a second "skipped" warning.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from decimal import Decimal
from typing import Any, TypeAlias

from compiler.diagnostics import Diagnostic, Location, did_you_mean, error, warning
from compiler.load import documents
from compiler.model.frozen import frozen

YPath: TypeAlias = documents.YPath
Raw: TypeAlias = "Mapping[str, tuple[str, Any]]"  # an entry: {lower-case key: (key as written, value)}

TOP_KEY = "airflow"
SECTIONS = {
    "connections": ("conn_id", "conn_type", "conn_host", "conn_schema", "conn_login", "conn_password", "conn_port", "conn_uri", "conn_extra"),
    "variables": ("variable_name", "variable_value"),
    "pools": ("pool_name", "pool_slot", "pool_description"),
}  # fmt: skip
_CLI_DROPS = "the Astro CLI loads nothing from a file with this"


@frozen
class Entry:
    """One connection, variable or pool as the CLI would apply it: fields in our format."""

    kind: str
    key: str
    ypath: YPath
    fields: Mapping[str, Any]


class Reader:
    """Reads the file's layout and typed fields the way the Astro CLI does, collecting diagnostics."""

    def __init__(self, document: documents.Document) -> None:
        self.document = document
        self.found: list[Diagnostic] = []
        self.airflow = self._airflow()

    def at(self, ypath: YPath, *, key: bool = False) -> Location:
        return self.document.locate(ypath, at="key" if key else "value")

    def error(self, ypath: YPath, code: str, message: str, *, key: bool = False) -> None:
        self.found.append(error(self.at(ypath, key=key), code, message))

    def warn(self, ypath: YPath, code: str, message: str, *, key: bool = False) -> None:
        self.found.append(warning(self.at(ypath, key=key), code, message))

    def errors(self) -> int:
        """How many errors so far: an entry whose fields added one is not also 'skipped'."""
        return sum(d.is_error for d in self.found)

    def unknown(self, ypath: YPath, key: str, known: tuple[str, ...], where: str) -> None:
        hint = did_you_mean(key.lower(), known)
        message = f"unknown key '{key}' {where}, which the Astro CLI ignores{hint}"
        self.error((*ypath, key), "unknown-key", message, key=True)

    def _airflow(self) -> tuple[YPath, Mapping[str, Any]] | None:
        data = self.document.data
        top = lookup(data, TOP_KEY) if isinstance(data, dict) else None
        if top is None:
            self.error((), "not-airflow-settings", "not an Astro CLI airflow_settings.yaml (no 'airflow:' mapping)")
            return None
        for key in data:
            if key != top[0]:
                self.unknown((), key, (TOP_KEY,), "at the top level")
        ypath: YPath = (top[0],)
        if top[1] is None:
            return ypath, {}
        if not isinstance(top[1], dict):
            self.error(
                ypath, "wrong-type", f"'airflow' must be a mapping of connections, pools and variables ({_CLI_DROPS})"
            )
            return None
        for key in top[1]:
            if key.lower() not in SECTIONS:
                self.unknown(ypath, key, tuple(SECTIONS), "under 'airflow'")
        return ypath, top[1]

    def entries(self, section: str) -> list[tuple[YPath, Raw]]:
        """The section's entries as {lower-case key: (key as written, value)}."""
        if self.airflow is None:
            return []
        prefix, airflow = self.airflow
        found = lookup(airflow, section)
        if found is None or found[1] is None:
            return []
        ypath = (*prefix, found[0])
        if not isinstance(found[1], list):
            self.error(ypath, "wrong-type", f"'{section}' must be a list ({_CLI_DROPS})")
            return []
        result: list[tuple[YPath, Raw]] = []
        for i, entry in enumerate(found[1]):
            if isinstance(entry, dict):
                result.append(((*ypath, i), self._keys(entry, (*ypath, i), section)))
            elif entry is not None:
                self.error((*ypath, i), "wrong-type", f"an entry of '{section}' must be a mapping ({_CLI_DROPS})")
        return result

    def _keys(self, entry: dict[str, Any], ypath: YPath, section: str) -> dict[str, tuple[str, Any]]:
        keys: dict[str, tuple[str, Any]] = {}
        for key, value in entry.items():
            if key.lower() not in SECTIONS[section]:
                self.unknown(ypath, key, SECTIONS[section], f"in an entry of '{section}'")
            elif key.lower() in keys:
                self.error((*ypath, key), "duplicate-key", f"'{key}' given twice (keys match ignoring case)", key=True)
            else:
                keys[key.lower()] = (key, value)
        return keys

    def text(self, ypath: YPath, entry: Raw, name: str) -> str | None:
        """A string field, typed as the CLI's weak decoding types it; '' is absent."""
        if name not in entry:
            return None
        key, value = entry[name]
        if value is None or isinstance(value, str):
            return value or None
        if isinstance(value, bool):
            text = "1" if value else "0"
            self.warn(
                (*ypath, key),
                "bool-as-text",
                f"'{key}' is a YAML boolean, which the Astro CLI reads as '1' or '0'; imported so (quote the text you mean)",
            )
            return text
        if isinstance(value, (int, float)):
            text = number_text(value)
            self.warn(
                (*ypath, key),
                "number-as-text",
                f"'{key}' is a YAML number, imported as its text, as by the Astro CLI (quote it)",
            )
            return text
        hint = ""
        if isinstance(value, (dict, list)):
            # The value itself is not shown: a variable may hold a secret.
            example = '{"key": "value"}' if isinstance(value, dict) else '["a", "b"]'
            hint = (
                f"; write it as one JSON string, quoted in YAML (`{key}: '{example}'`), which Airflow "
                "reads back with Variable.get(..., deserialize_json=True)"
            )
        self.error((*ypath, key), "wrong-type", f"'{key}' must be a string, not a {_kind(value)} ({_CLI_DROPS}){hint}")
        return None

    def integer(self, ypath: YPath, entry: Raw, name: str) -> int | None:
        """An integer field, typed as the CLI's weak decoding types it; '' is absent."""
        if name not in entry:
            return None
        key, value = entry[name]
        if value is None or (isinstance(value, int) and not isinstance(value, bool)):
            return value
        if isinstance(value, str) and re.fullmatch(r"\s*-?[0-9]+\s*", value):
            return int(value)
        if isinstance(value, str) and not value.strip():
            return None
        if isinstance(value, (bool, float)):  # mapstructure truncates a float
            if int(value) == 0:
                return 0  # the caller's rule for 0 ("not set", "skipped") is the one thing to say
            self.warn(
                (*ypath, key),
                "number-as-integer",
                f"'{key}' is not an integer; imported as the Astro CLI reads it (true: 1, a float truncated)",
            )
            return int(value)
        self.error((*ypath, key), "wrong-type", f"'{key}' must be an integer ({_CLI_DROPS})")
        return None


def lookup(mapping: Mapping[str, Any], name: str) -> tuple[str, Any] | None:
    """(key as written, value) of the key that equals `name` ignoring case (viper lower-cases keys)."""
    return next(((k, v) for k, v in mapping.items() if k.lower() == name), None)


def number_text(value: int | float) -> str:
    """A number as Go's strconv.FormatFloat(f, 'f', -1) writes it: 1.0 -> '1', 1e20 -> '100000000000000000000'."""
    if isinstance(value, int):
        return str(value)
    text = format(Decimal(repr(value)), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def _kind(value: Any) -> str:
    return "mapping" if isinstance(value, Mapping) else "list" if isinstance(value, list) else type(value).__name__
