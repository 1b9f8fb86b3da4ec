"""YAML 1.2 core schema, exactly (README, "YAML"), on both reading routes.

Each form is read as a value in block and in flow context, through the whole loader
(load.parse_document) and on each route alone; the fast route either agrees with the
careful one or leaves the file to it.
"""

from __future__ import annotations

import math
from typing import Any

import pytest

from compiler.load import core_schema
from compiler.load.documents import parse_document
from load.test_fast_route import assert_agree, careful, typed

REFUSED = object()  # the loader reports the value (infinity, NaN, a date)

FORMS: dict[str, Any] = {
    # null
    "null": None, "Null": None, "NULL": None, "~": None, "": None, "nULL": "nULL", "none": "none",
    # booleans: only true/false in three spellings
    "true": True, "True": True, "TRUE": True, "false": False, "False": False, "FALSE": False,
    "tRue": "tRue", "yes": "yes", "no": "no", "on": "on", "off": "off", "y": "y", "n": "n", "Yes": "Yes", "ON": "ON",
    # integers: decimal (leading zeros are decimal), 0o octal, 0x hex
    "0": 0, "7": 7, "-7": -7, "+7": 7, "017": 17, "-017": -17, "00": 0, "0o17": 15, "0o0": 0, "0x1F": 31,
    "0x1f": 31, "0xff": 255, "123456789012345678901234567890": 123456789012345678901234567890,
    # YAML 1.1 (and other) integer forms: strings
    "1_000": "1_000", "0x_1F": "0x_1F", "0b101": "0b101", "0B101": "0B101", "0O17": "0O17", "0X1F": "0X1F",
    "+0x1F": "+0x1F", "-0x1F": "-0x1F", "-0o17": "-0o17", "0o18": "0o18", "0x": "0x", "0o": "0o", "1:20": "1:20",
    "1:20:30": "1:20:30", "190:20:30": "190:20:30", "1_0.5": "1_0.5",
    # floats
    "1.5": 1.5, "-1.5": -1.5, "+1.5": 1.5, "1.": 1.0, ".5": 0.5, "-.5": -0.5, "1e3": 1000.0, "1E3": 1000.0,
    "1e+3": 1000.0, "1.5e-3": 0.0015, "6.0": 6.0, "0.": 0.0,
    "1e": "1e", "e3": "e3", ".": ".", "1.2.3": "1.2.3", "1_000.5": "1_000.5", "1e3_0": "1e3_0", "+1": 1,
    # infinity and NaN: floats, refused by the loader
    ".inf": REFUSED, ".Inf": REFUSED, ".INF": REFUSED, "+.inf": REFUSED, "-.inf": REFUSED, "-.Inf": REFUSED,
    ".nan": REFUSED, ".NaN": REFUSED, ".NAN": REFUSED, ".iNf": ".iNf", "inf": "inf", "nan": "nan", "+.nan": "+.nan",
    # dates and timestamps: refused (quote them)
    "2024-01-01": REFUSED, "2024-01-01T10:00:00Z": REFUSED, "2024-1-1 10:00:00": REFUSED, "2024-01-01x": "2024-01-01x",
}  # fmt: skip


def read(text: str) -> tuple[Any, list[str]]:
    document, problems = parse_document("environments/x.yaml", text.encode())
    return (None if document is None else document.data), [p.code for p in problems]


@pytest.mark.parametrize("form", sorted(FORMS), ids=lambda f: repr(f))
def test_each_form_reads_by_the_core_schema_on_both_routes(form: str) -> None:
    expected = FORMS[form]
    block, flow = f"a: {form}\n", f"a: [{form}]\n" if form else "a: [~]\n"

    for text, wrap in ((block, lambda v: v), (flow, lambda v: [v])):
        data, codes = read(text)
        if expected is REFUSED:
            assert data is None and codes in (["invalid-value"], ["unsupported-value"]), (text, codes)
            assert careful(text)[1]
        else:
            assert codes == [] and typed(data) == typed({"a": wrap(expected)}), text
        assert_agree(text)


@pytest.mark.parametrize("form", ["yes", "1_000", "0x_1F", "0b101", "1:20", "0O17"])
def test_yaml_1_1_forms_are_strings_as_keys_too(form: str) -> None:
    assert read(f"{form}: x\n") == ({form: "x"}, [])


def test_quoted_forms_are_always_strings() -> None:
    assert read("a: '1'\nb: \"true\"\nc: 'null'\nd: '2024-01-01'\ne: \".inf\"\n")[0] == {
        "a": "1",
        "b": "true",
        "c": "null",
        "d": "2024-01-01",
        "e": ".inf",
    }


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("!!str 1_000", "1_000"),
        ("!!str 2024-01-01", "2024-01-01"),
        ("!!int '0x1F'", 31),
        ("!!int 017", 17),
        ("!!float 1", 1.0),
        ("!!float '1e3'", 1000.0),
        ("!!bool 'true'", True),
        ("!!null ''", None),
        ("!!null ~", None),
    ],
)
def test_explicit_core_tags_take_the_core_forms(text: str, value: Any) -> None:
    data, codes = read(f"a: {text}\n")
    assert codes == [] and data is not None and typed(data["a"]) == typed(value)


@pytest.mark.parametrize(
    "text", ["!!int 1_000", "!!int 1.5", "!!int 0b1", "!!float 1_0.5", "!!float ''", "!!bool yes", "!!null x"]
)
def test_explicit_core_tags_refuse_other_forms(text: str) -> None:
    document, problems = parse_document("environments/x.yaml", f"a:\n  b: {text}\n".encode())

    assert document is None
    assert [(p.code, p.location.line, p.location.column) for p in problems] == [("invalid-value", 2, 6)]
    assert "YAML 1.2" in problems[0].message and text.split()[1] not in problems[0].message  # never the value


@pytest.mark.parametrize(
    ("text", "column"),
    [("a: !!map x\n", 4), ("a: !!seq {}\n", 4), ("a: !!str [1]\n", 4), ("a: [!!map ' x ']\n", 5), ("a: !!int {}\n", 4)],
)
def test_a_core_tag_on_the_wrong_kind_of_node_is_located(text: str, column: int) -> None:
    """ruamel.yaml failed on these without a position (exit 70)."""
    document, problems = parse_document("environments/x.yaml", text.encode())

    assert document is None
    assert [(p.code, p.location.line, p.location.column) for p in problems] == [("unsupported-value", 1, column)]


def test_tag_of_and_constructors_agree_on_every_form() -> None:
    """The resolver's pick and the constructor of that tag never fail for a plain scalar."""
    for form in FORMS:
        tag = core_schema.tag_of(form)
        if tag == core_schema.TIMESTAMP:
            continue
        value = core_schema.CONSTRUCTORS[tag](form)
        if isinstance(value, float) and not math.isfinite(value):
            assert FORMS[form] is REFUSED
        else:
            assert typed(value) == typed(FORMS[form]), form


@pytest.mark.parametrize("text", ["9" * 5000, "-" + "9" * 4400, "!!int " + "9" * 5000, "0x" + "f" * 5000])
def test_an_integer_too_long_for_python_is_a_located_error_on_both_routes(text: str) -> None:
    """Python refuses decimal texts of more than 4300 digits (ValueError, which was exit 70)."""
    document, problems = parse_document("environments/x.yaml", f"pools:\n  p:\n    slots: {text}\n".encode())
    assert document is None or [d for d in problems if d.is_error], problems
    assert [(d.location.line, d.location.column, d.code) for d in problems if d.is_error] == [(3, 12, "invalid-value")]


def test_an_integer_of_4000_digits_still_reads() -> None:
    document, problems = parse_document("environments/x.yaml", ("slots: " + "9" * 4000 + "\n").encode())
    assert not problems and document is not None and document.data == {"slots": int("9" * 4000)}
