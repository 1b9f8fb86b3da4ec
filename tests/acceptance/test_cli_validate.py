"""`astro-gitops validate` as users run it: the installed command in a subprocess.

Behaviour is proven on the core (test_validate_cases.py); these tests check the wiring:
exit codes, the three formats, --root, GITHUB_ACTIONS, `python -m compiler`, and that
nothing ever ends in a traceback.
"""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Callable, Mapping
from pathlib import Path

import pytest
from conftest import Run, imports_of_validate, run_cli, run_python

MakeRepo = Callable[..., Path]

WORKSPACE = """\
version: 1
workspace: Test
branches:
  - branch: main
    deployment: prod
"""
PROD = """\
name: prod
astro:
  executor: KUBERNETES
"""
VALID = {"environments/workspace.yaml": WORKSPACE, "environments/deployments/prod.yaml": PROD}
# Two errors and a warning, at known places.
INVALID = {
    **VALID,
    "environments/connections.yaml": """\
connections:
  db:
    type: postgres
    port: 99999
    password: hunter2
    links: [prdo]
""",
    "environments/variables.yaml": """\
variables:
  unused:
    value: x
""",
}
EXPECTED_TEXT = [
    "environments/connections.yaml:4:11: error[invalid-port]: 'connections.db.port' is 99999; it must be at most 65535",
    "environments/connections.yaml:5:15: error[plaintext-secret]: 'password' holds a literal secret; write {secret: NAME} (or set allow_plaintext: true for a throwaway local database)",
    "environments/connections.yaml:6:13: error[unknown-deployment]: connection 'db' links names Deployment 'prdo', which does not exist (did you mean 'prod'?)",
    "environments/variables.yaml:2:3: warning[unused-object]: variable 'unused' is linked to no Deployment",
]
TEXT_LINE = re.compile(r"environments/\S+:\d+:\d+: (error|warning)\[[a-z0-9-]+\]: .+")
GITHUB_LINE = re.compile(r"::(error|warning) file=environments/[^,:]+,line=\d+,col=\d+,title=[a-z0-9-]+::.+")


def cli(*args: str, cwd: Path, env: Mapping[str, str] | None = None) -> Run:
    """run_cli, and never a traceback, whatever the outcome."""
    result = run_cli(*args, cwd=cwd, env=env)
    assert "Traceback" not in result.err and "Traceback" not in result.out, result.err
    return result


@pytest.fixture
def invalid_repo(make_repo: MakeRepo) -> Path:
    return make_repo(INVALID)


# --- exit codes ----------------------------------------------------------------------


def test_example_is_valid(example_repo: Path) -> None:
    result = cli("validate", cwd=example_repo)

    assert (result.code, result.out, result.err) == (0, "", "")


def test_root_is_the_git_top_level(example_repo: Path) -> None:
    result = cli("validate", "--format", "json", cwd=example_repo / "environments" / "deployments")

    assert result.code == 0
    assert json.loads(result.out) == {"ok": True, "diagnostics": []}


def test_invalid_tree_exits_1_with_every_problem(invalid_repo: Path) -> None:
    default = cli("validate", cwd=invalid_repo)
    text = cli("validate", "--format", "text", cwd=invalid_repo)

    assert default.code == 1 and default.err == ""
    assert default.out.splitlines() == EXPECTED_TEXT
    assert all(TEXT_LINE.fullmatch(line) for line in EXPECTED_TEXT)
    assert (text.code, text.out) == (1, default.out)


def test_warnings_alone_exit_0(make_repo: MakeRepo) -> None:
    repo = make_repo({**VALID, "environments/variables.yaml": "variables:\n  unused:\n    value: x\n"})

    result = cli("validate", cwd=repo)

    assert result.code == 0
    assert result.out == EXPECTED_TEXT[-1] + "\n"


@pytest.mark.parametrize(
    "args",
    [("validate", "--bogus"), ("validate", "--format", "xml"), ("--nope", "validate"), (), ("frobnicate",)],
    ids=["unknown-flag", "unknown-format", "unknown-global-flag", "no-command", "unknown-command"],
)
def test_bad_usage_exits_2(example_repo: Path, args: tuple[str, ...]) -> None:
    result = cli(*args, cwd=example_repo)

    assert result.code == 2
    assert "usage:" in result.err
    assert result.out == ""


def test_outside_git_the_root_is_the_current_folder(tmp_path: Path) -> None:
    result = cli("validate", cwd=tmp_path)

    assert result.code == 1
    assert result.out.startswith("environments/:1:1: error[no-environments]: ")


def test_hostile_input_is_diagnosed_not_crashed(make_repo: MakeRepo) -> None:
    bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{n}: &{n} [{', '.join([f'*{p}'] * 10)}]\n" for p, n in zip("abcdefgh", "bcdefghi", strict=True)
    )
    repo = make_repo(
        {
            **VALID,
            "environments/bomb.yaml": bomb,
            "environments/deep.yaml": "x: " + "[" * 5000 + "]" * 5000 + "\n",
            "environments/deep2.yaml": "- " * 5000 + "x\n",
            "environments/binary.yaml": b"\x00\x01\x02",
            "environments/latin1.yaml": "x: caf\xe9\n".encode("latin-1"),
            "environments/template.yaml": "variables:\n  v: {value: \"{{ ''.__class__.__mro__ }}\", links: all}\n",
        }
    )

    result = cli("validate", "--format", "json", cwd=repo)

    assert result.code == 1
    codes = {(d["path"], d["code"]) for d in json.loads(result.out)["diagnostics"]}
    assert codes == {
        ("environments/bomb.yaml", "alias-bomb"),
        ("environments/deep.yaml", "too-deep"),
        ("environments/deep2.yaml", "too-deep"),
        ("environments/binary.yaml", "binary-file"),
        ("environments/latin1.yaml", "not-utf8"),
        ("environments/template.yaml", "template-unsafe"),
    }


# --- formats -------------------------------------------------------------------------


def test_json_shape(invalid_repo: Path) -> None:
    result = cli("validate", "--format", "json", cwd=invalid_repo)

    body = json.loads(result.out)
    assert result.code == 1
    assert set(body) == {"ok", "diagnostics"} and body["ok"] is False
    for item in body["diagnostics"]:
        assert set(item) == {"path", "line", "column", "severity", "code", "message"}
        assert [type(item[k]) for k in ("path", "line", "column", "severity", "code", "message")] == [
            str,
            int,
            int,
            str,
            str,
            str,
        ]
        assert item["severity"] in ("error", "warning") and item["line"] >= 1 and item["column"] >= 1
    assert {
        "path": "environments/connections.yaml",
        "line": 4,
        "column": 11,
        "severity": "error",
        "code": "invalid-port",
        "message": "'connections.db.port' is 99999; it must be at most 65535",
    } in body["diagnostics"]
    assert [
        f"{d['path']}:{d['line']}:{d['column']}: {d['severity']}[{d['code']}]: {d['message']}"
        for d in body["diagnostics"]
    ] == cli("validate", "--format", "text", cwd=invalid_repo).out.splitlines()


def test_json_of_a_valid_tree_with_a_warning_is_ok(make_repo: MakeRepo) -> None:
    repo = make_repo({**VALID, "environments/variables.yaml": "variables:\n  unused:\n    value: x\n"})

    result = cli("validate", "--format", "json", cwd=repo)

    body = json.loads(result.out)
    assert (result.code, body["ok"]) == (0, True)
    assert [(d["severity"], d["code"]) for d in body["diagnostics"]] == [("warning", "unused-object")]


def test_github_format(invalid_repo: Path) -> None:
    result = cli("validate", "--format", "github", cwd=invalid_repo)

    lines = result.out.splitlines()
    assert result.code == 1
    assert all(GITHUB_LINE.fullmatch(line) for line in lines), lines
    assert (
        "::error file=environments/connections.yaml,line=4,col=11,title=invalid-port::'connections.db.port' is 99999; it must be at most 65535"
        in lines
    )
    assert (
        "::warning file=environments/variables.yaml,line=2,col=3,title=unused-object::variable 'unused' is linked to no Deployment"
        in lines
    )


def test_github_is_the_default_in_github_actions(invalid_repo: Path) -> None:
    in_actions = cli("validate", cwd=invalid_repo, env={"GITHUB_ACTIONS": "true"})
    explicit = cli("validate", "--format", "github", cwd=invalid_repo)
    text_wins = cli("validate", "--format", "text", cwd=invalid_repo, env={"GITHUB_ACTIONS": "true"})

    assert in_actions.code == 1 and in_actions.out == explicit.out and in_actions.out.startswith("::error ")
    assert text_wins.out.splitlines()[0].startswith("environments/")


def test_github_escapes_newlines_and_percent(make_repo: MakeRepo) -> None:
    repo = make_repo({**VALID, "environments/v.yaml": 'variables:\n  "100%\\nx": {value: 1}\n'})

    result = cli("validate", "--format", "github", cwd=repo)

    # The key is refused (a newline: invalid-variable-key); the warning quoting it raw is escaped.
    (line,) = [line for line in result.out.splitlines() if "title=unused-object" in line]
    assert line.startswith("::warning file=environments/v.yaml,line=2,col=3,title=unused-object::")
    assert "100%25%0Ax" in line


# --- --root and python -m --------------------------------------------------------------


def test_root_pointing_elsewhere(tmp_path: Path, invalid_repo: Path, example_repo: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()

    absolute = cli("--root", str(invalid_repo), "validate", cwd=elsewhere)
    relative = cli("--root", "../" + invalid_repo.name, "validate", cwd=elsewhere)
    other = cli("--root", str(example_repo), "validate", cwd=invalid_repo)

    assert absolute.code == 1 and EXPECTED_TEXT[0] in absolute.out.splitlines()
    assert relative.out == absolute.out and relative.code == 1
    assert (other.code, other.out) == (0, "")


def test_root_without_environments(tmp_path: Path, example_repo: Path) -> None:
    result = cli("--root", str(tmp_path), "validate", cwd=example_repo)

    assert result.code == 1 and "no-environments" in result.out


def _python_m(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return run_python("-m", "compiler", *args, cwd=cwd)


def test_python_dash_m_is_the_same_program(example_repo: Path, invalid_repo: Path) -> None:
    valid = _python_m("validate", cwd=example_repo)
    invalid = _python_m("validate", "--format", "json", cwd=invalid_repo)
    usage = _python_m("validate", "--bogus", cwd=example_repo)

    assert (valid.returncode, valid.stdout) == (0, "")
    assert invalid.returncode == 1 and invalid.stdout == cli("validate", "--format", "json", cwd=invalid_repo).out
    assert usage.returncode == 2 and "usage:" in usage.stderr
    assert "Traceback" not in valid.stderr + invalid.stderr + usage.stderr


# --- start-up cost -------------------------------------------------------------------


def _imports(root: Path) -> list[str]:
    return imports_of_validate(root, ("jinja2", "git"))[0]


def test_validate_of_plain_files_imports_neither_jinja2_nor_git(make_repo: MakeRepo) -> None:
    assert _imports(make_repo(VALID)) == ["0", "False", "False"]


def test_a_template_imports_jinja2_but_still_not_git(make_repo: MakeRepo) -> None:
    repo = make_repo(
        {**VALID, "environments/v.yaml": "variables:\n  v: {value: '{{ deployment.name | upper }}', links: all}\n"}
    )

    assert _imports(repo) == ["0", "True", "False"]


def test_a_plain_reference_is_substituted_without_jinja2(make_repo: MakeRepo) -> None:
    repo = make_repo(
        {**VALID, "environments/v.yaml": "variables:\n  v: {value: 'x-{{ deployment.name }}', links: all}\n"}
    )

    assert _imports(repo) == ["0", "False", "False"]


def test_the_example_never_imports_git(example_repo: Path) -> None:
    assert _imports(example_repo)[::2] == ["0", "False"]


def test_the_public_api_is_what_all_names() -> None:
    import compiler

    assert sorted(compiler.__all__) == sorted(n for n in compiler.__all__ if getattr(compiler, n, None) is not None)
    with pytest.raises(AttributeError):
        _ = compiler.not_a_public_name
