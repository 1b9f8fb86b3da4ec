"""The quick yes/no schema check gives jsonschema's verdict, and valid files skip jsonschema.

The oracle is jsonschema's Draft 2020-12 validator over the schema files as written; the
quick check is compiled from the same files, as validate compiles it.
"""

from __future__ import annotations

import copy
import datetime
import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import EXAMPLE, REPO, imports_of_validate
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator
from ruamel.yaml.comments import CommentedMap
from support.strategies import KEYS, SCALARS, VALUES

from compiler.load.documents import Document, load_documents
from compiler.load.sources import SourceFile
from compiler.validate import schema_check as schema_module
from compiler.validate.quick_schema import _any_case_options, any_case_pattern, compile_schema

NAMES = sorted(schema_module.SCHEMA_FILES)
EXAMPLES = 300


# jsonschema's Draft 2020-12, with an integer an int (never 443.0), as validate uses it.
VALIDATOR = schema_module.validator_class()


def oracle(name: str) -> Draft202012Validator:
    raw = json.loads((REPO / "schemas" / schema_module.SCHEMA_FILES[name]).read_text(encoding="utf-8"))
    validator: Draft202012Validator = VALIDATOR(raw)
    return validator


ORACLES = {name: oracle(name) for name in NAMES}
QUICK = {name: compile_schema(schema_module.schema(name)) for name in NAMES}


def quick(name: str) -> Callable[[Any], bool]:
    check = QUICK[name]
    assert check is not None, f"{name}: the schema uses a keyword quickschema does not implement"
    return check


def corpus_documents() -> Iterator[Document]:
    """Every document of the example and of tests/acceptance/cases that loads."""
    roots = [EXAMPLE, *sorted((REPO / "tests" / "acceptance" / "cases").glob("*/*/environments"))]
    for root in roots:
        sources = [
            SourceFile(f"environments/{p.relative_to(root).as_posix()}", p.read_bytes())
            for p in sorted(root.rglob("*"))
            if p.is_file() and p.suffix in (".yaml", ".yml")
        ]
        documents, _ = load_documents(sources)
        yield from documents


CORPUS = list(corpus_documents())


@pytest.mark.parametrize("name", NAMES)
def test_every_shipped_schema_compiles(name: str) -> None:
    assert QUICK[name] is not None


def is_plain(value: Any) -> bool:
    if type(value) is dict:
        return all(type(k) is str and is_plain(v) for k, v in value.items())
    if type(value) is list:
        return all(is_plain(v) for v in value)
    return type(value) in (str, int, float, bool, type(None))


def test_the_corpus_gets_jsonschemas_verdict_for_every_document() -> None:
    verdicts: set[tuple[str, bool]] = set()
    for document in CORPUS:
        expected = ORACLES[document.kind].is_valid(document.data)
        got = quick(document.kind)(document.data)
        # Data that is not plain JSON (a date, a tag) is left to jsonschema: never vouched for.
        assert got is (expected and is_plain(document.data)), document.path
        verdicts.add((document.kind, expected))
    # Both verdicts occur for every kind, so the comparison above is not vacuous.
    assert verdicts == {(n, v) for n in NAMES for v in (True, False)}


def test_plain_valid_documents_of_the_corpus_are_vouched_for() -> None:
    valid = [d for d in CORPUS if ORACLES[d.kind].is_valid(d.data)]
    assert valid and all(quick(d.kind)(d.data) for d in valid)


# --- fuzzing: valid documents with one change -----------------------------------------

EXAMPLE_DOCUMENTS = [d for d in CORPUS if d.path.startswith("environments/") and ORACLES[d.kind].is_valid(d.data)]


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    yield prefix
    if isinstance(node, dict):
        for key, child in node.items():
            yield from _paths(child, (*prefix, key))
    elif isinstance(node, list):
        for index, child in enumerate(node):
            yield from _paths(child, (*prefix, index))


def _edit(data: Any, path: tuple[Any, ...], how: str, value: Any, key: str) -> Any:
    data = copy.deepcopy(data)
    if not path:
        return value if how == "replace" else data
    parent = data
    for step in path[:-1]:
        parent = parent[step]
    last = path[-1]
    if how == "replace":
        parent[last] = value
    elif how == "delete":
        del parent[last]
    elif isinstance(parent[last], dict):
        parent[last][key] = value
    elif isinstance(parent[last], list):
        parent[last].append(value)
    return data


EDITS = st.lists(
    st.tuples(
        st.floats(0, 1, exclude_max=True),
        st.sampled_from(["replace", "delete", "add"]),
        st.one_of(SCALARS, VALUES, st.sampled_from([{"secret": "PW"}, {"secret": "pw"}, [], {}, 1.0, True, 1])),
        KEYS,
    ),
    min_size=1,
    max_size=3,
)


@settings(max_examples=EXAMPLES, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(which=st.integers(0, 10_000), edits=EDITS)
def test_edited_valid_documents_get_jsonschemas_verdict(which: int, edits: list[tuple[float, str, Any, str]]) -> None:
    document = EXAMPLE_DOCUMENTS[which % len(EXAMPLE_DOCUMENTS)]
    data = document.data
    for where, how, value, key in edits:
        paths = list(_paths(data))
        data = _edit(data, paths[int(where * len(paths))], how, value, key)

    assert quick(document.kind)(data) is ORACLES[document.kind].is_valid(data)


# --- the semantics jsonschema has and a naive check would not --------------------------


@pytest.mark.parametrize(
    ("schema", "instance"),
    [
        ({"type": "integer"}, 1.0),
        ({"type": "integer"}, True),
        ({"type": "number"}, False),
        ({"type": "boolean"}, 0),
        ({"type": ["string", "null"]}, None),
        ({"const": 1}, True),
        ({"const": True}, 1),
        ({"const": 1}, 1.0),
        ({"enum": [0, "a"]}, False),
        ({"enum": [[1, {"a": True}]]}, [1.0, {"a": True}]),
        ({"enum": [[1, {"a": True}]]}, [1, {"a": 1}]),
        ({"uniqueItems": True}, [1, True]),
        ({"uniqueItems": True}, [1, 1.0]),
        ({"uniqueItems": True}, [{"a": [1]}, {"a": [1.0]}]),
        ({"minimum": 1}, True),
        ({"maximum": 1}, "zzz"),
        ({"pattern": "^a"}, 5),
        ({"pattern": "b"}, "abc"),
        ({"minLength": 2}, "é"),
        ({"oneOf": [{"type": "integer"}, {"type": "number"}]}, 1),
        ({"oneOf": [{"type": "integer"}, {"type": "string"}]}, 1),
        ({"if": {"type": "string"}, "then": {"const": "all"}}, 3),
        ({"if": {"type": "string"}, "then": {"const": "all"}}, "some"),
        ({"if": {"type": "string"}, "else": {"minItems": 1}}, []),
        ({"then": {"const": 1}}, 2),
        ({"properties": {"a": {"type": "string"}}, "additionalProperties": False}, {"a": "x", "b": 1}),
        ({"properties": {"a": {"type": "string"}}, "additionalProperties": {"type": "integer"}}, {"a": "x", "b": 1}),
        ({"required": ["a"]}, ["a"]),
        ({"properties": {"a": {}}, "patternProperties": {"^x-": {}}, "additionalProperties": False}, {"x-b": 1}),
        ({"properties": {"a": {}}, "patternProperties": {"^x-": {}}, "additionalProperties": False}, {"y-b": 1}),
        ({"patternProperties": {"^x-": {"type": "string"}}, "additionalProperties": False}, {"x-b": 1}),
        ({"patternProperties": {"x": {"type": "string"}}, "additionalProperties": {"type": "integer"}}, {"ax": 1}),
        ({"patternProperties": {"x": {"type": "string"}}, "additionalProperties": {"type": "integer"}}, {"b": 1}),
        ({"$defs": {"t": {"items": {"$ref": "#/$defs/t"}, "type": "array"}}, "$ref": "#/$defs/t"}, [[[]], []]),
        ({"$defs": {"t": {"items": {"$ref": "#/$defs/t"}, "type": "array"}}, "$ref": "#/$defs/t"}, [[[1]]]),
    ],
)
def test_small_schemas_get_jsonschemas_verdict(schema: dict[str, Any], instance: Any) -> None:
    check = compile_schema(schema)

    assert check is not None
    assert check(instance) is VALIDATOR(schema).is_valid(instance)


@pytest.mark.parametrize("instance", [443.0, 1e3, -1.0, 0.0])
def test_an_integer_valued_float_is_not_an_integer_for_either_check(instance: float) -> None:
    """`port: 443.0` would render `conn_port: 443.0`: both checks refuse it (plain Draft 2020-12 would not)."""
    check = compile_schema({"type": "integer"})

    assert check is not None and check(instance) is False
    assert VALIDATOR({"type": "integer"}).is_valid(instance) is False
    assert Draft202012Validator({"type": "integer"}).is_valid(instance) is True  # what the change is about


@pytest.mark.parametrize(
    "schema",
    [{"format": "email"}, {"propertyNames": {"maxLength": 3}}, {"$ref": "https://example.com/s.json"}, {"type": "int"}],
)
def test_a_keyword_it_does_not_implement_leaves_the_schema_to_jsonschema(schema: dict[str, Any]) -> None:
    assert compile_schema(schema) is None


@pytest.mark.parametrize(
    "data",
    [{"a": datetime.date(2024, 1, 1)}, {1: "x"}, CommentedMap(a=1), {"a": (1, 2)}, {"a": b"x"}],
    ids=["date", "int-key", "commented-map", "tuple", "bytes"],
)
def test_data_that_is_not_plain_json_is_never_vouched_for(data: Any) -> None:
    check = compile_schema({})

    assert check is not None and check(data) is False


# --- the reason it exists: valid files never import jsonschema --------------------------


def _jsonschema_imported(root: Path) -> tuple[list[str], str]:
    """The exit code and whether jsonschema was imported; and what validate printed."""
    return imports_of_validate(root, ("jsonschema",))


def test_validating_the_example_does_not_import_jsonschema(example_repo: Path) -> None:
    assert _jsonschema_imported(example_repo) == (["0", "False"], "")


def test_a_schema_error_still_gets_jsonschemas_diagnostics(example_repo: Path) -> None:
    prod = example_repo / "environments" / "deployments" / "production.yaml"
    prod.write_text(prod.read_text(encoding="utf-8") + "unknown_top_level_key: 1\n", encoding="utf-8")

    verdict, printed = _jsonschema_imported(example_repo)

    assert verdict == ["1", "True"]
    assert "production.yaml:74:1: error[unknown-key]: unknown key 'unknown_top_level_key'" in printed


# --- patterns of options in any letter case (`x-any-case`) ----------------------------------


def any_case_nodes() -> list[dict[str, Any]]:
    """Every schema node with an `x-any-case` list, in the three shipped schemas."""
    found: list[dict[str, Any]] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if "x-any-case" in node:
                found.append(node)
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    for name in NAMES:
        walk(schema_module.schema(name))
    return found


def test_every_any_case_pattern_is_answered_without_compiling_it() -> None:
    """Each is the pattern `any_case_pattern` writes for its options (else it is compiled, as before)."""
    nodes = any_case_nodes()
    assert len(nodes) >= 4
    for node in nodes:
        assert node["pattern"] == any_case_pattern(node["x-any-case"])
        assert _any_case_options(node["pattern"], node["x-any-case"]) is not None


def test_an_any_case_pattern_gives_the_patterns_verdict() -> None:
    for node in any_case_nodes():
        options = node["x-any-case"]
        values: list[Any] = [*options, *(o.lower() for o in options), *(o.title() for o in options)]
        values += [f"{o}\n" for o in options] + [f" {o}" for o in options] + [f"{o}x" for o in options]
        values += [o.replace("K", "\u212a").replace("k", "\u212a") for o in options]  # the Kelvin sign lowers to k
        values += ["", "\n", "x", "ß", 1, None, True]
        check = compile_schema({"pattern": node["pattern"], "x-any-case": options})
        assert check is not None
        pattern = re.compile(node["pattern"])
        for value in values:
            expected = not isinstance(value, str) or pattern.search(value) is not None
            assert check(value) is expected, (options, value)


def test_an_option_in_any_letter_case_is_answered_without_the_pattern(monkeypatch: pytest.MonkeyPatch) -> None:
    import compiler.validate.quick_schema as quick_schema

    def refused(pattern: str, flags: int = 0) -> re.Pattern[str]:
        raise AssertionError(f"compiled {pattern}")

    for node in any_case_nodes():
        check = compile_schema({"pattern": node["pattern"], "x-any-case": node["x-any-case"]})
        assert check is not None
        monkeypatch.setattr(quick_schema.re, "compile", refused)
        assert all(check(o) and check(o.lower()) and check(o.title()) for o in node["x-any-case"])
        monkeypatch.undo()
