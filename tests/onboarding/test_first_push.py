"""The caller workflows a user gets run on their first push: actionlint reads each caller together
with the reusable workflow it calls (its `uses:` pointed at a local copy), so a nested job that
asks for a permission the caller does not grant fails here as GitHub refuses it at start-up.

Callers: what `init` writes (plain and `--deploy`), the README's examples and the reusable
workflows' own header comments (astro-gitops.yml, and astro-gitops-drift.yml, the one workflow
whose caller grants `issues: write`)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from acceptance.test_workflows import REUSABLE, run_actionlint
from conftest import REPO, clean_env, git, run_cli
from ruamel.yaml import YAML

LOCAL = "./.github/workflows/reusable.yml"
CALLED = re.compile(r"uses: *\S*astro-gitops\.yml@(?:<[^>\n]*>|\S+)")
DRIFT = REUSABLE.parent / "astro-gitops-drift.yml"
CALLED_DRIFT = re.compile(r"uses: *\S*astro-gitops-drift\.yml@(?:<[^>\n]*>|\S+)")


def lint_with_the_reusable_workflow(
    root: Path, caller: str, reusable: Path = REUSABLE, called: re.Pattern[str] = CALLED
) -> tuple[int, str]:
    """actionlint on `caller` (its `uses:` made local) and a copy of the reusable workflow."""
    if not (root / ".git").exists():
        git(root, "init", "-q")  # actionlint finds `./` workflows from the repository's top level
    workflows = root / ".github" / "workflows"
    workflows.mkdir(parents=True, exist_ok=True)
    (workflows / "reusable.yml").write_text(reusable.read_text(encoding="utf-8"), encoding="utf-8")
    local, count = called.subn(f"uses: {LOCAL}", caller)
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


def readme_callers(called: re.Pattern[str] = CALLED) -> list[str]:
    """Each ```yaml block of the README that calls the reusable workflow."""
    text = (REPO / "README.md").read_text(encoding="utf-8")
    return [b for b in re.findall(r"(?ms)^```yaml\n(.*?)^```", text) if called.search(b)]


def header_callers(reusable: Path = REUSABLE, called: re.Pattern[str] = CALLED) -> list[str]:
    """The caller examples in the reusable workflow's header comment: each run of `#   ` lines."""
    examples, current = [], []
    for line in reusable.read_text(encoding="utf-8").splitlines():
        if not line.startswith("#"):
            break
        if line.startswith("#   "):
            current.append(line[4:])
        elif current:
            examples.append("\n".join(current) + "\n")
            current = []
    if current:  # an example that ends the header
        examples.append("\n".join(current) + "\n")
    return [e for e in examples if called.search(e)]


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


DRIFT_CALLERS = [*readme_callers(CALLED_DRIFT), *header_callers(DRIFT, CALLED_DRIFT)]


def test_there_are_drift_examples_to_check() -> None:
    assert len(DRIFT_CALLERS) == 2


@pytest.mark.parametrize("caller", DRIFT_CALLERS, ids=["readme", "header"])
def test_every_drift_caller_grants_what_the_drift_job_needs(tmp_path: Path, caller: str) -> None:
    code, said = lint_with_the_reusable_workflow(tmp_path, caller, DRIFT, CALLED_DRIFT)
    assert code == 0, f"{said}\n--- the example:\n{caller}"


def test_a_drift_caller_without_issues_write_is_refused_as_github_would(tmp_path: Path) -> None:
    # The control of the checks above: without `issues: write` the nested job asks for more.
    caller = next(c for c in DRIFT_CALLERS if "issues: write" in c)
    code, said = lint_with_the_reusable_workflow(
        tmp_path, caller.replace("issues: write", "issues: read"), DRIFT, CALLED_DRIFT
    )
    assert code != 0 and "issues" in said, said


def test_the_main_workflow_no_longer_asks_callers_for_issues() -> None:
    for caller in [*readme_callers(), *header_callers()]:
        assert "issues: write" not in caller, caller
