"""The typed model: secrets lifted, values frozen, link semantics, the CLI's spellings, x- keys."""

from __future__ import annotations

import re
from pathlib import Path
from types import MappingProxyType
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from compiler.load.sources import SourceFile
from compiler.model import objects
from compiler.model.objects import ObjectSpec, Secret, freeze, lift_secrets, normalised_configuration, thaw
from compiler.validate.project import validate

README = Path(__file__).resolve().parents[2] / "README.md"
WORKSPACE = "version: 1\nworkspace: T\nbranches:\n  - branch: main\n    deployment: prod\n"
PROD = "name: prod\nastro: {executor: KUBERNETES}\n"

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=12,
)


def project(files: dict[str, str]) -> Any:
    merged = {"environments/workspace.yaml": WORKSPACE, "environments/deployments/prod.yaml": PROD, **files}
    return validate([SourceFile(p, t.encode()) for p, t in sorted(merged.items())])


@given(JSON)
def test_thaw_undoes_freeze(value: Any) -> None:
    frozen = freeze(value)

    assert thaw(frozen) == value
    assert not any(isinstance(v, (dict, list)) for v in _walk(frozen))


def _walk(value: Any) -> list[Any]:
    children = (
        list(value.values()) if isinstance(value, MappingProxyType) else list(value) if isinstance(value, tuple) else []
    )
    return [value, *(w for c in children for w in _walk(c))]


def test_only_a_mapping_with_the_single_key_secret_is_a_reference() -> None:
    lifted = lift_secrets(
        {"a": {"secret": "X"}, "b": {"secret": "X", "other": 1}, "c": [{"secret": "Y"}], "d": {"secret": 5}}
    )

    assert lifted == {"a": Secret("X"), "b": {"secret": "X", "other": 1}, "c": [Secret("Y")], "d": {"secret": 5}}
    assert str(Secret("X")) == "<secret:X>"


@pytest.mark.parametrize(
    ("links", "exclude", "linked"),
    [("all", (), {"a", "b"}), ("all", ("b",), {"a"}), (("a",), (), {"a"}), (None, (), set()), ((), (), set())],
)
def test_link_semantics(links: Any, exclude: tuple[str, ...], linked: set[str]) -> None:
    obj = ObjectSpec("pool", "p", "f.yaml", ("pools", "p"), MappingProxyType({}), links=links, exclude=exclude)

    assert {d for d in ("a", "b") if obj.linked_to(d)} == linked
    assert obj.linked_nowhere is (not links)


@pytest.mark.parametrize(
    ("written", "held"),
    [
        ({"executor": "celery"}, {"executor": "CELERY"}),
        ({"executor": "kubernetesexecutor"}, {"executor": "KubernetesExecutor"}),
        ({"executor": "Astro"}, {"executor": "ASTRO"}),
        (
            {"scheduler_size": "extra_large", "cloud_provider": "gcp"},
            {"scheduler_size": "EXTRA_LARGE", "cloud_provider": "GCP"},
        ),
        (
            {"deployment_type": "hosted_dedicated", "region": "us-east-1"},
            {"deployment_type": "HOSTED_DEDICATED", "region": "us-east-1"},
        ),
        ({"executor": "{{ deployment.name }}"}, {"executor": "{{ deployment.name }}"}),  # a template is left alone
    ],
)
def test_case_insensitive_settings_take_the_astro_cli_spelling(written: dict[str, str], held: dict[str, str]) -> None:
    assert normalised_configuration(written) == held


def test_the_model_holds_the_normalised_spelling() -> None:
    found = project(
        {
            "environments/deployments/prod.yaml": "name: prod\nastro: {executor: celery, scheduler_size: small}\nworker_queues: [{name: default, worker_type: A5}]\n"
        }
    )

    assert found.ok, found.diagnostics
    assert dict(found.model.deployment("prod").astro) == {"executor": "CELERY", "scheduler_size": "SMALL"}


def test_top_level_x_keys_are_ignored_in_every_kind_of_file() -> None:
    found = project(
        {
            "environments/workspace.yaml": WORKSPACE + "x-note: free text\n",
            "environments/deployments/prod.yaml": PROD + "x-queue: {anything: [1, 2]}\n",
            "environments/objects.yaml": "x-defaults: {value: 1}\nvariables:\n  v: {value: 1, links: all}\n",
        }
    )

    assert found.diagnostics == ()
    assert [o.key for o in found.model.objects] == ["v"]


def test_x_keys_are_only_ignored_at_the_top_level() -> None:
    found = project({"environments/objects.yaml": "variables:\n  v: {value: 1, links: all, x-note: 1}\n"})

    assert [(d.code, d.location.line) for d in found.diagnostics] == [("unknown-key", 2)]


def test_the_readme_anchor_example_validates_as_it_says() -> None:
    text = README.read_text(encoding="utf-8")
    found = re.search(r"<!-- anchors-example: (\S+) -->\n```yaml\n(.*?)```", text, re.S)
    assert found is not None
    path, example = found.groups()

    result = project({path: example})

    assert result.diagnostics == ()
    fields = {o.key: dict(o.fields) for o in result.model.objects}
    assert fields == {
        "orders_db": {"type": "postgres", "host": "db.internal", "port": 5432, "schema": "orders"},
        "billing_db": {"type": "postgres", "host": "db.internal", "port": 5433, "schema": "billing"},
    }
    assert all(o.links == "all" for o in result.model.objects)


_SCALAR_VALUES = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=5)
_WITH_REFERENCES = st.recursive(
    _SCALAR_VALUES | st.builds(lambda name: {"secret": name}, st.text(min_size=1, max_size=5)),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=4), children, max_size=3),
    max_leaves=12,
)


@settings(max_examples=300, deadline=None)
@given(_WITH_REFERENCES)
def test_fields_are_lifted_and_frozen_in_one_pass_as_in_two(value: Any) -> None:
    """The model's one-pass form is `freeze(lift_secrets(value))`: the same value, the same
    types (a Secret where a reference was, read-only mappings, tuples)."""
    one, two = objects._lifted_and_frozen(value), objects.freeze(objects.lift_secrets(value))
    assert one == two
    assert repr(one) == repr(two)
