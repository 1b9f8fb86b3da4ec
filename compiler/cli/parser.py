"""The argparse parser: every command's options, help, exit codes and example."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from compiler.cli import options
from compiler.cli.streams import write
from compiler.errors import ExitCode
from compiler.report.registry import (
    DIAGNOSTICS,
    DIFF,
    SYNC_PLAN,
    WHICH,
)

if TYPE_CHECKING:
    from _typeshed import SupportsWrite


from compiler.cli.commands import COMMANDS

_SCHEMAS = ("workspace", "objects", "deployment", "validate-report", "which-report", "matrix-report", "diff-report")


class _Parser(argparse.ArgumentParser):
    """argparse, but a help or usage text that cannot be written is not silently lost."""

    def _add_action(self, action: Any) -> Any:
        # An explicit value is checked, never taken for an absent one (`--branch ''`).
        return super()._add_action(options.checked(action))

    def _print_message(self, message: str, file: SupportsWrite[str] | None = None) -> None:
        # argparse passes sys.stdout for --help (None when it is closed), sys.stderr for errors.
        write("stderr" if file is not None and file is sys.stderr else "stdout", message)


class _Help(argparse.RawDescriptionHelpFormatter):
    """One line per option: wide enough that no option's help wraps."""

    def __init__(self, prog: str) -> None:
        super().__init__(prog, max_help_position=36, width=120)


def _epilog(codes: Sequence[ExitCode], example: str) -> str:
    lines = ["exit codes:", *(f"  {int(code):<3} {code.meaning}" for code in codes)]
    return "\n".join([*lines, "", "example:", f"  {example}"])


class _Version(argparse.Action):
    """--version: compiler.__version__, the one source (the package metadata is built from it)."""

    def __init__(self, option_strings: Sequence[str], dest: str, **kwargs: Any) -> None:
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS, help=kwargs.get("help"))

    def __call__(self, parser: argparse.ArgumentParser, *args: object) -> None:
        from compiler import __version__

        write("stdout", f"astro-gitops {__version__}\n")
        parser.exit()


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The whole command line: global options and one subparser per command of the registry.

    With `command` (a name of COMMANDS, see `named_command`), only that command's subparser:
    the others are never used by a parse that runs `command`, and building all thirteen with
    their options and translated help strings cost every cold start ~5 ms (issue 26).
    """
    found = _Parser(
        prog="astro-gitops",
        description="GitOps configuration compiler for Astronomer Astro.",
        formatter_class=_Help,
        epilog=_epilog(list(ExitCode), "astro-gitops validate && astro-gitops render --all"),
    )
    found.add_argument("--version", action=_Version, help="print the version and exit")
    found.add_argument(
        "--root", type=Path, metavar="DIR", help="the folder holding environments/ (default: git top level, else .)"
    )
    commands = found.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, c in COMMANDS.items():
        if command is None or name == command:
            sub = commands.add_parser(
                name, help=c.help, description=c.help, formatter_class=_Help, epilog=_epilog(c.codes, c.example)
            )
            _OPTIONS[name](sub)
    return found


def named_command(argv: Sequence[str]) -> str | None:
    """The command `argv` runs, when it is plain which: else None (build the whole parser).

    Plain: only `--root DIR` (or `--root=DIR`, or an abbreviation argparse accepts) and
    `--version` before a name of COMMANDS. Anything else (-h, an unknown option, `--`, an
    unknown command) may make argparse print the list of commands, so it gets all of them.
    """
    rest = iter(argv)
    for arg in rest:
        option = arg.split("=", 1)[0]
        if len(option) > 2 and "--root".startswith(option):
            if "=" not in arg:
                next(rest, None)
        elif not (len(option) > 2 and "--version".startswith(option)):
            return arg if arg in COMMANDS else None
    return None


def _validate_options(validate: argparse.ArgumentParser) -> None:
    validate.add_argument("--format", choices=DIAGNOSTICS.choices, help=f"output format {_DEFAULT_FORMAT}")


_DEFAULT_FORMAT = "(default: github under GITHUB_ACTIONS=true, else text)"


def _which_options(which: argparse.ArgumentParser) -> None:
    which.add_argument("--branch", metavar="B", help="the branch (default: from CI variables or git)")
    which.add_argument("--format", choices=WHICH.choices, default="text", help="output format (default: text)")


def _render_options(render: argparse.ArgumentParser) -> None:
    chosen = render.add_mutually_exclusive_group()
    chosen.add_argument("--branch", metavar="B", help="render the Deployment this branch maps to (default)")
    chosen.add_argument("--deployment", metavar="D", help="render the Deployment named D")
    chosen.add_argument("--all", action="store_true", help="render every Deployment")
    render.add_argument("--out", type=Path, metavar="DIR", help="output folder (default: build/ under --root)")
    render.add_argument("--secrets", default="redact", metavar="MODE", help="redact (default), env, or dotenv:PATH")
    render.add_argument("--check", action="store_true", help="write nothing; show a diff and exit 3 on drift")
    render.add_argument("--format", choices=DIAGNOSTICS.choices, help=f"diagnostics format {_DEFAULT_FORMAT}")


def _diff_options(diff: argparse.ArgumentParser) -> None:
    diff.add_argument("base", metavar="BASE", help="the git ref to compare from")
    diff.add_argument("head", metavar="HEAD", nargs="?", help="the git ref to compare to (default: working tree)")
    diff.add_argument("--format", choices=DIFF.choices, default="text", help="output format (default: text)")
    diff.add_argument("--exit-code", action="store_true", help="exit 3 when there are changes")
    diff.add_argument("--deployment", metavar="D", help="only the Deployment named D")


def _explain_options(explain: argparse.ArgumentParser) -> None:
    explain.add_argument(
        "deployment",
        metavar="DEPLOYMENT",
        nargs="?",
        help="the Deployment (or the current branch's preview, by name) whose object to explain",
    )
    explain.add_argument("key", metavar="KEY", help="the connection id, variable key or pool name")
    explain.add_argument(
        "--kind", choices=("connection", "variable", "pool"), metavar="KIND", help="connection, variable or pool"
    )
    explain.add_argument("--branch", metavar="B", help="explain in what branch B maps to (a Deployment or preview)")


def _matrix_options(matrix: argparse.ArgumentParser) -> None:
    matrix.add_argument("--since", metavar="REF", help="only Deployments whose rendered output changed since REF")


def _init_options(init: argparse.ArgumentParser) -> None:
    init.add_argument("--force", action="store_true", help="replace files that exist")
    init.add_argument(
        "--workspace", metavar="NAME", help="the Astro workspace name (default: a placeholder to fill in)"
    )
    init.add_argument("--owner", metavar="OWNER", help="sync.owner (default: the repository folder's name)")
    init.add_argument(
        "--install", metavar="SPEC", help="what CI and the hook pip-install (default: astro-gitops==<this version>)"
    )
    init.add_argument("--deploy", action="store_true", help="a workflow that also applies to Astro")


def _import_options(importer: argparse.ArgumentParser) -> None:
    importer.add_argument(
        "file", nargs="?", metavar="FILE", type=Path, help="the Astro CLI airflow_settings.yaml to read"
    )
    importer.add_argument("--link", metavar="all|D1,D2", help="link imported objects to all or D1,D2 (default: none)")
    importer.add_argument("--force", action="store_true", help="replace files that exist")
    importer.add_argument(
        "--dotenv",
        metavar="FILE",
        type=Path,
        help="write the secret values to FILE (git-ignored, mode 0600) instead of printing them",
    )
    _live_import_options(importer)


def _schema_options(schema: argparse.ArgumentParser) -> None:
    schema.add_argument(
        "name",
        nargs="?",
        choices=_SCHEMAS,
        metavar="NAME",
        help="workspace, objects, deployment (default: all three), or validate|which|matrix|diff-report",
    )


def _live_import_options(importer: argparse.ArgumentParser) -> None:
    """import --from-astro / --from-airflow URL: environments/ from a live workspace (SPEC 4)."""
    source = importer.add_mutually_exclusive_group()
    source.add_argument("--from-astro", action="store_true", help="read the live Astro workspace instead of FILE")
    source.add_argument("--from-airflow", metavar="URL", help="read this Airflow's objects as Deployment D's")
    importer.add_argument("--workspace", metavar="NAME", help="--from-astro: the workspace (default: workspace.yaml's)")
    importer.add_argument("--deployment", metavar="D", help="--from-airflow: the Deployment the objects belong to")


def _preview_options(preview: argparse.ArgumentParser) -> None:
    preview.add_argument(
        "action",
        choices=("destroy", "prune"),
        metavar="ACTION",
        help="destroy: branch B's preview and its objects; prune: those whose branch the remote lost",
    )
    preview.add_argument("--branch", metavar="B", help="destroy: the full branch name the preview's marker records")
    preview.add_argument(
        "--remote", default="origin", metavar="NAME", help="prune: the git remote to ask (default: origin)"
    )
    preview.add_argument("--auto-approve", action="store_true", help="delete without asking (needed off a terminal)")


def _sync_scope_options(parser: argparse.ArgumentParser) -> None:
    chosen = parser.add_mutually_exclusive_group()
    chosen.add_argument("--branch", metavar="B", help="the branch whose scope to sync (default: from CI or git)")
    chosen.add_argument("--deployment", metavar="D", help="only Deployment D's part and objects")
    chosen.add_argument("--all", action="store_true", help="everything the repository manages")
    parser.add_argument("--airflow", metavar="URL", help="sync one Deployment to this Airflow instead of Astro")
    parser.add_argument("--secrets", default="env", metavar="MODE", help="env (default), dotenv:PATH, redact (plan)")
    parser.add_argument("--adopt", action="store_true", help="take over unmarked live objects git defines")


def _plan_options(plan: argparse.ArgumentParser) -> None:
    _sync_scope_options(plan)
    plan.add_argument("--format", choices=SYNC_PLAN.choices, default="text", help="output format (default: text)")
    plan.add_argument("--out", type=Path, metavar="PLAN", help="save the plan for apply PLAN")
    plan.add_argument("--exit-code", action="store_true", help="exit 3 when there are changes")


def _apply_options(apply: argparse.ArgumentParser) -> None:
    apply.add_argument("plan_file", nargs="?", type=Path, metavar="PLAN", help="a plan saved by plan --out")
    _sync_scope_options(apply)
    apply.add_argument("--auto-approve", action="store_true", help="apply without asking (needed off a terminal)")


_OPTIONS: dict[str, Callable[[argparse.ArgumentParser], None]] = {
    "validate": _validate_options,
    "which": _which_options,
    "render": _render_options,
    "diff": _diff_options,
    "explain": _explain_options,
    "matrix": _matrix_options,
    "init": _init_options,
    "import": _import_options,
    "schema": _schema_options,
    "plan": _plan_options,
    "apply": _apply_options,
    "preview": _preview_options,
}
