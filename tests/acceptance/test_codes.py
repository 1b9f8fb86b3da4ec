"""The documented codes and exit codes are the ones the code has (README.md <-> compiler).

`compiler.diagnostics.CODES` / `IMPORT_CODES` are the registry: README's two tables must list
exactly those codes with exactly that severity, and every `error(...)` / `warning(...)` in the
package (and every diagnostic the invalid cases expect) must agree with it. A new code that
is missing from either place fails here.
"""

from __future__ import annotations

import ast
import re

import pytest
from conftest import REPO

from compiler.diagnostics import CODES, EITHER, ERROR, IMPORT_CODES, WARNING
from compiler.errors import ExitCode

README = (REPO / "README.md").read_text(encoding="utf-8")
SEVERITIES = {"error": ERROR, "warning": WARNING, "error / warning": EITHER}
# Calls that make a diagnostic, and the severity each one gives.
MAKERS = {"error": "error", "_fail": "error", "TemplateProblem": "error", "warning": "warning", "warn": "warning"}
_CODE = re.compile(r"[a-z][a-z0-9]*(?:-[a-z0-9]+)+")


def readme_table(header: str) -> list[list[str]]:
    """The rows of the README table that starts with `header`, as stripped cells."""
    lines = README.splitlines()
    start = lines.index(header)
    rows = []
    for line in lines[start + 2 :]:
        if not line.startswith("|"):
            break
        rows.append([cell.strip() for cell in line.strip("|").split(" | ")])
    return rows


def documented(header: str) -> dict[str, frozenset[str]]:
    table = {}
    for code, severity, *_ in readme_table(header):
        assert code.startswith("`") and code.endswith("`"), code
        assert severity in SEVERITIES, f"{code}: severity {severity!r}"
        assert code.strip("`") not in table, f"{code} is listed twice"
        table[code.strip("`")] = SEVERITIES[severity]
    return table


@pytest.mark.parametrize(
    ("header", "registry"),
    [("| code | severity | when |", CODES), ("| import code | severity | when |", IMPORT_CODES)],
    ids=["validate", "import"],
)
def test_the_readme_table_is_the_registry(header: str, registry: dict[str, frozenset[str]]) -> None:
    table = documented(header)
    assert sorted(set(registry) - set(table)) == [], "codes missing from README.md"
    assert sorted(set(table) - set(registry)) == [], "README.md documents codes the code does not have"
    assert {c: sorted(s) for c, s in table.items() if registry[c] != s} == {}, "severity differs from README.md"


def emitted() -> set[tuple[str, str, str]]:
    """(code, severity, where) of every diagnostic made with a literal code in the package."""
    found = set()
    for path in sorted((REPO / "compiler").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
            if name not in MAKERS:
                continue
            for arg in node.args:
                if isinstance(arg, ast.Constant) and isinstance(arg.value, str) and _CODE.fullmatch(arg.value):
                    found.add((arg.value, MAKERS[name], f"{path.name}:{node.lineno}"))
    return found


def test_every_diagnostic_the_code_makes_is_registered_with_its_severity() -> None:
    allowed = {
        code: CODES.get(code, frozenset()) | IMPORT_CODES.get(code, frozenset()) for code in {*CODES, *IMPORT_CODES}
    }
    wrong = sorted(
        f"{where}: {code} as {severity}" for code, severity, where in emitted() if severity not in allowed.get(code, ())
    )
    assert wrong == [], "diagnostics whose code or severity is not in compiler.diagnostics.CODES / IMPORT_CODES"


def test_the_scan_sees_both_severities_and_every_module_kind() -> None:
    """Guards the scan above: it must find codes of the loader, rules, render and import."""
    seen = {(code, severity) for code, severity, _ in emitted()}
    assert {
        ("yaml-syntax", "error"),
        ("alias-bomb", "error"),
        ("unused-object", "warning"),
        ("template-syntax", "error"),
        ("preview-name-collision", "error"),
        ("skipped-entry", "warning"),
        ("nothing-imported", "error"),
        ("number-as-text", "warning"),
    } <= seen


def test_the_invalid_cases_expect_registered_severities() -> None:
    """Codes made from a variable (a schema's x-code, a rule's problem) are checked by behaviour."""
    line = re.compile(r"^\S+:\d+:\d+: (error|warning)\[([a-z0-9-]+)\]", re.M)
    expected = {
        (m.group(2), m.group(1))
        for path in (REPO / "tests" / "acceptance" / "cases" / "invalid").glob("*/expected.txt")
        for m in line.finditer(path.read_text(encoding="utf-8"))
    }
    assert expected, "no expected diagnostics found: the case format changed"
    assert sorted((c, s) for c, s in expected if s not in CODES.get(c, ())) == []


def test_the_readme_exit_codes_are_the_exit_code_enum() -> None:
    table = {int(code): meaning for code, meaning in readme_table("| code | meaning |")}
    assert table == {int(code): code.meaning for code in ExitCode}
