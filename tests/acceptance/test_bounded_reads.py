"""A server's answers get bounded memory and time on totals, not only per response (red-team
fault 8): a body of millions of tiny values is refused before it is decoded, lists that page on
without end stop at ASTRO_GITOPS_MAX_LIST_ITEMS items, and all bodies together stop at 8 times
ASTRO_GITOPS_HTTP_MAX_BYTES. Each is exit 1 naming the bound, within a peak memory measured for
the command alone. Through the installed command against the local Astro API server.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

import pytest
from conftest import Run, installed_command, run_process
from support.astro_fake import FakeAstro

from acceptance.test_sync_apply import KEY

ALL = 1_000_000
PEAK_MB = 400  # the command's own peak resident memory; the red team measured 1.0 and 1.8 GB
PROBE = (
    "import resource, subprocess, sys\n"
    "r = subprocess.run(sys.argv[1:], capture_output=True, text=True)\n"
    "sys.stdout.write(r.stdout); sys.stderr.write(r.stderr)\n"
    "sys.stderr.write(f'\\nPEAK {resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss}\\n')\n"
    "sys.exit(r.returncode)\n"
)


def measured(server: FakeAstro, repo: Path, secrets: dict[str, str], **extra: str) -> tuple[Run, float, float]:
    """plan's result, its peak resident memory in MB and its wall time in seconds."""
    env = server.env(**secrets, ASTRO_GITOPS_FINGERPRINT_KEY=KEY, **extra)
    began = time.monotonic()
    proc = run_process([sys.executable, "-c", PROBE, installed_command(), "plan"], cwd=repo, env=env, timeout=300)
    took = time.monotonic() - began
    err, _, peak = proc.stderr.rpartition("\nPEAK ")
    return Run(proc.returncode, proc.stdout, err), int(peak) / 1024, took


def variable(n: int, ws: str) -> dict[str, Any]:
    return {"id": f"eo{n:023d}", "objectKey": f"k{n}", "objectType": "AIRFLOW_VARIABLE", "scope": "WORKSPACE",
            "scopeEntityId": ws, "airflowVariable": {"value": "v", "isSecret": False}, "setFields": ["value"]}  # fmt: skip


def deployment(n: int, ws: str) -> dict[str, Any]:
    return {"id": f"dp{n:023d}", "name": f"d{n}", "workspaceId": ws}


@pytest.mark.parametrize(
    ("fault", "words"),
    [
        # 60 MB of `{}` under the 64 MiB body limit
        ({"path": "environment-objects$", "many": 20_000_000, "list": "environmentObjects"}, "JSON values"),
        ({"path": "/deployments$", "many": 20_000_000, "list": "deployments"}, "JSON values"),
        ({"path": "/workspaces$", "many": 20_000_000, "list": "workspaces"}, "JSON values"),
        # 1000 items a page, a totalCount of a billion
        ({"path": "environment-objects$", "page": "variable"}, "ASTRO_GITOPS_MAX_LIST_ITEMS"),
        ({"path": "/deployments$", "page": "deployment"}, "ASTRO_GITOPS_MAX_LIST_ITEMS"),
    ],
)
def test_a_server_that_answers_without_end_gets_bounded_memory_and_an_error(
    seeded: FakeAstro, repo: Path, example_secrets: dict[str, str], fault: dict[str, Any], words: str
) -> None:
    ws = seeded.state()["workspaces"][0]["id"]
    if fault.get("page"):
        make = variable if fault.pop("page") == "variable" else deployment
        name = "environmentObjects" if make is variable else "deployments"
        fault["reply"] = {"body": {name: [make(n, ws) for n in range(1000)], "totalCount": 10**9}}
    seeded.admin("fault", {"method": "GET", "count": ALL, **fault})
    result, peak, took = measured(seeded, repo, example_secrets)
    assert result.code == 1, result.out + result.err
    assert words in result.err and "Traceback" not in result.err, result.err
    assert peak < PEAK_MB, peak
    assert took < 60, took


def test_all_the_bodies_of_a_run_together_are_bounded(
    seeded: FakeAstro, repo: Path, example_secrets: dict[str, str]
) -> None:
    ws = seeded.state()["workspaces"][0]["id"]
    # 1000 small pages' worth of bytes: each page under the body limit, pages without end
    items = [{**variable(n, ws), "description": "x" * 9000} for n in range(100)]
    seeded.admin("fault", {"method": "GET", "path": "environment-objects$", "count": ALL,
                           "reply": {"body": {"environmentObjects": items, "totalCount": 10**9}}})  # fmt: skip
    result, peak, _ = measured(seeded, repo, example_secrets, ASTRO_GITOPS_HTTP_MAX_BYTES=str(1024 * 1024))
    assert result.code == 1, result.out + result.err
    assert f"more than {8 * 1024 * 1024} bytes in all" in result.err, result.err
    assert peak < PEAK_MB, peak


@pytest.mark.parametrize("value", ["0", "-5", "many", "1e6"])
def test_a_bad_list_item_limit_is_a_message(
    seeded: FakeAstro, repo: Path, example_secrets: dict[str, str], value: str
) -> None:
    result, _, _ = measured(seeded, repo, example_secrets, ASTRO_GITOPS_MAX_LIST_ITEMS=value)
    assert result.code == 1 and "ASTRO_GITOPS_MAX_LIST_ITEMS" in result.err, result.err


def test_the_list_item_limit_can_be_raised_and_lowered(
    seeded: FakeAstro, repo: Path, example_secrets: dict[str, str]
) -> None:
    lowered, _, _ = measured(seeded, repo, example_secrets, ASTRO_GITOPS_MAX_LIST_ITEMS="2")
    assert lowered.code == 1 and "more than 2 items" in lowered.err, lowered.err
    raised, _, _ = measured(seeded, repo, example_secrets, ASTRO_GITOPS_MAX_LIST_ITEMS="100000")
    assert raised.code == 0, raised.err
