"""An Astro CLI airflow_settings.yaml, read the way the CLI reads it, with located diagnostics.

As in astro-cli settings/types.go and settings.go: keys match ignoring case (viper
lower-cases them), an empty value is an absent one, values are typed as mapstructure's
weak decoding types them (reader.py), and entries the CLI skips (no conn_id; neither
conn_type nor conn_uri; pool_slot 0; no variable value) are skipped with a warning. The
later of two entries with one key wins. One module per kind: connections, variables, pools.
"""

from __future__ import annotations

from collections.abc import Callable

from compiler.diagnostics import Diagnostic
from compiler.load import documents
from compiler.model.frozen import frozen
from compiler.onboarding.settingsfile.connections import connection
from compiler.onboarding.settingsfile.pools import pool
from compiler.onboarding.settingsfile.reader import SECTIONS, Entry, Raw, Reader, YPath
from compiler.onboarding.settingsfile.variables import variable

__all__ = ["SECTIONS", "Entry", "Settings", "read_settings"]

_KINDS: dict[str, tuple[str, Callable[[Reader, tuple[YPath, Raw]], Entry | None]]] = {
    "connections": ("connection", connection),
    "variables": ("variable", variable),
    "pools": ("pool", pool),
}


@frozen
class Settings:
    """The entries to import, per section, and every problem found (warnings and errors)."""

    connections: tuple[Entry, ...]
    variables: tuple[Entry, ...]
    pools: tuple[Entry, ...]
    diagnostics: tuple[Diagnostic, ...]


def read_settings(document: documents.Document) -> Settings:
    """The settings file's entries, as the CLI would apply them."""
    reader = Reader(document)
    read = {}
    for section, (kind, entry_of) in _KINDS.items():
        entries = [e for e in (entry_of(reader, item) for item in reader.entries(section)) if e is not None]
        read[section] = tuple(_deduplicated(reader, entries, kind))
    return Settings(read["connections"], read["variables"], read["pools"], tuple(reader.found))


def _deduplicated(reader: Reader, entries: list[Entry], kind: str) -> list[Entry]:
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
