"""What plan, apply and preview take from the command line, ask of it, and hand back.

Nothing in sync/ prints: the command line passes a Console whose methods show each thing the
moment it is known (the plan's diagnostics, the plan, each step of an apply) and ask the
questions; the command line then maps the Outcome to an exit code.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol

from compiler.diagnostics import Diagnostic
from compiler.errors import OperationError, UsageError
from compiler.live import saved_plans
from compiler.model import secrets
from compiler.model.frozen import frozen
from compiler.render.pipeline import Selection
from compiler.sync.apply import Applied, Step, Target, apply
from compiler.validate.project import Project


class Console(Protocol):
    def project(self, *, resolved: bool = False) -> Project:
        """The validated project (its warnings shown, its errors raised); with `resolved`, every
        Deployment as validation resolved it is kept (Project.resolved), for a caller that
        resolves all of them next (an Astro plan: its scope or its deferred changes)."""

    def diagnostics(self, found: Sequence[Diagnostic]) -> None:
        """Show a plan's diagnostics (before the plan itself)."""

    def plan(self, planned: Any) -> None:
        """Show a plan (in the format the command chose)."""

    def confirm(self, question: str) -> bool:
        """Ask; True only for an explicit yes."""

    def step(self, step: Step, planned: Any) -> None:
        """Show one step of an apply as it completes."""

    def progress(self, text: str) -> None:
        """Say what a wait is waiting for (one line on stderr)."""


@frozen
class Request:
    """The options of plan and apply."""

    selection: Selection
    secrets: str = "env"
    adopt: bool = False
    airflow: str | None = None  # --airflow URL: one Deployment on one Airflow
    out: Path | None = None  # plan --out
    plan_file: Path | None = None  # apply PLAN
    auto_approve: bool = False


@frozen
class Outcome:
    planned: Any  # run.Planned, airflowrun.AirflowPlanned or previewrun.PreviewPlan
    applied: Applied | None = None  # None: nothing was applied (a plan, or nothing to change)


def refuse_redact(mode: str) -> None:
    if secrets.parse_mode(mode)[0] == "redact":
        raise UsageError("apply needs secret values: --secrets env (the default) or dotenv:PATH, not redact")


def present(
    planned: Any,
    request: Request,
    saved: Mapping[str, Any] | None,
    console: Console,
    saved_text: Callable[[], str],
    *,
    apply: bool,
) -> bool:
    """Show the plan's diagnostics and the plan (refused with errors); save it for plan --out.
    True when apply goes on to write it: it has changes and is approved."""
    console.diagnostics(planned.plan.diagnostics)
    if not planned.plan.ok:
        raise OperationError("the plan has errors (above); nothing was changed")
    console.plan(planned)
    if not apply:
        if request.out is not None:
            saved_plans.write(request.out, saved_text())
        return False
    if not planned.plan.has_changes:
        return False
    # A saved plan or --auto-approve is approval; else ask.
    if saved is None and not request.auto_approve and not console.confirm("Apply these changes?"):
        raise OperationError("apply cancelled; nothing was changed")
    return True


def run_apply(planned: Any, target: Target, console: Console) -> Applied:
    """The plan's writes through `target`, each step shown as it completes."""
    assert planned.values is not None, "apply refuses --secrets redact before planning"
    return apply(planned.plan, target, planned.values, lambda step: console.step(step, planned))
