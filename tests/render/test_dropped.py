"""render says where the Astro CLI's settings file drops a value (compiler/render/dropped.py)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path

import pytest
from conftest import run_cli

WORKSPACE = "version: 1\nworkspace: W\nbranches:\n  - {branch: main, deployment: prod}\n"


@pytest.mark.parametrize("value", ["true", "false"])
def test_include_deferred_true_is_a_located_warning_of_render(
    make_repo: Callable[[Mapping[str, str | bytes]], Path], value: str
) -> None:
    root = make_repo(
        {
            "environments/workspace.yaml": WORKSPACE,
            "environments/deployments/prod.yaml": "name: prod\nastro: {executor: KUBERNETES}\n",
            "environments/pools.yaml": f"pools:\n  api:\n    slots: 4\n    include_deferred: {value}\n    links: all\n",
        }
    )
    run = run_cli("render", "--deployment", "prod", cwd=root)
    assert run.code == 0, run.err
    warned = "environments/pools.yaml:4:23: warning[astro-cli-skips]: include_deferred: true of pool 'api'"
    assert (warned in run.err) == (value == "true"), run.err
    rendered = (root / "build/prod/airflow_settings.yaml").read_text()
    assert "pool_name: api" in rendered and "deferred" not in rendered
    assert run_cli("validate", cwd=root).out == ""  # the file is valid: only its rendering loses the field
