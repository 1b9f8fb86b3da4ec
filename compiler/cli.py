"""Command line: options -> one call into the core -> an exit code. No logic lives here."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, TextIO

from .errors import AstroGitopsError, InvalidEnvironments, OperationError, UsageError

EXIT_OK, EXIT_INVALID, EXIT_USAGE, EXIT_CHANGES, EXIT_INTERNAL = 0, 1, 2, 3, 70
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


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="astro-gitops", description="GitOps configuration compiler for Astronomer Astro."
    )
    parser.add_argument(
        "--root", type=Path, help="the folder holding environments/ (default: the git top level, else .)"
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    validate = commands.add_parser("validate", help="check every file; write nothing")
    validate.add_argument("--format", choices=("text", "json", "github"))

    which = commands.add_parser("which", help="print the Deployment the branch maps to")
    which.add_argument("--branch")
    which.add_argument("--format", choices=("text", "json"), default="text")

    render = commands.add_parser(
        "render", help="render airflow_settings.yaml, deployment.yaml, environment-objects.json"
    )
    chosen = render.add_mutually_exclusive_group()
    chosen.add_argument("--branch")
    chosen.add_argument("--deployment")
    chosen.add_argument("--all", action="store_true")
    render.add_argument("--out", type=Path, help="output folder (default: build/ under --root)")
    render.add_argument("--secrets", default="redact", metavar="MODE", help="redact (default), env, or dotenv:PATH")
    render.add_argument(
        "--check", action="store_true", help="write nothing; exit 3 and show a diff when files would change"
    )
    render.add_argument("--format", choices=("text", "json", "github"))

    diff = commands.add_parser("diff", help="per-Deployment plan of changes between two git refs")
    diff.add_argument("base", metavar="BASE")
    diff.add_argument("head", metavar="HEAD", nargs="?", help="default: the working tree")
    diff.add_argument("--format", choices=("text", "markdown", "json"), default="text")
    diff.add_argument("--exit-code", action="store_true", help="exit 3 when there are changes")
    diff.add_argument("--deployment")

    explain = commands.add_parser("explain", help="every field of a resolved object and the layers that set it")
    explain.add_argument("deployment", metavar="DEPLOYMENT")
    explain.add_argument("key", metavar="KEY")
    explain.add_argument("--kind", choices=("connection", "variable", "pool"))

    matrix = commands.add_parser("matrix", help="JSON for a GitHub Actions matrix of Deployments")
    matrix.add_argument("--since", metavar="REF", help="only Deployments whose rendered output changed since REF")

    init = commands.add_parser("init", help="scaffold environments/, a pre-commit entry and a workflow")
    init.add_argument("--force", action="store_true", help="replace files that exist")

    importer = commands.add_parser("import", help="convert an Astro airflow_settings.yaml into environments/ files")
    importer.add_argument("file", metavar="FILE", type=Path)
    importer.add_argument("--links", default="all", help="what imported objects link to: all (default) or D1,D2")
    importer.add_argument("--force", action="store_true", help="replace files that exist")

    _sync_parsers(commands)

    schema = commands.add_parser("schema", help="print a JSON Schema")
    schema.add_argument(
        "name",
        nargs="?",
        choices=(
            "workspace",
            "objects",
            "deployment",
            "validate-report",
            "which-report",
            "matrix-report",
            "diff-report",
        ),
        help="an input schema (default: all three), or the schema of a JSON output",
    )
    return parser


def _sync_parsers(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    for name, text in (
        ("plan", "read live Astro, write nothing, print what apply would change"),
        ("apply", "make live Astro match the repository for the scope"),
    ):
        sub = commands.add_parser(name, help=text)
        if name == "apply":
            sub.add_argument("plan_file", nargs="?", type=Path, metavar="PLAN", help="a plan saved by plan --out")
        chosen = sub.add_mutually_exclusive_group()
        chosen.add_argument("--branch", help="the branch whose scope to sync (default: the checked-out one)")
        chosen.add_argument("--deployment", help="only this Deployment's part")
        chosen.add_argument("--all", action="store_true", help="everything the repository manages")
        sub.add_argument(
            "--airflow",
            metavar="URL",
            help="target this Airflow's REST API instead of Astro: its connections, variables and pools match the"
            " Deployment's (AIRFLOW_API_TOKEN, or AIRFLOW_USERNAME and AIRFLOW_PASSWORD)",
        )
        sub.add_argument(
            "--secrets", default="env", metavar="MODE", help="env (default), dotenv:PATH, or redact (plan only)"
        )
        sub.add_argument("--adopt", action="store_true", help="take over unmarked live objects the repository defines")
        if name == "plan":
            sub.add_argument("--format", choices=("text", "markdown", "json"), default="text")
            sub.add_argument("--out", type=Path, metavar="PLAN", help="save the plan for apply PLAN")
            sub.add_argument("--exit-code", action="store_true", help="exit 3 when there are changes")
        else:
            sub.add_argument(
                "--auto-approve", action="store_true", help="apply without asking (needed without a terminal)"
            )


def _format(requested: str | None, environ: Mapping[str, str]) -> str:
    if requested:
        return requested
    return "github" if environ.get("GITHUB_ACTIONS") == "true" else "text"


def _print_diagnostics(diagnostics: Sequence[object], fmt: str, stream: TextIO) -> None:
    from .diagnostics import REPORTERS

    stream.write(REPORTERS[fmt](diagnostics))  # type: ignore[arg-type]


def _validate(args: argparse.Namespace, root: Path, environ: Mapping[str, str]) -> int:
    from .project import validate_root

    project = validate_root(root)
    _print_diagnostics(project.diagnostics, _format(args.format, environ), sys.stdout)
    return EXIT_OK if project.ok else EXIT_INVALID


def _valid_project(root: Path, fmt: str) -> object:
    from .project import validate_root

    project = validate_root(root)
    warnings = [d for d in project.diagnostics if not d.is_error]
    if project.ok and warnings:
        _print_diagnostics(warnings, fmt, sys.stderr)
    return project.require_valid()


def _which(args: argparse.Namespace, root: Path, environ: Mapping[str, str]) -> int:
    from .pipeline import which

    found = which(_valid_project(root, "text"), root, args.branch, environ)  # type: ignore[arg-type]
    if args.format == "json":
        from .reports import WhichReport

        report = WhichReport(
            deployment=found.deployment,
            preview=found.is_preview,
            from_=found.base if found.is_preview else None,
            template=found.template,
            branch=found.branch,
            slug=found.slug,
        )
        sys.stdout.write(report.text())
    else:
        note = f" (preview of {found.base}, branch {found.branch})" if found.is_preview else f" (branch {found.branch})"
        sys.stdout.write(f"{found.deployment}{note}\n")
    return EXIT_OK


def _render(args: argparse.Namespace, root: Path, environ: Mapping[str, str]) -> int:
    from .pipeline import Selection, run_render

    project = _valid_project(root, _format(args.format, environ))
    out = args.out if args.out is not None else root / "build"
    selection = Selection(branch=args.branch, deployment=args.deployment, all=args.all)
    result = run_render(project, root, selection, out, args.secrets, check=args.check, environ=environ)  # type: ignore[arg-type]
    if result.warnings:
        _print_diagnostics(result.warnings, _format(args.format, environ), sys.stderr)
    if environ.get("GITHUB_ACTIONS") == "true":
        # GitHub masks one line per command: a multi-line secret (a PEM key) needs one per line.
        for line in sorted(
            {line for value in result.secrets.known_values() for line in value.splitlines() if line.strip()}
        ):
            sys.stdout.write(f"::add-mask::{line}\n")
    if args.check:
        sys.stdout.write(result.drift)
        return EXIT_CHANGES if result.drift else EXIT_OK
    for relative in sorted(result.files):
        state = "wrote" if relative in result.written else "unchanged"
        sys.stdout.write(f"{state} {out / relative}\n")
    return EXIT_OK


def _init(args: argparse.Namespace, root: Path, environ: Mapping[str, str]) -> int:
    from .scaffold import init

    result = init(root, force=args.force)
    for state, paths in (("created", result.created), ("updated", result.updated)):
        for path in paths:
            shown = "replaced" if path in result.replaced else state
            sys.stdout.write(f"{shown} {path}\n")
    for path in result.unchanged:
        sys.stdout.write(f"unchanged {path} (already set up)\n")
    for note in result.notes:
        sys.stderr.write(f"note: {note}\n")
    return EXIT_OK


def _import(args: argparse.Namespace, root: Path, environ: Mapping[str, str]) -> int:
    from .importer import dotenv_text, import_file, parse_links

    result = import_file(root, args.file.resolve(), links=parse_links(args.links), force=args.force)
    _print_diagnostics(result.diagnostics, "text", sys.stderr)
    for path in result.written:
        sys.stdout.write(f"wrote {path}\n")
    counts = result.counts
    sys.stdout.write(
        f"imported {counts.get('connections', 0)} connection(s), {counts.get('variables', 0)} variable(s), "
        f"{counts.get('pools', 0)} pool(s)\n"
    )
    if result.secrets:
        # The values leave the file exactly once, here, for the user's secret store.
        sys.stderr.write(
            f"# {len(result.secrets)} secret value(s) taken out of {args.file}: put them in your secret store. "
            "Shown this once, written to no file.\n"
        )
        sys.stderr.write(dotenv_text(result.secrets))
    return EXIT_OK


def _schema(args: argparse.Namespace, root: Path, environ: Mapping[str, str]) -> int:
    from .schema import SCHEMA_FILES, schema

    if args.name and args.name.endswith("-report"):
        from .reports import REPORTS

        sys.stdout.write(json.dumps(REPORTS[args.name].model_json_schema(by_alias=True), indent=2) + "\n")
        return EXIT_OK
    names = [args.name] if args.name else sorted(SCHEMA_FILES)
    body = schema(names[0]) if len(names) == 1 else {name: schema(name) for name in names}
    sys.stdout.write(json.dumps(body, indent=2) + "\n")
    return EXIT_OK


def _diff(args: argparse.Namespace, root: Path, environ: Mapping[str, str]) -> int:
    from . import plans
    from .diff import diff

    plan = diff(root, args.base, args.head, args.deployment)
    if args.format == "markdown":
        sys.stdout.write(plans.markdown(plan))
    elif args.format == "json":
        sys.stdout.write(plans.as_json(plan))
    else:
        sys.stdout.write(plans.text(plan, color=sys.stdout.isatty() and "NO_COLOR" not in environ))
    return EXIT_CHANGES if args.exit_code and plan.has_changes else EXIT_OK


def _explain(args: argparse.Namespace, root: Path, environ: Mapping[str, str]) -> int:
    from .explain import explain

    found = explain(root, args.deployment, args.key, args.kind)
    sys.stdout.write(f"{found.kind} {found.key} in {found.deployment} ({found.scope} scope)\n")
    for path, value, steps in found.fields:
        sys.stdout.write(f"  {path} = {value}\n")
        for step in steps:
            sys.stdout.write(f"      {step.location}  {step.layer}: {step.value}\n")
    for path, where in found.removed:
        sys.stdout.write(f"  {path} removed\n      {where}  override: null\n")
    return EXIT_OK


def _matrix(args: argparse.Namespace, root: Path, environ: Mapping[str, str]) -> int:
    from .matrix import matrix

    sys.stdout.write(matrix(root, args.since, environ).text(indent=None))
    return EXIT_OK


def _plan(args: argparse.Namespace, root: Path, environ: Mapping[str, str]) -> int:
    from .sync import report, run

    if args.airflow:
        return _airflow(args, root, environ, apply=False)
    planned = _make_plan(args, root, environ, _selection(args), adopt=args.adopt)
    sys.stdout.write(report.REPORTERS[args.format](planned.plan, planned.workspace))
    if args.out is not None:
        from . import output

        output.write(args.out.parent, {args.out.name: run.plan_file(planned)})
    return EXIT_CHANGES if args.exit_code and planned.plan.has_changes else EXIT_OK


def _selection(args: argparse.Namespace) -> object:
    from .pipeline import Selection

    return Selection(branch=args.branch, deployment=args.deployment, all=args.all)


def _make_plan(
    args: argparse.Namespace,
    root: Path,
    environ: Mapping[str, str],
    selection: object,
    *,
    adopt: bool,
    saved: Mapping[str, Any] | None = None,
) -> Any:
    from .remote.astro import connect
    from .sync import run

    project = _valid_project(root, "text")
    run.owner(project)  # type: ignore[arg-type]
    api = connect(environ)
    try:
        planned = run.make_plan(project, root, selection, mode=args.secrets, adopt=adopt, environ=environ, api=api)  # type: ignore[arg-type]
    finally:
        api.close()
    if saved is not None:
        run.check_fresh(saved, planned)
    _print_diagnostics(planned.plan.diagnostics, "text", sys.stderr)
    if not planned.plan.ok:
        raise OperationError("the plan has errors (above); nothing was changed")
    return planned


def _apply(args: argparse.Namespace, root: Path, environ: Mapping[str, str]) -> int:
    from .remote.astro import AstroTarget, connect
    from .secrets import mask
    from .sync import report, run
    from .sync.airflowrun import WithPools

    run.refuse_redact(args.secrets)
    if args.plan_file is None and not args.auto_approve and not sys.stdin.isatty():
        raise UsageError("apply asks for confirmation on a terminal: pass --auto-approve to apply without one")
    if args.airflow or (args.plan_file is not None and "airflow" in run.read_plan_file(args.plan_file)):
        return _airflow(args, root, environ, apply=True)
    selection, adopt, saved = _selection(args), args.adopt, None
    if args.plan_file is not None:
        saved = run.read_plan_file(args.plan_file)
        selection, adopt = run.saved_selection(saved), run.saved_adopt(saved)
    planned = _make_plan(args, root, environ, selection, adopt=adopt, saved=saved)
    values = planned.values
    sys.stdout.write(report.text(planned.plan, planned.workspace))
    if not planned.plan.has_changes:
        return EXIT_OK
    if saved is None and not args.auto_approve:
        sys.stdout.write("Apply these changes? Only 'yes' is accepted: ")
        sys.stdout.flush()
        if sys.stdin.readline().strip() != "yes":
            sys.stdout.write("\nApply cancelled; nothing was changed.\n")
            return EXIT_INVALID

    def show(step: Any) -> None:
        sys.stdout.write(mask(report.step_line(step), values) + "\n")
        sys.stdout.flush()

    api = connect(environ)
    target = WithPools(AstroTarget(api), planned.live, environ)
    try:
        applied = run.run_apply(planned, target, show)
    finally:
        target.close()
        api.close()
    sys.stdout.write(mask(report.outcome(applied), values))
    return EXIT_OK if applied.ok else EXIT_INVALID


def _airflow(args: argparse.Namespace, root: Path, environ: Mapping[str, str], *, apply: bool) -> int:
    """plan or apply with --airflow URL (or a plan saved with it): one Deployment's objects on one
    Airflow (SPEC 7.7)."""
    from .remote.airflow import AirflowClient, AirflowTarget, Credentials
    from .secrets import SecretValues, mask
    from .sync import airflowrun, report, run

    saved = run.read_plan_file(args.plan_file) if apply and args.plan_file is not None else None
    url = str(args.airflow or (saved or {}).get("airflow") or "")
    selection: Any = run.saved_selection(saved) if saved else _selection(args)
    adopt = run.saved_adopt(saved) if saved else args.adopt
    project: Any = _valid_project(root, "text")
    owner = run.owner(project)
    dep = airflowrun.deployment(project, root, selection, environ)
    values = airflowrun.secret_values(dep, args.secrets, environ)
    workspace = project.model.workspace.name
    with AirflowClient(url, Credentials.from_env(environ)) as client:
        planned = airflowrun.make_plan(
            project, dep, client.read(), owner=owner, values=values, adopt=adopt, environ=environ
        )
        _print_diagnostics(planned.plan.diagnostics, "text", sys.stderr)
        if not planned.plan.ok:
            raise OperationError("the plan has errors (above); nothing was changed")
        if not apply:
            sys.stdout.write(report.REPORTERS[args.format](planned.plan, workspace))
            if args.out is not None:
                from . import output

                text = airflowrun.plan_file(planned, workspace, selection, adopt)
                output.write(args.out.parent, {args.out.name: text})
            return EXIT_CHANGES if args.exit_code and planned.plan.has_changes else EXIT_OK
        if saved is not None:
            airflowrun.check_fresh(saved, planned, workspace)
        sys.stdout.write(report.text(planned.plan, workspace))
        if not planned.plan.has_changes:
            return EXIT_OK
        if saved is None and not args.auto_approve and not _confirmed():
            return EXIT_INVALID

        def show(step: Any) -> None:
            sys.stdout.write(mask(report.step_line(step), values or SecretValues()) + "\n")
            sys.stdout.flush()

        applied = airflowrun.run_apply(planned, AirflowTarget(client), show)
    sys.stdout.write(mask(report.outcome(applied), values or SecretValues()))
    return EXIT_OK if applied.ok else EXIT_INVALID


def _confirmed() -> bool:
    sys.stdout.write("Apply these changes? Only 'yes' is accepted: ")
    sys.stdout.flush()
    if sys.stdin.readline().strip() == "yes":
        return True
    sys.stdout.write("\nApply cancelled; nothing was changed.\n")
    return False


COMMANDS: dict[str, Callable[[argparse.Namespace, Path, Mapping[str, str]], int]] = {
    "validate": _validate,
    "which": _which,
    "render": _render,
    "diff": _diff,
    "explain": _explain,
    "matrix": _matrix,
    "init": _init,
    "import": _import,
    "schema": _schema,
    "plan": _plan,
    "apply": _apply,
}


def main(argv: Sequence[str] | None = None) -> int:
    environ = dict(os.environ)
    try:
        args = _parser().parse_args(argv)
    except SystemExit as exc:  # argparse: --help (0) or bad usage (2)
        return int(exc.code or 0)
    try:
        code = COMMANDS[args.command](args, _root(args.root), environ)
        sys.stdout.flush()  # a closed pipe shows here, not as an error at interpreter exit
        return code
    except InvalidEnvironments as exc:
        _print_diagnostics(
            exc.diagnostics,
            _format(getattr(args, "format", None), environ)
            if getattr(args, "format", None) != "json" or args.command == "validate"
            else "text",
            sys.stderr,
        )
        return EXIT_INVALID
    except AstroGitopsError as exc:
        sys.stderr.write(f"astro-gitops: error: {exc}\n")
        return exc.exit_code
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # The reader went away (`| head`): not a bug. Keep Python from failing again at exit.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_INVALID
    except Exception as exc:
        # Only the exception's type: its message could quote a secret value.
        sys.stderr.write(f"astro-gitops: internal error ({type(exc).__name__}); please report it at {REPORT_URL}\n")
        return EXIT_INTERNAL
