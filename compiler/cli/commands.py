"""The commands: options -> one core call -> a reporter -> an exit code, and their registry."""

from __future__ import annotations

import argparse
import gc
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from compiler.cli.streams import write
from compiler.errors import ExitCode, OperationError, UsageError
from compiler.escaping import one_line
from compiler.model.frozen import frozen
from compiler.report.registry import (
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

if TYPE_CHECKING:
    from compiler.diagnostics import Diagnostic
    from compiler.live.session import Request
    from compiler.onboarding.installspec import InstallSpec
    from compiler.sync.apply import Step
    from compiler.validate.project import Project


def _find_root(start: Path) -> Path:
    """The git top level of `start` (found without importing git), else `start`."""
    for folder in (start, *start.parents):
        if (folder / ".git").exists():
            return folder
    return start


def root_of(flag: Path | None) -> Path:
    """--root, else the git top level of the current folder (which may have been deleted)."""
    if flag is not None and flag.is_absolute():
        return flag.resolve()
    try:
        here = Path.cwd()
    except OSError as exc:
        raise OperationError(f"cannot use the current folder ({type(exc).__name__}); pass an absolute --root") from None
    return (here / flag if flag is not None else _find_root(here)).resolve()


# --- one session: where the output goes -------------------------------------------------


@frozen
class Session:
    """Where a command runs and where its output goes."""

    root: Path
    environ: Mapping[str, str]
    style: Style

    def show(self, output: Output) -> None:
        write("stdout", output.masks, checked=True)
        write("stdout", output.out, checked=output.checked)
        write("stderr", output.err)

    def diagnostics_format(self, requested: str | None) -> str:
        return diagnostics_format(requested, self.environ)

    def valid_project(self, fmt: str, *, keep_resolved: bool = False) -> Project:
        """The validated project; its warnings on stderr, its errors raised (`keep_resolved`:
        validate.project.validate's, for a command that resolves every Deployment next)."""
        from compiler.validate.project import validate_root

        # Checked, not kept unless asked: each command resolves the Deployments it needs, render --all one at
        # a time (holding all of them was most of its peak memory, issue 26).
        project = validate_root(self.root, keep_resolved=keep_resolved)
        # The validated project lives until exit: the collector need not scan it again.
        gc.freeze()
        warnings = [d for d in project.diagnostics if not d.is_error]
        if project.ok and warnings:
            self.show(Output(err=DIAGNOSTICS.report(warnings, fmt, self.style).out))
        return project.require_valid()


@frozen
class _Console:
    """What plan, apply and preview show and ask as they go (sync.session.Console)."""

    s: Session
    plan: Callable[[Any], None]  # shows the plan, in the command's format
    # Set when there is no terminal to ask on and no --auto-approve: confirm (reached only after
    # the plan was shown, and only when there is something to do) is this usage error (exit 2).
    unasked: str | None = None

    def project(self, *, resolved: bool = False) -> Project:
        return self.s.valid_project("text", keep_resolved=resolved)

    def diagnostics(self, found: Sequence[Diagnostic]) -> None:
        self.s.show(Output(err=DIAGNOSTICS.report(found, "text", self.s.style).out))

    def confirm(self, question: str) -> bool:
        if self.unasked is not None:
            raise UsageError(self.unasked)
        return _confirmed(question)

    def step(self, step: Step, planned: Any) -> None:
        self.s.show(APPLY.report((step, planned), "step", self.s.style))

    def progress(self, text: str) -> None:
        self.s.show(Output(err=f"{text}\n"))


# --- the commands: options -> one core call -> a reporter -------------------------------


def _validate(args: argparse.Namespace, s: Session) -> int:
    from compiler.validate.project import validate_root

    project = validate_root(s.root, keep_resolved=False)
    # As in Session.valid_project: what the run made lives until exit, where the interpreter's
    # last full collection would scan all of it (3.5 to 5.5 ms of a cold validate of the example).
    gc.freeze()
    s.show(VALIDATE.report(project, s.diagnostics_format(args.format), s.style))
    return ExitCode.OK if project.ok else ExitCode.INVALID


def _which(args: argparse.Namespace, s: Session) -> int:
    from compiler.render.pipeline import which

    found = which(s.valid_project("text"), s.root, args.branch, s.environ)
    if found.warnings:
        s.show(Output(err=DIAGNOSTICS.report(list(found.warnings), "text", s.style).out))
    s.show(WHICH.report(found, args.format, s.style))
    return ExitCode.OK


def _render(args: argparse.Namespace, s: Session) -> int:
    from compiler.render.pipeline import Selection, run_render

    fmt = s.diagnostics_format(args.format)
    project = s.valid_project(fmt).without_parsed_data()
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


def _diff(args: argparse.Namespace, s: Session) -> int:
    from compiler.review.diff import diff

    plan = diff(s.root, args.base, args.head, args.deployment)
    s.show(DIFF.report(plan, args.format, s.style))
    return ExitCode.CHANGES if args.exit_code and plan.has_changes else ExitCode.OK


def _explain(args: argparse.Namespace, s: Session) -> int:
    from compiler.review.explain import explain

    explained = explain(s.root, args.deployment, args.key, args.kind, branch=args.branch, environ=s.environ)
    s.show(EXPLAIN.report(explained, None, s.style))
    return ExitCode.OK


def _matrix(args: argparse.Namespace, s: Session) -> int:
    from compiler.review.matrix import matrix

    s.show(MATRIX.report(matrix(s.root, args.since, s.environ), None, s.style))
    return ExitCode.OK


def _init(args: argparse.Namespace, s: Session) -> int:
    from compiler.onboarding.scaffold import init

    install = _install_option(args.install)
    _check_owner(args.owner)
    done = init(
        s.root, force=args.force, workspace=args.workspace, install=install, deploy=args.deploy, owner=args.owner
    )
    s.show(INIT.report(done, None, s.style))
    return ExitCode.OK


def _install_option(text: str | None) -> InstallSpec | None:
    """`init --install SPEC`; a bad spec is a usage error (exit 2)."""
    from compiler.onboarding.installspec import parse_install

    try:
        return parse_install(text) if text is not None else None
    except ValueError as exc:
        raise UsageError(f"argument --install: {exc}") from None


def _check_owner(owner: str | None) -> None:
    """`init --owner OWNER` must be a valid sync.owner (schemas/workspace.schema.json)."""
    from compiler.onboarding.scaffold import OWNER

    if owner is not None and not OWNER.fullmatch(owner):
        raise UsageError("argument --owner: 1 to 64 letters, digits, `_`, `.` or `-`, starting with a letter or digit")


def _import(args: argparse.Namespace, s: Session) -> int:
    from compiler.onboarding.dotenvfile import refuse_unless_ignored, write_secrets
    from compiler.onboarding.example import retire_example
    from compiler.onboarding.importer import display_name, import_file, parse_links

    links = parse_links(args.link) if args.link is not None else ()
    dotenv: Path | None = args.dotenv
    if dotenv is not None:
        refuse_unless_ignored(dotenv, s.root)  # before anything is written
    result = import_file(s.root, args.file.absolute(), links=links, force=args.force)
    retired = retire_example(s.root)
    written = write_secrets(dotenv, result.secrets, s.root) if dotenv is not None and result.secrets else None
    elsewhere = Path.cwd().resolve() != s.root
    shown = display_name(s.root, args.file)
    imported = Imported(result, shown, s.root if elsewhere else None, bool(links), written, retired)
    s.show(IMPORT.report(imported, None, s.style))
    return ExitCode.OK


def _import_or_adopt(args: argparse.Namespace, s: Session) -> int:
    """import FILE, or import --from-astro / --from-airflow URL --deployment D (SPEC 4)."""
    from compiler.live.adopt_command import adopt
    from compiler.report.registry import ADOPTED

    live = args.from_astro or args.from_airflow is not None
    if live == (args.file is not None):
        raise UsageError("import needs FILE, or --from-astro, or --from-airflow URL --deployment D (one of them)")
    if not live:
        if args.workspace is not None or args.deployment is not None:
            raise UsageError("--workspace and --deployment go with --from-astro and --from-airflow, not FILE")
        return _import(args, s)
    adopted = adopt(
        s.root,
        s.environ,
        from_airflow=args.from_airflow,
        workspace=args.workspace,
        deployment=args.deployment,
        dotenv=args.dotenv,
        force=args.force,
    )
    s.show(ADOPTED.report(adopted, None, s.style))
    return ExitCode.OK


def _schema(args: argparse.Namespace, s: Session) -> int:
    from compiler.report.documents import schema_document

    s.show(SCHEMA.report(schema_document(args.name), None, s.style))
    return ExitCode.OK


def _plan(args: argparse.Namespace, s: Session) -> int:
    from compiler.live import commands

    console = _Console(s, lambda planned: s.show(SYNC_PLAN.report(planned, args.format, s.style)))
    planned = commands.plan(_sync_request(args), s.root, s.environ, console).planned
    return ExitCode.CHANGES if args.exit_code and planned.plan.has_changes else ExitCode.OK


def _apply(args: argparse.Namespace, s: Session) -> int:
    from compiler.live import commands
    from compiler.live.session import refuse_redact

    refuse_redact(args.secrets)
    if args.plan_file is None and not args.auto_approve and not sys.stdin.isatty():
        raise UsageError("apply asks for confirmation on a terminal: pass --auto-approve to apply without one")
    done = commands.apply(_sync_request(args), s.root, s.environ, _text_console(s))
    if done.applied is not None:
        s.show(APPLY.report((done.applied, done.planned), "outcome", s.style))
    return ExitCode.INVALID if done.applied is not None and not done.applied.ok else ExitCode.OK


def _sync_request(args: argparse.Namespace) -> Request:
    from compiler.live.session import Request
    from compiler.render.pipeline import Selection

    if args.airflow and not args.deployment and getattr(args, "plan_file", None) is None:
        # SPEC 7.7: never a default target (on main, the branch's Deployment is production).
        raise UsageError("--airflow needs --deployment D: name the Deployment whose objects this Airflow gets")

    return Request(
        Selection(branch=args.branch, deployment=args.deployment, all=args.all),
        secrets=args.secrets,
        adopt=args.adopt,
        airflow=args.airflow,
        out=getattr(args, "out", None),
        plan_file=getattr(args, "plan_file", None),
        auto_approve=getattr(args, "auto_approve", False),
    )


def _text_console(s: Session, unasked: str | None = None) -> _Console:
    return _Console(s, lambda planned: s.show(SYNC_PLAN.report(planned, "text", s.style)), unasked)


def _confirmed(question: str = "Apply these changes?") -> bool:
    write("stdout", f"{question} Only 'yes' is accepted: ")
    return sys.stdin.readline().strip() == "yes"


def _preview(args: argparse.Namespace, s: Session) -> int:
    from compiler.live.preview_run import preview

    if (args.action == "destroy") != (args.branch is not None):
        raise UsageError("preview destroy needs --branch B; preview prune takes no --branch")
    # Off a terminal without --auto-approve: refused (exit 2), but after the list of what it would
    # delete (each preview with its branch), as terraform destroy shows its plan before it asks.
    unasked = None
    if not args.auto_approve and not sys.stdin.isatty():
        unasked = "preview asks for confirmation on a terminal: pass --auto-approve to delete the above without one"
    console = _text_console(s, unasked)
    done = preview(s.root, s.environ, console, branch=args.branch, remote=args.remote, auto_approve=args.auto_approve)
    if done.applied is not None:
        s.show(APPLY.report((done.applied, done.planned), "outcome", s.style))
    return ExitCode.INVALID if done.applied is not None and not done.applied.ok else ExitCode.OK


@frozen
class Command:
    """A subcommand: its handler, one line of help, an example, and the exit codes it uses."""

    run: Callable[[argparse.Namespace, Session], int]
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
        _import_or_adopt,
        "convert an Astro airflow_settings.yaml into environments/ files",
        "astro-gitops import airflow_settings.yaml --link development --dotenv .env",
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


def diagnostics_format(requested: str | None, environ: Mapping[str, str]) -> str:
    """The requested format when diagnostics have it (not diff's `markdown`), else the default."""
    if requested in DIAGNOSTICS.choices:
        return requested
    return "github" if environ.get("GITHUB_ACTIONS") == "true" else "text"
