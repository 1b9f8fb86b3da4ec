"""Benchmarks: cold-process wall time and peak memory of the commands at several sizes.

    python benchmarks/run.py                    # default sizes
    python benchmarks/run.py --sizes 10x2,100x5 --repeat 5

Each size is CONNECTIONSxDEPLOYMENTS: a synthetic repository (made by generate.py) with
that many connections linked to all Deployments, a fifth of them overridden in each
Deployment, plus a second commit that changes a few overrides (for diff and matrix).
Prints one table row per size and command: the median wall time of `--repeat` cold
runs and the largest peak RSS. The last table compares cold `validate` of the shipped
example with a `check-jsonschema` run over the same files with a permissive schema.
Figures only: the tests assert behaviour, never time.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from generate import git, repository, second_commit, sizes

HERE = Path(__file__).resolve().parent
COMMAND = str(Path(sys.executable).parent / "astro-gitops")


def cold(argv: list[str], cwd: Path) -> tuple[float, int, int]:
    """Wall seconds, peak RSS in KiB and exit code of one fresh process."""
    start = time.perf_counter()
    proc = subprocess.Popen(argv, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    return elapsed, usage.ru_maxrss, os.waitstatus_to_exitcode(status)


def measure(argv: list[str], cwd: Path, repeat: int) -> tuple[float, int]:
    runs = [cold(argv, cwd) for _ in range(repeat)]
    bad = [code for _, _, code in runs if code not in (0, 3)]
    if bad:
        raise SystemExit(f"{' '.join(argv)} exited {bad[0]} in {cwd}")
    return statistics.median(r[0] for r in runs), max(r[1] for r in runs)


def bench_size(connections: int, deployments: int, repeat: int, work: Path) -> list[tuple[str, float, int]]:
    root = repository(work, connections, deployments)
    second_commit(root, deployments)
    git(root, "commit", "-qam", "two")
    out = work / f"out{connections}x{deployments}"
    rows = []
    for name, args in (
        ("validate", ["validate"]),
        ("render --all", ["render", "--all", "--out", str(out)]),
        ("diff HEAD~1 HEAD", ["diff", "HEAD~1", "HEAD"]),
        ("matrix --since HEAD~1", ["matrix", "--since", "HEAD~1"]),
    ):
        if name.startswith("render"):
            shutil.rmtree(out, ignore_errors=True)
        seconds, rss = measure([COMMAND, *args], root, repeat if connections < 1000 else 1)
        rows.append((name, seconds, rss))
    return rows


def compare_check_jsonschema(repeat: int) -> None:
    """Both commands run in turns, so a busy moment of the machine hits both alike."""
    example = HERE.parent
    files = sorted(str(p) for p in (example / "environments").rglob("*.yaml"))
    checker = shutil.which("check-jsonschema") or str(Path(sys.executable).parent / "check-jsonschema")
    print("\ncold validate of the shipped example vs check-jsonschema (permissive schema)")
    if not Path(checker).exists():
        ours, _ = measure([COMMAND, "validate"], example, repeat)
        print(
            f"  astro-gitops validate: {ours * 1000:.0f} ms (check-jsonschema not installed: pip install check-jsonschema)"
        )
        return
    theirs_argv = [checker, "--schemafile", str(HERE / "permissive.schema.json"), *files]
    ours_runs: list[float] = []
    theirs_runs: list[float] = []
    for _ in range(max(repeat, 11)):
        ours_runs.append(measure([COMMAND, "validate"], example, 1)[0])
        theirs_runs.append(measure(theirs_argv, example, 1)[0])
    ours, theirs = statistics.median(ours_runs), statistics.median(theirs_runs)
    print(
        f"  astro-gitops validate: median {ours * 1000:.0f} ms (min {min(ours_runs) * 1000:.0f} ms, {len(ours_runs)} runs)"
    )
    print(f"  check-jsonschema:      median {theirs * 1000:.0f} ms (min {min(theirs_runs) * 1000:.0f} ms)")
    print(f"  ratio of medians:      {ours / theirs:.2f}x")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--sizes", default="10x2,100x5,1000x50", help="CONNECTIONSxDEPLOYMENTS,... (add 5000x200 for the largest)"
    )
    parser.add_argument("--repeat", type=int, default=5, help="cold runs per small measurement (median)")
    args = parser.parse_args()
    print(f"{'size':>10} {'command':<24} {'wall':>9} {'peak RSS':>10} {'per object x deployment':>24}")
    for size, connections, deployments, work in sizes(args.sizes):
        rows = bench_size(connections, deployments, args.repeat, work)
        for name, seconds, rss in rows:
            unit = seconds / (connections * deployments) * 1e6
            print(f"{size:>10} {name:<24} {seconds * 1000:>7.0f}ms {rss / 1024:>8.0f}MB {unit:>20.1f} us")
        wall = {name: seconds for name, seconds, _ in rows}
        print(f"{size:>10} {'diff / two renders':<24} {wall['diff HEAD~1 HEAD'] / (2 * wall['render --all']):>8.2f}x")
    compare_check_jsonschema(args.repeat)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
