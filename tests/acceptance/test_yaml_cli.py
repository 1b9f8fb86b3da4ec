"""Reading YAML, seen from the installed command: one parser decides, every problem is located,
nothing but diagnostics is printed (no raw Python warning, no traceback, no exit 70)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import run_cli

MakeRepo = Callable[..., Path]
WORKSPACE = "version: 1\nworkspace: T\nbranches:\n  - branch: main\n    deployment: prod\n"
DEPLOYMENT = "name: prod\nastro:\n  executor: KUBERNETES\n"
FILLER = "".join(f"  v{i}:\n    value: x{i}\n    links: all\n" for i in range(12))  # 36 lines


def repo(make_repo: MakeRepo, variables: str) -> Path:
    return make_repo(
        {
            "environments/workspace.yaml": WORKSPACE,
            "environments/deployments/prod.yaml": DEPLOYMENT,
            "environments/variables.yaml": variables,
        }
    )


@pytest.mark.parametrize(
    ("value", "column"),
    [("[26, 'x':, 3]", 20), ('["x":1]', 16), ("{a: 1}\t# tab", 18)],
)
def test_explain_never_points_at_line_1_for_a_value_near_line_40(make_repo: MakeRepo, value: str, column: int) -> None:
    """Values the fast route once read and the careful one refuses: `explain` printed
    `environments/variables.yaml:1`; now the careful route's diagnostic, located, exit 1."""
    root = repo(make_repo, f"variables:\n{FILLER}  bucket:\n    value: {value}\n    links: all\n")

    for args in (("explain", "prod", "bucket"), ("validate",)):
        result = run_cli(*args, cwd=root)
        printed = result.out + result.err
        assert result.code == 1, printed
        assert f"environments/variables.yaml:39:{column}: error[yaml-syntax]" in printed
        assert "variables.yaml:1:" not in printed and "variables.yaml:1 " not in printed


def test_a_tab_after_a_colon_is_located_not_every_diagnostic_at_1_1(make_repo: MakeRepo) -> None:
    root = repo(make_repo, f"variables:\n{FILLER}  bucket:\n    value:\ts3://x\n    links: nowhere\n")

    result = run_cli("validate", cwd=root)

    assert result.code == 1
    assert result.out.splitlines() == [
        "environments/variables.yaml:39:11: error[yaml-syntax]: while scanning for the next token "
        "found character '\\t' that cannot start any token (a tab; use spaces)"
    ]


def test_a_duplicate_anchor_is_a_diagnostic_never_a_raw_warning(make_repo: MakeRepo) -> None:
    root = repo(
        make_repo,
        "variables:\n  a:\n    value: &v secret-ish\n    links: all\n  b:\n    value: &v two\n    links: all\n",
    )

    result = run_cli("validate", cwd=root)

    assert result.code == 0 and result.err == "", result.err
    assert result.out.splitlines() == [
        "environments/variables.yaml:6:12: warning[yaml-warning]: anchor '&v' is defined again "
        "(first at line 3); later aliases refer to this one"
    ]


@pytest.mark.parametrize("directive", ["%YAML 1.3", "%YAML 1.1", "%TAG ! tag:example.com,2000:"])
def test_an_unsupported_directive_is_exit_1_located(make_repo: MakeRepo, directive: str) -> None:
    root = repo(make_repo, f"{directive}\n---\nvariables:\n  v:\n    value: yes\n    links: all\n")

    result = run_cli("validate", cwd=root)

    assert (result.code, result.err) == (1, "")
    assert result.out.startswith("environments/variables.yaml:1:1: error[unsupported-directive]: directive '%")


def test_yaml_1_1_number_forms_render_as_the_strings_they_are(make_repo: MakeRepo, tmp_path: Path) -> None:
    """`1_000` is a string in YAML 1.2: rendered quoted, so no YAML 1.1 reader takes it for 1000."""
    root = repo(
        make_repo, "variables:\n  a:\n    value: 1_000\n    links: all\n  b:\n    value: 0o17\n    links: all\n"
    )

    result = run_cli("render", "--deployment", "prod", "--out", str(tmp_path / "out"), cwd=root)

    assert result.code == 0, result.err
    settings = (tmp_path / "out" / "prod" / "airflow_settings.yaml").read_text()
    assert "variable_value: '1_000'" in settings and "variable_value: '15'" in settings
