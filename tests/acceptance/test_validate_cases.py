"""Data-driven cases of `validate` (the core, compiler.validate.project.validate_root).

Each folder of tests/acceptance/cases/invalid/ and tests/acceptance/cases/valid/ holds an `environments/` tree;
an optional `make.py` adds what git should not hold (huge, binary or non-UTF-8 files,
symbolic links). An invalid case lists in `expected.txt` exactly the diagnostics it must
produce, one a line:

    environments/variables.yaml:3:12: error[template-syntax] ~ template syntax error

PATH:LINE:COLUMN, severity and code must match exactly; the text after ` ~ ` (optional)
must occur in the message. Lines starting with `#` are comments. A valid case must
produce no diagnostic at all, not even a warning. See tests/acceptance/cases/README.md.
"""

from __future__ import annotations

import ast
import importlib.util
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

from compiler.diagnostics import Diagnostic
from compiler.validate.project import validate_root

CASES = Path(__file__).resolve().parent / "cases"
COMPILER = Path(__file__).resolve().parents[2] / "compiler"
SCHEMAS = Path(__file__).resolve().parents[2] / "schemas"
INVALID = sorted(p for p in (CASES / "invalid").iterdir() if p.is_dir())
VALID = sorted(p for p in (CASES / "valid").iterdir() if p.is_dir())

# The modules of the validate pipeline: every code they can emit needs a case.
VALIDATE_MODULES = (
    "limits.py",
    "load/sources.py",
    "load/documents.py",
    "load/careful_route.py",
    "load/roundtrip_tree.py",
    "model/branches.py",
    "resolve/template_values.py",
    "resolve/deployment.py",
    "validate/schema_check.py",
    "validate/project.py",
    "validate/rules.py",
    "validate/checker.py",
    "validate/deployment_rules.py",
    "validate/object_rules.py",
    "validate/resolution_rules.py",
    "validate/consumer_rules.py",
)
NOT_CODES = {"utf-8", "x-code", "x-any-case"}
# Codes whose trigger is impractical as a folder; where their test lives instead.
COVERED_ELSEWHERE = {"too-many-files": "tests/load/test_sources.py::test_too_many_files"}

_LINE = re.compile(
    r"(?P<path>[^:\s]+):(?P<line>\d+):(?P<column>\d+): (?P<severity>error|warning)\[(?P<code>[a-z0-9-]+)\]"
    r"(?: ~ (?P<text>.+))?"
)


@dataclass(frozen=True)
class Expected:
    key: tuple[str, int, int, str, str]
    text: str | None

    def __str__(self) -> str:
        path, line, column, severity, code = self.key
        return f"{path}:{line}:{column}: {severity}[{code}]" + (f" ~ {self.text}" if self.text else "")


def parse_expected(path: Path) -> list[Expected]:
    found = []
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not raw.strip() or raw.startswith("#"):
            continue
        match = _LINE.fullmatch(raw.rstrip())
        assert match, f"{path}:{number}: not an expected diagnostic: {raw!r}"
        key = (match["path"], int(match["line"]), int(match["column"]), match["severity"], match["code"])
        found.append(Expected(key, match["text"]))
    return found


def key_of(diagnostic: Diagnostic) -> tuple[str, int, int, str, str]:
    loc = diagnostic.location
    return (loc.path, loc.line, loc.column, diagnostic.severity, diagnostic.code)


def build(case: Path, tmp_path: Path) -> Path:
    """A copy of the case in a temporary root, completed by its make.py."""
    root = tmp_path / "root"
    shutil.copytree(case, root, symlinks=True, ignore=shutil.ignore_patterns("make.py", "expected.txt", "__pycache__"))
    (root / "environments").mkdir(exist_ok=True)
    hook = case / "make.py"
    if hook.exists():
        spec = importlib.util.spec_from_file_location(f"case_{case.name.replace('-', '_')}", hook)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        module.make(root)
    return root


def unmatched(expected: list[Expected], actual: list[Diagnostic]) -> tuple[list[Expected], list[Diagnostic]]:
    """The expected lines no diagnostic satisfies, and the diagnostics no line claims."""
    left = list(actual)
    missing = []
    for want in expected:
        hit = next((d for d in left if key_of(d) == want.key and (want.text is None or want.text in d.message)), None)
        if hit is None:
            missing.append(want)
        else:
            left.remove(hit)
    return missing, left


@pytest.mark.parametrize("case", INVALID, ids=[p.name for p in INVALID])
def test_invalid_case(case: Path, tmp_path: Path) -> None:
    expected = parse_expected(case / "expected.txt")
    assert expected, f"{case.name}: expected.txt lists no diagnostic"
    project = validate_root(build(case, tmp_path))

    missing, extra = unmatched(expected, list(project.diagnostics))

    actual = "".join(f"  {d}\n" for d in project.diagnostics)
    assert not missing and not extra, (
        f"{case.name}\nexpected but not found:\n" + "".join(f"  {e}\n" for e in missing)
        + "found but not expected:\n" + "".join(f"  {d}\n" for d in extra)
        + f"all diagnostics:\n{actual}"
    )  # fmt: skip
    assert project.ok == all(e.key[3] == "warning" for e in expected)


@pytest.mark.parametrize("case", VALID, ids=[p.name for p in VALID])
def test_valid_case(case: Path, tmp_path: Path) -> None:
    project = validate_root(build(case, tmp_path))

    assert [str(d) for d in project.diagnostics] == []
    assert project.ok


_CODE = re.compile(r"[a-z][a-z0-9]*(?:-[a-z0-9]+)*")
_REPORTERS = {"error", "warning", "_fail", "TemplateProblem"}


def _codes_in_module(path: Path) -> set[str]:
    """Code-like literals passed to error()/warning()/..., and any kebab-case literal.

    The second half catches codes kept in a variable first (`code = "invalid-value"`).
    """
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call):
            func = node.func
            name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
            if name in _REPORTERS:
                found |= {
                    a.value
                    for a in node.args
                    if isinstance(a, ast.Constant) and isinstance(a.value, str) and _CODE.fullmatch(a.value)
                }
        elif (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and _CODE.fullmatch(node.value)
            and "-" in node.value
        ):
            found.add(node.value)
    return found


def codes_in_source() -> set[str]:
    """Every code the validate modules can emit, and every x-code of the schemas."""
    found = set().union(*(_codes_in_module(COMPILER / module) for module in VALIDATE_MODULES))
    for schema in SCHEMAS.glob("*.schema.json"):
        found |= set(re.findall(r'"x-code":\s*"([a-z0-9-]+)"', schema.read_text(encoding="utf-8")))
    return found - NOT_CODES


def test_every_code_has_a_case() -> None:
    covered = {e.key[4] for case in INVALID for e in parse_expected(case / "expected.txt")}

    untested = codes_in_source() - covered - set(COVERED_ELSEWHERE)

    assert untested == set(), (
        f"codes validate can emit that no case in tests/acceptance/cases/invalid/ makes fire: {sorted(untested)}"
    )


def test_code_scan_finds_the_known_codes() -> None:
    """Guards the scan above: it must see codes of each module, else it proves nothing."""
    assert {
        "yaml-syntax",
        "unknown-key",
        "missing-workspace",
        "plaintext-secret",
        "template-unsafe",
        "invalid-port",
        "unreadable",
    } <= codes_in_source()


def test_every_code_is_documented_in_the_readme() -> None:
    """SPEC 6: each code is a stable identifier documented in the README."""
    readme = (COMPILER.parent / "README.md").read_text(encoding="utf-8")
    documented = set(re.findall(r"^\| `([a-z0-9-]+)` \|", readme, flags=re.M))

    assert codes_in_source() - documented == set()
