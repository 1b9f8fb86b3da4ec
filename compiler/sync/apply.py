"""Applying a plan: its writes in order through a target; the first failed write stops (SPEC 7.6).

A target is anything that can perform a `Write` (the Astro API today; an Airflow REST API or
Deployment settings plug in the same way). Nothing here prints: each step is handed to
`on_step` as it completes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal, Protocol

from compiler.errors import AstroGitopsError
from compiler.model.frozen import frozen
from compiler.model.secrets import SecretValues
from compiler.review.changes import ObjectChange, Write
from compiler.sync.changeset import Plan

Status = Literal["done", "failed", "not attempted"]


class Target(Protocol):
    def write(self, write: Write, values: SecretValues) -> None:
        """Perform one write (secrets put in from `values`); raise AstroGitopsError on failure."""


@frozen
class Step:
    change: ObjectChange
    status: Status
    error: str | None = None  # the API's message and requestId when failed


@frozen
class Applied:
    steps: tuple[Step, ...]

    @property
    def ok(self) -> bool:
        return all(s.status == "done" for s in self.steps)

    def of(self, status: Status) -> list[Step]:
        return [s for s in self.steps if s.status == status]


def apply(plan: Plan, target: Target, values: SecretValues, on_step: Callable[[Step], None] | None = None) -> Applied:
    steps: list[Step] = []
    failed = False
    for change in plan.changes:
        if failed:
            steps.append(Step(change, "not attempted"))
            continue
        step = _run(change, target, values)
        failed = step.status == "failed"
        steps.append(step)
        if on_step is not None:
            on_step(step)
    return Applied(tuple(steps))


def _run(change: ObjectChange, target: Target, values: SecretValues) -> Step:
    try:
        for write in change.writes:
            target.write(write, values)
    except AstroGitopsError as exc:
        return Step(change, "failed", str(exc))
    return Step(change, "done")
