"""Planning for one Airflow (sync/airflowplan.py): a pure function of desired and live values.

These cases are the ones the real Airflow 3 of the other tests cannot show: an Airflow older
than 2.7, Airflow 2's write-only passwords, and masks on names our own rules do not call secret.
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Any

from compiler.model.frozen import replace
from compiler.model.objects import Secret
from compiler.model.secrets import SecretValues
from compiler.review.changes import ObjectKey
from compiler.sync import airflow_plan
from compiler.sync import marker as markers
from compiler.sync.airflow_plan import AirflowDesired, Wanted
from compiler.sync.airflow_state import KINDS, MASKED, AirflowVersion, Kind, LiveAirflow, LiveObject
from compiler.sync.changeset import Options

OWNER = "team"
KEY = b"k"


def plan(*args: Any) -> Any:
    """The plan without the ownership ledger's change (tests/sync/test_ledger.py has it)."""
    made = airflow_plan.plan(*args)
    return replace(made, changes=tuple(c for c in made.changes if not c.key.startswith("astro_gitops_ledger")))


def live(version: str, *objects: LiveObject) -> LiveAirflow:
    major, minor = (int(p) for p in version.split(".")[:2])
    return LiveAirflow(
        "http://127.0.0.1:1", AirflowVersion(major, minor, version), {(o.kind, o.key): o for o in objects}
    )


def obj(kind: Kind, key: str, description: str = "", **fields: Any) -> LiveObject:
    return LiveObject(kind, key, description, MappingProxyType(fields))


def wanted(kind: Kind, key: str, description: str | None = None, **fields: Any) -> Wanted:
    return Wanted(kind, key, description, MappingProxyType(fields), "environments/x.yaml", ())


def options(values: dict[str, str] | None = None, **more: Any) -> Options:
    return Options(OWNER, key=KEY, values=SecretValues(redacted=False, values=values or {}), **more)


def desired(*objects: Wanted) -> AirflowDesired:
    return AirflowDesired("production", KINDS, objects)


def marked(description: str, kind: Kind = "connection", key: str = "c", **fps: str) -> str:
    """A description with our marker, signed for the object `kind`/`key` of Deployment production's Airflow."""
    prints = MappingProxyType({(markers.OWN, path): fp for path, fp in fps.items()})
    identity = ObjectKey(key, kind, "AIRFLOW", "production")
    return markers.join(description, markers.signed(OWNER, identity, KEY, fingerprints=prints))


def test_include_deferred_on_an_airflow_older_than_2_7_is_an_error() -> None:
    made = plan(desired(wanted("pool", "p", slots=2, include_deferred=True)), live("2.6.3"), options(), "s")
    assert [d.code for d in made.diagnostics] == ["airflow-unsupported"]
    assert made.changes == ()


def test_include_deferred_false_is_simply_not_sent_to_an_older_airflow() -> None:
    made = plan(desired(wanted("pool", "p", slots=2, include_deferred=False)), live("2.6.3"), options(), "s")
    assert made.ok
    assert made.changes[0].writes[0].body["fields"] == {"slots": 2}


def test_default_pool_needs_no_marker_only_its_slots_change_and_it_is_never_deleted() -> None:
    default = obj("pool", "default_pool", "Default pool", slots=128, include_deferred=False)
    made = plan(desired(wanted("pool", "default_pool", "ours", slots=16)), live("3.1.0", default), options(), "s")
    assert made.ok
    (change,) = made.changes
    assert [f.path for f in change.fields] == ["slots"]
    assert change.writes[0].body["mask"] == ["slots"]
    assert plan(desired(), live("3.1.0", default), options(), "s").changes == ()


def test_airflow_2_never_reads_a_password_so_its_removal_is_known_from_the_fingerprint() -> None:
    had = obj("connection", "c", marked("d", password="0123456789abcdef"), type="http")
    made = plan(desired(wanted("connection", "c", "d", type="http")), live("2.11.0", had), options(), "s")
    (change,) = made.changes
    assert [(f.path, f.after) for f in change.fields] == [("password", None)]
    assert change.writes[0].body["fields"]["password"] is None
    assert "password" in change.writes[0].body["mask"]


def test_a_value_airflow_masks_under_a_name_of_its_own_is_compared_by_fingerprint() -> None:
    # "proxy" is in Airflow's masked names, not in our plaintext rules: never compared as "***".
    want = wanted("connection", "c", None, type="http", extra={"proxy": "http://p:8080"})
    first = plan(desired(want), live("3.1.0"), options(), "s")
    description = first.changes[0].writes[0].body["description"]
    held = obj("connection", "c", description, type="http", extra={"proxy": MASKED})
    assert plan(desired(want), live("3.1.0", held), options(), "s").changes == ()
    changed = wanted("connection", "c", None, type="http", extra={"proxy": "http://q:8080"})
    (change,) = plan(desired(changed), live("3.1.0", held), options(), "s").changes
    assert [(f.path, f.note) for f in change.fields] == [("extra.proxy", "secret changed")]


def test_a_secret_variable_is_compared_by_fingerprint_and_never_shown() -> None:
    want = wanted("variable", "api_token", None, value=Secret("TOKEN"))
    values = {"TOKEN": "t0k3n-value"}
    first = plan(desired(want), live("3.1.0"), options(values), "s")
    held = obj("variable", "api_token", first.changes[0].writes[0].body["description"], value=MASKED)
    assert plan(desired(want), live("3.1.0", held), options(values), "s").changes == ()
    rotated = plan(desired(want), live("3.1.0", held), options({"TOKEN": "new-value"}), "s")
    assert [f.note for f in rotated.changes[0].fields] == ["secret changed"]
    assert "new-value" not in repr(rotated.changes[0].fields)


def test_an_object_of_another_owner_is_refused_and_never_deleted() -> None:
    theirs = obj("variable", "v", markers.join("x", markers.Marker("other")), value="1")
    refused = plan(desired(wanted("variable", "v", value="2")), live("3.1.0", theirs), options(), "s")
    assert [d.code for d in refused.diagnostics] == ["unmanaged-object"] and "owner 'other'" in refused.diagnostics[
        0
    ].message
    assert plan(desired(), live("3.1.0", theirs), options(), "s").changes == ()


def test_a_removed_field_is_sent_as_null_in_the_mask() -> None:
    held = obj("connection", "c", marked("d"), type="http", host="h", login="l")
    (change,) = plan(
        desired(wanted("connection", "c", "d", type="http", host="h")), live("3.1.0", held), options(), "s"
    ).changes
    assert [(f.path, f.before, f.after) for f in change.fields] == [("login", "l", None)]
    assert change.writes[0].body["mask"] == ["login"] and change.writes[0].body["fields"]["login"] is None


def test_a_removed_secret_looking_field_is_never_shown_even_when_airflow_returns_it_in_clear() -> None:
    # An Airflow whose secrets masker is configured otherwise returns extras in clear: a plan that
    # removes them shows that they go, never what they held.
    extra = {"api_token": "LIVE-TOKEN-VALUE", "auth_secret": "LIVE-SECRET-2", "region": "eu"}
    held = obj("connection", "c", marked("d"), type="http", host="h", extra=extra)
    (change,) = plan(
        desired(wanted("connection", "c", "d", type="http", host="h")), live("3.1.0", held), options(), "s"
    ).changes
    shown = {f.path: f.old for f in change.fields}
    assert shown == {"extra.api_token": '"(secret)"', "extra.auth_secret": '"(secret)"', "extra.region": '"eu"'}
    assert "LIVE-" not in repr(change.fields)
