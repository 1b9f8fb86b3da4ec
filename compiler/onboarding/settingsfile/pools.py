"""Pools of an airflow_settings.yaml: a name, slots (0: skipped by the CLI) and a description."""

from __future__ import annotations

from compiler.model.airflow_ids import pool_name_problem
from compiler.onboarding.settingsfile.reader import Entry, Raw, Reader, YPath


def pool(reader: Reader, item: tuple[YPath, Raw]) -> Entry | None:
    ypath, entry = item
    errors = reader.errors()
    name = reader.text(ypath, entry, "pool_name")
    slots = reader.integer(ypath, entry, "pool_slot")
    description = reader.text(ypath, entry, "pool_description")
    if reader.errors() > errors:
        return None
    if name is None or not slots:
        what = "without pool_name" if name is None else f"'{name}' without pool_slot (or with 0)"
        reader.warn(ypath, "skipped-entry", f"pool {what} skipped, as by the Astro CLI")
        return None
    problem = pool_name_problem(name)
    if problem is not None:
        reader.error((*ypath, entry["pool_name"][0]), "invalid-pool", problem)
        return None
    if slots < -1:
        reader.error((*ypath, entry["pool_slot"][0]), "invalid-pool", "pool_slot must be -1 (unlimited) or more")
        return None
    return Entry("pool", name, ypath, {"slots": slots, **({"description": description} if description else {})})
