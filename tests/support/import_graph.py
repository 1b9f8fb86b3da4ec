"""The import graph of compiler/, read with `ast`: every import, at module level, inside a
function or under TYPE_CHECKING, between the package's own modules.

Run it to see the graph, the circles and the imports that go against the stage order:

    python tests/support/import_graph.py [--edges]
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
# The stages bottom to top (STYLE.md, "The shape"): a package imports only packages before it.
# `review` and `onboarding` share a rank: neither imports the other.
STAGES: Mapping[str, int] = {
    "": 0,  # compiler/*.py: escaping, diagnostics, errors, limits, atomic
    "load": 1,
    "model": 2,
    "resolve": 3,
    "validate": 4,
    "render": 5,
    "review": 6,
    "onboarding": 6,
    "sync": 7,
    "remote": 8,
    "live": 9,
    "report": 10,
    "cli": 11,
}
DATA = {"schemas", "templates"}  # folders of data, at the foundation's rank


def modules(root: Path = REPO) -> dict[str, Path]:
    """Every module of compiler/ by dotted name (a package by its own name)."""
    found = {}
    for path in sorted((root / "compiler").rglob("*.py")):
        parts = list(path.relative_to(root).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def _targets(name: str, path: Path, node: ast.Import | ast.ImportFrom, known: Mapping[str, Path]) -> Iterator[str]:
    if isinstance(node, ast.Import):
        bases = [alias.name for alias in node.names]
    else:
        package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
        prefix = ".".join([*package[: len(package) - node.level + 1], node.module or ""]) if node.level else node.module
        bases = [f"{prefix}.{alias.name}".strip(".") for alias in node.names]
    for target in bases:
        while target and target not in known and "." in target:
            target = target.rsplit(".", 1)[0]
        if target in known and target != name:
            yield target


def edges(root: Path = REPO) -> dict[str, set[str]]:
    """Module -> the modules of compiler/ it imports, anywhere in its text."""
    known = modules(root)
    graph: dict[str, set[str]] = {name: set() for name in known}
    for name, path in known.items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import | ast.ImportFrom):
                graph[name].update(_targets(name, path, node, known))
    return graph


def circles(graph: Mapping[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for other in graph[node]:
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    sys.setrecursionlimit(max(10_000, sys.getrecursionlimit()))
    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def stage(module: str) -> str:
    """The stage package of a module: its first folder under compiler/ ("" for the foundation)."""
    parts = module.split(".")
    if module in ("compiler", "compiler.__main__") or (len(parts) == 2 and parts[1] not in STAGES):
        return ""
    return "" if parts[1] in DATA else parts[1]


def against_the_order(graph: Mapping[str, set[str]]) -> list[tuple[str, str]]:
    """Imports from a stage to one at its rank or above (the entry points excepted)."""
    wrong = []
    for module, targets in sorted(graph.items()):
        if module in ("compiler", "compiler.__main__"):
            continue
        for target in sorted(targets):
            here, there = stage(module), stage(target)
            if here != there and STAGES[there] >= STAGES[here]:
                wrong.append((module, target))
    return wrong


def main(argv: list[str]) -> int:
    graph = edges()
    if "--edges" in argv:
        for module, targets in sorted(graph.items()):
            print(module, "->", " ".join(sorted(targets)))
    found, wrong = circles(graph), against_the_order(graph)
    print(f"{len(graph)} modules, {sum(map(len, graph.values()))} imports")
    print("circles:", found or "none")
    print("against the stage order:", [f"{a} -> {b}" for a, b in wrong] or "none")
    return 1 if found or wrong else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
