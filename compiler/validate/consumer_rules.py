"""What the readers of the outputs will silently drop, skip or misread: located warnings.

The Astro CLI (settings/settings.go, cloud/deployment/fromfile/fromfile.go) and Airflow
accept files that do not do what they say: a pool with `pool_slot: 0` or a variable with
an empty value is skipped with a line on the console, a YAML `conn_extra` mapping loses
its key case, `conn_type: Postgres` finds no hook. (A pool's `include_deferred` is not in
airflow_settings.yaml, README "Choices": `render` warns where it is true, render/dropped.py.)
`validate` says so where the value is written, so nobody finds out in production.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from compiler.diagnostics import Diagnostic, Location, warning
from compiler.load.documents import YPath
from compiler.model.airflow_ids import conn_type_suggestion
from compiler.model.objects import MAPPINGS, Model, ObjectKind

# Astro Hosted worker machine names (A5, A10, ...): the CLI of several releases matched them
# exactly, so `a5` failed with "worker type not found" instead of being read as A5.
_ASTRO_MACHINE = re.compile(r"[Aa][0-9]+")

Locate = Callable[[str, YPath, bool], Location]  # (file, YAML path, at the key?) -> a location


def warnings(model: Model, locate: Locate) -> Iterator[Diagnostic]:
    """Every warning about a value that the Astro CLI or Airflow will drop or misread."""
    mapping_extra = model.workspace is not None and model.workspace.conn_extra == "mapping"
    for path, ypath, kind, fields in _field_sets(model):
        for where, code, message in _field_problems(kind, fields, mapping_extra):
            at_key = code == "astro-cli-lowercases"
            yield warning(locate(path, (*ypath, *where), at_key), code, message)
    for d in model.deployments:
        for i, queue in enumerate(d.worker_queues):
            machine = queue.get("worker_type")
            if isinstance(machine, str) and _ASTRO_MACHINE.fullmatch(machine) and machine != machine.upper():
                message = f"worker type '{machine}': Astro machine names are upper case; write '{machine.upper()}' (some Astro CLI releases fail to find '{machine}')"
                yield warning(locate(d.path, ("worker_queues", i, "worker_type"), False), "worker-type-case", message)


def _field_sets(model: Model) -> Iterator[tuple[str, YPath, ObjectKind, Mapping[str, Any]]]:
    """The fields of every object and override, wherever written."""
    for obj in (*model.objects, *(o for d in model.deployments for o in d.objects)):
        yield obj.path, obj.ypath, obj.kind, obj.fields
    overrides = [o for d in model.deployments for o in d.overrides]
    for rule in model.workspace.rules if model.workspace else ():
        overrides.extend(rule.preview.overrides if rule.preview else ())
    for override in overrides:
        yield override.path, override.ypath, override.kind, override.fields


def _field_problems(
    kind: ObjectKind, fields: Mapping[str, Any], mapping_extra: bool
) -> Iterator[tuple[YPath, str, str]]:
    if kind == "pool":
        if fields.get("slots") == 0 and not isinstance(fields.get("slots"), bool):
            yield (
                ("slots",),
                "astro-cli-skips",
                "the Astro CLI skips a pool with 0 slots; set 1 or more (-1 is unlimited)",
            )
    elif kind == "variable":
        if fields.get("value") == "":
            yield (
                ("value",),
                "astro-cli-skips",
                "the Astro CLI skips a variable whose value is empty; give it a value or remove it",
            )
    else:
        yield from _connection_problems(fields, mapping_extra)


def _connection_problems(fields: Mapping[str, Any], mapping_extra: bool) -> Iterator[tuple[YPath, str, str]]:
    conn_type = fields.get("type")
    if isinstance(conn_type, str) and "{" not in conn_type:
        suggestion = conn_type_suggestion(conn_type)
        if suggestion is not None:
            why = (
                f"Airflow's connection types are lower case: '{conn_type}' finds no hook"
                if conn_type != conn_type.lower()
                else f"connection type '{conn_type}' is not a common provider's type"
            )
            yield ("type",), "unknown-conn-type", f"{why}; did you mean '{suggestion}'?"
    extra = fields.get("extra")
    if mapping_extra and isinstance(extra, MAPPINGS):
        for ypath, key in _upper_case_keys(extra, ("extra",)):
            yield (
                ypath,
                "astro-cli-lowercases",
                f"the Astro CLI lower-cases the keys of a conn_extra mapping ('{key}' becomes '{key.lower()}'); use render.conn_extra: json",
            )


def _upper_case_keys(value: Mapping[str, Any], ypath: YPath) -> Iterator[tuple[YPath, str]]:
    for key, child in value.items():
        if isinstance(key, str) and key != key.lower():
            yield (*ypath, key), key
        if isinstance(child, MAPPINGS):
            yield from _upper_case_keys(child, (*ypath, key))
