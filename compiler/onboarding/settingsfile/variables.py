"""Variables of an airflow_settings.yaml: a name and a string value (empty: skipped by the CLI)."""

from __future__ import annotations

from compiler.model.airflow_ids import variable_key_problem
from compiler.onboarding.settingsfile.reader import Entry, Raw, Reader, YPath


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
    problem = variable_key_problem(name)
    if problem is not None:
        reader.error((*ypath, entry["variable_name"][0]), "invalid-variable-key", problem)
        return None
    return Entry("variable", name, ypath, {"value": value})
