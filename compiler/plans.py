"""The reporters of a review plan: text (terraform-like), markdown (PR comment), json."""

from __future__ import annotations

import json
from typing import Any

from .review import Action, DeploymentPlan, FieldChange, ObjectChange, Plan

MARKDOWN_LIMIT = 65_000  # a PR comment holds 65,536 characters; leave room for the cut note
_ACTIONS: tuple[Action, ...] = ("added", "changed", "removed")
_SIGN: dict[Action, str] = {"added": "+", "removed": "-", "changed": "~"}
_COLOR = {"+": "\033[32m", "-": "\033[31m", "~": "\033[33m"}
_RESET = "\033[0m"


def _counts(dep: DeploymentPlan) -> str:
    parts = [f"{dep.count(a)} {a}" for a in _ACTIONS if dep.count(a)]
    return ", ".join(parts)


def headline(plan: Plan) -> str:
    if not plan.has_changes:
        return "No changes. The resolved configuration of every Deployment is the same."
    return "Plan: " + "; ".join(f"{d.name} {_counts(d)}" for d in plan.deployments)


def _field_line(change: FieldChange) -> str:
    if change.old is None:
        return f"{change.path}: {change.new}"
    if change.new is None:
        return f"{change.path}: {change.old} → (removed)"
    return f"{change.path}: {change.old} → {change.new}"


def _object_lines(change: ObjectChange) -> list[str]:
    sign = _SIGN[change.action]
    lines = [f"{sign} {change.kind} {change.key}"]
    lines += [f"    {_field_line(f)}" for f in change.fields] if change.action != "removed" else []
    return lines


def deployment_lines(dep: DeploymentPlan) -> list[str]:
    lines: list[str] = []
    for change in dep.objects:
        lines += _object_lines(change)
    if dep.settings:
        lines.append("~ deployment file")
        lines += [f"    {_field_line(f)}" for f in dep.settings]
    return lines


def text(plan: Plan, *, color: bool = False) -> str:
    out = [headline(plan), ""]
    for dep in plan.deployments:
        title = f"{dep.name} ({dep.action}: {_counts(dep)})"
        out.append(title)
        for line in deployment_lines(dep):
            painted = line
            if color and line[:1] in _COLOR:
                painted = f"{_COLOR[line[0]]}{line}{_RESET}"
            out.append(f"  {painted}")
        out.append("")
    return "\n".join(out).rstrip("\n") + "\n"


def markdown(plan: Plan, limit: int = MARKDOWN_LIMIT) -> str:
    head = [f"### astro-gitops plan: `{plan.base}` → `{plan.head}`", "", f"**{headline(plan)}**", ""]
    if plan.has_changes:
        head += ["| Deployment | added | changed | removed |", "|---|---:|---:|---:|"]
        head += [f"| {d.name} | {d.count('added')} | {d.count('changed')} | {d.count('removed')} |" for d in plan.deployments]
        head.append("")
    body = "\n".join(head)
    left_out: list[str] = []
    for dep in plan.deployments:
        block = _details(dep)
        if len(body) + len(block) + 200 > limit:
            left_out.append(dep.name)
            continue
        body += block
    if left_out:
        body += f"\n> Cut to fit a comment: details of {', '.join(left_out)} left out; run `astro-gitops diff` locally for them.\n"
    body += "\n<sub>Secrets are shown as references (`<secret:NAME>`), never as values.</sub>\n"
    return body


def _details(dep: DeploymentPlan) -> str:
    lines = "\n".join(deployment_lines(dep)).replace("```", "ʼʼʼ")
    return f"\n<details><summary><b>{dep.name}</b>: {_counts(dep)}</summary>\n\n```diff\n{lines}\n```\n\n</details>\n"


def as_json(plan: Plan) -> str:
    def fields(changes: tuple[FieldChange, ...]) -> list[dict[str, Any]]:
        return [{"path": f.path, "old": f.old, "new": f.new} for f in changes]

    body = {
        "base": plan.base,
        "head": plan.head,
        "changes": plan.has_changes,
        "deployments": [
            {
                "name": d.name,
                "action": d.action,
                "counts": {a: d.count(a) for a in _ACTIONS},
                "objects": [{"kind": o.kind, "key": o.key, "action": o.action, "fields": fields(o.fields)} for o in d.objects],
                "deployment_file": fields(d.settings),
            }
            for d in plan.deployments
        ],
    }
    return json.dumps(body, indent=2, ensure_ascii=False) + "\n"
