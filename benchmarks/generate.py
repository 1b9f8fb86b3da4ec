"""Synthetic environments/ for benchmarks: N connections x M Deployments, in git repositories."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from support.synthetic import OVERRIDE_EVERY, connection_lines, override_line


def _deployment(index: int, connections: int, revision: int = 0) -> str:
    lines = [
        f"name: dep{index:04d}",
        "astro: {runtime_version: '3.1-14', executor: CELERY, cloud_provider: AWS, region: us-east-1}",
        "worker_queues:",
        "  - {name: default, worker_type: A5, min_worker_count: 1, max_worker_count: 4}",
        "environment_variables:",
        "  LOG_LEVEL: INFO",
        "overrides:",
        "  connections:",
    ]
    for c in range(0, connections, OVERRIDE_EVERY):
        database = f"DB_{index}_{revision}" if c < 3 * OVERRIDE_EVERY else f"DB_{index}"
        lines.append(override_line(c, index, database))
    return "\n".join(lines) + "\n"


def generate(root: Path, connections: int, deployments: int) -> None:
    env = root / "environments"
    (env / "deployments").mkdir(parents=True)
    (env / "workspace.yaml").write_text(
        "version: 1\nworkspace: Bench\nbranches:\n  - branch: main\n    deployment: dep0000\n"
        "  - branch: 'feature/**'\n    preview: {from: dep0000, name: 'pr-{{ branch.slug }}'}\n"
    )
    per_file = 500
    for start in range(0, connections, per_file):
        body = ["connections:"]
        for c in range(start, min(connections, start + per_file)):
            body += connection_lines(c)
        (env / f"connections{start // per_file:03d}.yaml").write_text("\n".join(body) + "\n")
    for d in range(deployments):
        (env / "deployments" / f"dep{d:04d}.yaml").write_text(_deployment(d, connections))


def second_commit(root: Path, deployments: int) -> None:
    """Change three overrides in a tenth of the Deployments (for diff and matrix)."""
    connections = sum(
        1
        for p in (root / "environments").glob("connections*.yaml")
        for line in p.read_text().splitlines()
        if line.startswith("  conn")
    )
    for d in range(0, deployments, 10):
        (root / "environments" / "deployments" / f"dep{d:04d}.yaml").write_text(_deployment(d, connections, revision=1))


def git(cwd: Path, *args: str) -> None:
    env = {**os.environ, "GIT_AUTHOR_NAME": "b", "GIT_AUTHOR_EMAIL": "b@example.com",
           "GIT_COMMITTER_NAME": "b", "GIT_COMMITTER_EMAIL": "b@example.com"}  # fmt: skip
    subprocess.run(["git", *args], cwd=cwd, env=env, check=True, capture_output=True)


def repository(work: Path, connections: int, deployments: int, workspace_extra: str = "") -> Path:
    """A git repository (branch main, one commit) holding generate()'s tree, `workspace_extra`
    appended to its workspace.yaml."""
    root = work / f"r{connections}x{deployments}"
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    generate(root, connections, deployments)
    with (root / "environments" / "workspace.yaml").open("a") as handle:
        handle.write(workspace_extra)
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "one")
    return root


def sizes(text: str) -> Iterator[tuple[str, int, int, Path]]:
    """For each CONNECTIONSxDEPLOYMENTS of the comma-separated `text`: the size, its two numbers,
    and a scratch folder (one for all, removed at the end)."""
    with tempfile.TemporaryDirectory() as tmp:
        for size in text.split(","):
            connections, deployments = (int(x) for x in size.split("x"))
            yield size, connections, deployments, Path(tmp)
