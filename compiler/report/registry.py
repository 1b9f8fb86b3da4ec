"""Every command's output in one registry: the command's result -> text, per format.

The CLI parses options, calls one core function, and hands its result to the command's
entry here. A new command (or format) is one `Reporters` value and one line in `REPORTERS`;
its `--format` choices are read from that entry. Every user string goes through
`escaping` on its way out. Heavy modules (pydantic, the plan reporters) load inside the
reporters that need them, so `validate` stays cheap; the values here are `model/frozen.py`
values, which a cold start defines faster than NamedTuples or dataclasses (issue 26).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from compiler.diagnostics import Diagnostic, counted, plural, report_github, report_text
from compiler.escaping import one_line
from compiler.model.frozen import frozen

if TYPE_CHECKING:
    from compiler.onboarding.dotenvfile import DotenvWritten
    from compiler.onboarding.example import Retired
    from compiler.onboarding.importer import ImportResult
    from compiler.onboarding.scaffold import InitResult
    from compiler.render.pipeline import RenderResult, Which
    from compiler.resolve.deployment import ResolvedDeployment
    from compiler.review.diff import DiffPlan
    from compiler.review.explain import Explained
    from compiler.validate.project import Project

R = TypeVar("R")


@frozen
class Style:
    """What a reporter may know of where its output goes."""

    terminal: bool = False  # stdout is a terminal (a person reads it)
    color: bool = False  # ANSI colours wanted (a terminal without NO_COLOR)
    github_actions: bool = False  # GITHUB_ACTIONS=true


@frozen
class Output:
    """The text of a command for stdout and for stderr."""

    out: str = ""
    err: str = ""
    checked: bool = False  # `out` is JSON whose every string is guarded (redaction.guarded_data)
    # GitHub's `::add-mask::VALUE` lines, printed before `out` and not guarded: they name each
    # secret value so that the runner hides it from then on (render in GitHub Actions).
    masks: str = ""


@frozen
class Reporters(Generic[R]):
    """The formats a command's result can be printed in; the first is the default."""

    formats: Mapping[str, Callable[[R, Style], Output]]

    @property
    def choices(self) -> tuple[str, ...]:
        return tuple(self.formats)

    def report(self, result: R, fmt: str | None, style: Style) -> Output:
        return self.formats[fmt or self.choices[0]](result, style)


# --- diagnostics (validate, and every command that finds the environments invalid) ---------


def _diagnostics_json(diagnostics: Sequence[Diagnostic], style: Style) -> Output:
    from compiler.report.documents import validate_json

    return Output(validate_json(diagnostics))


DIAGNOSTICS: Reporters[Sequence[Diagnostic]] = Reporters(
    {
        "text": lambda found, style: Output(report_text(found)),
        "json": _diagnostics_json,
        "github": lambda found, style: Output(report_github(found)),
    }
)


def _validate_text(project: Project, style: Style) -> Output:
    text = report_text(project.diagnostics)
    if style.terminal:  # a person reads it: say what was checked, or how much is wrong
        text += f"{_summary(project)}\n"
    return Output(text)


def _summary(project: Project) -> str:
    """'3 Deployments, 7 connections, 4 variables, 3 pools: 0 errors, 1 warning'."""
    count = counted(project.diagnostics)
    if not project.ok:
        return count
    model = project.model
    objects = [*model.objects, *(o for d in model.deployments for o in d.objects)]
    kinds = [plural(sum(1 for o in objects if o.kind == kind), kind) for kind in ("connection", "variable", "pool")]
    return f"{plural(len(model.deployments), 'Deployment')}, {', '.join(kinds)}: {count}"


VALIDATE: Reporters[Project] = Reporters(
    {
        "text": _validate_text,
        "json": lambda project, style: DIAGNOSTICS.report(project.diagnostics, "json", style),
        "github": lambda project, style: DIAGNOSTICS.report(project.diagnostics, "github", style),
    }
)


# --- which ----------------------------------------------------------------------------


def _which_text(found: Which, style: Style) -> Output:
    note = f" (preview of {found.base}, branch {found.branch})" if found.is_preview else f" (branch {found.branch})"
    return Output(f"{one_line(found.deployment + note)}\n")


def _which_json(found: Which, style: Style) -> Output:
    from compiler.report.documents import which_json

    return Output(which_json(found))


WHICH: Reporters[Which] = Reporters({"text": _which_text, "json": _which_json})


# --- render ---------------------------------------------------------------------------


@frozen
class Rendered:
    """What `render` did: the result, the output folder, and whether it only checked."""

    result: RenderResult
    out: Path
    check: bool


def _masks(rendered: Rendered) -> str:
    from compiler.model.secrets import workflow_masks  # each value, and each line of it (GitHub masks line by line)

    return "".join(workflow_masks(rendered.result.secrets.known_values()))


def _render_text(rendered: Rendered, style: Style) -> Output:
    masks = _masks(rendered) if style.github_actions else ""
    if rendered.check:
        return Output(rendered.result.drift, masks=masks)
    result = rendered.result
    lines = [
        f"{'wrote' if relative in result.written else 'unchanged'} {one_line(str(rendered.out / relative))}\n"
        for relative in sorted(result.files)
    ]
    return Output("".join(lines), masks=masks)


RENDER: Reporters[Rendered] = Reporters({"text": _render_text})


# --- diff and explain -----------------------------------------------------------------


def _diff_text(plan: DiffPlan, style: Style) -> Output:
    from compiler.report import review_plan

    return Output(review_plan.text(plan, color=style.color))


def _diff_markdown(plan: DiffPlan, style: Style) -> Output:
    from compiler.report import review_plan

    return Output(review_plan.markdown(plan))


def _diff_json(plan: DiffPlan, style: Style) -> Output:
    from compiler.report import review_plan

    return Output(review_plan.as_json(plan))


DIFF: Reporters[DiffPlan] = Reporters({"text": _diff_text, "markdown": _diff_markdown, "json": _diff_json})


def _explain_text(found: Explained, style: Style) -> Output:
    lines = [f"{found.kind} {found.key} in {found.deployment} ({found.scope} scope)"]
    for path, value, steps in found.fields:
        lines.append(f"  {path} = {value}")
        lines += [f"      {step.location}  {step.layer}: {step.value}" for step in steps]
    for path, where in found.removed:
        lines += [f"  {path} removed", f"      {where}  override: null"]
    return Output("".join(f"{one_line(line)}\n" for line in lines))


EXPLAIN: Reporters[Explained] = Reporters({"text": _explain_text})


# --- matrix and schema (JSON only) ------------------------------------------------------


def _matrix_json(deployments: Sequence[ResolvedDeployment], style: Style) -> Output:
    from compiler.report.documents import matrix_report

    return Output(matrix_report(deployments).text(indent=None))


MATRIX: Reporters[Sequence[ResolvedDeployment]] = Reporters({"json": _matrix_json})
SCHEMA: Reporters[Any] = Reporters({"json": lambda body, style: Output(json.dumps(body, indent=2) + "\n")})


# --- init and import ------------------------------------------------------------------


def _init_text(result: InitResult, style: Style) -> Output:
    out = []
    for state, paths in (("created", result.created), ("updated", result.updated)):
        out += [f"{'replaced' if path in result.replaced else state} {one_line(path)}\n" for path in paths]
    out += [f"unchanged {one_line(path)} (already set up)\n" for path in result.unchanged]
    return Output("".join(out), "".join(f"note: {one_line(note)}\n" for note in result.notes))


INIT: Reporters[InitResult] = Reporters({"text": _init_text})


@frozen
class Imported:
    """What `import` did, and the file it read."""

    result: ImportResult
    file: str  # as validate shows paths: relative to the root when inside it
    root: Path | None  # set when run outside the root: the written paths are relative to it
    linked: bool  # whether --link named Deployments (else the objects are linked to none)
    dotenv: DotenvWritten | None = None  # where --dotenv put the secret values
    retired: Retired | None = None  # what became of init's example connection


def _import_text(imported: Imported, style: Style) -> Output:
    from compiler.onboarding.importer import dotenv_text, tally

    result, counts = imported.result, imported.result.counts
    out = "".join(f"wrote {one_line(str(path))}\n" for path in result.written)
    if imported.root is not None:
        out += f"(paths relative to the repository root, {one_line(str(imported.root))})\n"
    out += (
        f"imported {counts.get('connections', 0)} connection(s), {counts.get('variables', 0)} variable(s), "
        f"{counts.get('pools', 0)} pool(s): {tally(result.diagnostics)}\n"
    )
    err = report_text(result.diagnostics)
    if not imported.linked:
        err += (
            "note: the imported objects are linked to no Deployment (`links: []`): name the Deployments that "
            "should get them in the files, or import again with --force --link all|D1,D2\n"
        )
    err += _retired_text(imported.retired)
    if result.secrets and imported.dotenv is not None:
        written = imported.dotenv
        shown = one_line(str(written.path))
        err += (
            f"# {len(result.secrets)} secret value(s) taken out of {one_line(imported.file)}: in {shown} "
            f"(mode 0600, ignored by git): {', '.join(result.secrets)}; "
            f"use them with --secrets dotenv:{shown}, and put them in your secret store for CI\n"
        )
    elif result.secrets:
        # The values leave the file exactly once, here, for the user's secret store.
        err += (
            f"# {len(result.secrets)} secret value(s) taken out of {one_line(imported.file)}: put them in your "
            "secret store (or import with --dotenv .env to write them to a git-ignored file). "
            "Shown this once, written to no file.\n"
        )
        err += dotenv_text(result.secrets)
    return Output(out, err)


def _retired_text(retired: Retired | None) -> str:
    if retired is None:
        return ""
    # Comment lines: stderr stays a dotenv file (comments and NAME='value' lines) with --link.
    if retired.removed:
        return "# removed init's example connection example_db: " + ", ".join(map(one_line, retired.removed)) + "\n"
    return f"# note: {one_line(retired.note)}\n" if retired.note else ""


IMPORT: Reporters[Imported] = Reporters({"text": _import_text})


# --- plan and apply (SPEC 7.5) ----------------------------------------------------------------


def _sync(fmt: str) -> Callable[[Any, Style], Output]:
    def report(planned: Any, style: Style) -> Output:
        from compiler.report import sync_plan as sync_report

        # The JSON document guards each of its strings itself (sync/changeset.document).
        return Output(sync_report.REPORTERS[fmt](planned.plan, planned.workspace), checked=fmt == "json")

    return report


SYNC_PLAN: Reporters[Any] = Reporters({fmt: _sync(fmt) for fmt in ("text", "markdown", "json")})


def _apply_step(done: tuple[Any, Any], style: Style) -> Output:
    """One step of an apply as it completes (an API message is masked like everything else)."""
    from compiler.report import sync_plan as sync_report

    step, planned = done
    return Output(sync_report.masked(one_line(sync_report.step_line(step)), planned.values) + "\n")


def _apply_outcome(done: tuple[Any, Any], style: Style) -> Output:
    from compiler.report import sync_plan as sync_report

    applied, planned = done
    return Output(sync_report.masked(sync_report.outcome(applied), planned.values))


APPLY: Reporters[tuple[Any, Any]] = Reporters({"step": _apply_step, "outcome": _apply_outcome})


REPORTERS: dict[str, Reporters[Any]] = {
    "validate": VALIDATE,
    "which": WHICH,
    "render": RENDER,
    "diff": DIFF,
    "explain": EXPLAIN,
    "matrix": MATRIX,
    "init": INIT,
    "import": IMPORT,
    "schema": SCHEMA,
    "plan": SYNC_PLAN,
    "apply": SYNC_PLAN,
    "preview": SYNC_PLAN,
}


# --- import --from-astro / --from-airflow -------------------------------------------------


def _adopted_text(adopted: Any, style: Style) -> Output:
    """Each file written, what was imported, every secret name to provide and where it is set live."""
    counts = adopted.counts
    out = "".join(f"wrote {one_line(path)}\n" for path in adopted.written)
    out += (
        f"imported from {one_line(adopted.source)}: {counts.get('deployments', 0)} Deployment(s), "
        f"{counts.get('connections', 0)} connection(s), {counts.get('variables', 0)} variable(s), "
        f"{counts.get('pools', 0)} pool(s)\n"
    )
    if adopted.secrets:
        out += f"secrets to provide ({len(adopted.secrets)}): the values were not read; set each in your secret store\n"
        width = max(len(s.name) for s in adopted.secrets)
        out += "".join(f"  {one_line(s.name):<{width}}  {one_line(s.where)}\n" for s in adopted.secrets)
    err = "".join(f"note: {one_line(note)}\n" for note in adopted.notes)
    return Output(out, err)


ADOPTED: Reporters[Any] = Reporters({"text": _adopted_text})
