"""The YAML we write reads back as exactly the value we meant, under YAML 1.2 and 1.1 readers."""

from __future__ import annotations

import io
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML

from compiler.render.yaml_text import block, scalar


def read(text: str, version: tuple[int, int] = (1, 2)) -> Any:
    yaml = YAML(typ="safe", pure=True)
    yaml.version = version
    return yaml.load(io.StringIO(text))


TEXT = st.text(st.characters(exclude_categories=("Cs",)), max_size=30)
TRICKY = st.sampled_from(
    ["yes", "No", "on", "OFF", "y", "~", "null", "Null", "true", "1e3", "0x1F", "0o17", "017", "1_000", "12:30", ".5", "-.inf",
     ".NaN", "+1", "3.1-14", "0.25", "- a", "? x", "#c", "a #b", "a: b", "&x", "*x", "!t", "%p", "@a", "`b", "|", ">", "'", '"',
     "", " ", "a ", " a", "\t", "line\nbreak", "\u2028", "\u0085", "\x7f", "\ufeff", "é", "日本", "s3://bucket", "C:\\temp"]
)  # fmt: skip


@settings(max_examples=300)
@given(TEXT | TRICKY)
def test_a_string_reads_back_as_itself(text: str) -> None:
    for version in ((1, 2), (1, 1)):
        assert read(f"k: {scalar(text)}\n", version)["k"] == text


@given(st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False, allow_infinity=False)))
def test_other_scalars_keep_their_type(value: Any) -> None:
    assert read(f"k: {scalar(value)}\n")["k"] == value
    assert type(read(f"k: {scalar(value)}\n")["k"]) is type(value)


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | TEXT | TRICKY,
    lambda children: st.lists(children, max_size=3) | st.dictionaries(TEXT | TRICKY, children, max_size=3),
    max_leaves=10,
)


@given(JSON)
def test_a_nested_value_reads_back_as_itself(value: Any) -> None:
    assert read(f"root:{block(value, 2)}\n")["root"] == value


@pytest.mark.parametrize(
    ("value", "text"), [("main", "main"), ("3.1-14", "'3.1-14'"), ("yes", "'yes'"), ("it's", "'it''s'")]
)
def test_quoting_examples(value: str, text: str) -> None:
    assert scalar(value) == text
