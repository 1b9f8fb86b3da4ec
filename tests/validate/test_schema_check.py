"""The shipped JSON Schemas: valid, documented, consistent, and the example passes them."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from compiler.load.documents import parse_document
from compiler.validate import schema_check as schema_module
from compiler.validate.project import validate_root

REPO = Path(__file__).resolve().parents[2]
NAMES = sorted(schema_module.SCHEMA_FILES)


def load_schema(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(
        (REPO / "schemas" / schema_module.SCHEMA_FILES[name]).read_text(encoding="utf-8")
    )
    return loaded


def properties(node: Any, where: str = "#") -> Iterator[tuple[str, Any]]:
    """Every (JSON pointer, subschema) that is the value of a `properties` entry, at any depth."""
    if isinstance(node, dict):
        for key, child in node.items():
            if key == "properties" and isinstance(child, dict):
                for name, sub in child.items():
                    yield f"{where}/properties/{name}", sub
                    yield from properties(sub, f"{where}/properties/{name}")
            else:
                yield from properties(child, f"{where}/{key}")
    elif isinstance(node, list):
        for i, child in enumerate(node):
            yield from properties(child, f"{where}/{i}")


@pytest.mark.parametrize("name", NAMES)
def test_schema_is_a_valid_draft_2020_12_schema(name: str) -> None:
    Draft202012Validator.check_schema(load_schema(name))


@pytest.mark.parametrize("name", NAMES)
def test_packaged_schema_is_the_repository_file(name: str) -> None:
    assert schema_module.schema(name) == load_schema(name)


@pytest.mark.parametrize("name", NAMES)
def test_every_property_has_a_title_and_a_description(name: str) -> None:
    found = list(properties(load_schema(name)))
    undocumented = [
        pointer for pointer, sub in found
        if not (isinstance(sub, dict) and str(sub.get("title", "")).strip() and str(sub.get("description", "")).strip())
    ]  # fmt: skip

    assert len(found) > 10
    assert undocumented == []


@pytest.mark.parametrize("name", NAMES)
def test_every_definition_has_a_title_and_a_description(name: str) -> None:
    defs = load_schema(name).get("$defs", {})

    assert [key for key, sub in defs.items() if not (sub.get("title") and sub.get("description"))] == []


def test_shared_definitions_are_identical() -> None:
    by_name: dict[str, dict[str, Any]] = {}
    shared = 0
    for name in NAMES:
        for key, definition in load_schema(name).get("$defs", {}).items():
            if key in by_name:
                shared += 1
                assert definition == by_name[key], f"$defs/{key} differs in {schema_module.SCHEMA_FILES[name]}"
            by_name.setdefault(key, definition)

    assert shared >= 3  # secret, jsonValue, overrides... are shared; the check must see them


def test_x_codes_are_kebab_case_and_only_on_value_keywords() -> None:
    for name in NAMES:
        for pointer, sub in properties(load_schema(name)):
            code = sub.get("x-code") if isinstance(sub, dict) else None
            if code is not None:
                assert code.replace("-", "").isalpha() and code == code.lower(), pointer
                assert set(sub) & {"enum", "const", "minimum", "maximum", "pattern"}, pointer


def test_schema_ids_are_distinct() -> None:
    ids = [load_schema(name)["$id"] for name in NAMES]

    assert len(set(ids)) == len(ids)


@pytest.mark.parametrize(
    ("path", "kind"),
    [
        ("environments/workspace.yaml", "workspace"),
        ("environments/pools.yaml", "objects"),
        ("environments/deployments/production.yaml", "deployment"),
    ],
)
def test_each_example_file_passes_its_schema(path: str, kind: str) -> None:
    document, problems = parse_document(path, (REPO / path).read_bytes())

    assert problems == [] and document is not None and document.kind == kind
    assert schema_module.check_document(document) == []


def test_shipped_example_validates_clean() -> None:
    """Not even a warning: the example is what users copy."""
    project = validate_root(REPO)

    assert [str(d) for d in project.diagnostics] == []
    assert project.ok
    assert len(project.model.deployments) == 3 and project.model.workspace is not None


def test_a_type_error_is_reported_alone() -> None:
    """A null branch rule fails both `oneOf`s too; only the type error is worth reading."""
    document, _ = parse_document("environments/workspace.yaml", b"version: true\nworkspace: T\nbranches: [null]\n")
    assert document is not None

    codes = sorted((d.location.line, d.location.column, d.code) for _, d in schema_module.check_document(document))

    assert codes == [(1, 10, "wrong-type"), (3, 12, "wrong-type")]
