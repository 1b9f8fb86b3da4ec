"""Command line: options -> one call into the core -> a reporter -> an exit code. No logic lives here."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import AstroGitopsError, ExitCode, InvalidEnvironments, OperationError, UsageError
from .escaping import one_line
from .reporters import (
    APPLY,
    DIAGNOSTICS,
    DIFF,
    EXPLAIN,
    IMPORT,
    INIT,
    MATRIX,
    RENDER,
    SCHEMA,
    SYNC_PLAN,
    VALIDATE,
    WHICH,
    Imported,
    Output,
    Rendered,
    Style,
)
from .streams import Unwritable, prepare, unwritable_exit, write

if TYPE_CHECKING:
    from _typeshed import SupportsWrite

    from .diagnostics import Diagnostic
    from .project import Project
    from .sync.apply import Step
    from .sync.session import Request

REPORT_URL = "https://github.com/astro-gitops/astro-gitops/issues"


def _find_root(start: Path) -> Path:
    """The git top level of `start` (found without importing git), else `start`."""
    for folder in (start, *start.parents):
        if (folder / ".git").exists():
            return folder
    return start


def _root(flag: Path | None) -> Path:
    """--root, else the git top level of the current folder (which may have been deleted)."""
    if flag is not None and flag.is_absolute():
        return flag.resolve()
    try:
        here = Path.cwd()
    except OSError as exc:
        raise OperationError(f"cannot use the current folder ({type(exc).__name__}); pass an absolute --root") from None
    return (here / flag if flag is not None else _find_root(here)).resolve()


# --- one session: where the output goes -------------------------------------------------


@dataclass(frozen=True)
class _Session:
    root: Path
    environ: Mapping[str, str]
    style: Style

    def show(self, output: Output) -> None:
        write("stdout", output.out)
        write("stderr", output.err)

    def diagnostics_format(self, requested: str | None) -> str:
        return _diagnostics_format(requested, self.environ)

    def valid_project(self, fmt: str) -> Project:
        """The validated project; its warnings on stderr, its errors raised."""
        from .project import validate_root

        project = validate_root(self.root)
        warnings = [d for d in project.diagnostics if not d.is_error]
        if project.ok and warnings:
            self.show(Output(err=DIAGNOSTICS.report(warnings, fmt, self.style).out))
        return project.require_valid()


@dataclass(frozen=True)
class _Console:
    """What plan, apply and preview show and ask as they go (sync.session.Console)."""

    s: _Session
    plan: Callable[[Any], None]  # shows the plan, in the command's format

    def project(self) -> Project:
        return self.s.valid_project("text")

    def diagnostics(self, found: Sequence[Diagnostic]) -> None:
        self.s.show(Output(err=DIAGNOSTICS.report(found, "text", self.s.style).out))

    def confirm(self, question: str) -> bool:
        return _confirmed(question)

    def step(self, step: Step, planned: Any) -> None:
        self.s.show(APPLY.report((step, planned), "step", self.s.style))


# --- the commands: options -> one core call -> a reporter -------------------------------


def _validate(args: argparse.Namespace, s: _Session) -> int:
    from .project import validate_root

    project = validate_root(s.root)
    s.show(VALIDATE.report(project, s.diagnostics_format(args.format), s.style))
    return ExitCode.OK if project.ok else ExitCode.INVALID


def _which(args: argparse.Namespace, s: _Session) -> int:
    from .pipeline import which

    found = which(s.valid_project("text"), s.root, args.branch, s.environ)
    if found.warnings:
        s.show(Output(err=DIAGNOSTICS.report(list(found.warnings), "text", s.style).out))
    s.show(WHICH.report(found, args.format, s.style))
    return ExitCode.OK


def _render(args: argparse.Namespace, s: _Session) -> int:
    from .pipeline import Selection, run_render

    fmt = s.diagnostics_format(args.format)
    project = s.valid_project(fmt)
    out = args.out if args.out is not None else s.root / "build"
    selection = Selection(branch=args.branch, deployment=args.deployment, all=args.all)
    result = run_render(
        project, s.root, selection, out, args.secrets, check=args.check, environ=s.environ, on_wait=_say_waiting
    )
    if result.warnings:
        s.show(Output(err=DIAGNOSTICS.report(result.warnings, fmt, s.style).out))
    s.show(RENDER.report(Rendered(result, out, args.check), None, s.style))
    return ExitCode.CHANGES if args.check and result.drift else ExitCode.OK


def _say_waiting(lock: Path) -> None:
    write(
        "stderr", f"astro-gitops: another render is writing into this folder; waiting for it ({one_line(str(lock))})\n"
    )


def _diff(args: argparse.Namespace, s: _Session) -> int:
    from .diff import diff

    plan = diff(s.root, args.base, args.head, args.deployment)
    s.show(DIFF.report(plan, args.format, s.style))
    return ExitCode.CHANGES if args.exit_code and plan.has_changes else ExitCode.OK


def _explain(args: argparse.Namespace, s: _Session) -> int:
    from .explain import explain

    s.show(EXPLAIN.report(explain(s.root, args.deployment, args.key, args.kind), None, s.style))
    return ExitCode.OK


def _matrix(args: argparse.Namespace, s: _Session) -> int:
    from .matrix import matrix

    s.show(MATRIX.report(matrix(s.root, args.since, s.environ), None, s.style))
    return ExitCode.OK


def _init(args: argparse.Namespace, s: _Session) -> int:
    from .onboarding.scaffold import init

    s.show(INIT.report(init(s.root, force=args.force, workspace=args.workspace), None, s.style))
    return ExitCode.OK


def _import(args: argparse.Namespace, s: _Session) -> int:
    from .onboarding.importer import display_name, import_file, parse_links

    links = parse_links(args.link) if args.link is not None else ()
    result = import_file(s.root, args.file.resolve(), links=links, force=args.force)
    elsewhere = Path.cwd().resolve() != s.root
    shown = display_name(s.root, args.file)
    s.show(IMPORT.report(Imported(result, shown, s.root if elsewhere else None, bool(links)), None, s.style))
    return ExitCode.OK


def _schema(args: argparse.Namespace, s: _Session) -> int:
    from .reports import schema_document

    s.show(SCHEMA.report(schema_document(args.name), None, s.style))
    return ExitCode.OK


def _plan(args: argparse.Namespace, s: _Session) -> int:
    from .sync import commands

    console = _Console(s, lambda planned: s.show(SYNC_PLAN.report(planned, args.format, s.style)))
    planned = commands.plan(_sync_request(args), s.root, s.environ, console).planned
    return ExitCode.CHANGES if args.exit_code and planned.plan.has_changes else ExitCode.OK


def _apply(args: argparse.Namespace, s: _Session) -> int:
    from .sync import commands
    from .sync.session import refuse_redact

    refuse_redact(args.secrets)
    if args.plan_file is None and not args.auto_approve and not sys.stdin.isatty():
        raise UsageError("apply asks for confirmation on a terminal: pass --auto-approve to apply without one")
    done = commands.apply(_sync_request(args), s.root, s.environ, _text_console(s))
    if done.applied is not None:
        s.show(APPLY.report((done.applied, done.planned), "outcome", s.style))
    return ExitCode.INVALID if done.applied is not None and not done.applied.ok else ExitCode.OK


def _sync_request(args: argparse.Namespace) -> Request:
    from .pipeline import Selection
    from .sync.session import Request

    return Request(
        Selection(branch=args.branch, deployment=args.deployment, all=args.all),
        secrets=args.secrets,
        adopt=args.adopt,
        airflow=args.airflow,
        out=getattr(args, "out", None),
        plan_file=getattr(args, "plan_file", None),
        auto_approve=getattr(args, "auto_approve", False),
    )


def _text_console(s: _Session) -> _Console:
    return _Console(s, lambda planned: s.show(SYNC_PLAN.report(planned, "text", s.style)))


def _confirmed(question: str = "Apply these changes?") -> bool:
    write("stdout", f"{question} Only 'yes' is accepted: ")
    return sys.stdin.readline().strip() == "yes"


def _preview(args: argparse.Namespace, s: _Session) -> int:
    from .sync.previewrun import preview

    if (args.action == "destroy") != (args.branch is not None):
        raise UsageError("preview destroy needs --branch B; preview prune takes no --branch")
    if not args.auto_approve and not sys.stdin.isatty():
        raise UsageError("preview asks for confirmation on a terminal: pass --auto-approve to delete without one")
    console = _text_console(s)
    done = preview(s.root, s.environ, console, branch=args.branch, remote=args.remote, auto_approve=args.auto_approve)
    if done.applied is not None:
        s.show(APPLY.report((done.applied, done.planned), "outcome", s.style))
    return ExitCode.INVALID if done.applied is not None and not done.applied.ok else ExitCode.OK


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


def _sync_options(sub: Mapping[str, argparse.ArgumentParser]) -> None:
    for name in ("plan", "apply"):
        parser = sub[name]
        if name == "apply":
            parser.add_argument("plan_file", nargs="?", type=Path, metavar="PLAN", help="a plan saved by plan --out")
        chosen = parser.add_mutually_exclusive_group()
        chosen.add_argument("--branch", metavar="B", help="the branch whose scope to sync (default: from CI or git)")
        chosen.add_argument("--deployment", metavar="D", help="only Deployment D's part and objects")
        chosen.add_argument("--all", action="store_true", help="everything the repository manages")
        parser.add_argument("--airflow", metavar="URL", help="sync one Deployment to this Airflow instead of Astro")
        parser.add_argument(
            "--secrets", default="env", metavar="MODE", help="env (default), dotenv:PATH, redact (plan)"
        )
        parser.add_argument("--adopt", action="store_true", help="take over unmarked live objects git defines")
    plan = sub["plan"]
    plan.add_argument("--format", choices=SYNC_PLAN.choices, default="text", help="output format (default: text)")
    plan.add_argument("--out", type=Path, metavar="PLAN", help="save the plan for apply PLAN")
    plan.add_argument("--exit-code", action="store_true", help="exit 3 when there are changes")
    sub["apply"].add_argument(
        "--auto-approve", action="store_true", help="apply without asking (needed off a terminal)"
    )


# --- the parser -----------------------------------------------------------------------


@dataclass(frozen=True)
class Command:
    """A subcommand: its handler, one line of help, an example, and the exit codes it uses."""

    run: Callable[[argparse.Namespace, _Session], int]
    help: str
    example: str
    codes: tuple[ExitCode, ...] = (ExitCode.OK, ExitCode.INVALID, ExitCode.USAGE, ExitCode.INTERNAL)


_CHANGES = (ExitCode.OK, ExitCode.INVALID, ExitCode.USAGE, ExitCode.CHANGES, ExitCode.INTERNAL)
COMMANDS: dict[str, Command] = {
    "validate": Command(_validate, "check every file; write nothing", "astro-gitops validate --format github"),
    "which": Command(_which, "print the Deployment the branch maps to", "astro-gitops which --branch feature/login"),
    "render": Command(
        _render,
        "render airflow_settings.yaml, deployment.yaml, environment-objects.json",
        "astro-gitops render --deployment production --check",
        _CHANGES,
    ),
    "diff": Command(
        _diff,
        "per-Deployment plan of changes between two git refs",
        'astro-gitops diff origin/main --format markdown >> "$GITHUB_STEP_SUMMARY"',
        _CHANGES,
    ),
    "explain": Command(
        _explain,
        "every field of a resolved object and the layers that set it",
        "astro-gitops explain production snowflake_default",
    ),
    "matrix": Command(
        _matrix, "JSON for a GitHub Actions matrix of Deployments", "astro-gitops matrix --since origin/main"
    ),
    "init": Command(_init, "scaffold environments/, a pre-commit entry and a workflow", "astro-gitops init"),
    "import": Command(
        _import,
        "convert an Astro airflow_settings.yaml into environments/ files",
        "astro-gitops import airflow_settings.yaml --link production",
    ),
    "schema": Command(_schema, "print a JSON Schema", "astro-gitops schema deployment > deployment.schema.json"),
    "plan": Command(
        _plan,
        "read live Astro, write nothing, print what apply would change",
        "astro-gitops plan --out plan.json",
        _CHANGES,
    ),
    "apply": Command(_apply, "make live Astro match the repository for the scope", "astro-gitops apply plan.json"),
    "preview": Command(
        _preview,
        "delete managed preview Deployments: destroy one branch's, or prune those whose branch is gone",
        "astro-gitops preview prune --remote origin --auto-approve",
    ),
}
_SCHEMAS = ("workspace", "objects", "deployment", "validate-report", "which-report", "matrix-report", "diff-report")


class _Parser(argparse.ArgumentParser):
    """argparse, but a help or usage text that cannot be written is not silently lost."""

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
    """--version: read from the installed package's metadata, only when asked for."""

    def __init__(self, option_strings: Sequence[str], dest: str, **kwargs: Any) -> None:
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS, help=kwargs.get("help"))

    def __call__(self, parser: argparse.ArgumentParser, *args: object) -> None:
        from importlib.metadata import PackageNotFoundError, version

        try:
            found = version("astro-gitops")
        except PackageNotFoundError:
            found = "(not installed)"
        write("stdout", f"astro-gitops {found}\n")
        parser.exit()


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="astro-gitops",
        description="GitOps configuration compiler for Astronomer Astro.",
        formatter_class=_Help,
        epilog=_epilog(list(ExitCode), "astro-gitops validate && astro-gitops render --all"),
    )
    parser.add_argument("--version", action=_Version, help="print the version and exit")
    parser.add_argument(
        "--root", type=Path, metavar="DIR", help="the folder holding environments/ (default: git top level, else .)"
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    sub = {
        name: commands.add_parser(
            name, help=c.help, description=c.help, formatter_class=_Help, epilog=_epilog(c.codes, c.example)
        )
        for name, c in COMMANDS.items()
    }
    _options(sub)
    return parser


def _options(sub: Mapping[str, argparse.ArgumentParser]) -> None:
    default = "(default: github under GITHUB_ACTIONS=true, else text)"
    sub["validate"].add_argument("--format", choices=DIAGNOSTICS.choices, help=f"output format {default}")

    which = sub["which"]
    which.add_argument("--branch", metavar="B", help="the branch (default: from CI variables or git)")
    which.add_argument("--format", choices=WHICH.choices, default="text", help="output format (default: text)")

    render = sub["render"]
    chosen = render.add_mutually_exclusive_group()
    chosen.add_argument("--branch", metavar="B", help="render the Deployment this branch maps to (default)")
    chosen.add_argument("--deployment", metavar="D", help="render the Deployment named D")
    chosen.add_argument("--all", action="store_true", help="render every Deployment")
    render.add_argument("--out", type=Path, metavar="DIR", help="output folder (default: build/ under --root)")
    render.add_argument("--secrets", default="redact", metavar="MODE", help="redact (default), env, or dotenv:PATH")
    render.add_argument("--check", action="store_true", help="write nothing; show a diff and exit 3 on drift")
    render.add_argument("--format", choices=DIAGNOSTICS.choices, help=f"diagnostics format {default}")

    diff = sub["diff"]
    diff.add_argument("base", metavar="BASE", help="the git ref to compare from")
    diff.add_argument("head", metavar="HEAD", nargs="?", help="the git ref to compare to (default: working tree)")
    diff.add_argument("--format", choices=DIFF.choices, default="text", help="output format (default: text)")
    diff.add_argument("--exit-code", action="store_true", help="exit 3 when there are changes")
    diff.add_argument("--deployment", metavar="D", help="only the Deployment named D")

    explain = sub["explain"]
    explain.add_argument("deployment", metavar="DEPLOYMENT", help="the Deployment whose object to explain")
    explain.add_argument("key", metavar="KEY", help="the connection id, variable key or pool name")
    explain.add_argument(
        "--kind", choices=("connection", "variable", "pool"), metavar="KIND", help="connection, variable or pool"
    )

    sub["matrix"].add_argument(
        "--since", metavar="REF", help="only Deployments whose rendered output changed since REF"
    )
    sub["init"].add_argument("--force", action="store_true", help="replace files that exist")
    sub["init"].add_argument(
        "--workspace", metavar="NAME", help="the Astro workspace name (default: a placeholder to fill in)"
    )

    importer = sub["import"]
    importer.add_argument("file", metavar="FILE", type=Path, help="the Astro CLI airflow_settings.yaml to read")
    importer.add_argument("--link", metavar="all|D1,D2", help="link imported objects to all or D1,D2 (default: none)")
    importer.add_argument("--force", action="store_true", help="replace files that exist")

    _sync_options(sub)
    _preview_options(sub["preview"])

    sub["schema"].add_argument(
        "name",
        nargs="?",
        choices=_SCHEMAS,
        metavar="NAME",
        help="workspace, objects, deployment (default: all three), or validate|which|matrix|diff-report",
    )


# --- main: the one place that maps outcomes to exit codes ---------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    prepare()
    try:
        return _main(argv)
    except Unwritable as exc:
        return unwritable_exit(exc)


def _main(argv: Sequence[str] | None) -> int:
    environ = dict(os.environ)
    try:
        args = _parser().parse_args(argv)
    except SystemExit as exc:  # argparse: --help, --version (0) or bad usage (2)
        return int(exc.code or 0)
    if sys.stdout is None:  # closed before we started (`>&-`): our output has nowhere to go
        raise Unwritable("stdout", None)
    terminal = sys.stdout.isatty()
    style = Style(terminal, terminal and "NO_COLOR" not in environ, environ.get("GITHUB_ACTIONS") == "true")
    try:
        return COMMANDS[args.command].run(args, _Session(_root(args.root), environ, style))
    except InvalidEnvironments as exc:
        requested = getattr(args, "format", None)
        fmt = "text" if requested == "json" and args.command != "validate" else requested
        write("stderr", DIAGNOSTICS.report(exc.diagnostics, _diagnostics_format(fmt, environ), style).out)
        return ExitCode.INVALID
    except AstroGitopsError as exc:
        details = "".join(f"{one_line(line)}\n" for line in exc.details)
        write("stderr", f"astro-gitops: error: {one_line(str(exc))}\n{details}")
        return exc.exit_code
    except KeyboardInterrupt:
        return ExitCode.INTERRUPTED
    except Unwritable:
        raise  # main() answers it: the output cannot be delivered, which is no bug
    except BrokenPipeError as exc:
        # The reader went away (`| head`): not a bug.
        raise Unwritable("stdout", exc) from None
    except Exception as exc:
        # Only the exception's type: its message could quote a secret value.
        write("stderr", f"astro-gitops: internal error ({type(exc).__name__}); please report it at {REPORT_URL}\n")
        return ExitCode.INTERNAL


def _diagnostics_format(requested: str | None, environ: Mapping[str, str]) -> str:
    """The requested format when diagnostics have it (not diff's `markdown`), else the default."""
    if requested in DIAGNOSTICS.choices:
        return requested
    return "github" if environ.get("GITHUB_ACTIONS") == "true" else "text"
