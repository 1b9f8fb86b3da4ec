"""Connections of an airflow_settings.yaml, as the Astro CLI applies them.

`conn_uri` counts only when no other field is set and is parsed as Airflow parses it; a
connection without conn_id, or without conn_type and conn_uri, is skipped with a warning.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from compiler import limits
from compiler.model.airflow_ids import conn_id_problem
from compiler.onboarding.connuri import parse_conn_uri, parse_extra
from compiler.onboarding.settingsfile.reader import Entry, Raw, Reader, YPath

_TEXT_FIELDS = ("type", "host", "schema", "login", "password")  # conn_<field>, in render order
_MAX_EXTRA_DEPTH = limits.MAX_DEPTH - 8  # room for connections/<id>/extra in the written file


def connection(reader: Reader, item: tuple[YPath, Raw]) -> Entry | None:
    ypath, entry = item
    errors = reader.errors()
    conn_id = reader.text(ypath, entry, "conn_id")
    if conn_id is None:
        if reader.errors() == errors:
            reader.warn(ypath, "skipped-entry", "connection without conn_id skipped, as by the Astro CLI")
        return None
    message = conn_id_problem(conn_id)
    if message is not None:
        reader.error((*ypath, entry["conn_id"][0]), "invalid-conn-id", message)
        return None
    fields: dict[str, Any] = {name: reader.text(ypath, entry, f"conn_{name}") for name in _TEXT_FIELDS}
    fields["port"] = _port(reader, ypath, entry)
    fields = {k: v for k, v in fields.items() if v is not None}
    from_uri = _uri(reader, ypath, entry, fields, conn_id)
    extra = _extra(reader, ypath, entry)
    if from_uri is None or reader.errors() > errors:
        return None
    fields, uri_extra = from_uri
    if extra is not None and uri_extra is not None:
        reader.warn((*ypath, entry["conn_extra"][0]), "extra-replaces-uri", "conn_extra replaces the extra of conn_uri")
    extra = extra if extra is not None else uri_extra
    if "type" not in fields:
        message = f"connection '{conn_id}' without conn_type or conn_uri skipped, as by the Astro CLI"
        reader.warn(ypath, "skipped-entry", message)
        return None
    if extra:
        _check_extra(reader, ypath, entry, extra)
        fields["extra"] = extra
    return Entry("connection", conn_id, ypath, fields)


def _port(reader: Reader, ypath: YPath, entry: Raw) -> int | None:
    port = reader.integer(ypath, entry, "conn_port")
    if port is None or port == 0:  # 0 is the CLI's "not set"
        return None
    if not 1 <= port <= 65535:
        reader.error((*ypath, entry["conn_port"][0]), "invalid-port", "conn_port must be from 1 to 65535")
        return None
    return port


def _uri(
    reader: Reader, ypath: YPath, entry: Raw, fields: dict[str, Any], conn_id: str
) -> tuple[dict[str, Any], Any] | None:
    """The fields (from conn_uri when it is the only one given) and the URI's extra; None: a bad URI."""
    if fields and "conn_uri" in entry and entry["conn_uri"][1] not in (None, ""):
        if isinstance(entry["conn_uri"][1], (dict, list)):
            reader.text(ypath, entry, "conn_uri")  # a decoding error, ignored or not
        else:
            message = f"conn_uri of '{conn_id}' ignored beside other fields, as by the Astro CLI"
            reader.warn((*ypath, entry["conn_uri"][0]), "uri-ignored", message, key=True)
        return fields, None
    uri = reader.text(ypath, entry, "conn_uri")
    if uri is None:
        return fields, None
    where = (*ypath, entry["conn_uri"][0])
    try:
        parsed = parse_conn_uri(uri)
    except ValueError as exc:
        reader.error(where, "invalid-uri", f"conn_uri of '{conn_id}': {exc}")
        return None
    extra = parsed.pop("extra", None)
    return parsed, extra


def _extra(reader: Reader, ypath: YPath, entry: Raw) -> dict[str, Any] | None:
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
            reader.error(where, "invalid-extra", f"conn_extra {exc}")
            return None
    if isinstance(value, dict):
        if any(k != k.lower() for k in _all_keys(value)):
            message = "the Astro CLI lower-cases the keys of a conn_extra mapping; kept as written"
            reader.warn(where, "extra-key-case", message)
        return value
    reader.warn(where, "extra-dropped", f"conn_extra of type {type(value).__name__} is dropped, as by the Astro CLI")
    return None


def _check_extra(reader: Reader, ypath: YPath, entry: Raw, extra: dict[str, Any]) -> None:
    where = (*ypath, entry["conn_extra"][0] if "conn_extra" in entry else entry["conn_uri"][0])
    if _depth(extra) > _MAX_EXTRA_DEPTH:
        reader.error(where, "too-deep", f"extra is nested deeper than {_MAX_EXTRA_DEPTH} levels")
    for path in _secret_key_mappings(extra, ()):
        dotted = ".".join(map(str, path))
        message = f"extra.{dotted}: a mapping with a key 'secret' reads as a secret reference"
        reader.error(where, "unrepresentable-extra", message)


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
