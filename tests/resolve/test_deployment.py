"""The merge of SPEC 2.4 as laws (hypothesis), and the provenance resolution keeps."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from compiler.model.branches import match
from compiler.resolve.deployment import (
    Origin,
    Setting,
    Shared,
    flatten,
    merge,
    resolve,
    resolve_deployment,
    unflatten,
)
from compiler.validate.project import validate_root

BASE = Origin("environments/objects.yaml", ("connections", "c"), "object")
FIRST = Origin("environments/deployments/production.yaml", ("overrides", "connections", "c"), "override")
SECOND = Origin("environments/workspace.yaml", ("branches", 0, "preview", "overrides", "connections", "c"), "preview")

# --- strategies: nested mappings as a Deployment file could write them ---------------

KEYS = st.sampled_from(["a", "b", "c", "role", "Extra-Key"])
SCALARS = st.one_of(st.integers(-5, 5), st.text("xyz", max_size=3), st.booleans(), st.floats(allow_nan=False, width=32))
LEAVES = st.one_of(SCALARS, st.lists(SCALARS, max_size=3))


def _mappings(leaves: st.SearchStrategy[Any]) -> st.SearchStrategy[dict[str, Any]]:
    return st.recursive(
        st.dictionaries(KEYS, leaves, max_size=3),
        lambda children: st.dictionaries(KEYS, st.one_of(leaves, children), max_size=3),
        max_leaves=12,
    )


VALUES = _mappings(LEAVES)  # what an object writes: no nulls
PATCHES = _mappings(st.one_of(LEAVES, st.none()))  # what an override writes: null removes


def layer(value: Mapping[str, Any], origin: Origin = BASE) -> dict[tuple[str, ...], Setting]:
    leaves, removed = merge({}, value, origin)
    assert removed == {}
    return leaves


def values(leaves: Mapping[tuple[str, ...], Setting]) -> dict[str, Any]:
    return unflatten((path, s.value) for path, s in leaves.items())


def reference(base: Mapping[str, Any], patch: Mapping[str, Any]) -> dict[str, Any]:
    """SPEC 2.4 written as plainly as possible, to check `merge` against."""
    result = dict(base)
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        elif isinstance(value, Mapping) and isinstance(result.get(key), Mapping):
            result[key] = reference(result[key], value)
        elif isinstance(value, Mapping):
            merged = reference({}, value)
            if merged or not value:  # a mapping of nothing but removals removes nothing
                result[key] = merged
        else:
            result[key] = value
    return result


# --- flatten / unflatten ----------------------------------------------------------------


@given(VALUES)
def test_unflatten_inverts_flatten(value: dict[str, Any]) -> None:
    if value:
        assert unflatten(flatten(value)) == value


def test_flatten_keeps_lists_and_empty_mappings_whole() -> None:
    value = {"extra": {"hosts": ["a", "b"], "empty": {}, "deep": {"x": 1}}, "port": 5432}
    assert dict(flatten(value)) == {
        ("extra", "hosts"): ["a", "b"],
        ("extra", "empty"): {},
        ("extra", "deep", "x"): 1,
        ("port",): 5432,
    }


# --- the merge laws ------------------------------------------------------------------------


@settings(max_examples=200)
@given(VALUES, PATCHES)
def test_merge_is_the_spec(base: dict[str, Any], patch: dict[str, Any]) -> None:
    merged, _ = merge(layer(base), patch, FIRST)
    assert values(merged) == reference(base, patch)


@given(VALUES)
def test_override_of_nothing_is_identity(base: dict[str, Any]) -> None:
    leaves = layer(base)
    merged, removed = merge(leaves, {}, FIRST)
    assert merged == leaves
    assert removed == {}


@given(VALUES, VALUES)
def test_later_layer_wins(base: dict[str, Any], patch: dict[str, Any]) -> None:
    merged, _ = merge(layer(base), patch, FIRST)
    for path, value in flatten(patch):
        if path and value != {}:
            assert merged[path].value == value
            assert merged[path].origins[-1] == FIRST


@given(VALUES, PATCHES)
def test_null_removes_the_field_and_everything_under_it(base: dict[str, Any], patch: dict[str, Any]) -> None:
    merged, removed = merge(layer(base), patch, FIRST)
    for path, value in flatten(patch):
        if value is None:
            assert not any(p[: len(path)] == path for p in merged)
    assert set(removed) <= set(layer(base))
    assert all(origin == FIRST for origin in removed.values())


@given(VALUES, PATCHES)
def test_untouched_fields_keep_value_and_provenance(base: dict[str, Any], patch: dict[str, Any]) -> None:
    leaves = layer(base)
    merged, _ = merge(leaves, patch, FIRST)
    touched = [path for path, _ in flatten(patch)]
    for path, setting in leaves.items():
        if not any(path[: len(t)] == t or t[: len(path)] == path for t in touched):
            assert merged[path] == setting


@given(VALUES, PATCHES)
def test_applying_an_override_twice_changes_nothing_more(base: dict[str, Any], patch: dict[str, Any]) -> None:
    once, _ = merge(layer(base), patch, FIRST)
    twice, _ = merge(once, patch, FIRST)
    assert values(twice) == values(once)


@given(VALUES, PATCHES)
def test_merge_never_mutates_its_input(base: dict[str, Any], patch: dict[str, Any]) -> None:
    leaves = layer(base)
    snapshot = dict(leaves)
    merge(leaves, patch, FIRST)
    assert leaves == snapshot


def test_merge_examples_of_spec_2_4() -> None:
    base = {
        "login": "svc",
        "port": 5432,
        "extra": {"account": "a", "database": "DEV", "hosts": ["x", "y"], "nested": {"k": 1, "j": 2}},
    }
    patch = {
        "login": "svc_prod",
        "port": None,
        "extra": {"database": "PROD", "hosts": ["z"], "nested": {"j": None}, "new": True},
    }
    merged, removed = merge(layer(base), patch, FIRST)
    assert values(merged) == {
        "login": "svc_prod",
        "extra": {"account": "a", "database": "PROD", "hosts": ["z"], "nested": {"k": 1}, "new": True},
    }
    assert removed == {("port",): FIRST, ("extra", "nested", "j"): FIRST}


def test_null_of_the_last_key_leaves_an_empty_mapping() -> None:
    # SPEC 2.4: null removes that key for D only; the mapping that held it stays, empty.
    assert values(merge(layer({"a": {"b": 0}}), {"a": {"b": None}}, FIRST)[0]) == {"a": {}}
    assert values(merge(layer({"a": {"b": {"c": 0}}}), {"a": {"b": None}}, FIRST)[0]) == {"a": {}}
    assert values(merge(layer({"a": {"b": {"c": 0}}}), {"a": {"b": {"c": None}}}, FIRST)[0]) == {"a": {"b": {}}}
    assert values(merge(layer({"a": {"b": 0}}), {"a": {"b": None, "c": 1}}, FIRST)[0]) == {"a": {"c": 1}}
    assert values(merge(layer({"a": {"b": 0}}), {"a": {"x": None}}, FIRST)[0]) == {"a": {"b": 0}}
    assert values(merge(layer({"a": 0}), {"a": None}, FIRST)[0]) == {}


def test_null_of_a_whole_mapping_records_every_leaf_removed() -> None:
    merged, removed = merge(layer({"type": "x", "extra": {"a": 1, "b": {"c": 2}}}), {"extra": None}, FIRST)
    assert values(merged) == {"type": "x"}
    assert set(removed) == {("extra", "a"), ("extra", "b", "c")}


def test_an_empty_mapping_merges_nothing_but_replaces_a_scalar() -> None:
    leaves = layer({"extra": {"a": 1}, "flag": "x"})
    merged, _ = merge(leaves, {"extra": {}, "flag": {}}, FIRST)
    assert values(merged) == {"extra": {"a": 1}, "flag": {}}


# --- provenance ---------------------------------------------------------------------------


def test_origins_chain_records_each_layer() -> None:
    leaves = layer({"login": "a", "extra": {"role": "r", "db": "d"}})
    leaves, _ = merge(leaves, {"login": "b", "extra": {"role": "s"}}, FIRST)
    leaves, _ = merge(leaves, {"login": "c"}, SECOND)
    assert leaves[("login",)].origins == (BASE, FIRST, SECOND)
    assert leaves[("extra", "role")].origins == (BASE, FIRST)
    assert leaves[("extra", "db")].origins == (BASE,)


def test_a_mapping_replacing_a_scalar_starts_a_new_chain() -> None:
    leaves, _ = merge(layer({"extra": {"endpoint": "https://x"}}), {"extra": {"endpoint": {"url": "https://y"}}}, FIRST)
    assert leaves[("extra", "endpoint", "url")] == Setting("https://y", (FIRST,))
    assert ("extra", "endpoint") not in leaves


PROJECT = {
    "environments/workspace.yaml": """\
version: 1
workspace: Data Platform
branches:
  - branch: main
    deployment: production
  - branch: "feature/**"
    preview:
      from: production
      name: "pr-{{ branch.slug }}"
      overrides:
        connections:
          db:
            login: "svc_{{ branch.slug }}"
""",
    "environments/deployments/production.yaml": """\
name: production
astro: {executor: KUBERNETES}
overrides:
  connections:
    db:
      login: svc_prod
      port: null
      extra: {role: null, database: PROD}
""",
    "environments/objects.yaml": """\
connections:
  db:
    type: postgres
    login: svc
    port: 5432
    extra: {role: reader, database: DEV, proxy: null}
    links: all
""",
}


def test_resolution_records_every_layer_and_removal(make_repo: Callable[[Mapping[str, str]], Path]) -> None:
    root = make_repo(PROJECT)
    project = validate_root(root).require_valid()
    production = resolve_deployment(project.model, "production", "main", "Data Platform")
    db = production.find("connection", "db")
    assert db is not None
    assert [o.layer for o in db.leaves[("login",)].origins] == ["object", "override"]
    assert [o.layer for o in db.leaves[("extra", "database")].origins] == ["object", "override"]
    assert db.leaves[("type",)].origins[0].path == "environments/objects.yaml"
    assert {path: o.path for path, o in db.removed.items()} == {
        ("port",): "environments/deployments/production.yaml",
        ("extra", "role"): "environments/deployments/production.yaml",
    }
    # A null written in the object itself is a JSON value, not a removal.
    assert db.fields() == {"type": "postgres", "login": "svc_prod", "extra": {"database": "PROD", "proxy": None}}

    workspace = project.model.workspace
    assert workspace is not None
    target = match(workspace, "feature/x")
    assert target is not None
    preview = resolve(project.model, target, "Data Platform").find("connection", "db")
    assert preview is not None
    assert [o.layer for o in preview.leaves[("login",)].origins] == ["object", "override", "preview"]
    assert preview.fields()["login"] == "svc_feature-x"


def test_resolution_does_not_mutate_the_model(make_repo: Callable[[Mapping[str, str]], Path]) -> None:
    project = validate_root(make_repo(PROJECT)).require_valid()
    before = repr(project.model)
    resolve_deployment(project.model, "production", "main", "Data Platform")
    assert repr(project.model) == before


def test_the_chain_keeps_what_each_layer_wrote() -> None:
    leaves = layer({"login": "a", "extra": {"role": "r"}})
    leaves, _ = merge(leaves, {"login": "b"}, FIRST)
    leaves, _ = merge(leaves, {"login": "c", "extra": {"role": None}}, SECOND)
    assert leaves[("login",)].history == ((BASE, "a"), (FIRST, "b"), (SECOND, "c"))
    assert leaves[("extra",)].history == ((SECOND, {}),)  # emptied by SECOND's null


def _many(links: str) -> dict[str, str]:
    """Three Deployments, each overriding a different object; one object templated, one
    plain, one owned by a Deployment; `links` is how the last connection is linked."""
    files = {
        "environments/workspace.yaml": "version: 1\nworkspace: Data Platform\nbranches:\n  - branch: main\n    deployment: prod\n",
        "environments/objects.yaml": f"""\
connections:
  a: {{type: postgres, login: svc, extra: {{role: reader, database: DEV}}, links: all}}
  b: {{type: http, host: "api-{{{{ deployment.name }}}}.example.com", links: all}}
  c: {{type: http, host: plain.example.com, links: all}}
  d: {{type: mysql, login: app, links: {links}}}
variables:
  v: {{value: one, links: all}}
""",
    }
    overrides = {
        "prod": "connections: {a: {login: svc_prod, extra: {role: null}}}\n  variables: {v: {value: two}}",
        "dev": "connections: {c: {host: dev.example.com}}",
        "stage": "connections: {a: {login: svc_stage}, d: {login: stage}}",
    }
    for name, override in overrides.items():
        owned = "\nvariables:\n  own: {value: mine}" if name == "dev" else ""
        files[f"environments/deployments/{name}.yaml"] = (
            f"name: {name}\nastro: {{executor: KUBERNETES}}{owned}\noverrides:\n  {override}\n"
        )
    return files


@pytest.mark.parametrize("links", ["all", "[prod, stage]"])
def test_deployments_resolved_in_turn_share_only_what_none_overrides(
    make_repo: Callable[[Mapping[str, str]], Path], links: str
) -> None:
    """`render --all` resolves every Deployment with one `Shared`: each comes out as it does
    alone, whichever Deployment came first and overrode what the next one shares."""
    model = validate_root(make_repo(_many(links))).require_valid().model
    alone = {name: resolve_deployment(model, name, "main", "Data Platform") for name in ("prod", "dev", "stage")}
    shared = Shared()
    for name in ("stage", "dev", "prod", "dev", "stage"):
        in_turn = resolve_deployment(model, name, "main", "Data Platform", shared=shared)
        assert in_turn == alone[name]
        assert [(o.kind, o.key) for o in in_turn.objects] == [(o.kind, o.key) for o in alone[name].objects]
    dev = alone["dev"]
    assert dev.find("connection", "c") is not None and dev.find("connection", "c").fields()["host"] == "dev.example.com"  # type: ignore[union-attr]
    assert (dev.find("connection", "d") is None) == (links != "all")
    assert dev.find("variable", "own") is not None
