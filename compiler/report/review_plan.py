"""The reporters of a review plan: text (terraform-like), markdown (PR comment), json."""

from __future__ import annotations

from collections.abc import Callable

from compiler.escaping import html_text, markdown_code, markdown_text, one_line
from compiler.review.changes import FieldChange, ObjectChange
from compiler.review.diff import Action, DeploymentPlan, DiffPlan

MARKDOWN_LIMIT = 65_000  # a PR comment holds 65,536 characters
_NOTE_ROOM = 2_000  # kept free under the limit for the cut note and the footer
_FOOTER = "\n<sub>Secrets are shown as references (`<secret:NAME>`), never as values.</sub>\n"
_NOT_A_FENCE = "\u02bc" * 3  # reads like ``` but cannot close the diff block
_ACTIONS: tuple[Action, ...] = ("added", "changed", "removed")
_SIGN: dict[Action, str] = {"added": "+", "removed": "-", "changed": "~"}
_COLOR = {"+": "\033[32m", "-": "\033[31m", "~": "\033[33m"}
_RESET = "\033[0m"


def _counts(dep: DeploymentPlan) -> str:
    parts = [f"{dep.count(a)} {a}" for a in _ACTIONS if dep.count(a)]
    return ", ".join(parts)


def headline(plan: DiffPlan, name: Callable[[str], str] = one_line) -> str:
    """The one-line summary; `name` makes a Deployment name safe for the output format."""
    if not plan.has_changes:
        return "No changes. The resolved configuration of every Deployment is the same."
    return "Plan: " + "; ".join(f"{name(d.name)} {_counts(d)}" for d in plan.deployments)


def _field_line(change: FieldChange) -> str:
    if change.old is None:
        return f"{change.path}: {change.new}"
    if change.new is None:
        return f"{change.path}: {change.old} → (removed)"
    return f"{change.path}: {change.old} → {change.new}"


def _object_lines(change: ObjectChange) -> list[str]:
    lines = [f"{_SIGN[change.action]} {change.kind} {change.key}"]
    lines += [f"    {_field_line(f)}" for f in change.fields] if change.action != "removed" else []
    return [one_line(line) for line in lines]


def _settings_lines(dep: DeploymentPlan) -> list[str]:
    lines = [f"{_SIGN[dep.action]} deployment file"]
    lines += [f"    {_field_line(f)}" for f in dep.settings] if dep.action != "removed" else []
    return [one_line(line) for line in lines]


def _groups(dep: DeploymentPlan) -> list[list[str]]:
    """The lines of a Deployment's plan, one group per changed object (and the Deployment file)."""
    groups = [_object_lines(change) for change in dep.objects]
    return groups + ([_settings_lines(dep)] if dep.settings else [])


def deployment_lines(dep: DeploymentPlan) -> list[str]:
    return [line for group in _groups(dep) for line in group]


def text(plan: DiffPlan, *, color: bool = False) -> str:
    out = [headline(plan), ""]
    for dep in plan.deployments:
        # A Deployment added or removed as a whole says just that; a changed one counts its changes.
        counted = f": {_counts(dep)}" if dep.action == "changed" else ""
        title = f"{one_line(dep.name)} ({dep.action}{counted})"
        out.append(title)
        for line in deployment_lines(dep):
            painted = line
            if color and line[:1] in _COLOR:
                painted = f"{_COLOR[line[0]]}{line}{_RESET}"
            out.append(f"  {painted}")
        out.append("")
    return "\n".join(out).rstrip("\n") + "\n"


def markdown(plan: DiffPlan, limit: int = MARKDOWN_LIMIT) -> str:
    """The plan as a PR comment, cut on object boundaries to stay within `limit` characters."""
    # Every user string is escaped for where it lands: code span, bold text, table cell, HTML.
    title = f"### astro-gitops plan: {markdown_code(plan.base)} → {markdown_code(plan.head)}"
    head = [title, "", f"**{headline(plan, markdown_text)}**", ""]
    if plan.has_changes:
        head += ["| Deployment | added | changed | removed |", "|---|---:|---:|---:|"]
        head += [
            f"| {markdown_text(d.name)} | {d.count('added')} | {d.count('changed')} | {d.count('removed')} |"
            for d in plan.deployments
        ]
        head.append("")
    body = "\n".join(head)
    left_out: list[str] = []
    for dep in plan.deployments:
        block, omitted = _details(dep, limit - _NOTE_ROOM - len(body))
        body += block
        total = len(dep.objects) + (1 if dep.settings else 0)
        if omitted:
            left_out.append(
                f"all of {markdown_text(dep.name)}"
                if omitted == total
                else f"{omitted:,} of {total:,} changes of {markdown_text(dep.name)}"
            )
    if left_out:
        body += _cut_note(left_out)
    return body + _FOOTER


def _details(dep: DeploymentPlan, room: int) -> tuple[str, int]:
    """A Deployment's collapsible block within `room` characters, and how many groups it left out."""
    opening = f"\n<details><summary><b>{html_text(dep.name)}</b>: {_counts(dep)}</summary>\n\n```diff\n"
    closing = "```\n\n</details>\n"
    groups = _groups(dep)
    kept: list[str] = []
    size = len(opening) + len(closing) + 100  # and the "... left out" line
    for group in groups:
        text = "".join(f"{line}\n" for line in group).replace("```", _NOT_A_FENCE)
        if size + len(text) > room:
            break
        kept.append(text)
        size += len(text)
    omitted = len(groups) - len(kept)
    if not kept:
        return "", omitted
    cut = f"… {omitted:,} more left out to fit a comment\n" if omitted else ""
    return opening + "".join(kept) + cut + closing, omitted


def _cut_note(left_out: list[str]) -> str:
    shown: list[str] = []
    size = 0
    for entry in left_out:
        size += len(entry) + 2
        if size > _NOTE_ROOM // 2:
            break
        shown.append(entry)
    rest = len(left_out) - len(shown)
    named = "; ".join(shown) + (f"; and {rest:,} more Deployment(s)" if rest else "")
    return f"\n> **Cut to fit a comment:** left out {named}. Run `astro-gitops diff` locally for the whole plan.\n"


def as_json(plan: DiffPlan) -> str:
    from compiler.report.documents import Counts, DeploymentPlanEntry, DiffReport, FieldChangeEntry, ObjectChangeEntry

    def fields(changes: tuple[FieldChange, ...]) -> list[FieldChangeEntry]:
        return [FieldChangeEntry(path=f.path, old=f.old, new=f.new) for f in changes]

    return DiffReport(
        base=plan.base,
        head=plan.head,
        changes=plan.has_changes,
        deployments=[
            DeploymentPlanEntry(
                name=d.name,
                action=d.action,
                counts=Counts(**{a: d.count(a) for a in _ACTIONS}),
                objects=[
                    ObjectChangeEntry(kind=o.kind, key=o.key, action=o.action, fields=fields(o.fields))
                    for o in d.objects
                ],
                deployment_file=fields(d.settings),
            )
            for d in plan.deployments
        ],
    ).text()
