"""plan and apply as the command line runs them: one call each, to Astro or to one Airflow."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from compiler.live import astro_run, saved_plans
from compiler.live.session import Console, Outcome, Request


def plan(request: Request, root: Path, environ: Mapping[str, str], console: Console) -> Outcome:
    """Read live state, write nothing, show what apply would change (saved with --out)."""
    if request.airflow:
        from compiler.live import airflow_run  # only for --airflow: an Astro plan does not load it

        return airflow_run.sync(request, None, root, environ, console, apply=False)
    return astro_run.sync(request, None, root, environ, console, apply=False)


def apply(request: Request, root: Path, environ: Mapping[str, str], console: Console) -> Outcome:
    """Plan again (checked against a saved plan, if given) and write the changes once approved."""
    saved = saved_plans.read(request.plan_file) if request.plan_file is not None else None
    if saved is not None:
        saved_plans.refuse_unheld_flags(saved, request.adopt, request.airflow)
    if request.airflow or (saved is not None and "airflow" in saved):
        from compiler.live import airflow_run

        return airflow_run.sync(request, saved, root, environ, console, apply=True)
    return astro_run.sync(request, saved, root, environ, console, apply=True)
