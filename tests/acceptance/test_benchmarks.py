"""benchmarks/run.py works on a fresh install: a row per size and command, and the comparison.

Figures are not asserted (tests assert behaviour, never time); the script itself fails
when a command exits with an error on a generated repository.
"""

from __future__ import annotations

import re
import subprocess

from conftest import REPO, run_python


def benchmark(script: str, *args: str) -> subprocess.CompletedProcess[str]:
    """`python benchmarks/SCRIPT ARGS`, which must succeed."""
    proc = run_python(str(REPO / "benchmarks" / script), *args, timeout=600)
    assert proc.returncode == 0, proc.stderr
    return proc


COMMANDS = ("validate", "render --all", "diff HEAD~1 HEAD", "matrix --since HEAD~1")
ROW = re.compile(r"^\s*(\d+x\d+) (.+?)\s+(\d+)ms\s+(\d+)MB\s+[\d.]+ us$", re.MULTILINE)


def test_the_benchmark_prints_every_size_and_command() -> None:
    proc = benchmark("run.py", "--sizes", "4x2,6x3", "--repeat", "1")
    rows = ROW.findall(proc.stdout)
    assert sorted((size, command) for size, command, *_ in rows) == sorted(
        (size, command) for size in ("4x2", "6x3") for command in COMMANDS
    )
    assert all(int(ms) > 0 and int(mb) > 0 for *_, ms, mb in rows)
    assert re.search(r"^\s+4x2 diff / two renders\s+[\d.]+x$", proc.stdout, re.MULTILINE)
    assert "cold validate of the shipped example vs check-jsonschema" in proc.stdout
    assert "astro-gitops validate: " in proc.stdout


SYNC_ROW = re.compile(
    r"^\s*(\d+x\d+) (plan|apply) \((fresh|no change)\)\s+(\d+)ms\s+\d+ms\s+(\d+)\s+(\d+)\s+(\d+)$", re.MULTILINE
)


def test_the_sync_benchmark_prints_requests_by_method_and_a_no_change_apply_writes_nothing() -> None:
    proc = benchmark("sync.py", "--sizes", "6x2", "--page-size", "4")
    rows = {
        (command, state): (int(get), int(post), int(delete))
        for _, command, state, _, get, post, delete in SYNC_ROW.findall(proc.stdout)
    }
    assert set(rows) == {("plan", "fresh"), ("apply", "fresh"), ("plan", "no change"), ("apply", "no change")}
    assert rows[("apply", "fresh")][1] == 6 + 2  # one create per connection, one settings update per Deployment
    assert rows[("plan", "fresh")][1:] == rows[("plan", "no change")][1:] == (0, 0)
    assert rows[("apply", "no change")][1:] == (0, 0)
