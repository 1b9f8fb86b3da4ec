"""Input at the edges, through the installed command: explicit option values, --root, files that
cannot be read, template tags that load other templates, misnamed YAML files, Airflow names."""

from __future__ import annotations

import errno
import json
import os
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import commit_files, git, run_cli

from compiler.limits import os_problem

MakeRepo = Callable[..., Path]

WORKSPACE = """\
version: 1
workspace: Test
branches:
  - branch: main
    deployment: prod
  - branch: "feature/**"
    deployment: prod
"""
PROD = "name: prod\nastro:\n  executor: KUBERNETES\n"
VALID = {"environments/workspace.yaml": WORKSPACE, "environments/deployments/prod.yaml": PROD}


def _listing(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if ".git" not in p.parts)


# --- 1. an explicit option value is never taken for an absent one ---------------------------

EMPTY_OR_INVALID = [
    ("which", "--branch", ""),
    ("which", "--branch", "  "),
    ("which", "--branch", "feature/\x1bx"),
    ("render", "--branch", "a\nb"),
    ("render", "--branch", ""),
    ("render", "--deployment", ""),
    ("render", "--deployment", "pro\td"),
    ("render", "--deployment", "prod", "--out", ""),
    ("render", "--deployment", "prod", "--secrets", ""),
    ("--root", "", "render", "--deployment", "prod"),
    ("diff", ""),
    ("diff", "HEAD", ""),
    ("diff", "HEAD", "--deployment", ""),
    ("matrix", "--since", ""),
    ("explain", "", "v"),
    ("explain", "prod", ""),
    ("import", ""),
    ("import", "settings.yaml", "--link", ""),
    ("init", "--workspace", ""),
    ("plan", "--deployment", "prod", "--airflow", ""),
    ("plan", "--branch", ""),
    ("plan", "--deployment", "prod", "--out", ""),
    ("apply", "", "--auto-approve"),
    ("apply", "--deployment", "", "--auto-approve"),
    ("preview", "destroy", "--branch", "", "--auto-approve"),
    ("preview", "prune", "--remote", "", "--auto-approve"),
]


@pytest.mark.parametrize("args", EMPTY_OR_INVALID, ids=lambda a: " ".join(repr(x) for x in a))
def test_an_empty_or_invalid_option_value_is_bad_usage(make_repo: MakeRepo, args: tuple[str, ...]) -> None:
    repo = make_repo(VALID)
    before = _listing(repo)

    result = run_cli(*args, cwd=repo, env={"ASTRO_API_TOKEN": "t", "AIRFLOW_API_TOKEN": "t"})

    assert result.code == 2, (result.code, result.out, result.err)
    last = result.err.splitlines()[-1]
    reasons = ("must not be", "holds a control character", "holds a control or invisible character")
    assert "error: argument " in last and any(reason in last for reason in reasons), last
    assert "Traceback" not in result.err and _listing(repo) == before  # nothing written anywhere


def test_a_valid_branch_and_deployment_still_work(make_repo: MakeRepo) -> None:
    repo = make_repo(VALID)
    assert run_cli("which", "--branch", "feature/a-b_c.d", cwd=repo).out == "prod (branch feature/a-b_c.d)\n"
    rendered = run_cli("render", "--deployment", "prod", "--out", "out", cwd=repo)
    assert rendered.code == 0 and (repo / "out/prod/deployment.yaml").is_file()


# --- 2. --root ------------------------------------------------------------------------------


def test_a_root_that_does_not_exist_or_is_a_file_says_so(make_repo: MakeRepo, tmp_path: Path) -> None:
    repo = make_repo(VALID)
    (tmp_path / "a-file").write_text("x")
    (tmp_path / "loop").symlink_to("loop")

    missing = run_cli("--root", str(tmp_path / "nowhere"), "validate", cwd=repo)
    a_file = run_cli("--root", str(tmp_path / "a-file"), "render", "--all", cwd=repo)
    loop = run_cli("--root", str(tmp_path / "loop"), "validate", cwd=repo)

    assert missing.code == 2 and missing.err.endswith(f"argument --root: '{tmp_path / 'nowhere'}' does not exist\n")
    assert a_file.code == 2 and a_file.err.endswith(f"argument --root: '{tmp_path / 'a-file'}' is not a folder\n")
    assert loop.code == 2 and "is a symbolic link loop" in loop.err
    assert all("no-environments" not in r.out + r.err for r in (missing, a_file, loop))


def test_environments_that_is_a_file_is_said_to_be_one(make_repo: MakeRepo) -> None:
    repo = make_repo({"environments": "not a folder\n"})

    result = run_cli("validate", cwd=repo)

    assert result.code == 1
    assert result.out == (
        "environments:1:1: error[unreadable]: environments is a file; it must be the folder that holds the YAML files\n"
    )


def test_a_workspace_yaml_that_is_a_folder_is_said_to_be_one(make_repo: MakeRepo) -> None:
    repo = make_repo({"environments/deployments/prod.yaml": PROD})
    (repo / "environments/workspace.yaml").mkdir()

    result = run_cli("validate", cwd=repo)

    assert result.code == 1
    assert result.out == (
        "environments/workspace.yaml:1:1: error[special-file]: a folder is not read: only regular files are\n"
    )  # not "workspace.yaml is required", which it is there


# --- 3. files that cannot be read say why ------------------------------------------------------


def test_symbolic_link_loops_and_dangling_links_are_said_to_be_what_they_are(make_repo: MakeRepo) -> None:
    repo = make_repo(VALID)
    env = repo / "environments"
    (env / "loop.yaml").symlink_to("loop.yaml")
    (env / "a.yaml").symlink_to("b.yaml")
    (env / "b.yaml").symlink_to("a.yaml")
    (env / "gone.yml").symlink_to("deleted.yaml")

    for command in (("validate",), ("render", "--deployment", "prod")):
        result = run_cli(*command, cwd=repo)
        assert result.code == 1, result
        lines = (result.out + result.err).splitlines()
        loop = "error[unreadable]: file is a symbolic link loop (or a chain of more than 40 links)"
        for name in ("loop.yaml", "a.yaml", "b.yaml"):
            assert f"environments/{name}:1:1: {loop}" in lines, lines
        dangling = "error[unreadable]: file is a symbolic link to 'deleted.yaml', which does not exist"
        assert f"environments/gone.yml:1:1: {dangling}" in lines, lines
        assert "No such file" not in result.out + result.err and "internal error" not in result.err


def test_each_kind_of_os_error_is_said_as_what_it_is(tmp_path: Path) -> None:
    # Permission errors cannot be made for the root user CI runs as, so the mapping is checked
    # directly; links, loops and folders are checked through the command above and below.
    link = tmp_path / "gone"
    link.symlink_to("deleted.yaml")
    said = {
        errno.EACCES: "cannot be read: permission denied",
        errno.EPERM: "cannot be read: operation not permitted",
        errno.ELOOP: "is a symbolic link loop (or a chain of more than 40 links)",
        errno.EISDIR: "is a folder, not a file",
        errno.ENOENT: "does not exist",
    }
    for number, text in said.items():
        assert os_problem(OSError(number, os.strerror(number)), tmp_path / "x.yaml") == text
    assert os_problem(FileNotFoundError(errno.ENOENT, "gone"), link) == (
        "is a symbolic link to 'deleted.yaml', which does not exist"
    )
    assert os_problem(OSError(errno.EROFS, "Read-only file system")) == "cannot be read (Read-only file system)"


def test_a_dotenv_or_plan_path_that_is_no_file_says_what_it_is(make_repo: MakeRepo) -> None:
    repo = make_repo(VALID)
    (repo / "loop.env").symlink_to("loop.env")
    (repo / "folder.json").mkdir()

    loop = run_cli("render", "--deployment", "prod", "--secrets", "dotenv:loop.env", cwd=repo)
    folder = run_cli("render", "--deployment", "prod", "--secrets", "dotenv:folder.json", cwd=repo)
    plan = run_cli("apply", "folder.json", cwd=repo, env={"ASTRO_API_TOKEN": "t"})
    absent = run_cli("apply", "absent.json", cwd=repo, env={"ASTRO_API_TOKEN": "t"})

    assert (loop.code, folder.code, plan.code, absent.code) == (1, 1, 1, 1)
    assert "loop.env:1:1: error[unreadable]: file is a symbolic link loop" in loop.err
    assert "folder.json:1:1: error[special-file]: a folder is not read" in folder.err
    assert "folder.json:1:1: error[special-file]: a folder is not read" in plan.err
    assert "absent.json:1:1: error[unreadable]: file does not exist" in absent.err
    assert "not a plan written by" not in plan.err + absent.err and "Error" not in loop.err + folder.err


def test_a_link_loop_given_as_import_file_or_output_folder_is_said_to_be_one(make_repo: MakeRepo) -> None:
    repo = make_repo(VALID)
    (repo / "loop.yaml").symlink_to("loop.yaml")

    imported = run_cli("import", "loop.yaml", cwd=repo)
    rendered = run_cli("render", "--all", "--out", "loop.yaml", cwd=repo)

    assert imported.code == 1 and rendered.code == 1, (imported, rendered)  # was an internal error (exit 70)
    assert "loop.yaml:1:1: error[unreadable]: file is a symbolic link loop" in imported.err
    assert "the output folder loop.yaml is a symbolic link loop" in rendered.err


# --- 4. template tags that load other templates -----------------------------------------------


@pytest.mark.parametrize(
    ("template", "tag"),
    [
        ("{% include 'other.txt' %}", "'{% include %}'"),
        ("{% import 'macros' as m %}{{ m.x }}", "'{% import %}'"),
        ("{% from 'macros' import x %}{{ x }}", "'{% from ... import %}'"),
        ("{% extends deployment.name %}", "'{% extends %}'"),
        ("{% block b %}x{% endblock %}{{ self.b() }}", "'self'"),
    ],
)
def test_a_tag_that_loads_templates_is_unsupported_and_located(make_repo: MakeRepo, template: str, tag: str) -> None:
    value = json.dumps(template)
    repo = make_repo({**VALID, "environments/v.yaml": f"variables:\n  v:\n    value: {value}\n    links: all\n"})

    for command in (("validate",), ("render", "--deployment", "prod")):
        result = run_cli(*command, cwd=repo)
        shown = result.out + result.err
        assert result.code == 1, shown
        assert f"environments/v.yaml:3:12: error[template-unsupported]: template not supported: {tag}" in shown
        assert "TypeError" not in shown


# --- 5. is in test_sync_apply.py (a stale plan, against the fake Astro) ------------------------

# --- 6. YAML names in another case --------------------------------------------------------------


def test_a_yaml_name_in_another_case_is_named_everywhere_and_never_read(make_repo: MakeRepo) -> None:
    repo = make_repo(VALID)
    commit_files(
        repo,
        {
            "environments/Extra.YAML": "variables:\n  upper: {value: x, links: all}\n",
            "environments/deployments/more.Yml": "pools:\n  p: {slots: 1, links: all}\n",
        },
    )
    warnings = [
        "environments/Extra.YAML:1:1: warning[ignored-file]: 'Extra.YAML' is not read: "
        "only names ending in .yaml or .yml (lower case) are; rename it 'Extra.yaml'",
        "environments/deployments/more.Yml:1:1: warning[ignored-file]: 'more.Yml' is not read: "
        "only names ending in .yaml or .yml (lower case) are; rename it 'more.yml'",
    ]

    validate = run_cli("validate", cwd=repo)
    render = run_cli("render", "--deployment", "prod", cwd=repo)
    diff = run_cli("diff", "HEAD~1", "HEAD", "--format", "json", cwd=repo)

    assert (validate.code, validate.out.splitlines()) == (0, warnings)
    assert render.code == 0 and render.err.splitlines() == warnings
    assert "upper" not in (repo / "build/prod/airflow_settings.yaml").read_text()
    assert diff.code == 0 and json.loads(diff.out)["deployments"] == []  # git history reads the same files
    assert git(repo, "ls-files", "environments/Extra.YAML").strip() == "environments/Extra.YAML"


# --- 7. Airflow names with control or invisible characters ---------------------------------------


def test_a_nul_or_control_character_in_a_variable_key_or_pool_name_is_refused(make_repo: MakeRepo) -> None:
    objects = (
        'variables:\n  "a\\0b": {value: x, links: all}\n  "tab\\tkey": {value: y, links: all}\n'
        'pools:\n  "p\\u200b": {slots: 1, links: all}\n'
    )
    repo = make_repo({**VALID, "environments/bad.yaml": objects})

    result = run_cli("validate", cwd=repo)

    assert result.code == 1
    assert result.out.splitlines() == [
        "environments/bad.yaml:2:3: error[invalid-variable-key]: variable key 'a\\x00b' holds the control or"
        " invisible character U+0000, which Airflow cannot store or show",
        "environments/bad.yaml:3:3: error[invalid-variable-key]: variable key 'tab\\tkey' holds the control or"
        " invisible character U+0009, which Airflow cannot store or show",
        "environments/bad.yaml:5:3: error[invalid-pool-name]: pool name 'p\\u200b' holds the control or"
        " invisible character U+200B, which Airflow cannot store or show",
    ]


def test_import_refuses_the_same_names(make_repo: MakeRepo) -> None:
    repo = make_repo(VALID)
    (repo / "settings.yaml").write_text(
        'airflow:\n  variables:\n    - {variable_name: "a\\0b", variable_value: x}\n'
        '  pools:\n    - {pool_name: "p\\x1b", pool_slot: 1}\n'
    )

    result = run_cli("import", "settings.yaml", cwd=repo)

    assert result.code == 1 and not (repo / "environments/from-astro").exists()
    assert "settings.yaml:3:23: error[invalid-variable-key]: variable key 'a\\x00b' holds" in result.err
    assert "settings.yaml:5:19: error[invalid-pool]: pool name 'p\\x1b' holds" in result.err


def test_a_deployment_name_with_a_nul_is_refused_and_quoted_once(make_repo: MakeRepo) -> None:
    repo = make_repo({**VALID, "environments/deployments/x.yaml": 'name: "pro\\0d"\nastro: {executor: KUBERNETES}\n'})

    result = run_cli("validate", cwd=repo)

    assert result.code == 1
    assert result.out == (
        "environments/deployments/x.yaml:1:7: error[invalid-deployment-name]: Deployment name 'pro\\x00d'"
        " holds a control or invisible character; it names an output folder\n"
    )  # was quoted twice: ''pro\x00d''
