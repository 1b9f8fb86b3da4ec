"""The reporter registry: every command's output has one home, and the CLI only wires it."""

from __future__ import annotations

import ast
import inspect

from conftest import REPO

from compiler import cli
from compiler.cli import parser as cli_parser
from compiler.report.registry import REPORTERS

COMPILER = REPO / "compiler"


def _imports(module: str) -> set[str]:
    tree = ast.parse((COMPILER / f"{module}.py").read_text(encoding="utf-8"))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            found |= {node.module or ""} | {f"{node.module or ''}.{a.name}".lstrip(".") for a in node.names}
        elif isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
    return found


def test_every_command_has_a_reporter_and_its_format_choices_come_from_it() -> None:
    assert set(cli.COMMANDS) == set(REPORTERS)
    parser = cli_parser.build_parser()
    commands = parser._subparsers._group_actions[0].choices  # type: ignore[union-attr]
    for name, sub in commands.items():
        formats = [a for a in sub._actions if "--format" in a.option_strings]
        if formats and name not in ("validate", "render"):  # these two print diagnostics in the format
            assert tuple(formats[0].choices) == REPORTERS[name].choices, name


def test_diagnostics_does_not_reach_back_into_reports() -> None:
    assert not {name for name in _imports("diagnostics") if "reports" in name}


def test_no_cli_handler_formats_output() -> None:
    """Handlers hand a result to a reporter: no write, print or f-string of output in them."""
    for name, command in cli.COMMANDS.items():
        source = inspect.getsource(command.run)
        assert ".report(" in source, name
        assert "write(" not in source and "print(" not in source, name
        assert not [n for n in ast.walk(ast.parse(source)) if isinstance(n, ast.JoinedStr)], name
