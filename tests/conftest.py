"""Shared fixtures: real git repositories in temporary folders and the installed command."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import settings
from support.astro_fake import astro, astro_server, seeded  # noqa: F401  (fixtures for every test module)
from support.realairflow import AirflowServer, airflow2_python, airflow_python, free_port

# CI runs the same examples every time: a property failure there is a defect to fix, never luck.
settings.register_profile("ci", derandomize=True, deadline=None)
if os.environ.get("CI"):
    settings.load_profile("ci")

REPO = Path(__file__).resolve().parent.parent
EXAMPLE = REPO / "environments"


def installed_command() -> str:
    """The `astro-gitops` console script of the interpreter running the tests."""
    beside = Path(sys.executable).parent / "astro-gitops"
    found = str(beside) if beside.exists() else shutil.which("astro-gitops")
    if not found:
        pytest.fail("astro-gitops is not installed in this environment: pip install '.[test]'")
    return found


@dataclass(frozen=True)
class Run:
    code: int
    out: str
    err: str


def clean_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The process environment without CI variables that would change branch detection."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "ASTRO_GITOPS_"))}
    env.pop("CI", None)
    env.update(extra or {})
    return env


def run_process(
    argv: Sequence[str],
    *,
    cwd: Path | None = None,
    env: Mapping[str, str] | None = None,
    stdin: str | None = None,
    check: bool = False,
    timeout: float = 120,
) -> subprocess.CompletedProcess[str]:
    """`argv` in the clean environment plus `env`, its output captured as text, within `timeout` seconds."""
    return subprocess.run(
        list(argv),
        cwd=cwd,
        env=clean_env(env),
        capture_output=True,
        text=True,
        input=stdin,
        timeout=timeout,
        check=check,
    )


def run_python(
    *args: str, cwd: Path | None = None, env: Mapping[str, str] | None = None, check: bool = False, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """`python ARGS` with the interpreter running the tests (the one astro-gitops is installed in)."""
    return run_process([sys.executable, *args], cwd=cwd, env=env, check=check, timeout=timeout)


def run_cli(*args: str, cwd: Path, env: Mapping[str, str] | None = None, stdin: str | None = None) -> Run:
    proc = run_process([installed_command(), *args], cwd=cwd, env=env, stdin=stdin)
    return Run(proc.returncode, proc.stdout, proc.stderr)


def imports_of_validate(root: Path, modules: Sequence[str]) -> tuple[list[str], str]:
    """`validate` of `root` in a fresh interpreter: its exit code, then whether each of `modules`
    was imported, as printed words (["0", "False", ...]); and what validate printed before them."""
    probe = (
        "import sys; from compiler.cli import main; code = main(['--root', sys.argv[1], 'validate']); "
        f"print(code, *(m in sys.modules for m in {tuple(modules)!r}))"
    )
    *printed, last = run_python("-c", probe, str(root), check=True).stdout.splitlines()
    return last.split(), "\n".join(printed)


def git(cwd: Path, *args: str) -> str:
    env = clean_env(
        {
            "GIT_AUTHOR_NAME": "Test",
            "GIT_AUTHOR_EMAIL": "test@example.com",
            "GIT_COMMITTER_NAME": "Test",
            "GIT_COMMITTER_EMAIL": "test@example.com",
            "GIT_CONFIG_GLOBAL": os.devnull,
            "GIT_CONFIG_SYSTEM": os.devnull,
        }
    )
    proc = subprocess.run(["git", *args], cwd=cwd, env=env, capture_output=True, text=True, check=True)
    return proc.stdout


def write_files(root: Path, files: Mapping[str, str | bytes]) -> None:
    for relative, content in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")


@pytest.fixture
def example_repo(tmp_path: Path) -> Path:
    """A git repository on branch main holding a copy of the shipped environments/."""
    root = tmp_path / "repo"
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    shutil.copytree(EXAMPLE, root / "environments")
    (root / ".gitignore").write_text("build/\n")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "environments")
    return root


def set_sync_owner(root: Path, owner: str = "data-platform") -> None:
    """Commit a `sync:` section naming `owner` into the example's workspace.yaml (before `render:`)."""
    edit_file(root, "environments/workspace.yaml", "render:\n", f"sync:\n  owner: {owner}\nrender:\n")
    commit_files(root, {}, "sync owner")


@pytest.fixture
def repo(example_repo: Path) -> Path:
    """The example repository owned by data-platform for plan and apply (set_sync_owner)."""
    set_sync_owner(example_repo)
    return example_repo


@pytest.fixture
def make_repo(tmp_path: Path) -> Callable[[Mapping[str, str | bytes]], Path]:
    """Build a git repository (branch main, one commit) from {path: content}."""
    counter = iter(range(1000))

    def make(files: Mapping[str, str | bytes], *, commit: bool = True) -> Path:
        root = tmp_path / f"repo{next(counter)}"
        root.mkdir()
        git(root, "init", "-q", "-b", "main")
        write_files(root, files)
        if commit:
            git(root, "add", "-A")
            git(root, "commit", "-q", "--allow-empty", "-m", "initial")
        return root

    return make


def commit_files(
    root: Path, files: Mapping[str, str | bytes], message: str = "change", *, remove: tuple[str, ...] = ()
) -> str:
    """Write `files`, delete `remove`, commit everything; the new commit's id."""
    write_files(root, files)
    for relative in remove:
        (root / relative).unlink()
    git(root, "add", "-A")
    git(root, "commit", "-q", "--allow-empty", "-m", message)
    return git(root, "rev-parse", "HEAD").strip()


def push_to_a_remote(root: Path, remote: Path) -> None:
    """Make `remote` a bare repository, root's `origin`, holding main."""
    git(remote.parent, "init", "-q", "--bare", str(remote))
    git(root, "remote", "add", "origin", str(remote))
    git(root, "push", "-q", "origin", "main")


def push_branch(root: Path, branch: str) -> None:
    """Check out a new `branch` from main and push it to origin."""
    git(root, "checkout", "-q", "-b", branch, "main")
    git(root, "push", "-q", "origin", branch)


def edit_file(root: Path, relative: str, old: str, new: str) -> None:
    """Replace the one occurrence of `old` in a file (failing loudly when it is not there)."""
    path = root / relative
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"{old!r} occurs {text.count(old)} times in {relative}"
    path.write_text(text.replace(old, new), encoding="utf-8")


def example_secret_names() -> list[str]:
    """Every secret name the shipped example refers to."""
    import re

    text = "".join(p.read_text(encoding="utf-8") for p in sorted(EXAMPLE.rglob("*.yaml")))
    return sorted(set(re.findall(r"\{secret: ([A-Z_][A-Z0-9_]*)\}", text)))


@pytest.fixture
def example_secrets() -> dict[str, str]:
    """A fake value for every secret of the example: distinctive, and hard to quote."""
    return {name: f"fake-{name.lower()}-'q' \"dq\" #: \\ é" for name in example_secret_names()}


# `python -c FULL_DISK NAME ARGS...`: astro-gitops ARGS, its renames into the folder NAME failing as on a full disk.
FULL_DISK = """
import os, sys
real = os.replace
def replace(source, target):
    if os.path.basename(os.path.dirname(target)) == sys.argv[1]:
        raise OSError(28, "No space left on device")
    real(source, target)
os.replace = replace
from compiler.cli import main
sys.exit(main(sys.argv[2:]))
"""


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "airflow3_only: runs on the Airflow 3 server only (never on Airflow 2)")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests marked airflow3_only are left out (deselected, not skipped) of the Airflow 2 run."""
    dropped = [
        item
        for item in items
        if item.get_closest_marker("airflow3_only")
        and getattr(item, "callspec", None) is not None
        and item.callspec.params.get("airflow_server") == "airflow2"  # type: ignore[attr-defined]
    ]
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = [item for item in items if item not in dropped]


def _airflow_versions() -> list[str]:
    # Airflow 2 joins only when its interpreter is named (.ci/run builds it).
    return ["airflow3", "airflow2"] if airflow2_python() else ["airflow3"]


@pytest.fixture(scope="session", params=_airflow_versions())
def airflow_server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[AirflowServer]:
    """A real Airflow API server, started once per session (per xdist worker); see realairflow.py."""
    major = 2 if request.param == "airflow2" else 3
    python = (airflow2_python() or "") if major == 2 else airflow_python()
    home = tmp_path_factory.mktemp(f"{request.param}-home")
    with AirflowServer(python=python, home=home, port=free_port(), major=major) as server:
        yield server


@pytest.fixture
def airflow(airflow_server: AirflowServer) -> AirflowServer:
    """The session's Airflow, emptied of what earlier tests left (default_pool back to 128 slots)."""
    airflow_server.reset()
    return airflow_server
