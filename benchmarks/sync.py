"""plan and apply against the local Astro API server (tests/support/astro_api/server.py).

    python benchmarks/sync.py                       # 1000 connections x 50 Deployments
    python benchmarks/sync.py --sizes 10x2 --page-size 20

For each size: a synthetic repository (generate.py: every connection linked to all
Deployments with a secret password, every seventh of them overridden in each Deployment), a
fresh server holding only the workspace and its Deployments, then four cold runs of the
installed command: plan (fresh), apply (creates everything), plan (no change), apply (no
change). Prints the wall time and the requests by method of each run, read from the
server's request log. The run fails when a no-change apply writes anything. An apply that
creates N objects takes at least N/10 s: it keeps to the API's 10 POST per second.

The Deployments report no Airflow API URL, so no pools are read: what is measured is the
Environment Manager part. On Astro a plan also reads each Deployment's Airflow for its pools
(one more host per Deployment, 8 read at a time).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(1, str(Path(__file__).resolve().parent.parent / "tests"))
from generate import repository, sizes
from support.astro_fake import (
    FakeAstro,  # the local Astro API server (tests/support/astro_api/server.py), as the tests run it
)

COMMAND = str(Path(sys.executable).parent / "astro-gitops")


def run(server: FakeAstro, root: Path, env: dict[str, str], *args: str) -> tuple[float, float, Counter[str]]:
    """Wall seconds, CPU seconds (user + system) and the requests by method of one cold run."""
    server.admin("clear-log", {})
    start = time.perf_counter()
    proc = subprocess.Popen([COMMAND, *args], cwd=root, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    assert proc.stderr is not None
    err = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    code = os.waitstatus_to_exitcode(status)
    if code not in (0, 3):
        raise SystemExit(f"{' '.join(args)} exited {code}: {err[-2000:].decode(errors='replace')}")
    log = server.log()
    return elapsed, usage.ru_utime + usage.ru_stime, Counter(entry["method"] for entry in log)


def bench(
    connections: int, deployments: int, page_size: int, work: Path
) -> Iterator[tuple[str, float, float, Counter[str]]]:
    """Each run's row as it completes (an apply that creates 1,000 objects takes minutes)."""
    root = repository(work, connections, deployments, "sync: {owner: bench}\n")
    with FakeAstro(page_size, token="bench-token", admin_timeout=60) as server:
        server.seed("Bench", [f"dep{d:04d}" for d in range(deployments)], owner="bench", key="bench-fingerprint-key")
        env = {**os.environ, **server.env(ASTRO_GITOPS_FINGERPRINT_KEY="bench-fingerprint-key")}
        env.update({f"CONN{c:05d}_PASSWORD": f"pw-{c}" for c in range(connections)})
        last: Counter[str] = Counter()
        for name, args in (
            ("plan (fresh)", ["plan"]),
            ("apply (fresh)", ["apply", "--auto-approve"]),
            ("plan (no change)", ["plan", "--exit-code"]),
            ("apply (no change)", ["apply", "--auto-approve"]),
        ):
            seconds, cpu, last = run(server, root, env, *args)
            yield name, seconds, cpu, last
        writes = sum(n for method, n in last.items() if method != "GET")
        if writes:
            raise SystemExit(f"a no-change apply made {writes} write request(s)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="1000x50", help="CONNECTIONSxDEPLOYMENTS,...")
    parser.add_argument("--page-size", type=int, default=100, help="the server's largest page")
    args = parser.parse_args()
    print(f"{'size':>10} {'command':<20} {'wall':>9} {'CPU':>9} {'GET':>6} {'POST':>6} {'DELETE':>7}")
    for size, connections, deployments, work in sizes(args.sizes):
        for name, seconds, cpu, requests in bench(connections, deployments, args.page_size, work):
            print(
                f"{size:>10} {name:<20} {seconds * 1000:>7.0f}ms {cpu * 1000:>7.0f}ms {requests['GET']:>6} "
                f"{requests['POST']:>6} {requests['DELETE']:>7}",
                flush=True,
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
