"""benchmarks/run.py works on a fresh install: a row per size and command, and the comparison.

Figures are not asserted (tests assert behaviour, never time); the script itself fails
when a command exits with an error on a generated repository.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from conftest import REPO, run_cli, run_python


def benchmark(script: str, *args: str) -> subprocess.CompletedProcess[str]:
    """`python benchmarks/SCRIPT ARGS`, which must succeed."""
    proc = run_python(str(REPO / "benchmarks" / script), *args, timeout=600)
    assert proc.returncode == 0, proc.stderr
    return proc


COMMANDS = ("validate", "render --all", "diff HEAD~1 HEAD", "matrix --since HEAD~1", "plan", "floor")
ROW = re.compile(r"^\s*(\d+x\d+) (.+?)\s+(\d+)ms\s+(\d+)MB\s+[\d.]+ us$", re.MULTILINE)
RATIOS = (
    "render --all / floor",
    "render --all / floor (CPU)",
    "plan / validate (CPU)",
    "diff / render --all",
    "diff / render --all (CPU)",
    "matrix --since / render --all",
    "matrix --since / render (CPU)",
)
RATIO = re.compile(r"^\s*(\d+x\d+) (.+?)\s+(\d+\.\d\d)x  \(1 pairs\)$", re.MULTILINE)


def test_the_benchmark_prints_every_size_command_and_ratio() -> None:
    proc = benchmark("run.py", "--sizes", "4x2,6x3", "--repeat", "1")
    rows = ROW.findall(proc.stdout)
    assert sorted((size, command) for size, command, *_ in rows) == sorted(
        (size, command) for size in ("4x2", "6x3") for command in COMMANDS
    )
    assert all(int(ms) > 0 and int(mb) > 0 for *_, ms, mb in rows)
    ratios = RATIO.findall(proc.stdout)
    assert sorted((size, name) for size, name, _ in ratios) == sorted(
        (size, name) for size in ("4x2", "6x3") for name in RATIOS
    )
    assert all(float(value) > 0 for *_, value in ratios)
    assert "cold validate of the shipped example vs check-jsonschema" in proc.stdout
    assert re.search(r"^  ratio \(median of pairs\): [\d.]+x$", proc.stdout, re.MULTILINE)


def test_the_floor_writes_the_bytes_of_a_render_and_parses_every_input(tmp_path: Path) -> None:
    """floor.py's output is the render it stands for, byte for byte (the lock file aside)."""
    reference, out = tmp_path / "reference", tmp_path / "floor"
    rendered = run_cli("render", "--all", "--out", str(reference), cwd=REPO)
    assert rendered.code == 0, rendered.err
    run_python(str(REPO / "benchmarks" / "floor.py"), str(REPO / "environments"), str(reference), str(out), check=True)
    made = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    expected = {p.relative_to(reference): p.read_bytes() for p in reference.rglob("*") if p.is_file()}
    del expected[Path(".astro-gitops.lock")]
    assert made == expected and len(made) > 3
    broken = tmp_path / "broken"
    (broken / "deployments").mkdir(parents=True)
    (broken / "deployments" / "x.yaml").write_text("a: [\n")
    assert run_python(str(REPO / "benchmarks" / "floor.py"), str(broken), str(reference), str(out)).returncode != 0


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
