"""Benchmarks: every figure of the performance table as a ratio measured in one run.

    python benchmarks/run.py                               # 1000x50
    python benchmarks/run.py --sizes 10x2,100x5 --repeat 5
    python benchmarks/run.py --sizes 5000x200 --repeat 1   # slow, needs about 1 GB (plan)

Each size is CONNECTIONSxDEPLOYMENTS: a synthetic repository (made by generate.py) with
that many connections linked to all Deployments, every seventh of them overridden in each
Deployment, plus a second commit that changes a few overrides (for diff and matrix).

Every ratio compares two whole cold processes run in turns (A B A B ...), `--repeat`
pairs; the ratio printed is the median of the pairs' ratios, so a busy moment of the
machine hits both alike. Wall time is read around each child; CPU
(user + system seconds) and peak memory (RSS) are the operating system's accounting of the
finished child, as GNU time (/usr/bin/time) reports it. For each size it prints:

- one row per command (validate, render --all, diff, matrix --since, plan): median wall
  time, largest peak RSS, wall time per object x Deployment;
- `render --all / floor`: wall time against floor.py, a process on the same interpreter
  that parses the same input YAML with ruamel's C loader and writes the same output bytes;
- `plan / validate (CPU)`: a fresh plan against the local Astro API server
  (tests/support/astro_api/server.py, only the Deployments stored) against validate;
- `diff / render --all` and `matrix --since / render --all`: wall time;
- the same three of render, diff and matrix in CPU time (user + system), which a busy
  machine disturbs less than wall time (CPU figures are read to 10 ms);
- then, once, cold validate of the shipped example against one check-jsonschema run over
  the same files with a permissive schema.

Figures only: the tests assert behaviour, never time.
"""

from __future__ import annotations

import argparse
import compileall
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(1, str(HERE.parent / "tests"))
from generate import git, repository, second_commit, sizes  # noqa: E402
from support.astro_fake import FakeAstro  # noqa: E402  (the local Astro API server, as the tests run it)

COMMAND = str(Path(sys.executable).parent / "astro-gitops")
FLOOR = [sys.executable, str(HERE / "floor.py")]
TIME = "/usr/bin/time"  # GNU time: the figures of one child, see cold()


@dataclass(frozen=True)
class Run:
    """One finished child: wall and CPU seconds, peak RSS in KiB (Linux ru_maxrss unit)."""

    wall: float
    cpu: float
    rss: int


@dataclass(frozen=True)
class Command:
    """A command line, where it runs, its environment, and what to do before each run."""

    argv: list[str]
    cwd: Path
    env: dict[str, str] | None = None
    before: Callable[[], None] | None = None


def cold(command: Command) -> Run:
    """One fresh process; exits the benchmark when it fails (exit codes other than 0 and 3).

    The child is started by /usr/bin/time, which reports the child's own user, system and
    peak figures (its getrusage of the waited-for child): a child forked from this
    interpreter directly would count this process's memory as its peak (Linux keeps the
    larger of the forked image and the exec'd program's as ru_maxrss).
    """
    if command.before:
        command.before()
    with tempfile.NamedTemporaryFile("r", suffix=".time") as figures:
        start = time.perf_counter()
        proc = subprocess.run(
            [TIME, "-f", "%U %S %M", "-o", figures.name, "--", *command.argv],
            cwd=command.cwd,
            env=command.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            check=False,
        )
        elapsed = time.perf_counter() - start
        last = figures.read().splitlines()[-1]
    if proc.returncode not in (0, 3):
        raise SystemExit(
            f"{' '.join(command.argv)} exited {proc.returncode} in {command.cwd}: {proc.stderr[-2000:].decode()}"
        )
    user, system, rss = last.split()
    return Run(elapsed, float(user) + float(system), int(rss))


def in_turns(a: Command, b: Command, repeat: int) -> tuple[list[Run], list[Run]]:
    """`repeat` runs of each, A B A B ..."""
    pairs = [(cold(a), cold(b)) for _ in range(repeat)]
    return [p[0] for p in pairs], [p[1] for p in pairs]


def ratio(a: list[Run], b: list[Run], figure: str = "wall") -> float:
    """The median of the pairs' ratios of `figure` (wall or cpu; GNU time reads CPU to 10 ms,
    so a CPU time read as 0 counts as 10 ms)."""
    return statistics.median(
        max(getattr(x, figure), 0.01) / max(getattr(y, figure), 0.01) for x, y in zip(a, b, strict=True)
    )


def command_row(size: str, name: str, runs: list[Run], pairs: int) -> str:
    wall = statistics.median(r.wall for r in runs)
    rss = max(r.rss for r in runs)
    return f"{size:>10} {name:<24} {wall * 1000:>7.0f}ms {rss / 1024:>8.0f}MB {wall / pairs * 1e6:>20.1f} us"


def ratio_row(size: str, name: str, value: float, runs: int) -> str:
    return f"{size:>10} {name:<32} {value:>6.2f}x  ({runs} pairs)"


def bench_size(connections: int, deployments: int, repeat: int, work: Path) -> list[str]:
    """The rows of one size (see the module's docstring)."""
    size, pairs = f"{connections}x{deployments}", connections * deployments
    root = repository(work, connections, deployments, "sync: {owner: bench}\n")
    second_commit(root, deployments)
    git(root, "commit", "-qam", "two")
    reference, out, floor_out = (work / f"{kind}{size}" for kind in ("ref", "out", "floor"))
    cold(Command([COMMAND, "render", "--all", "--out", str(reference)], root))

    def fresh(path: Path) -> Callable[[], None]:
        return lambda: shutil.rmtree(path, ignore_errors=True)

    render = Command([COMMAND, "render", "--all", "--out", str(out)], root, before=fresh(out))
    floor = Command([*FLOOR, str(root / "environments"), str(reference), str(floor_out)], root, before=fresh(floor_out))
    validate = Command([COMMAND, "validate"], root)
    diff = Command([COMMAND, "diff", "HEAD~1", "HEAD"], root)
    matrix = Command([COMMAND, "matrix", "--since", "HEAD~1"], root)

    renders, floors = in_turns(render, floor, repeat)
    diffs, renders_d = in_turns(diff, render, repeat)
    matrices, renders_m = in_turns(matrix, render, repeat)
    with FakeAstro(100, token="bench-token", admin_timeout=60) as server:
        server.seed("Bench", [f"dep{d:04d}" for d in range(deployments)], owner="bench", key="bench-fingerprint-key")
        env = {**os.environ, **server.env(ASTRO_GITOPS_FINGERPRINT_KEY="bench-fingerprint-key")}
        env.update({f"CONN{c:05d}_PASSWORD": f"pw-{c}" for c in range(connections)})
        plans, validates = in_turns(Command([COMMAND, "plan"], root, env), validate, repeat)
    return [
        command_row(size, "validate", validates, pairs),
        command_row(size, "render --all", renders + renders_d + renders_m, pairs),
        command_row(size, "diff HEAD~1 HEAD", diffs, pairs),
        command_row(size, "matrix --since HEAD~1", matrices, pairs),
        command_row(size, "plan", plans, pairs),
        command_row(size, "floor", floors, pairs),
        ratio_row(size, "render --all / floor", ratio(renders, floors), repeat),
        ratio_row(size, "render --all / floor (CPU)", ratio(renders, floors, "cpu"), repeat),
        ratio_row(size, "plan / validate (CPU)", ratio(plans, validates, "cpu"), repeat),
        ratio_row(size, "diff / render --all", ratio(diffs, renders_d), repeat),
        ratio_row(size, "diff / render --all (CPU)", ratio(diffs, renders_d, "cpu"), repeat),
        ratio_row(size, "matrix --since / render --all", ratio(matrices, renders_m), repeat),
        ratio_row(size, "matrix --since / render (CPU)", ratio(matrices, renders_m, "cpu"), repeat),
    ]


def compare_check_jsonschema(repeat: int) -> None:
    """Cold validate of the shipped example against check-jsonschema over the same files, in turns."""
    example = HERE.parent
    files = sorted(str(p) for p in (example / "environments").rglob("*.yaml"))
    checker = shutil.which("check-jsonschema") or str(Path(sys.executable).parent / "check-jsonschema")
    print("\ncold validate of the shipped example vs check-jsonschema (permissive schema)")
    ours = Command([COMMAND, "validate"], example)
    if not Path(checker).exists():
        wall = statistics.median(cold(ours).wall for _ in range(repeat))
        print(
            f"  astro-gitops validate: {wall * 1000:.0f} ms (check-jsonschema not installed: pip install check-jsonschema)"
        )
        return
    theirs = Command([checker, "--schemafile", str(HERE / "permissive.schema.json"), *files], example)
    our_runs, their_runs = in_turns(ours, theirs, max(repeat, 11))
    for name, runs in (("astro-gitops validate", our_runs), ("check-jsonschema", their_runs)):
        walls = [r.wall * 1000 for r in runs]
        peak = max(r.rss for r in runs) / 1024
        print(
            f"  {name + ':':<22} median {statistics.median(walls):.0f} ms (min {min(walls):.0f} ms, {len(walls)} runs, peak {peak:.0f} MB)"
        )
    print(f"  ratio (median of pairs): {ratio(our_runs, their_runs):.2f}x")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="1000x50", help="CONNECTIONSxDEPLOYMENTS,... (5000x200 is the largest)")
    parser.add_argument("--repeat", type=int, default=3, help="pairs of cold runs per ratio (median)")
    args = parser.parse_args()
    # As installed: pip writes the bytecode of every package it installs (ruamel's and
    # check-jsonschema's are), but an editable checkout run under PYTHONDONTWRITEBYTECODE=1
    # would compile astro-gitops from source in every child (~30 ms of a cold validate).
    compileall.compile_dir(HERE.parent / "compiler", quiet=1)
    print(f"{'size':>10} {'command':<24} {'wall':>9} {'peak RSS':>10} {'per object x deployment':>24}")
    for _, connections, deployments, work in sizes(args.sizes):
        for row in bench_size(connections, deployments, args.repeat, work):
            print(row, flush=True)
    compare_check_jsonschema(args.repeat)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
