"""Rendering is a function of the model: same bytes every time, whatever order keys were written in."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from compiler.load.sources import SourceFile
from compiler.model.frozen import replace
from compiler.model.secrets import SecretValues
from compiler.render import texts
from compiler.render.pipeline import Selection, render_files, resolve_selection, view_of
from compiler.render.texts import canonical, indented_json
from compiler.validate.project import validate, validate_root

DEPLOYMENTS = ("production", "staging")
TEXT = st.text(st.sampled_from("abcXYZ09 :-_/é'\""), max_size=8)
SCALARS = st.one_of(
    st.integers(-3, 3), TEXT, st.booleans(), st.floats(-10, 10, allow_nan=False).map(lambda f: round(f, 2))
)
EXTRA_KEYS = st.sampled_from(["account", "Region", "role_arn", "database", "Content-Type", "nested", "x", "y"])
VALUES = st.recursive(
    SCALARS, lambda c: st.lists(c, max_size=3) | st.dictionaries(EXTRA_KEYS, c, min_size=1, max_size=3), max_leaves=8
)
MAPPINGS = st.dictionaries(EXTRA_KEYS, VALUES, max_size=4)
PATCHES = st.dictionaries(EXTRA_KEYS, VALUES | st.none(), max_size=3)
LINKS = st.sampled_from(["all", ["production"], ["staging", "production"]])
KEYS = st.sampled_from(["alpha", "beta", "gamma", "Delta.v2"])


@st.composite
def models(draw: st.DrawFn) -> dict[str, dict[str, Any]]:
    """{file path: document} of a valid environments/ tree."""
    connections = draw(st.dictionaries(KEYS, st.fixed_dictionaries(
        {"type": st.sampled_from(["http", "postgres"]), "links": LINKS},
        optional={"host": TEXT, "port": st.integers(1, 65535), "login": TEXT, "extra": MAPPINGS, "description": TEXT},
    ), max_size=3))  # fmt: skip
    variables = draw(
        st.dictionaries(
            KEYS, st.fixed_dictionaries({"value": VALUES, "links": LINKS}, optional={"description": TEXT}), max_size=3
        )
    )
    pools = draw(
        st.dictionaries(KEYS, st.fixed_dictionaries({"slots": st.integers(-1, 9), "links": LINKS}), max_size=2)
    )
    documents: dict[str, dict[str, Any]] = {
        "environments/workspace.yaml": {
            "version": 1,
            "workspace": "Data Platform",
            "branches": [
                {"branch": "main", "deployment": "production"},
                {"branch": "staging", "deployment": "staging"},
            ],
        },
        "environments/connections.yaml": {"connections": connections},
        "environments/more/variables.yaml": {"variables": variables},
        "environments/pools.yml": {"pools": pools},
    }
    for name in DEPLOYMENTS:
        linked = {
            (kind, key): body
            for kind, objects in (("connections", connections), ("variables", variables))
            for key, body in objects.items()
            if body["links"] == "all" or name in body["links"]
        }
        overrides: dict[str, dict[str, Any]] = {}
        for kind, key in linked:
            if draw(st.booleans()):
                patch = (
                    {"extra": draw(PATCHES), "login": draw(TEXT)}
                    if kind == "connections"
                    else {"value": draw(VALUES | PATCHES)}
                )
                overrides.setdefault(kind, {})[key] = patch
        documents[f"environments/deployments/{name}.yaml"] = {
            "name": name,
            "description": draw(TEXT),
            "astro": {
                "executor": "KUBERNETES",
                "region": "us-east-1",
                "scheduler_size": "SMALL",
                "runtime_version": "3.1-14",
            },
            "environment_variables": draw(
                st.dictionaries(st.sampled_from(["LOG_LEVEL", "A", "Z_VAR"]), TEXT | st.integers(0, 9))
            ),
            "hibernation_schedules": [
                {"hibernate_at": "0 20 * * *", "wake_at": "0 7 * * *", "description": draw(TEXT), "enabled": True}
            ],
            "overrides": overrides,
        }
    return documents


def shuffled(value: Any, rnd: random.Random) -> Any:
    """The same value with every mapping's keys in another order (lists keep theirs: it is meaningful)."""
    if isinstance(value, dict):
        keys = list(value)
        rnd.shuffle(keys)
        return {k: shuffled(value[k], rnd) for k in keys}
    if isinstance(value, list):
        return [shuffled(v, rnd) for v in value]
    return value


def render_all(documents: dict[str, dict[str, Any]], order: list[str] | None = None) -> dict[str, str]:
    # JSON is YAML: the documents are written exactly in the key order given.
    sources = [
        SourceFile(path, json.dumps(documents[path], ensure_ascii=False).encode()) for path in order or documents
    ]
    project = validate(sources)
    assert project.ok, [str(d) for d in project.diagnostics if d.is_error]
    resolved = resolve_selection(project, Path("."), Selection(all=True), {})
    return render_files(project.model, resolved, SecretValues(), view_of(project, resolved))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(models(), st.randoms(use_true_random=False))
def test_output_depends_on_the_model_not_on_key_order(documents: dict[str, dict[str, Any]], rnd: random.Random) -> None:
    first = render_all(documents)
    assert render_all(documents) == first  # the same model twice: the same bytes
    files = list(documents)
    rnd.shuffle(files)
    assert render_all({p: shuffled(d, rnd) for p, d in documents.items()}, files) == first


def test_canonical_sorts_mappings_at_every_depth_and_keeps_list_order() -> None:
    value = {"b": [{"z": 1, "a": 2}, 3], "a": {"y": None, "x": ()}}
    assert json.dumps(canonical(value)) == '{"a": {"x": [], "y": null}, "b": [{"a": 2, "z": 1}, 3]}'


JSON_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(),
    st.text(max_size=6),
    st.sampled_from(["\u2028", '"\\\n', "é\x00"]),
)
JSON_KEYS = st.one_of(st.text(max_size=4), st.integers(-5, 5), st.booleans(), st.none(), st.floats(allow_nan=False))
JSON_VALUES = st.recursive(
    JSON_SCALARS,
    lambda c: st.lists(c, max_size=4) | st.tuples(c) | st.dictionaries(JSON_KEYS, c, max_size=4),
    max_leaves=20,
)


@settings(max_examples=300, deadline=None)
@given(JSON_VALUES)
def test_indented_json_is_the_text_of_json_dumps_with_indent_2(value: Any) -> None:
    """environment-objects.json keeps its bytes now that the C encoder writes it."""
    assert indented_json(value) == json.dumps(value, indent=2, ensure_ascii=False)


def test_indented_json_refuses_what_json_refuses() -> None:
    for value in ({"a": [object()]}, {(1, 2): 1}, [{1j}]):
        with pytest.raises(TypeError):
            json.dumps(value, indent=2)
        with pytest.raises(TypeError):
            indented_json(value)


@pytest.mark.parametrize("kept", [None, 0, 1])
def test_environment_objects_is_the_json_dumps_text_of_the_requests(example_repo: Path, kept: int | None) -> None:
    """Written one request at a time, the file is still json.dumps(requests, indent=2), whole or empty."""
    project = validate_root(example_repo)
    resolved = resolve_selection(project, example_repo, Selection(all=True), {})
    view = view_of(project, resolved)
    if kept is not None:
        view = replace(view, objects=view.objects[:kept])
    requests = [texts._request(o, SecretValues()) for o in view.objects]
    assert texts.environment_objects(view, SecretValues()) == json.dumps(requests, indent=2, ensure_ascii=False) + "\n"


ENTRY_KEYS = st.sampled_from(["conn_id", "conn_type", "conn_extra", "pool_slot", "variable_value"])
ENTRY_VALUES = st.recursive(
    st.one_of(
        st.none(), st.booleans(), st.integers(), st.text(max_size=8), st.sampled_from(["yes", "1.5", "a\nb", ""])
    ),
    lambda c: st.lists(c, max_size=3) | st.dictionaries(st.text(max_size=4), c, max_size=3),
    max_leaves=10,
)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(ENTRY_KEYS, ENTRY_VALUES), min_size=1, max_size=6))
def test_entry_text_is_what_the_entry_template_renders(entry: list[tuple[str, Any]]) -> None:
    """Each airflow_settings.yaml entry is formatted in Python, in the template's layout."""
    template = texts._templates().get_template(texts.ENTRY_TEMPLATE)
    assert texts.entry_text(entry) == template.render(entry=entry).rstrip("\n")
