"""An Astro CLI airflow_settings.yaml, read the way the CLI reads it, with located diagnostics.

As in astro-cli settings/types.go and settings.go: keys match ignoring case (viper
lower-cases them), an empty value is an absent one, `conn_uri` counts only when no other
field is set and is parsed as Airflow parses it, and entries the CLI skips (no conn_id;
neither conn_type nor conn_uri; pool_slot 0; no variable value) are skipped with a
warning. The later of two entries with one key wins.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, TypeAlias

from . import limits, load
from .connuri import parse_conn_uri, parse_extra
from .diagnostics import Diagnostic, Location, did_you_mean, error, warning
from .rules import CONN_ID, MAX_POOL_NAME, MAX_VARIABLE_KEY

YPath: TypeAlias = load.YPath
_Raw: TypeAlias = "Mapping[str, tuple[str, Any]]"  # an entry: {lower-case key: (key as written, value)}

SECTIONS = {
    "connections": ("conn_id", "conn_type", "conn_host", "conn_schema", "conn_login", "conn_password", "conn_port", "conn_uri", "conn_extra"),
    "variables": ("variable_name", "variable_value"),
    "pools": ("pool_name", "pool_slot", "pool_description"),
}  # fmt: skip
_TEXT_FIELDS = ("type", "host", "schema", "login", "password")  # conn_<field>, in render order
_MAX_EXTRA_DEPTH = limits.MAX_DEPTH - 8  # room for connections/<id>/extra in the written file


@dataclass(frozen=True)
class Settings:
    """The entries to import, per section, and every problem found (warnings and errors)."""

    connections: tuple[Entry, ...]
    variables: tuple[Entry, ...]
    pools: tuple[Entry, ...]
    diagnostics: tuple[Diagnostic, ...]


def read_settings(document: load.Document) -> Settings:
    """The settings file's entries, as the CLI would apply them."""
    reader = _Reader(document)
    sections = {name: reader.entries(name) for name in SECTIONS}
    connections = _deduplicated(reader, [c for c in map(reader.connection, sections["connections"]) if c], "connection")
    variables = _deduplicated(reader, [v for v in map(reader.variable, sections["variables"]) if v], "variable")
    pools = _deduplicated(reader, [p for p in map(reader.pool, sections["pools"]) if p], "pool")
    return Settings(tuple(connections), tuple(variables), tuple(pools), tuple(reader.found))


@dataclass(frozen=True)
class Entry:
    """One connection, variable or pool as the CLI would apply it: fields in our format."""

    kind: str
    key: str
    ypath: YPath
    fields: Mapping[str, Any]


class _Reader:
    """Reads entries the way the Astro CLI does, collecting located diagnostics."""

    def __init__(self, document: load.Document) -> None:
        self.document = document
        self.found: list[Diagnostic] = []
        self.airflow = self._airflow()

    def at(self, ypath: YPath, *, key: bool = False) -> Location:
        return self.document.locate(ypath, at="key" if key else "value")

    def error(self, ypath: YPath, code: str, message: str, *, key: bool = False) -> None:
        self.found.append(error(self.at(ypath, key=key), code, message))

    def warn(self, ypath: YPath, code: str, message: str, *, key: bool = False) -> None:
        self.found.append(warning(self.at(ypath, key=key), code, message))

    def _airflow(self) -> tuple[YPath, Mapping[str, Any]] | None:
        data = self.document.data
        top = _lookup(data, "airflow") if isinstance(data, dict) else None
        if top is None:
            self.error((), "not-airflow-settings", "not an Astro CLI airflow_settings.yaml (no 'airflow:' mapping)")
            return None
        ypath: YPath = (top[0],)
        if top[1] is None:
            return ypath, {}
        if not isinstance(top[1], dict):
            self.error(ypath, "wrong-type", "'airflow' must be a mapping of connections, pools and variables")
            return None
        return ypath, top[1]

    def entries(self, section: str) -> list[tuple[YPath, _Raw]]:
        """The section's entries as {lower-case key: (key as written, value)}."""
        if self.airflow is None:
            return []
        prefix, airflow = self.airflow
        found = _lookup(airflow, section)
        if found is None or found[1] is None:
            return []
        ypath = (*prefix, found[0])
        if not isinstance(found[1], list):
            self.error(ypath, "wrong-type", f"'{section}' must be a list")
            return []
        result: list[tuple[YPath, _Raw]] = []
        for i, entry in enumerate(found[1]):
            if isinstance(entry, dict):
                result.append(((*ypath, i), self._keys(entry, (*ypath, i), section)))
            elif entry is not None:
                self.error((*ypath, i), "wrong-type", f"an entry of '{section}' must be a mapping")
        return result

    def _keys(self, entry: dict[str, Any], ypath: YPath, section: str) -> dict[str, tuple[str, Any]]:
        keys: dict[str, tuple[str, Any]] = {}
        for key, value in entry.items():
            if key.lower() not in SECTIONS[section]:
                hint = did_you_mean(key.lower(), SECTIONS[section])
                self.warn(
                    (*ypath, key), "unknown-key", f"unknown key '{key}' ignored, as by the Astro CLI{hint}", key=True
                )
            elif key.lower() in keys:
                self.error((*ypath, key), "duplicate-key", f"'{key}' given twice (keys match ignoring case)", key=True)
            else:
                keys[key.lower()] = (key, value)
        return keys

    def text(self, ypath: YPath, entry: _Raw, name: str) -> str | None:
        """A string field; numbers become their text (as the CLI's weak decoding does), '' is absent."""
        if name not in entry:
            return None
        key, value = entry[name]
        if value is None or isinstance(value, str):
            return value or None
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            self.warn((*ypath, key), "number-as-text", f"'{key}' is a YAML number, imported as its text (quote it)")
            return str(value)
        self.error((*ypath, key), "wrong-type", f"'{key}' must be a string")
        return None

    def integer(self, ypath: YPath, entry: _Raw, name: str) -> int | None:
        if name not in entry:
            return None
        key, value = entry[name]
        if value is None or (isinstance(value, int) and not isinstance(value, bool)):
            return value
        if isinstance(value, str) and re.fullmatch(r"\s*-?[0-9]+\s*", value):
            return int(value)
        if isinstance(value, str) and not value.strip():
            return None
        self.error((*ypath, key), "wrong-type", f"'{key}' must be an integer")
        return None

    # --- connections ---

    def connection(self, item: tuple[YPath, _Raw]) -> Entry | None:
        ypath, entry = item
        conn_id = self.text(ypath, entry, "conn_id")
        if conn_id is None:
            self.warn(ypath, "skipped-entry", "connection without conn_id skipped, as by the Astro CLI")
            return None
        if not CONN_ID.fullmatch(conn_id) or ".." in conn_id:
            message = f"conn_id '{conn_id}' must match ^[A-Za-z0-9_.-]{{1,200}}$ and not contain '..'"
            self.error((*ypath, entry["conn_id"][0]), "invalid-conn-id", message)
            return None
        fields: dict[str, Any] = {name: self.text(ypath, entry, f"conn_{name}") for name in _TEXT_FIELDS}
        fields["port"] = self._port(ypath, entry)
        fields = {k: v for k, v in fields.items() if v is not None}
        from_uri = self._uri(ypath, entry, fields, conn_id)
        if from_uri is None:
            return None
        fields, uri_extra = from_uri
        extra = self._extra(ypath, entry)
        if extra is not None and uri_extra is not None:
            where = (*ypath, entry["conn_extra"][0])
            self.warn(where, "extra-replaces-uri", "conn_extra replaces the extra of conn_uri")
        extra = extra if extra is not None else uri_extra
        if "type" not in fields:
            message = f"connection '{conn_id}' without conn_type or conn_uri skipped, as by the Astro CLI"
            self.warn(ypath, "skipped-entry", message)
            return None
        if extra:
            self._check_extra(ypath, entry, extra)
            fields["extra"] = extra
        return Entry("connection", conn_id, ypath, fields)

    def _port(self, ypath: YPath, entry: _Raw) -> int | None:
        port = self.integer(ypath, entry, "conn_port")
        if port is None or port == 0:  # 0 is the CLI's "not set"
            return None
        if not 1 <= port <= 65535:
            self.error((*ypath, entry["conn_port"][0]), "invalid-port", "conn_port must be from 1 to 65535")
            return None
        return port

    def _uri(
        self, ypath: YPath, entry: _Raw, fields: dict[str, Any], conn_id: str
    ) -> tuple[dict[str, Any], Any] | None:
        """The fields (from conn_uri when it is the only one given) and the URI's extra; None: a bad URI."""
        uri = self.text(ypath, entry, "conn_uri")
        if uri is None:
            return fields, None
        where = (*ypath, entry["conn_uri"][0])
        if fields:
            message = f"conn_uri of '{conn_id}' ignored beside other fields, as by the Astro CLI"
            self.warn(where, "uri-ignored", message, key=True)
            return fields, None
        try:
            parsed = parse_conn_uri(uri)
        except ValueError as exc:
            self.error(where, "invalid-uri", f"conn_uri of '{conn_id}': {exc}")
            return None
        extra = parsed.pop("extra", None)
        return parsed, extra

    def _extra(self, ypath: YPath, entry: _Raw) -> dict[str, Any] | None:
        if "conn_extra" not in entry:
            return None
        key, value = entry["conn_extra"]
        where = (*ypath, key)
        if value is None or value == "":
            return None
        if isinstance(value, str):
            try:
                return parse_extra(value)
            except ValueError as exc:
                self.error(where, "invalid-extra", f"conn_extra {exc}")
                return None
        if isinstance(value, dict):
            if any(k != k.lower() for k in _all_keys(value)):
                message = "the Astro CLI lower-cases the keys of a conn_extra mapping; kept as written"
                self.warn(where, "extra-key-case", message)
            return value
        self.warn(where, "extra-dropped", f"conn_extra of type {type(value).__name__} is dropped, as by the Astro CLI")
        return None

    def _check_extra(self, ypath: YPath, entry: _Raw, extra: dict[str, Any]) -> None:
        where = (*ypath, entry["conn_extra"][0] if "conn_extra" in entry else entry["conn_uri"][0])
        if _depth(extra) > _MAX_EXTRA_DEPTH:
            self.error(where, "too-deep", f"extra is nested deeper than {_MAX_EXTRA_DEPTH} levels")
        for path in _secret_key_mappings(extra, ()):
            dotted = ".".join(map(str, path))
            message = f"extra.{dotted}: a mapping with a key 'secret' reads as a secret reference"
            self.error(where, "unrepresentable-extra", message)

    # --- variables and pools ---

    def variable(self, item: tuple[YPath, _Raw]) -> Entry | None:
        ypath, entry = item
        name = self.text(ypath, entry, "variable_name")
        value = self.text(ypath, entry, "variable_value")
        if name is None or value is None:
            what = "without variable_name" if name is None else f"'{name}' without variable_value"
            self.warn(ypath, "skipped-entry", f"variable {what} skipped, as by the Astro CLI")
            return None
        if len(name) > MAX_VARIABLE_KEY:
            where = (*ypath, entry["variable_name"][0])
            self.error(where, "invalid-variable-key", f"variable key must be 1 to {MAX_VARIABLE_KEY} characters")
            return None
        return Entry("variable", name, ypath, {"value": value})

    def pool(self, item: tuple[YPath, _Raw]) -> Entry | None:
        ypath, entry = item
        name = self.text(ypath, entry, "pool_name")
        slots = self.integer(ypath, entry, "pool_slot")
        if name is None or not slots:
            what = "without pool_name" if name is None else f"'{name}' without pool_slot"
            self.warn(ypath, "skipped-entry", f"pool {what} skipped, as by the Astro CLI")
            return None
        if len(name) > MAX_POOL_NAME:
            self.error(ypath, "invalid-pool", f"pool name must be 1 to {MAX_POOL_NAME} characters")
            return None
        if slots < -1:
            self.error((*ypath, entry["pool_slot"][0]), "invalid-pool", "pool_slot must be -1 (unlimited) or more")
            return None
        description = self.text(ypath, entry, "pool_description")
        return Entry("pool", name, ypath, {"slots": slots, **({"description": description} if description else {})})


def _lookup(mapping: Mapping[str, Any], name: str) -> tuple[str, Any] | None:
    """(key as written, value) of the key that equals `name` ignoring case (viper lower-cases keys)."""
    return next(((k, v) for k, v in mapping.items() if k.lower() == name), None)


def _deduplicated(reader: _Reader, entries: list[Entry], kind: str) -> list[Entry]:
    """The later of two entries with one key wins, as the CLI applies them in order."""
    # conn_ids that differ only in case share AIRFLOW_CONN_<ID>: a collision, not a duplicate.
    fold = str.upper if kind == "connection" else str
    kept: dict[str, Entry] = {}
    for entry in entries:
        seen = next((e for e in kept.values() if fold(e.key) == fold(entry.key)), None)
        if seen is not None and seen.key != entry.key:
            message = f"conn_id '{entry.key}' differs from '{seen.key}' (at {reader.at(seen.ypath)}) only in case"
            reader.error(entry.ypath, "conn-id-case-collision", message)
            continue
        if seen is not None:
            message = f"{kind} '{entry.key}' is also defined at {reader.at(seen.ypath)}; the later one wins, as in the Astro CLI"
            reader.warn(entry.ypath, "duplicate-entry", message)
            del kept[seen.key]
        kept[entry.key] = entry
    return list(kept.values())


def _all_keys(value: Any) -> Iterable[str]:
    if isinstance(value, dict):
        for key, child in value.items():
            yield key
            yield from _all_keys(child)
    elif isinstance(value, list):
        for child in value:
            yield from _all_keys(child)


def _depth(value: Any) -> int:
    if isinstance(value, dict):
        return 1 + max(map(_depth, value.values()), default=0)
    if isinstance(value, list):
        return 1 + max(map(_depth, value), default=0)
    return 0


def _secret_key_mappings(value: Any, path: YPath) -> Iterable[YPath]:
    """Mappings our format cannot hold: below the top of extra, a `secret` key makes a reference."""
    if isinstance(value, dict):
        if path and "secret" in value:
            yield path
        if not path and set(value) == {"secret"} and value["secret"] == "":
            yield ("secret",)
        for key, child in value.items():
            yield from _secret_key_mappings(child, (*path, key))
    elif isinstance(value, list):
        for i, child in enumerate(value):
            yield from _secret_key_mappings(child, (*path, i))
