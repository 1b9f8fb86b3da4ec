"""The pre-commit hooks of .pre-commit-hooks.yaml, run by the real pre-commit framework.

pre-commit installs the hooks the way a user's machine does: it clones the hook repository
at a commit, builds a virtualenv and `pip install`s astro-gitops into it (from PyPI's
dependencies). The hook repository is a snapshot of this working tree (tracked and new,
non-ignored files), committed in a temporary folder, so the tests see uncommitted work:
`try-repo` of a live repository would only pick up its tracked changes.

Cost: `try-repo` always builds its environment in a temporary store of its own (it ignores
PRE_COMMIT_HOME), so each `try-repo` test installs once (~10 s). The other tests use a
`.pre-commit-config.yaml`, as a user does, with one PRE_COMMIT_HOME for the whole module,
so they install once between them.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import EXAMPLE, REPO, clean_env, git, run_cli, write_files
from ruamel.yaml import YAML

VALIDATE, RENDER_CHECK = "astro-gitops-validate", "astro-gitops-render-check"
BAD_CONNECTION = "connections:\n  partner_sftp:\n    tipe: sftp\n    host: sftp.example.com\n    links: all\n"


@dataclass(frozen=True)
class HookRepo:
    path: Path
    rev: str


@dataclass(frozen=True)
class Result:
    code: int
    output: str


@pytest.fixture(scope="module")
def hook_repo(tmp_path_factory: pytest.TempPathFactory) -> HookRepo:
    """This working tree, committed in a temporary repository pre-commit can clone."""
    root = tmp_path_factory.mktemp("hook-repo")
    listed = git(REPO, "ls-files", "-z", "--cached", "--others", "--exclude-standard").split("\0")
    for relative in filter(None, listed):
        source, target = REPO / relative, root / relative
        if not source.is_symlink() and not source.is_file():
            continue  # deleted in the working tree, or a submodule
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, target, follow_symlinks=False)
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "snapshot of the working tree")
    return HookRepo(root, git(root, "rev-parse", "HEAD").strip())


@pytest.fixture(scope="module")
def pre_commit_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    home = tmp_path_factory.mktemp("pre-commit-home")
    yield home
    shutil.rmtree(home, ignore_errors=True)


def pre_commit(cwd: Path, home: Path, *args: str) -> Result:
    env = clean_env(
        {
            "PRE_COMMIT_HOME": str(home),
            "PRE_COMMIT_COLOR": "never",
            "GIT_AUTHOR_NAME": "Test",
            "GIT_AUTHOR_EMAIL": "test@example.com",
            "GIT_COMMITTER_NAME": "Test",
            "GIT_COMMITTER_EMAIL": "test@example.com",
        }
    )
    command = [sys.executable, "-m", "pre_commit", *args]
    proc = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=600, check=False)
    return Result(proc.returncode, proc.stdout + proc.stderr)


def use_hooks(root: Path, hook_repo: HookRepo, hooks: list[dict[str, object]]) -> None:
    """Write and commit the user's .pre-commit-config.yaml that points at the hook repo."""
    config = {"repos": [{"repo": str(hook_repo.path), "rev": hook_repo.rev, "hooks": hooks}]}
    with (root / ".pre-commit-config.yaml").open("w", encoding="utf-8") as stream:
        YAML(typ="safe", pure=True).dump(config, stream)
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "pre-commit")


def example_files() -> dict[str, str | bytes]:
    return {str(p.relative_to(EXAMPLE.parent)): p.read_bytes() for p in EXAMPLE.rglob("*") if p.is_file()}


# the manifest and our own configuration


def test_manifest_and_config_are_valid() -> None:
    for command, file in (
        ("validate-manifest", ".pre-commit-hooks.yaml"),
        ("validate-config", ".pre-commit-config.yaml"),
    ):
        argv = [sys.executable, "-m", "pre_commit", command, file]
        proc = subprocess.run(argv, cwd=REPO, capture_output=True, text=True, check=False)
        assert proc.returncode == 0, proc.stdout + proc.stderr


def test_manifest_hooks_take_the_whole_tree() -> None:
    hooks = {
        h["id"]: h
        for h in YAML(typ="safe", pure=True).load((REPO / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    }
    assert hooks[VALIDATE]["entry"] == "astro-gitops validate"
    assert hooks[RENDER_CHECK]["entry"] == "astro-gitops render --all --check"
    for hook in hooks.values():
        assert (hook["language"], hook["pass_filenames"], hook["require_serial"]) == ("python", False, True)
        assert hook["files"].startswith("^")


def test_our_config_works_offline() -> None:
    """Our own hooks clone nothing: only `local` and pre-commit's built-in `meta`."""
    config = YAML(typ="safe", pure=True).load((REPO / ".pre-commit-config.yaml").read_text(encoding="utf-8"))
    assert {repo["repo"] for repo in config["repos"]} <= {"local", "meta"}
    local = [hook for repo in config["repos"] if repo["repo"] == "local" for hook in repo["hooks"]]
    assert {hook["language"] for hook in local} == {"system"}
    assert {"ruff", "ruff-format", "mypy", VALIDATE} <= {hook["id"] for hook in local}


# astro-gitops-validate through try-repo, as a hook author tries it


def test_try_repo_validate_passes_on_a_valid_repository(
    example_repo: Path, hook_repo: HookRepo, pre_commit_home: Path
) -> None:
    result = pre_commit(example_repo, pre_commit_home, "try-repo", str(hook_repo.path), VALIDATE, "--all-files")
    assert result.code == 0, result.output
    assert "astro-gitops validate" in result.output and "Passed" in result.output


def test_try_repo_validate_fails_and_names_the_file(
    example_repo: Path, hook_repo: HookRepo, pre_commit_home: Path
) -> None:
    write_files(example_repo, {"environments/connections/sftp.yaml": BAD_CONNECTION})
    git(example_repo, "add", "-A")
    result = pre_commit(example_repo, pre_commit_home, "try-repo", str(hook_repo.path), VALIDATE, "--all-files")
    assert result.code != 0, result.output
    assert "Failed" in result.output
    assert "environments/connections/sftp.yaml:3:5: error[unknown-key]" in result.output


# both hooks through a user's .pre-commit-config.yaml (one shared hook environment)


def test_validate_hook_skips_commits_outside_environments(
    example_repo: Path, hook_repo: HookRepo, pre_commit_home: Path
) -> None:
    write_files(example_repo, {"environments/connections/sftp.yaml": BAD_CONNECTION, "README.md": "# data\n"})
    use_hooks(example_repo, hook_repo, [{"id": VALIDATE}])
    result = pre_commit(example_repo, pre_commit_home, "run", VALIDATE, "--files", "README.md")
    assert result.code == 0, result.output
    assert "Skipped" in result.output
    result = pre_commit(example_repo, pre_commit_home, "run", VALIDATE, "--files", "environments/pools.yaml")
    assert result.code != 0, result.output
    assert "environments/connections/sftp.yaml:3:5" in result.output


LAYOUTS: dict[str, tuple[str, dict[str, object]]] = {
    # the hook's defaults: output committed under build/
    "default-build": ("build", {"id": RENDER_CHECK}),
    # a team that commits it elsewhere, as the comment in .pre-commit-hooks.yaml shows
    "custom-out": (
        "rendered",
        {"id": RENDER_CHECK, "args": ["--out", "rendered"], "files": "^(environments|rendered)/"},
    ),
}


@pytest.fixture(params=sorted(LAYOUTS))
def rendered_repo(
    request: pytest.FixtureRequest, make_repo: Callable[[Mapping[str, str | bytes]], Path], hook_repo: HookRepo
) -> tuple[Path, str]:
    """A repository that commits its rendered output, and the folder that holds it."""
    out, hook = LAYOUTS[request.param]
    root = make_repo(example_files())
    rendered = run_cli("render", "--all", "--out", out, cwd=root)
    assert rendered.code == 0, rendered.err
    use_hooks(root, hook_repo, [hook])
    assert git(root, "ls-files", out).strip(), "the rendered files are committed"
    return root, out


def test_render_check_passes_when_the_output_is_current(rendered_repo: tuple[Path, str], pre_commit_home: Path) -> None:
    root, _ = rendered_repo
    result = pre_commit(root, pre_commit_home, "run", "--all-files")
    assert result.code == 0, result.output
    assert "Passed" in result.output


def test_render_check_fails_when_the_committed_output_is_stale(
    rendered_repo: tuple[Path, str], pre_commit_home: Path
) -> None:
    root, out = rendered_repo
    pools = root / "environments" / "pools.yaml"
    pools.write_text(pools.read_text(encoding="utf-8").replace("slots: 8", "slots: 12", 1), encoding="utf-8")
    git(root, "commit", "-q", "-am", "more slots, output not rendered again")
    result = pre_commit(root, pre_commit_home, "run", "--all-files")
    assert result.code != 0, result.output
    assert "Failed" in result.output
    assert f"{out}/production/airflow_settings.yaml" in result.output
    assert "pool_slot: 12" in result.output
    assert not git(root, "status", "--porcelain").strip(), "--check wrote nothing"
