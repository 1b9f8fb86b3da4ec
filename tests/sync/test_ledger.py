"""The ownership ledger's value (sync/ledger.py): what it says counts only when it is ours and,
with the fingerprint key, signed; a plan that restores a hand-edited object and one that refuses
a never-managed one (sync/airflow_plan.py with the ledger in the live Airflow)."""

from __future__ import annotations

from types import MappingProxyType

from compiler.sync import airflow_plan, ledger
from compiler.sync.airflow_state import AirflowVersion, LiveAirflow, LiveObject
from compiler.sync.changeset import Options

OWNER = "data-platform"
MARK = f"[astro-gitops owner={OWNER}]"
KEY = b"k3y"


def test_a_signed_ledger_reads_back_and_a_changed_one_does_not() -> None:
    managed = {"variable/a": {}, "connection/c": {"password": "0123456789abcdef"}}
    text = ledger.text(OWNER, managed, KEY, "dev")
    assert ledger.read(MARK, text, OWNER, KEY, "dev") == managed
    assert ledger.read(MARK, text.replace("variable/a", "variable/b"), OWNER, KEY, "dev") is None  # signature
    assert ledger.read("[astro-gitops owner=someone]", text, OWNER, KEY, "dev") is None  # not our marker
    assert ledger.read(MARK, ledger.text(OWNER, managed, None, "dev"), OWNER, KEY, "dev") is None  # unsigned, key set
    assert ledger.read(MARK, ledger.text(OWNER, managed, None, "dev"), OWNER, None, "dev") == managed
    assert ledger.read(MARK, text, OWNER, KEY, "prod") is None  # copied into another Deployment's Airflow


def _live(*objects: LiveObject) -> LiveAirflow:
    return LiveAirflow("http://x", AirflowVersion(3, 1, "3.1.8"), {(o.kind, o.key): o for o in objects})


def _wanted(key: str, value: str) -> airflow_plan.Wanted:
    return airflow_plan.Wanted("variable", key, None, MappingProxyType({"value": value}), "d.yaml", ())


def test_a_listed_object_without_its_marker_is_planned_as_a_change() -> None:
    book = ledger.text(OWNER, {"variable/a": {}}, None, "dev")
    live = _live(
        LiveObject("variable", ledger.variable_key(OWNER), f"{ledger.DESCRIPTION} {MARK}", {"value": book}),
        LiveObject("variable", "a", "typed by hand", {"value": "edited"}),
        LiveObject("variable", "b", "", {"value": "theirs"}),
    )
    desired = airflow_plan.AirflowDesired("dev", ("variable",), (_wanted("a", "ours"), _wanted("b", "ours")))
    made = airflow_plan.plan(desired, live, Options(OWNER), "dev")
    (change,) = made.changes
    assert change.key == "a"
    assert (change.fields[0].path, change.fields[0].note) == ("marker", ledger.RESTORED)
    assert ("value", "edited", "ours") in [(f.path, f.before, f.after) for f in change.fields]
    assert [d.code for d in made.diagnostics] == ["unmanaged-object"]  # b: never managed


def test_the_ledger_is_written_after_the_last_change_shown_and_never_alone() -> None:
    desired = airflow_plan.AirflowDesired("dev", ("variable",), (_wanted("a", "ours"),))
    first = airflow_plan.plan(desired, _live(), Options(OWNER), "dev")
    change, written = first.changes  # the ledger last, a change of its own that the plan shows
    assert [w.key.object_key for w in change.writes] == ["a"]
    assert (written.kind, written.key, written.operation) == ("variable", ledger.variable_key(OWNER), "create")
    assert [w.key.object_key for w in written.writes] == [ledger.variable_key(OWNER)]
    assert [(f.path, f.after) for f in written.fields] == [("value", "(ownership ledger: 1 managed object)")]
    marked = LiveObject("variable", "a", MARK, {"value": "ours"})
    assert airflow_plan.plan(desired, _live(marked), Options(OWNER), "dev").changes == ()


def test_the_repository_may_not_define_a_ledger_key() -> None:
    desired = airflow_plan.AirflowDesired("dev", ("variable",), (_wanted("astro_gitops_ledger_x", "v"),))
    made = airflow_plan.plan(desired, _live(), Options(OWNER), "dev")
    assert [d.code for d in made.diagnostics] == ["reserved-key"] and made.changes == ()
