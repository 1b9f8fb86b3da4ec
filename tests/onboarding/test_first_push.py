"""The caller workflows a user gets run on their first push: actionlint reads each caller together
with the reusable workflow it calls (its `uses:` pointed at a local copy), so a nested job that
asks for a permission the caller does not grant fails here as GitHub refuses it at start-up.

Callers: what `init` writes (plain and `--deploy`), the README's examples and the reusable
workflow's own header comment."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from acceptance.test_workflows import REUSABLE, run_actionlint
from conftest import REPO, clean_env, git, run_cli
from ruamel.yaml import YAML

LOCAL = "./.github/workflows/reusable.yml"
CALLED = re.compile(r"uses: *\S*astro-gitops\.yml@(?:<[^>\n]*>|\S+)")


def lint_with_the_reusable_workflow(root: Path, caller: str) -> tuple[int, str]:
    """actionlint on `caller` (its `uses:` made local) and a copy of the reusable workflow."""
    if not (root / ".git").exists():
        git(root, "init", "-q")  # actionlint finds `./` workflows from the repository's top level
    workflows = root / ".github" / "workflows"
    workflows.mkdir(parents=True, exist_ok=True)
    (workflows / "reusable.yml").write_text(REUSABLE.read_text(encoding="utf-8"), encoding="utf-8")
    local, count = CALLED.subn(f"uses: {LOCAL}", caller)
    assert count == 1, caller
    (workflows / "astro-gitops.yml").write_text(local, encoding="utf-8")
    run = run_actionlint(Path(".github/workflows/astro-gitops.yml"), Path(".github/workflows/reusable.yml"), cwd=root)
    return run.returncode, run.stdout + run.stderr


@pytest.mark.parametrize("options", [(), ("--deploy",)], ids=["plain", "deploy"])
def test_the_scaffolded_workflow_starts_with_the_reusable_workflow(tmp_path: Path, options: tuple[str, ...]) -> None:
    git(tmp_path, "init", "-q", "-b", "main")
    run = run_cli("init", "--workspace", "Data Platform", *options, cwd=tmp_path, env=clean_env())
    assert run.code == 0, run.err
    caller = (tmp_path / ".github/workflows/astro-gitops.yml").read_text(encoding="utf-8")
    code, said = lint_with_the_reusable_workflow(tmp_path, caller)
    assert code == 0, said
    [job] = YAML(typ="safe", pure=True).load(caller)["jobs"].values()
    assert (job["with"].get("deploy"), job.get("secrets")) == ((True, "inherit") if options else (None, None))


def readme_callers() -> list[str]:
    """Each ```yaml block of the README that calls the reusable workflow."""
    text = (REPO / "README.md").read_text(encoding="utf-8")
    return [b for b in re.findall(r"(?ms)^```yaml\n(.*?)^```", text) if CALLED.search(b)]


def header_callers() -> list[str]:
    """The caller examples in the reusable workflow's header comment: each run of `#   ` lines."""
    examples, current = [], []
    for line in REUSABLE.read_text(encoding="utf-8").splitlines():
        if not line.startswith("#"):
            break
        if line.startswith("#   "):
            current.append(line[4:])
        elif current:
            examples.append("\n".join(current) + "\n")
            current = []
    return [e for e in examples if CALLED.search(e)]


def test_there_are_examples_to_check() -> None:
    assert len(readme_callers()) >= 2
    assert len(header_callers()) == 2


@pytest.mark.parametrize(
    "caller",
    [*readme_callers(), *header_callers()],
    ids=[*(f"readme-{i}" for i in range(len(readme_callers()))), *(f"header-{i}" for i in range(2))],
)
def test_every_caller_example_grants_what_the_called_jobs_need(tmp_path: Path, caller: str) -> None:
    code, said = lint_with_the_reusable_workflow(tmp_path, caller)
    assert code == 0, f"{said}\n--- the example:\n{caller}"
