"""Real users' files that passed or failed without saying why (issue 24, item 8), through the
installed command: each is a located diagnostic that names the field and what to write."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path

import pytest
from conftest import run_cli

MakeRepo = Callable[[Mapping[str, str | bytes]], Path]
WORKSPACE = (
    "version: 1\nworkspace: Data Platform\nbranches:\n"
    "  - {branch: main, deployment: production}\n  - {branch: dev, deployment: development}\n"
)
QUEUE = "worker_queues:\n  - {name: default, worker_type: A5, min_worker_count: 0, max_worker_count: 2, worker_concurrency: 5}\n"
SCHEDULE = 'hibernation_schedules:\n  - {hibernate_at: "0 19 * * 1-5", wake_at: "0 7 * * 1-5", enabled: true}\n'


def deployment(name: str, astro: str, more: str = "") -> str:
    return f"name: {name}\nastro:\n  executor: CELERY\n  runtime_version: '3.1-14'\n{astro}{QUEUE}{more}"


@pytest.mark.parametrize(
    ("astro", "said"),
    [("", "no is_development_mode: true"), ("  is_development_mode: false\n", "is_development_mode: false")],
)
def test_hibernation_on_a_deployment_that_is_not_development_mode_is_located(
    make_repo: MakeRepo, astro: str, said: str
) -> None:
    root = make_repo(
        {
            "environments/workspace.yaml": WORKSPACE,
            "environments/deployments/development.yaml": deployment(
                "development", "  is_development_mode: true\n", SCHEDULE
            ),
            "environments/deployments/production.yaml": deployment("production", astro, SCHEDULE),
        }
    )
    run = run_cli("validate", "--format", "text", cwd=root)
    lines = [line for line in run.out.splitlines() if "hibernation" in line]
    assert lines == [
        f"environments/deployments/production.yaml:{7 + astro.count(chr(10))}:1: warning[hibernation-not-development]: hibernation_schedules "
        "of 'production' are never applied: Astro hibernates only development-mode Deployments and 'production' "
        f"has {said} under astro (set it, or remove the schedules)"
    ], run.out + run.err


def test_an_empty_schedule_list_says_nothing(make_repo: MakeRepo) -> None:
    root = make_repo(
        {
            "environments/workspace.yaml": WORKSPACE,
            "environments/deployments/development.yaml": deployment("development", "  is_development_mode: true\n"),
            "environments/deployments/production.yaml": deployment("production", "", "hibernation_schedules: []\n"),
        }
    )
    run = run_cli("validate", cwd=root)
    assert run.code == 0 and run.out + run.err == "", run.out + run.err


def test_a_conn_id_airflows_ui_takes_is_refused_in_words(make_repo: MakeRepo) -> None:
    root = make_repo(
        {
            "environments/workspace.yaml": WORKSPACE,
            "environments/deployments/production.yaml": deployment("production", ""),
            "environments/deployments/development.yaml": deployment("development", "  is_development_mode: true\n"),
            "environments/objects.yaml": 'connections:\n  "sales:reporting/eu": {type: http, links: all}\n',
        }
    )
    run = run_cli("validate", "--format", "text", cwd=root)
    assert run.code == 1
    assert (
        "environments/objects.yaml:2:3: error[invalid-conn-id]: conn_id 'sales:reporting/eu' holds '/', ':'" in run.out
    )
    assert "write it as 'sales_reporting_eu'" in run.out


@pytest.mark.parametrize(("value", "example"), [("{a: 1, b: [1, 2]}", '{"key": "value"}'), ("[x, y]", '["a", "b"]')])
def test_import_of_a_structured_variable_value_says_to_write_json_text(
    make_repo: MakeRepo, value: str, example: str
) -> None:
    root = make_repo(
        {"airflow_settings.yaml": f"airflow:\n  variables:\n    - variable_name: cfg\n      variable_value: {value}\n"}
    )
    run = run_cli("import", "airflow_settings.yaml", cwd=root)
    assert run.code == 1
    assert "airflow_settings.yaml:4:23: error[wrong-type]: 'variable_value' must be a string" in run.err
    assert f"write it as one JSON string, quoted in YAML (`variable_value: '{example}'`)" in run.err
