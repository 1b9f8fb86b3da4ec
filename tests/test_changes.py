"""compiler.changes: the one change model diff and plan share."""

from __future__ import annotations

from compiler.changes import REDACTED, SENSITIVE, FieldChange, ObjectChange, compare, json_value, leaves, object_change
from compiler.model import Secret


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
