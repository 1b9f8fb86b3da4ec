"""The reporters of a sync plan and of an apply (SPEC 7.5): text, markdown, json. They return
text; the CLI prints it."""

from __future__ import annotations

from collections.abc import Callable

from compiler.model.secrets import SecretValues
from compiler.review.changes import FieldChange, ObjectChange
from compiler.sync.apply import Applied, Step
from compiler.sync.changeset import Plan, document_json

_SIGN = {"create": "+", "update": "~", "replace": "-/+", "delete": "-"}
_NOT_A_FENCE = "\u02bc" * 3  # reads like ``` but cannot close the diff block
BLIND_NOTE = "ASTRO_GITOPS_FINGERPRINT_KEY is not set: secrets cannot be compared and every secret field is sent."


def field_line(f: FieldChange) -> str:
    where = f"[{f.deployment}] " if f.deployment else ""
    if f.note:
        return f"~ {where}{f.path}: ({f.note})"
    if f.old is None:
        return f"+ {where}{f.path}: {f.new}"
    if f.new is None:
        return f"- {where}{f.path}: {f.old}"
    return f"~ {where}{f.path}: {f.old} -> {f.new}"


def change_lines(change: ObjectChange) -> list[str]:
    head = f"{_SIGN[change.operation]} {change.kind} {change.key}"
    note = change.note or (f"(deployment {change.deployment})" if change.deployment else "")
    lines = [f"{head}  {note}" if note else head]
    if change.operation in ("update", "replace"):
        lines += [f"    {field_line(f)}" for f in change.fields]
    return lines


def summary(plan: Plan) -> str:
    return (
        f"Plan: {plan.count('create')} to add, {plan.count('update')} to change, "
        f"{plan.count('replace')} to replace, {plan.count('delete')} to destroy."
    )


def title(plan: Plan, workspace: str) -> str:
    return f'astro-gitops plan: workspace "{workspace}", scope {plan.scope}'


def text(plan: Plan, workspace: str) -> str:
    out = [title(plan, workspace)]
    out += [f"  {line}" for change in plan.changes for line in change_lines(change)]
    if not plan.changes:
        out.append("  No changes. Live Astro matches the repository for this scope.")
    if plan.secrets_sent_blind:
        out.append(f"Note: {BLIND_NOTE}")
    out.append(summary(plan))
    return "\n".join(out) + "\n"


def markdown(plan: Plan, workspace: str) -> str:
    scope, name = plan.scope.replace("`", "'"), workspace.replace("`", "'")
    out = [f"### astro-gitops plan: workspace `{name}`, scope `{scope}`", ""]
    if plan.changes:
        body = "".join(f"{line}\n" for change in plan.changes for line in change_lines(change))
        out += ["```diff", body.replace("```", _NOT_A_FENCE).rstrip("\n"), "```", ""]
    else:
        out += ["No changes. Live Astro matches the repository for this scope.", ""]
    if plan.secrets_sent_blind:
        out += [f"> {BLIND_NOTE}", ""]
    out += [
        f"**{summary(plan)}**",
        "",
        "<sub>Secrets are shown as references (`<secret:NAME>`), never as values.</sub>",
    ]
    return "\n".join(out) + "\n"


REPORTERS: dict[str, Callable[[Plan, str], str]] = {"text": text, "markdown": markdown, "json": document_json}


def step_line(step: Step) -> str:
    head = " ".join(change_lines(step.change)[0].split())
    if step.status == "failed":
        return f"failed: {head}: {step.error}"
    return f"{step.status}: {head}"


def outcome(applied: Applied) -> str:
    if applied.ok:
        return f"Apply complete: {len(applied.steps)} change(s) done.\n"
    lines = [
        f"Apply failed: {len(applied.of('done'))} done, 1 failed, {len(applied.of('not attempted'))} not attempted."
    ]
    lines += [f"  {step_line(s)}" for s in applied.steps]
    return "\n".join(lines) + "\n"


def masked(text: str, values: SecretValues | None) -> str:
    """Text with every credential and secret value in play masked in every form a server might
    echo (compiler/redaction.py, the one masking place): an API's message could quote what it
    was sent."""
    from compiler.redaction import REDACTOR

    REDACTOR.register(values.known_values() if values is not None else ())
    return REDACTOR.redact(text)
