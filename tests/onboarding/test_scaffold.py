"""`init` (compiler/onboarding/scaffold.py, precommit.py): the scaffolded tree validates cleanly and renders; the user's
files are never clobbered; .gitignore and .pre-commit-config.yaml only gain what they lack."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pytest
from conftest import REPO, clean_env, run_python
from ruamel.yaml import YAML

from compiler.errors import OperationError
from compiler.onboarding import precommit, scaffold
from compiler.onboarding.installspec import from_direct_url
from compiler.validate.project import validate_root

MakeRepo = Callable[..., Path]
COMMIT = "0123456789abcdef0123456789abcdef01234567"
VCS = from_direct_url(
    f'{{"url": "https://github.com/astro-gitops/astro-gitops.git", "vcs_info": {{"vcs": "git", "commit_id": "{COMMIT}"}}}}',
    "0.1.0",
)
SCHEMA_LINE = re.compile(r"# yaml-language-server: \$schema=(\S+)\n")
KIND_OF = {
    "workspace.yaml": "workspace",
    "example.yaml": "objects",
    "production.yaml": "deployment",
    "development.yaml": "deployment",
}


def compiler(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """The program as `python -m compiler` (the `init` command is wired into the CLI separately)."""
    return run_python("-m", "compiler", *args, cwd=cwd)


def tree(root: Path) -> dict[str, bytes]:
    files = (p for p in sorted(root.rglob("*")) if p.is_file() and ".git" not in p.relative_to(root).parts)
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in files}


def safe_load(text: str) -> Any:
    return YAML(typ="safe", pure=True).load(text)


# --- the scaffolded tree -------------------------------------------------------------------


def test_scaffold_validates_with_no_error_and_no_warning(make_repo: MakeRepo) -> None:
    root = make_repo({})
    result = scaffold.init(root, workspace="Data Platform")
    assert set(result.created) == {*scaffold.SCAFFOLD, ".gitignore", ".pre-commit-config.yaml"}
    assert result.updated == result.unchanged == result.replaced == ()
    assert validate_root(root).diagnostics == ()
    run = compiler("--root", str(root), "validate", cwd=root)
    assert (run.returncode, run.stdout, run.stderr) == (0, "", "")


def test_scaffold_renders_every_deployment_and_a_preview(make_repo: MakeRepo, tmp_path: Path) -> None:
    root = make_repo({})
    scaffold.init(root, workspace="Data Platform")
    out = tmp_path / "out"
    rendered = compiler("--root", str(root), "render", "--all", "--out", str(out), cwd=root)
    assert rendered.returncode == 0, rendered.stderr
    assert rendered.stderr == ""  # no warning either
    production = safe_load((out / "production" / "airflow_settings.yaml").read_text())
    [connection] = production["airflow"]["connections"]
    assert connection["conn_id"] == "example_db"
    assert connection["conn_host"] == "prod-db.example.com"  # the override
    assert connection["conn_password"] == "<secret:EXAMPLE_DB_PROD_PASSWORD>"
    deployment = safe_load((out / "development" / "deployment.yaml").read_text())["deployment"]
    assert deployment["configuration"]["workspace_name"] == "Data Platform"
    assert deployment["worker_queues"][0]["name"] == "default"
    preview = compiler("--root", str(root), "render", "--branch", "feature/new-dag", "--out", str(out), cwd=root)
    assert preview.returncode == 0, preview.stderr
    assert (out / "dev-feature-new-dag" / "airflow_settings.yaml").is_file()


def test_every_yaml_file_names_its_published_schema(make_repo: MakeRepo) -> None:
    root = make_repo({})
    scaffold.init(root)
    for relative in scaffold.SCAFFOLD:
        if not relative.startswith("environments/"):
            continue
        first = SCHEMA_LINE.match((root / relative).read_text())
        assert first, relative
        kind = KIND_OF[Path(relative).name]
        assert (
            first.group(1)
            == f"https://raw.githubusercontent.com/astro-gitops/astro-gitops/main/schemas/{kind}.schema.json"
        )
        assert (REPO / "schemas" / f"{kind}.schema.json").is_file()  # the URL names a file we publish


def test_workspace_name_is_quoted_as_needed(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    root.mkdir()
    scaffold.init(root, workspace="data: platform #1")
    assert safe_load((root / "environments/workspace.yaml").read_text())["workspace"] == "data: platform #1"
    assert validate_root(root).diagnostics == ()


# --- never clobber ---------------------------------------------------------------------------


def test_refuses_to_overwrite_and_writes_nothing(make_repo: MakeRepo) -> None:
    root = make_repo(
        {"environments/workspace.yaml": "mine\n", ".github/workflows/astro-gitops.yml": "mine\n", ".gitignore": "x\n"}
    )
    before = tree(root)
    with pytest.raises(OperationError) as raised:
        scaffold.init(root)
    message = str(raised.value)
    assert "environments/workspace.yaml" in message
    assert ".github/workflows/astro-gitops.yml" in message
    assert "--force" in message
    assert tree(root) == before


def test_force_replaces_scaffold_files_but_still_only_appends_to_the_users(make_repo: MakeRepo) -> None:
    root = make_repo({"environments/workspace.yaml": "mine\n", ".gitignore": "node_modules/\n"})
    result = scaffold.init(root, force=True, workspace="Data Platform")
    assert result.replaced == ("environments/workspace.yaml",)
    assert "environments/workspace.yaml" in result.created
    assert result.updated == (".gitignore",)
    assert (root / ".gitignore").read_text().startswith("node_modules/\n")
    assert validate_root(root).diagnostics == ()


def test_second_run_with_force_changes_nothing_of_the_users(make_repo: MakeRepo) -> None:
    root = make_repo({})
    scaffold.init(root)
    before = tree(root)
    with pytest.raises(OperationError):
        scaffold.init(root)
    result = scaffold.init(root, force=True)
    assert result.unchanged == (".gitignore", ".pre-commit-config.yaml")
    assert result.updated == ()
    assert tree(root) == before


def test_notes_an_airflow_settings_file(make_repo: MakeRepo) -> None:
    root = make_repo({"airflow_settings.yaml": "airflow: {}\n"})
    result = scaffold.init(root)
    assert any("astro-gitops import airflow_settings.yaml" in note for note in result.notes)


# --- .gitignore ------------------------------------------------------------------------------


HEAD = "# astro-gitops: rendered output, saved plans, and local settings that may hold secrets\n"
REST = ".env\nplan.json\n*.plan.json\n"


@pytest.mark.parametrize(
    ("before", "after"),
    [
        (None, HEAD + "build/\nairflow_settings.yaml\n" + REST),
        ("", HEAD + "build/\nairflow_settings.yaml\n" + REST),
        ("*.pyc", "*.pyc\n\n" + HEAD + "build/\nairflow_settings.yaml\n" + REST),
        ("/build\n", "/build\n\n" + HEAD + "airflow_settings.yaml\n" + REST),
        ("build/\n  airflow_settings.yaml  \n.env\nplan.json\n*.plan.json\n", None),
    ],
)
def test_gitignore_gains_only_missing_lines(before: str | None, after: str | None) -> None:
    assert scaffold.with_ignored(before) == after


# --- .pre-commit-config.yaml ------------------------------------------------------------------

OUR_ENTRY = {"repo": VCS.vcs_url, "rev": COMMIT, "hooks": [{"id": precommit.HOOK_ID}]}
BLACK = "https://github.com/psf/black"

LAYOUTS = {
    "compact": f"repos:\n- repo: {BLACK}\n  rev: 24.1.0\n  hooks:\n  - id: black\n",
    "wide": f"# mine\nrepos:\n    -   repo: {BLACK}\n        rev: 24.1.0\n        hooks:\n            -   id: black\n",
    "no final newline": f"repos:\n  - repo: {BLACK}\n    rev: 24.1.0\n    hooks:\n      - id: black",
    "keys after repos": f"repos:\n  - repo: {BLACK}\n    rev: 24.1.0\n    hooks: [{{id: black}}]\n\n# CI settings\nci:\n  autofix_prs: false\n",
    "flow": f"repos: [{{repo: {BLACK}, rev: 24.1.0, hooks: [{{id: black}}]}}]\n",
    "empty list": "default_stages: [pre-commit]\nrepos: []\n",
}


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
def test_precommit_entry_is_appended_keeping_the_users_layout(layout: str) -> None:
    before = LAYOUTS[layout]
    after = precommit.with_hook(before, VCS)
    assert after is not None
    old, new = safe_load(before), safe_load(after)
    assert new["repos"] == [*old["repos"], OUR_ENTRY]
    assert {k: v for k, v in new.items() if k != "repos"} == {k: v for k, v in old.items() if k != "repos"}
    if layout not in ("flow", "empty list"):  # text insertion: every original line is still there, in order
        kept = iter(after.splitlines())
        assert all(line in kept for line in before.splitlines())


@pytest.mark.parametrize(
    "existing",
    [
        f"repos:\n  - repo: {scaffold.REPOSITORY}.git\n    rev: v0.0.1\n    hooks:\n      - id: astro-gitops-render-check\n",
        "repos:\n  - repo: local\n    hooks:\n      - {id: astro-gitops-validate, name: v, entry: astro-gitops validate, language: system}\n",
    ],
)
def test_precommit_config_that_has_us_is_left_alone(make_repo: MakeRepo, existing: str) -> None:
    assert precommit.with_hook(existing, VCS) is None
    root = make_repo({".pre-commit-config.yaml": existing})
    result = scaffold.init(root)
    assert ".pre-commit-config.yaml" in result.unchanged
    assert (root / ".pre-commit-config.yaml").read_text() == existing


def test_broken_precommit_config_stops_init_before_writing(make_repo: MakeRepo) -> None:
    root = make_repo({".pre-commit-config.yaml": "repos: [\n"})
    before = tree(root)
    with pytest.raises(OperationError, match=r"\.pre-commit-config\.yaml is not valid YAML.*by hand") as raised:
        scaffold.init(root)
    assert any(":2:1: error[yaml-syntax]" in line for line in raised.value.details)
    assert tree(root) == before


@pytest.mark.parametrize("existing", [None, LAYOUTS["wide"], LAYOUTS["flow"]])
def test_precommit_config_passes_pre_commit_validate_config(make_repo: MakeRepo, existing: str | None) -> None:
    root = make_repo({} if existing is None else {".pre-commit-config.yaml": existing})
    scaffold.init(root)
    run = subprocess.run(
        [sys.executable, "-m", "pre_commit", "validate-config", ".pre-commit-config.yaml"],
        cwd=root, env=clean_env(), capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert run.returncode == 0, run.stdout + run.stderr


# --- the caller workflow ---------------------------------------------------------------------


def reusable_workflow() -> Mapping[str, Any]:
    loaded: Mapping[str, Any] = safe_load((REPO / ".github/workflows/astro-gitops.yml").read_text())
    return loaded


def test_workflow_calls_the_reusable_workflow_with_least_privilege(make_repo: MakeRepo) -> None:
    root = make_repo({})
    scaffold.init(root, install=VCS)
    workflow = safe_load((root / ".github/workflows/astro-gitops.yml").read_text())
    assert set(workflow["on"]) == {"push", "pull_request"}
    # What the called jobs ask for, no more: every checkout reads; the plan job writes its comment;
    # the opt-in drift job keeps one issue (GitHub checks every nested job, whether it runs or not).
    assert workflow["permissions"] == {"contents": "read", "pull-requests": "write"}  # drift is its own workflow
    [job] = workflow["jobs"].values()
    assert job["uses"] == f"astro-gitops/astro-gitops/.github/workflows/astro-gitops.yml@{COMMIT}"
    called = reusable_workflow()
    assert set(job.get("with", {})) <= set(called["on"]["workflow_call"]["inputs"])
    # A called workflow gets at most the caller's permissions.
    assert called["permissions"].items() <= workflow["permissions"].items()
    for called_job in called["jobs"].values():
        assert called_job.get("permissions", {}).items() <= workflow["permissions"].items()


def test_workflow_passes_actionlint(make_repo: MakeRepo) -> None:
    from acceptance.test_workflows import run_actionlint

    root = make_repo({})
    scaffold.init(root)
    run = run_actionlint(root / ".github/workflows/astro-gitops.yml", cwd=root)
    assert run.returncode == 0, run.stdout + run.stderr


# --- .pre-commit-config.yaml is read within the limits of environments/ files ------------------

HOSTILE_CONFIGS: dict[str, bytes] = {
    "alias bomb": (
        "a: &a [x, x, x, x, x, x, x, x, x]\n"
        + "".join(
            f"{c}: &{c} [*{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}]\n"
            for p, c in zip("abcdefg", "bcdefgh", strict=True)
        )
        + "repos: []\n"
    ).encode(),
    "too deep": ("repos:\n" + "  " + "[" * 80 + "]" * 80 + "\n").encode(),
    "too large": b"repos: []\n# " + b"x" * (3 * 1024 * 1024) + b"\n",
    "binary": b"repos: []\n\x00\n",
    "not utf-8": "repos: []\n# caf\xe9\n".encode("latin-1"),
}


@pytest.mark.parametrize("kind", sorted(HOSTILE_CONFIGS))
def test_hostile_precommit_config_is_a_located_error_and_nothing_is_written(make_repo: MakeRepo, kind: str) -> None:
    root = make_repo({})
    (root / ".pre-commit-config.yaml").write_bytes(HOSTILE_CONFIGS[kind])
    before = tree(root)
    run = compiler("init", cwd=root)
    assert run.returncode == 1, run.stderr
    assert re.search(r"\.pre-commit-config\.yaml(:\d+:\d+)?: error\[[a-z0-9-]+\]", run.stderr), run.stderr
    assert "by hand" in run.stderr
    assert tree(root) == before


# --- what CI and pre-commit install: how this astro-gitops was installed (PEP 610) ---------------


@pytest.mark.parametrize(
    ("direct_url", "kind", "pip"),
    [
        (None, "index", "astro-gitops==1.4.2"),
        (
            f'{{"url": "https://github.com/me/fork.git", "vcs_info": {{"vcs": "git", "commit_id": "{COMMIT}"}}}}',
            "vcs",
            f"astro-gitops @ git+https://github.com/me/fork.git@{COMMIT}",
        ),
        ('{"url": "file:///home/me/astro%20gitops", "dir_info": {"editable": true}}', "local", "/home/me/astro gitops"),
        ('{"url": "file:///tmp/astro_gitops-1.0.tar.gz", "archive_info": {}}', "local", "/tmp/astro_gitops-1.0.tar.gz"),
        (
            '{"url": "https://example.com/a.whl", "archive_info": {}}',
            "archive",
            "astro-gitops @ https://example.com/a.whl",
        ),
        ("not json", "local", "astro-gitops"),
    ],
)
def test_install_spec_from_direct_url(direct_url: str | None, kind: str, pip: str) -> None:
    spec = from_direct_url(direct_url, "1.4.2")
    assert (spec.kind, spec.pip) == (kind, pip)
    assert spec.comment


SPECS = {
    "vcs": VCS,
    "index": from_direct_url(None, "1.4.2"),
    "local": from_direct_url('{"url": "file:///home/me/astro-gitops", "dir_info": {}}', "1.4.2"),
}


@pytest.mark.parametrize("kind", sorted(SPECS))
def test_scaffold_installs_what_is_installed_and_never_an_unknown_release(make_repo: MakeRepo, kind: str) -> None:
    install = SPECS[kind]
    root = make_repo({})
    result = scaffold.init(root, workspace="W", install=install)
    config_text = (root / ".pre-commit-config.yaml").read_text()
    workflow_text = (root / ".github/workflows/astro-gitops.yml").read_text()
    # Only the version that is installed, or a release of the running version, is ever named.
    for text in (config_text, workflow_text):
        assert "0.1.0" not in text
        assert ("@v1.4.2" in text) == (kind == "index" and text is workflow_text)
    [entry] = safe_load(config_text)["repos"]
    [job] = safe_load(workflow_text)["jobs"].values()
    assert job["with"]["astro-gitops-spec"] == install.pip
    if kind == "vcs":
        assert (entry["repo"], entry["rev"]) == (install.vcs_url, COMMIT)
        assert job["uses"].endswith(f"@{COMMIT}")
    else:
        assert entry["repo"] == "local"
        [hook] = entry["hooks"]
        assert (hook["id"], hook["language"], hook["additional_dependencies"]) == (
            precommit.HOOK_ID, "python", [install.pip]
        )  # fmt: skip
    local = kind == "local"
    assert ("cannot reach" in config_text, "cannot reach" in workflow_text) == (local, local)
    assert any("cannot reach" in note for note in result.notes) == local
    run = subprocess.run(
        [sys.executable, "-m", "pre_commit", "validate-config", ".pre-commit-config.yaml"],
        cwd=root, env=clean_env(), capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert run.returncode == 0, run.stdout + run.stderr


def test_the_installed_command_pins_the_release_of_its_version(make_repo: MakeRepo) -> None:
    """Installed from a clone (an editable, local install here), init writes the release of the
    running version, never the clone's path; the workflow calls that release's tag."""
    from compiler import __version__

    root = make_repo({})
    run = compiler("init", "--workspace", "W", cwd=root)
    assert run.returncode == 0, run.stderr
    text = (root / ".github/workflows/astro-gitops.yml").read_text()
    [job] = safe_load(text)["jobs"].values()
    assert job["with"]["astro-gitops-spec"] == f"astro-gitops=={__version__}"
    assert job["uses"].endswith(f"/.github/workflows/astro-gitops.yml@v{__version__}")
    assert str(REPO) not in text and str(REPO) not in (root / ".pre-commit-config.yaml").read_text()


def test_init_install_writes_a_local_path_only_with_a_comment_and_a_note(make_repo: MakeRepo) -> None:
    root = make_repo({})
    run = compiler("init", "--workspace", "W", "--install", str(REPO), cwd=root)
    assert run.returncode == 0, run.stderr
    for name in (".github/workflows/astro-gitops.yml", ".pre-commit-config.yaml"):
        text = (root / name).read_text()
        assert str(REPO) in text
        assert "CI and other machines cannot reach it" in text, name
    assert "cannot reach" in run.stdout + run.stderr


def test_init_install_takes_a_requirement_as_given(make_repo: MakeRepo) -> None:
    root = make_repo({})
    run = compiler("init", "--workspace", "W", "--install", "astro-gitops==9.8.7", cwd=root)
    assert run.returncode == 0, run.stderr
    [job] = safe_load((root / ".github/workflows/astro-gitops.yml").read_text())["jobs"].values()
    assert (job["with"]["astro-gitops-spec"], job["uses"].rsplit("@", 1)[1]) == ("astro-gitops==9.8.7", "v9.8.7")
    assert compiler("init", "--install", " ", "--force", cwd=root).returncode == 2


def test_version_is_one_source(tmp_path: Path) -> None:
    """`--version`, the package metadata pyproject builds and `compiler.__version__` agree."""
    from importlib import metadata

    from compiler import __version__

    assert "version =" not in (REPO / "pyproject.toml").read_text().split("[project]")[1].split("[")[0]
    assert metadata.version("astro-gitops") == __version__
    assert compiler("--version", cwd=tmp_path).stdout == f"astro-gitops {__version__}\n"


def test_the_local_hook_runs_validate(make_repo: MakeRepo, tmp_path: Path) -> None:
    """pre-commit runs the `local` hook we write (its entry and file filter), offline: language
    `system` stands in for `python` so no package is downloaded."""
    root = make_repo({})
    scaffold.init(root, workspace="W", install=SPECS["index"])
    config = (root / ".pre-commit-config.yaml").read_text()
    config = config.replace("language: python", "language: system").replace("additional_dependencies", "# ")
    (root / ".pre-commit-config.yaml").write_text(config)
    env = clean_env(
        {"PRE_COMMIT_HOME": str(tmp_path / "pc"), "PATH": f"{Path(sys.executable).parent}:{clean_env()['PATH']}"}
    )
    subprocess.run(["git", "add", "-A"], cwd=root, check=True)
    run = subprocess.run(
        [sys.executable, "-m", "pre_commit", "run", "--all-files"],
        cwd=root, env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert run.returncode == 0, run.stdout + run.stderr
    assert "astro-gitops validate" in run.stdout and "Passed" in run.stdout


# --- the production rule follows the default branch; the workspace is filled in -----------------


def test_production_follows_the_checked_out_default_branch(tmp_path: Path) -> None:
    from conftest import git

    root = tmp_path / "repo"
    root.mkdir()
    git(root, "init", "-q", "-b", "master")
    scaffold.init(root, workspace="W")
    rules = safe_load((root / "environments/workspace.yaml").read_text())["branches"]
    assert rules[0] == {**rules[0], "branch": "master", "deployment": "production"}
    on = safe_load((root / ".github/workflows/astro-gitops.yml").read_text())["on"]
    assert on["push"]["branches"][0] == "master"
    which = compiler("which", "--branch", "master", cwd=root)
    assert (which.returncode, which.stdout.split()[0]) == (0, "production")
    assert validate_root(root).diagnostics == ()


def test_production_follows_origins_default_branch(tmp_path: Path) -> None:
    from conftest import git

    upstream = tmp_path / "upstream"
    upstream.mkdir()
    git(upstream, "init", "-q", "-b", "trunk")
    git(upstream, "commit", "-q", "--allow-empty", "-m", "first")
    git(tmp_path, "clone", "-q", str(upstream), "clone")
    root = tmp_path / "clone"
    git(root, "checkout", "-q", "-b", "feature/setup")  # the branch checked out is not the default
    scaffold.init(root, workspace="W")
    rules = safe_load((root / "environments/workspace.yaml").read_text())["branches"]
    assert rules[0]["branch"] == "trunk"


def test_a_branch_name_that_needs_quoting_stays_one_value(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    root.mkdir()
    scaffold.init(root, workspace="W", branch="release: #1, [x]", install=SPECS["index"])
    rules = safe_load((root / "environments/workspace.yaml").read_text())["branches"]
    assert rules[0]["branch"] == "release: #1, [x]"
    on = safe_load((root / ".github/workflows/astro-gitops.yml").read_text())["on"]
    assert on["push"]["branches"][0] == "release: #1, [x]"
    assert validate_root(root).diagnostics == ()


def test_workspace_is_a_placeholder_that_validate_warns_about_until_set(make_repo: MakeRepo) -> None:
    root = make_repo({})
    result = scaffold.init(root)
    assert any("--workspace" in note for note in result.notes)
    text = (root / "environments/workspace.yaml").read_text()
    assert "FILL IN" in text
    run = compiler("validate", cwd=root)
    assert run.returncode == 0
    assert re.fullmatch(
        r"environments/workspace\.yaml:\d+:\d+: warning\[workspace-placeholder\]: [^\n]+\n", run.stdout + run.stderr
    ), run.stdout + run.stderr
    (root / "environments/workspace.yaml").write_text(re.sub(r"(?m)^workspace: .*$", "workspace: Data Platform", text))
    assert validate_root(root).diagnostics == ()


def test_init_workspace_option(make_repo: MakeRepo) -> None:
    root = make_repo({})
    run = compiler("init", "--workspace", "Data Platform", cwd=root)
    assert run.returncode == 0, run.stderr
    assert safe_load((root / "environments/workspace.yaml").read_text())["workspace"] == "Data Platform"
    assert "--workspace" not in run.stderr
