"""Wrong shapes anywhere a mapping or a list is expected: located diagnostics, never a crash.

Every mapping and list of the shipped example's files (Deployments, objects, the workspace)
is replaced, one at a time, by each of a set of wrong shapes: a secret reference where a
mapping of names belongs (`environment_variables: {secret: X}`), a list, a scalar, null,
a list of references, a mapping of references. The result either validates and renders
(redacted and with values) or gets located diagnostics; nothing raises.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import EXAMPLE, run_cli, write_files
from ruamel.yaml import YAML
from support.strategies import dump

from acceptance.test_validate_fuzz import _check
from compiler.load.sources import SourceFile
from compiler.model.secrets import SecretValues
from compiler.render.pipeline import Selection, needed_secrets, render_files, resolve_selection, view_of
from compiler.validate.project import validate

WRONG_SHAPES: list[Any] = [
    {"secret": "X"},
    {"secret": "x-not-a-name"},
    [{"secret": "X"}],
    {"a": {"secret": "X"}},
    [],
    {},
    "text",
    1,
    None,
    [[1]],
]
FILES = {f"environments/{p.relative_to(EXAMPLE).as_posix()}": p for p in sorted(EXAMPLE.rglob("*.yaml"))}


def _containers(value: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    if isinstance(value, (dict, list)):
        yield path
        for key, child in value.items() if isinstance(value, dict) else enumerate(value):
            yield from _containers(child, (*path, key))


def _replaced(data: Any, path: tuple[Any, ...], new: Any) -> Any:
    if not path:
        return copy.deepcopy(new)
    changed = copy.deepcopy(data)
    parent = changed
    for step in path[:-1]:
        parent = parent[step]
    parent[path[-1]] = copy.deepcopy(new)
    return changed


def _variants(relative: str) -> Iterator[tuple[str, bytes]]:
    data = YAML(typ="safe").load(FILES[relative].read_text(encoding="utf-8"))
    for path in _containers(data):
        for shape in WRONG_SHAPES:
            yield ".".join(map(str, path)) + f" = {shape!r}", dump(_replaced(data, path, shape))


@pytest.mark.parametrize("relative", sorted(FILES))
def test_a_wrong_shape_anywhere_is_a_diagnostic(relative: str) -> None:
    originals = {path: p.read_bytes() for path, p in FILES.items()}
    for label, text in _variants(relative):
        files = {**originals, relative: text}
        project = validate([SourceFile(path, data) for path, data in sorted(files.items())])
        _check(project, files)
        if project.ok:  # it renders with values too: a reference nobody expected is still a reference
            resolved = resolve_selection(project, Path("."), Selection(all=True), {})
            view = view_of(project, resolved)
            values = SecretValues(redacted=False, values=dict.fromkeys(needed_secrets(resolved, view), "v"))
            assert render_files(project.model, resolved, values, view), label


def test_environment_variables_as_one_secret_reference(tmp_path: Path) -> None:
    """Issue 15 item 11: was exit 70 (AttributeError); now a located `wrong-type`."""
    write_files(
        tmp_path,
        {
            "environments/workspace.yaml": "version: 1\nworkspace: W\nbranches:\n  - {branch: main, deployment: d}\n",
            "environments/deployments/d.yaml": "name: d\nastro: {executor: KUBERNETES}\n"
            "environment_variables: {secret: TOKEN}\n",
        },
    )
    for args in (("validate",), ("render", "--all"), ("render", "--all", "--secrets", "env")):
        result = run_cli(*args, cwd=tmp_path, env={"TOKEN": "value-Zz91"})
        assert result.code == 1, (args, result)
        text = result.out + result.err
        assert "environments/deployments/d.yaml:3:24: error[wrong-type]: 'environment_variables'" in text
        assert "value-Zz91" not in text
