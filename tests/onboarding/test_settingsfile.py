"""The Astro CLI settings-file reader (compiler/onboarding/settingsfile/), unit by unit: the layout
and its unknown keys at every level, typing as the CLI's weak decoding types values, one
diagnostic per problem, and each kind's own rules."""

from __future__ import annotations

from typing import Any

import pytest

from compiler.diagnostics import Diagnostic
from compiler.load import documents
from compiler.onboarding.settingsfile.reader import number_text
from compiler.onboarding.settingsfile.settings import SECTIONS, Settings, read_settings

BASE = {
    "connections": {"conn_id": "c", "conn_type": "http", "conn_host": "h"},
    "variables": {"variable_name": "v", "variable_value": "x"},
    "pools": {"pool_name": "p", "pool_slot": 4},
}


def read(text: str) -> Settings:
    document, problems = documents.parse_document("airflow_settings.yaml", text.encode())
    assert document is not None and not problems
    return read_settings(document)


def read_data(data: Any) -> Settings:
    import json

    return read(json.dumps(data))  # JSON is YAML: any value, typed exactly


def found(settings: Settings) -> list[tuple[str, str, int, int]]:
    return [(d.severity, d.code, d.location.line, d.location.column) for d in settings.diagnostics]


def entries(settings: Settings) -> dict[str, dict[str, Any]]:
    return {e.key: dict(e.fields) for e in (*settings.connections, *settings.variables, *settings.pools)}


# --- unknown keys at every level (issue 16 item 6) ---------------------------------------------


@pytest.mark.parametrize(
    ("text", "where", "hint"),
    [
        ("airflow:\n  connection:\n    - {conn_id: c, conn_type: http}\n", (2, 3), "connections"),
        ("airflow:\n  Variable:\n    - {variable_name: v, variable_value: x}\n", (2, 3), "variables"),
        ("airflow:\n  pool: []\n  connections: []\n", (2, 3), "pools"),
        ("airflow:\n  connections: []\nversion: 1\n", (3, 1), None),
        ("airflows: {}\nairflow:\n  connections: []\n", (1, 1), "airflow"),
        ("airflow:\n  connections:\n    - {conn_id: c, conn_type: http, conn_pasword: x}\n", (3, 37), "conn_password"),
        ("airflow:\n  variables:\n    - {variable_name: v, variable_values: x}\n", (3, 26), "variable_value"),
        ("airflow:\n  pools:\n    - {pool_name: p, pool_slots: 2}\n", (3, 22), "pool_slot"),
    ],
)
def test_unknown_keys_at_every_level_are_located_errors_with_a_hint(
    text: str, where: tuple[int, int], hint: str | None
) -> None:
    [diagnostic] = [d for d in read(text).diagnostics if d.code == "unknown-key"]
    assert (diagnostic.severity, diagnostic.location.line, diagnostic.location.column) == ("error", *where)
    assert (f"did you mean '{hint}'" in diagnostic.message) if hint else ("did you mean" not in diagnostic.message)
    assert "x" not in diagnostic.message.split("'")[2:3]  # the key is named, never its value


def test_keys_match_ignoring_case_as_viper_lower_cases_them() -> None:
    settings = read("AIRFLOW:\n  Connections:\n    - CONN_ID: c\n      Conn_Type: http\n")
    assert (found(settings), entries(settings)) == ([], {"c": {"type": "http"}})


# --- one diagnostic per problem, typed as the CLI types the file (issue 16 item 7) ------------

ODD_VALUES: dict[str, Any] = {
    "mapping": {"a": 1},
    "list": ["a"],
    "true": True,
    "false": False,
    "integer": 7,
    "float": 2.5,
    "null": None,
    "empty": "",
}


@pytest.mark.parametrize("kind", sorted(ODD_VALUES))
@pytest.mark.parametrize(("section", "field"), [(s, f) for s, fields in SECTIONS.items() for f in fields])
def test_any_value_in_any_field_is_at_most_one_diagnostic(section: str, field: str, kind: str) -> None:
    entry = {**BASE[section], field: ODD_VALUES[kind]}
    settings = read_data({"airflow": {section: [entry]}})
    assert len(settings.diagnostics) <= 1, settings.diagnostics
    imported = entries(settings)
    if not imported:  # an entry not taken says why, once
        assert len(settings.diagnostics) == 1, settings.diagnostics


@pytest.mark.parametrize(
    ("value", "code"), [({"a": 1}, "wrong-type"), (["a"], "wrong-type"), (True, "bool-as-text"), (3, "number-as-text")]
)
def test_variable_value_types(value: Any, code: str) -> None:
    settings = read_data({"airflow": {"variables": [{"variable_name": "v", "variable_value": value}]}})
    [diagnostic] = settings.diagnostics
    assert diagnostic.code == code
    # The CLI fails the whole file on a mapping or a list (an error); it reads true as "1" and
    # numbers as their text (a warning, and the value imported as the CLI would apply it).
    assert diagnostic.severity == ("error" if code == "wrong-type" else "warning")
    if code != "wrong-type":
        assert entries(settings) == {"v": {"value": "1" if value is True else "3"}}


@pytest.mark.parametrize(
    ("value", "text"), [(1.0, "1"), (2.5, "2.5"), (1e20, "100000000000000000000"), (1e-7, "0.0000001"), (-0.0, "-0")]
)
def test_numbers_become_text_as_go_formats_them(value: float, text: str) -> None:
    assert number_text(value) == text


@pytest.mark.parametrize(("value", "slots"), [(True, 1), (2.9, 2), ("12", 12), (" 3 ", 3)])
def test_integers_are_decoded_weakly(value: Any, slots: int) -> None:
    settings = read_data({"airflow": {"pools": [{"pool_name": "p", "pool_slot": value}]}})
    assert entries(settings) == {"p": {"slots": slots}}
    assert [d.severity for d in settings.diagnostics] in ([], ["warning"])


# --- each kind's rules -------------------------------------------------------------------------


def test_connection_from_uri_only_when_alone() -> None:
    settings = read_data(
        {
            "airflow": {
                "connections": [
                    {"conn_id": "a", "conn_uri": "postgres://u:p@h:5432/db?sslmode=require"},
                    {"conn_id": "b", "conn_type": "http", "conn_uri": "postgres://h"},
                ]
            }
        }
    )
    assert entries(settings) == {
        "a": {"type": "postgres", "host": "h", "schema": "db", "login": "u", "password": "p", "port": 5432,
              "extra": {"sslmode": "require"}},
        "b": {"type": "http"},
    }  # fmt: skip
    assert [d.code for d in settings.diagnostics] == ["uri-ignored"]


@pytest.mark.parametrize(
    ("entry", "code"),
    [
        ({"conn_type": "http"}, "skipped-entry"),
        ({"conn_id": "c"}, "skipped-entry"),
        ({"conn_id": "c d", "conn_type": "http"}, "invalid-conn-id"),
        ({"conn_id": "c", "conn_type": "http", "conn_port": 70000}, "invalid-port"),
        ({"conn_id": "c", "conn_type": "http", "conn_extra": "{"}, "invalid-extra"),
        ({"conn_id": "c", "conn_type": "http", "conn_extra": 5}, "extra-dropped"),
        ({"conn_id": "c", "conn_uri": "nothing"}, "invalid-uri"),
    ],
)
def test_connection_problems(entry: dict[str, Any], code: str) -> None:
    settings = read_data({"airflow": {"connections": [entry]}})
    assert [d.code for d in settings.diagnostics] == [code]


@pytest.mark.parametrize(
    ("entry", "code"),
    [
        ({"pool_name": "p", "pool_slot": 0}, "skipped-entry"),
        ({"pool_slot": 3}, "skipped-entry"),
        ({"pool_name": "p", "pool_slot": -2}, "invalid-pool"),
        ({"pool_name": "p" * 257, "pool_slot": 1}, "invalid-pool"),
    ],
)
def test_pool_problems(entry: dict[str, Any], code: str) -> None:
    assert [d.code for d in read_data({"airflow": {"pools": [entry]}}).diagnostics] == [code]


def test_variable_problems() -> None:
    settings = read_data(
        {
            "airflow": {
                "variables": [
                    {"variable_name": "v"},
                    {"variable_value": "x"},
                    {"variable_name": "k" * 251, "variable_value": "x"},
                ]
            }
        }
    )
    assert [d.code for d in settings.diagnostics] == ["skipped-entry", "skipped-entry", "invalid-variable-key"]


def test_the_later_duplicate_wins_and_case_variants_of_a_conn_id_collide() -> None:
    settings = read_data(
        {
            "airflow": {
                "connections": [
                    {"conn_id": "c", "conn_type": "http", "conn_host": "one"},
                    {"conn_id": "c", "conn_type": "http", "conn_host": "two"},
                    {"conn_id": "C", "conn_type": "http"},
                ],
                "variables": [
                    {"variable_name": "v", "variable_value": "1"},
                    {"variable_name": "V", "variable_value": "2"},
                ],
            }
        }
    )
    assert entries(settings) == {"c": {"type": "http", "host": "two"}, "v": {"value": "1"}, "V": {"value": "2"}}
    assert [d.code for d in settings.diagnostics] == ["duplicate-entry", "conn-id-case-collision"]


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("- a list\n", "not-airflow-settings"),
        ("airflow: 3\n", "wrong-type"),
        ("airflow:\n  pools: {p: 1}\n", "wrong-type"),
        ("airflow:\n  pools: [3]\n", "wrong-type"),
    ],
)
def test_layout_problems(text: str, code: str) -> None:
    diagnostics: tuple[Diagnostic, ...] = read(text).diagnostics
    assert [(d.severity, d.code) for d in diagnostics] == [("error", code)]


def test_an_empty_airflow_mapping_reads_as_nothing() -> None:
    assert read("airflow:\n") == Settings((), (), (), ())
