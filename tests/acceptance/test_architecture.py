"""The package reads as the pipeline (STYLE.md, "The shape"): stage packages that import one way,
no import circle, a small foundation, small modules, and one importer of each heavy library.

`python tests/support/import_graph.py --edges` prints the graph these tests read.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from support.import_graph import REPO, STAGES, against_the_order, circles, edges, modules, stage

MAX_LINES = 450
FOUNDATION_LIMIT = 6  # modules directly in compiler/ besides __init__ and __main__


def _imported_names(path: Path) -> set[str]:
    """Top-level names of every module `path` imports, anywhere in it."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.split(".")[0])
    return found


def test_no_module_imports_itself_back() -> None:
    assert circles(edges()) == []


def test_stages_import_only_the_stages_below_them() -> None:
    assert against_the_order(edges()) == []


def test_the_order_check_can_fail() -> None:
    """Positive control: an import from the foundation up into cli/ and a circle are both found."""
    graph = {"compiler.errors": {"compiler.cli.commands"}, "compiler.cli.commands": {"compiler.errors"}}
    assert against_the_order(graph) == [("compiler.errors", "compiler.cli.commands")]
    assert circles(graph) == [["compiler.cli.commands", "compiler.errors"]]


def test_every_folder_of_the_package_is_a_known_stage() -> None:
    folders = {stage(name) for name in modules()}
    assert folders <= set(STAGES), folders - set(STAGES)


def test_the_foundation_stays_small() -> None:
    root = [p.name for p in (REPO / "compiler").glob("*.py") if p.name not in ("__init__.py", "__main__.py")]
    assert len(root) <= FOUNDATION_LIMIT, sorted(root)


@pytest.mark.parametrize("path", sorted((REPO / "compiler").rglob("*.py")), ids=lambda p: str(p.relative_to(REPO)))
def test_no_module_is_over_the_size_limit(path: Path) -> None:
    assert len(path.read_text(encoding="utf-8").splitlines()) <= MAX_LINES


def test_stage_packages_start_empty() -> None:
    """A folder's __init__.py holds at most its docstring: importing a stage costs nothing."""
    for name, path in modules().items():
        if path.name == "__init__.py" and name not in ("compiler", "compiler.cli"):
            body = ast.parse(path.read_text(encoding="utf-8")).body
            assert all(isinstance(n, ast.Expr) and isinstance(n.value, ast.Constant) for n in body), name


@pytest.mark.parametrize(
    ("library", "allowed"),
    [("httpx", "compiler/remote/"), ("stamina", "compiler/remote/"), ("git", "compiler/load/gitrefs.py")],
)
def test_one_place_imports_each_heavy_library(library: str, allowed: str) -> None:
    importers = {str(path.relative_to(REPO)) for path in modules().values() if library in _imported_names(path)}
    assert importers and all(p.startswith(allowed) for p in importers), importers


def test_planning_never_reaches_the_network_or_the_runs() -> None:
    graph = edges()
    reached = {t for m, targets in graph.items() if stage(m) == "sync" for t in targets}
    assert {stage(t) for t in reached} <= {"", "load", "model", "resolve", "validate", "render", "review", "sync"}
