"""compiler.review.changes: the one change model diff and plan share."""

from __future__ import annotations

from types import MappingProxyType

from hypothesis import given
from hypothesis import strategies as st

from compiler.model.equality import identity, same
from compiler.model.objects import Secret
from compiler.review.changes import (
    REDACTED,
    SENSITIVE,
    FieldChange,
    ObjectChange,
    compare,
    json_value,
    leaves,
    object_change,
)


def test_an_object_on_one_side_only_is_created_or_deleted() -> None:
    created = object_change("connection", "wh", None, {"type": "postgres"}, deployment="production")
    assert created == ObjectChange("connection", "wh", "create", (FieldChange("type", None, "postgres"),), "production")
    assert created.fields[0].new == '"postgres"' and created.fields[0].old is None
    assert created.action == "added"
    deleted = object_change("variable", "v", {"value": 1}, None)
    assert deleted is not None and (deleted.operation, deleted.action) == ("delete", "removed")
    assert object_change("variable", "v", None, None) is None


def test_an_unchanged_object_is_no_change_and_a_changed_one_an_update_or_replace() -> None:
    assert object_change("connection", "wh", {"type": "x", "port": 1}, {"port": 1, "type": "x"}) is None
    update = object_change("connection", "wh", {"type": "x", "port": 1}, {"type": "x", "port": 2})
    assert update is not None and update.operation == "update" and update.action == "changed"
    replace = object_change("connection", "wh", {"type": "x"}, {"type": "y"}, replace_when={"type"})
    assert replace is not None and replace.operation == "replace" and replace.action == "changed"


def test_values_compare_exactly_and_secrets_are_flagged_never_shown() -> None:
    changes = compare(
        leaves({"port": 1, "password": Secret("OLD"), "extra": {"api_key": "literal-1", "db": "a"}}),
        leaves({"port": 1.0, "password": Secret("NEW"), "extra": {"api_key": "literal-2", "db": "a"}}),
    )
    assert changes == (
        FieldChange("extra.api_key", REDACTED, REDACTED, secret=True),
        FieldChange("password", Secret("OLD"), Secret("NEW"), secret=True),
        FieldChange("port", 1, 1.0, secret=False),
    )
    assert [(c.old, c.new) for c in changes] == [(SENSITIVE, SENSITIVE), ("<secret:OLD>", "<secret:NEW>"), ("1", "1.0")]
    # As JSON data (a plan's `before`/`after`), a held value is never the literal either.
    assert [json_value(c.after) for c in changes] == [SENSITIVE, "<secret:NEW>", 1.0]


def test_a_literal_secret_inside_a_list_or_mapping_is_never_held() -> None:
    (change,) = compare({}, leaves({"extra": {"credentials": ["literal-1"]}}))
    assert change.after is REDACTED and "literal-1" not in repr(change)
    (nested,) = compare({}, {("hosts",): [Secret("A"), "b"]})
    assert nested.new == '["<secret:A>", "b"]' and json_value(nested.after) == ["<secret:A>", "b"]


_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-3, 3),
    st.sampled_from([0.0, -0.0, 1.0, 2.5]),
    st.sampled_from(["", "a", "1", "true"]),
    st.builds(Secret, st.sampled_from(["A", "B"])),
)
_VALUES = st.recursive(
    _SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.lists(inner, max_size=3).map(tuple),
        st.dictionaries(st.sampled_from(["a", "b", "c"]), inner, max_size=3),
        st.dictionaries(st.sampled_from(["a", "b", "c"]), inner, max_size=3).map(MappingProxyType),
    ),
    max_leaves=8,
)


@given(_VALUES, _VALUES)
def test_same_is_equality_of_identity(a: object, b: object) -> None:
    # `same` skips JSON for plain data; it must agree with the JSON identity on every pair,
    # so 1, 1.0, true, 0.0 and -0.0 stay apart and key order does not matter.
    assert same(a, b) == (identity(a) == identity(b))
    assert same(a, a)


def test_same_tells_apart_what_json_tells_apart() -> None:
    assert not same(1, 1.0) and not same(1, True) and not same(0.0, -0.0) and not same("1", 1)
    assert same({"a": [1, 2]}, MappingProxyType({"a": (1, 2)})) and not same({"a": 1}, {"a": 1, "b": None})
    assert not same(Secret("A"), "<secret:A>") and same(Secret("A"), Secret("A"))
