"""Variables of an airflow_settings.yaml: a name and a string value (empty: skipped by the CLI)."""

from __future__ import annotations

from ...airflow_ids import MAX_VARIABLE_KEY
from .reader import Entry, Raw, Reader, YPath


def variable(reader: Reader, item: tuple[YPath, Raw]) -> Entry | None:
    ypath, entry = item
    errors = reader.errors()
    name = reader.text(ypath, entry, "variable_name")
    value = reader.text(ypath, entry, "variable_value")
    if reader.errors() > errors:
        return None
    if name is None or value is None:
        what = "without variable_name" if name is None else f"'{name}' without variable_value"
        reader.warn(ypath, "skipped-entry", f"variable {what} skipped, as by the Astro CLI")
        return None
    if len(name) > MAX_VARIABLE_KEY:
        where = (*ypath, entry["variable_name"][0])
        reader.error(where, "invalid-variable-key", f"variable key must be 1 to {MAX_VARIABLE_KEY} characters")
        return None
    return Entry("variable", name, ypath, {"value": value})
