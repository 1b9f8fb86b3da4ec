"""The workspace view (SPEC 5.3): under Environment Manager semantics, every Deployment gets
exactly the connections and variables its airflow_settings.yaml holds."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import run_cli
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from compiler.load.sources import SourceFile
from compiler.model.secrets import SecretValues
from compiler.render.pipeline import Selection, render_files, resolve_selection, view_of
from compiler.render.texts import SETTINGS_FILE, json_text, variable_text
from compiler.resolve.workspace_view import resolve_links, workspace_view
from compiler.validate.project import validate

DEPLOYMENTS = ("production", "staging", "dev")
LEAF = st.one_of(
    st.integers(-3, 3),
    st.booleans(),
    st.sampled_from(["x", "PROD", "{{ deployment.name }}", "{{ workspace }}-{{ branch.slug }}", "{{ workspace }}"]),
    st.builds(lambda name: {"secret": name}, st.sampled_from(["S1", "S2"])),
)
EXTRA_KEYS = st.sampled_from(["role", "db", "nested", "Region"])


def _extra(leaves: st.SearchStrategy[Any]) -> st.SearchStrategy[dict[str, Any]]:
    return st.recursive(
        st.dictionaries(EXTRA_KEYS, leaves, max_size=3),
        lambda inner: st.dictionaries(EXTRA_KEYS, st.one_of(leaves, inner), max_size=3),
        max_leaves=6,
    )


NULLABLE = st.one_of(st.none(), LEAF)
TEXT = st.sampled_from(["svc", "svc_prod", "db.internal", "{{ deployment.name }}.internal", "{{ workspace }}"])
CONNECTION_FIELDS: dict[str, st.SearchStrategy[Any]] = {
    "host": TEXT,
    "login": TEXT,
    "schema": TEXT,
    "port": st.integers(1, 65535),
    "password": st.builds(lambda name: {"secret": name}, st.sampled_from(["P1", "P2"])),
    "description": TEXT,
}
VALUE = st.one_of(LEAF, _extra(LEAF), st.lists(st.integers(0, 3), max_size=2))


@st.composite
def _links(draw: st.DrawFn) -> dict[str, Any]:
    how = draw(st.sampled_from(["all", "list", "none"]))
    if how == "all":
        exclude = draw(st.lists(st.sampled_from(DEPLOYMENTS), unique=True, max_size=2))
        return {"links": "all", **({"exclude": exclude} if exclude else {})}
    if how == "list":
        return {"links": draw(st.lists(st.sampled_from(DEPLOYMENTS), unique=True, min_size=1))}
    return {}


def _linked(links: Mapping[str, Any], name: str) -> bool:
    if links.get("links") == "all":
        return name not in links.get("exclude", [])
    return name in (links.get("links") or [])


@st.composite
def _connection(draw: st.DrawFn, *, scoped: bool) -> dict[str, Any]:
    body: dict[str, Any] = {"type": draw(st.sampled_from(["postgres", "http"]))}
    for name in draw(st.lists(st.sampled_from(sorted(CONNECTION_FIELDS)), unique=True, max_size=4)):
        body[name] = draw(CONNECTION_FIELDS[name])
    if draw(st.booleans()):
        body["extra"] = draw(_extra(LEAF))
    return body if scoped else {**body, **draw(_links())}


@st.composite
def _override(draw: st.DrawFn, kind: str) -> dict[str, Any]:
    if kind == "variables":
        return {"value": draw(st.one_of(VALUE, _extra(NULLABLE)))}
    body: dict[str, Any] = {}
    for name in draw(st.lists(st.sampled_from([*sorted(CONNECTION_FIELDS), "type"]), unique=True, max_size=3)):
        if name == "type":  # never null: validate refuses that (required-field-removed)
            body[name] = draw(st.sampled_from(["postgres", "http"]))
        else:
            body[name] = draw(st.one_of(st.none(), CONNECTION_FIELDS[name]))
    if draw(st.booleans()):
        body["extra"] = draw(st.one_of(st.none(), _extra(NULLABLE)))
    return body


@st.composite
def repositories(draw: st.DrawFn) -> dict[str, dict[str, Any]]:
    connections = {k: draw(_connection(scoped=False)) for k in draw(st.sets(st.sampled_from(["wh", "api"])))}
    variables = {
        k: {"value": draw(VALUE), **draw(_links())} for k in draw(st.sets(st.sampled_from(["bucket", "config"])))
    }
    files: dict[str, dict[str, Any]] = {
        "environments/workspace.yaml": {
            "version": 1,
            "workspace": "Data Platform",
            "branches": [{"branch": name, "deployment": name} for name in DEPLOYMENTS],
        },
        "environments/objects.yaml": {"connections": connections, "variables": variables},
    }
    for name in DEPLOYMENTS:
        overrides: dict[str, dict[str, Any]] = {}
        for section, objects in (("connections", connections), ("variables", variables)):
            for key, body in objects.items():
                if _linked(body, name) and draw(st.booleans()):
                    overrides.setdefault(section, {})[key] = draw(_override(section))
        document: dict[str, Any] = {"name": name, "astro": {"executor": "KUBERNETES"}, "overrides": overrides}
        if draw(st.booleans()):
            document["connections"] = {"own_conn": draw(_connection(scoped=True))}
        if draw(st.booleans()):
            document["variables"] = {"own_var": {"value": draw(VALUE)}}
        files[f"environments/deployments/{name}.yaml"] = document
    return files


def _entries(got: Mapping[tuple[str, str], Mapping[str, Any]], secrets: SecretValues) -> dict[str, Any]:
    """What an airflow_settings.yaml holds for these objects, as plain data."""
    connections, variables = [], []
    for (kind, key), fields in sorted(got.items()):
        fields = secrets.reveal(fields)
        if kind == "connection":
            entry = {"conn_id": key, **{f"conn_{k}": v for k, v in fields.items() if k != "extra"}}
            if "extra" in fields:
                entry["conn_extra"] = json_text(fields["extra"])
            connections.append(entry)
        else:
            variables.append({"variable_name": key, "variable_value": variable_text(fields.get("value", ""))})
    return {"connections": connections, "variables": variables}


def _settings(text: str) -> dict[str, Any]:
    airflow = yaml.safe_load(text)["airflow"]
    return {
        "connections": sorted(airflow.get("connections") or [], key=lambda c: c["conn_id"]),
        "variables": sorted(airflow.get("variables") or [], key=lambda v: v["variable_name"]),
    }


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(repositories())
def test_the_view_under_environment_manager_semantics_is_each_settings_file(files: dict[str, Any]) -> None:
    sources = [SourceFile(path, json.dumps(body).encode()) for path, body in files.items()]
    project = validate(sources)
    if not project.ok:
        # Only what the rules refuse (an override removing `type`, ...): nothing to compare.
        assert {d.code for d in project.diagnostics if d.is_error} <= {"required-field-removed"}, [
            str(d) for d in project.diagnostics
        ]
        return
    resolved = resolve_selection(project, Path("."), Selection(all=True), {})
    view = view_of(project, resolved)
    secrets = SecretValues()
    rendered = render_files(project.model, resolved, secrets)
    for name in DEPLOYMENTS:
        expected = _settings(rendered[f"{name}/{SETTINGS_FILE}"])
        assert _entries(resolve_links(view, name), secrets) == expected, name


def test_a_null_that_removes_a_field_becomes_an_exclusion_and_a_scoped_copy() -> None:
    files = {
        "environments/workspace.yaml": {
            "version": 1,
            "workspace": "W",
            "branches": [{"branch": "main", "deployment": "production"}],
        },
        "environments/objects.yaml": {
            "connections": {"wh": {"type": "postgres", "login": "svc", "extra": {"a": 1, "b": 2}, "links": "all"}}
        },
        "environments/deployments/production.yaml": {
            "name": "production",
            "astro": {"executor": "KUBERNETES"},
            "overrides": {"connections": {"wh": {"extra": {"a": None}}}},
        },
    }
    project = validate([SourceFile(p, json.dumps(b).encode()) for p, b in files.items()])
    resolved = resolve_selection(project, Path("."), Selection(all=True), {})
    view = view_of(project, resolved)
    main = view.get("WORKSPACE", "W", "connection", "wh")
    copy = view.get("DEPLOYMENT", "production", "connection", "wh")
    assert main is not None and main.exclude_links == ("production",) and main.links == ()
    assert copy is not None and dict(copy.fields) == {"type": "postgres", "login": "svc", "extra": {"b": 2}}
    assert [(d.code, d.severity) for d in view.warnings] == [("override-as-scoped-object", "warning")]
    assert view.warnings[0].location.path == "environments/deployments/production.yaml"


CASES = Path(__file__).resolve().parents[1] / "acceptance" / "cases" / "invalid"


@pytest.mark.parametrize("case", ["required-field-removed", "secret-extra", "template-error-deployment-name"])
def test_validate_reports_what_render_would(case: str, make_repo: Callable[[Mapping[str, str | bytes]], Path]) -> None:
    # Issue 15.16: one resolution path serves both; render never fails where validate passed.
    files = {str(p.relative_to(CASES / case)): p.read_bytes() for p in (CASES / case / "environments").rglob("*.yaml")}
    root = make_repo(files)
    validated = run_cli("validate", cwd=root)
    rendered = run_cli("render", "--all", cwd=root)
    assert validated.code == 1 and rendered.code == 1, (validated.out, rendered.err)
    codes = {line.split("[")[1].split("]")[0] for line in validated.out.splitlines() if ": error[" in line}
    assert codes and all(f"error[{code}]" in rendered.err for code in codes), rendered.err


def test_render_warns_at_the_null_it_turns_into_a_scoped_object(
    make_repo: Callable[[Mapping[str, str | bytes]], Path],
) -> None:
    root = make_repo(
        {
            "environments/workspace.yaml": "version: 1\nworkspace: W\nbranches:\n  - {branch: main, deployment: prod}\n",
            "environments/objects.yaml": "connections:\n  wh:\n    type: postgres\n    login: svc\n    links: all\n",
            "environments/deployments/prod.yaml": (
                "name: prod\nastro: {executor: KUBERNETES}\noverrides:\n  connections:\n    wh:\n      login: null\n"
            ),
        }
    )
    result = run_cli("render", "--all", "--out", str(root / "out"), cwd=root)
    assert result.code == 0, result.err
    assert "environments/deployments/prod.yaml:6:14: warning[override-as-scoped-object]:" in result.err
    objects = json.loads((root / "out" / "environment-objects.json").read_text(encoding="utf-8"))
    assert [(o["scope"], o["scopeEntityId"]) for o in objects] == [("DEPLOYMENT", "prod"), ("WORKSPACE", "W")]
    assert objects[0]["connection"] == {"type": "postgres"} and objects[1]["excludeLinks"] == [
        {"scope": "DEPLOYMENT", "scopeEntityId": "prod"}
    ]


def test_validate_shows_the_scoped_object_warning_once_as_render_does(
    make_repo: Callable[[Mapping[str, str | bytes]], Path],
) -> None:
    """validate (and so the pre-commit hook) warns where render and plan do, and render says it once."""
    root = make_repo(
        {
            "environments/workspace.yaml": "version: 1\nworkspace: W\nbranches:\n  - {branch: main, deployment: prod}\n",
            "environments/objects.yaml": "connections:\n  wh:\n    type: postgres\n    login: svc\n    links: all\n",
            "environments/deployments/prod.yaml": (
                "name: prod\nastro: {executor: KUBERNETES}\noverrides:\n  connections:\n    wh:\n      login: null\n"
            ),
        }
    )
    line = "environments/deployments/prod.yaml:6:14: warning[override-as-scoped-object]:"
    validated = run_cli("validate", cwd=root)
    assert validated.code == 0, validated.out + validated.err
    assert (validated.out + validated.err).count(line) == 1
    rendered = run_cli("render", "--all", "--out", str(root / "out"), cwd=root)
    assert rendered.code == 0 and rendered.err.count(line) == 1, rendered.err


def test_a_preview_in_the_view_takes_its_from_deployments_links_and_exclusions() -> None:
    files = {
        "environments/workspace.yaml": {
            "version": 1,
            "workspace": "W",
            "branches": [
                {"branch": "main", "deployment": "prod"},
                {"branch": "dev", "deployment": "dev"},
                {
                    "branch": "feature/*",
                    "preview": {
                        "from": "dev",
                        "name": "dev-{{ branch.slug }}",
                        "overrides": {"variables": {"listed": {"value": "preview"}}},
                    },
                },
            ],
        },
        "environments/objects.yaml": {
            "connections": {"everywhere_but_dev": {"type": "http", "links": "all", "exclude": ["dev"]}},
            "variables": {"listed": {"value": "v", "links": ["dev"]}, "all": {"value": 1, "links": "all"}},
        },
        "environments/deployments/prod.yaml": {"name": "prod", "astro": {"executor": "KUBERNETES"}},
        "environments/deployments/dev.yaml": {"name": "dev", "astro": {"executor": "KUBERNETES"}},
    }
    project = validate([SourceFile(p, json.dumps(b).encode()) for p, b in files.items()])
    assert project.ok, [str(d) for d in project.diagnostics]
    resolved = resolve_selection(project, Path("."), Selection(all=True), {})
    preview = resolve_selection(project, Path("."), Selection(branch="feature/x"), {})[0]
    assert preview.name == "dev-feature-x" and preview.is_preview
    view = workspace_view(project.model, [*resolved, preview])
    secrets = SecretValues()
    rendered = render_files(project.model, [*resolved, preview], secrets)
    for name in ("prod", "dev", "dev-feature-x"):
        assert _entries(resolve_links(view, name), secrets) == _settings(rendered[f"{name}/{SETTINGS_FILE}"]), name
    connection = view.get("WORKSPACE", "W", "connection", "everywhere_but_dev")
    assert connection is not None and connection.exclude_links == ("dev", "dev-feature-x")
