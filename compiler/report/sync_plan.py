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
DEFERRED_NOTE = "not counted in the summary or by --exit-code"
BLIND_NOTE = "ASTRO_GITOPS_FINGERPRINT_KEY is not set: secrets cannot be compared and every secret field is sent."


def field_line(f: FieldChange, *, create: bool = False) -> str:
    """One field: `+ [production] host: "..."`, `~ password: (secret changed)`, with the
    Deployments a shared field or link change reaches."""
    where = f"[{f.deployment}] " if f.deployment else ""
    reach = f"  ({f.reach})" if f.reach else ""
    if create:  # a create's field: its value, a secret by name, a sensitive literal never
        return f"+ {where}{f.path}: " + (f"({f.note})" if f.note else str(f.new)) + reach
    if f.note:
        return f"~ {where}{f.path}: ({f.note}){reach}"
    if f.old is None:
        return f"+ {where}{f.path}: {f.new}{reach}"
    if f.new is None:
        return f"- {where}{f.path}: {f.old}{reach}"
    return f"~ {where}{f.path}: {f.old} -> {f.new}{reach}"


def change_lines(change: ObjectChange) -> list[str]:
    head = f"{_SIGN[change.operation]} {change.kind} {change.key}"
    note = change.note or (f"(deployment {change.deployment})" if change.deployment else "")
    lines = [f"{head}  {note}" if note else head]
    if change.operation != "delete":
        lines += [f"    {field_line(f, create=change.operation == 'create')}" for f in change.fields]
    return lines


def _deferred_lines(plan: Plan) -> list[str]:
    """The changes this scope does not apply, each naming the branch that does (SPEC 7.5)."""
    if not plan.deferred:
        return []
    lines = [f"Not applied by this scope ({DEFERRED_NOTE}):"]
    return lines + [f"  {line}" for change in plan.deferred for line in change_lines(change)]


def _nothing(plan: Plan) -> str:
    if plan.deferred:
        return "No changes for this scope to apply; the repository holds changes another branch applies (below)."
    return f"No changes. Live {plan.target} matches the repository for this scope."


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
        out.append(f"  {_nothing(plan)}")
    out += [f"  {line}" for line in _deferred_lines(plan)]
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
        out += [_nothing(plan), ""]
    deferred = _deferred_lines(plan)
    if deferred:
        body = "".join(f"{line}\n" for line in deferred[1:])
        out += [f"**{deferred[0]}**", "", "```diff", body.replace("```", _NOT_A_FENCE).rstrip("\n"), "```", ""]
    if plan.secrets_sent_blind:
        out += [f"> {BLIND_NOTE}", ""]
    out += [
        f"**{summary(plan)}**",
        "",
        "<sub>Secrets are shown by name (`(secret NAME)`, `<secret:NAME>`) and values under sensitive keys as "
        "`(sensitive value)`, never as values.</sub>",
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
