"""Every problem resolution can find, for `validate`: what it passes, `render` resolves.

`render --all` resolves each Deployment with its literal branch; a preview is resolved for
the branch that matches its rule. `validate` resolves the same way (a pattern rule with a
sample branch), so an override's `null` of a required field, or a template that fails only
with a Deployment's real name, is a `validate` error, not a surprise at render.
"""

from __future__ import annotations

from collections.abc import Iterator

from compiler.diagnostics import Diagnostic
from compiler.model.objects import Model, ObjectSpec, OverrideSpec, Secret, WorkspaceSpec
from compiler.resolve.deployment import (
    Locator,
    ResolvedDeployment,
    ResolveProblem,
    Shared,
    deployment_problems,
    no_position,
    resolve,
    resolve_deployment,
)

SAMPLE_BRANCH = "feature/example"


def literal_branch(workspace: WorkspaceSpec, deployment: str) -> str:
    """The branch context of `render --deployment/--all`: the first literal rule naming it."""
    for rule in workspace.rules:
        if rule.deployment == deployment and not rule.is_regex and not any(c in rule.pattern for c in "*?["):
            return rule.pattern
    return deployment


def problems(
    model: Model, locate: Locator = no_position, resolved: dict[str, ResolvedDeployment] | None = None
) -> list[Diagnostic]:
    """What resolving would report: every Deployment as `render --all` resolves it, every
    preview rule (with a sample branch where the rule is a pattern), and every `extra`
    written as one secret. `validate` reports these, so `render` finds nothing new.

    The Deployments that resolve go into `resolved`; without it each is only checked, never
    built (`resolve.deployment.deployment_problems`): `render`, `diff` and `plan` resolve
    what they need one Deployment at a time, so nothing holds all of them (issue 26).
    """
    from compiler.model.branches import Target, slug

    found = [*_whole_secret_extras(model, locate)]
    workspace = model.workspace
    if workspace is None:
        return found
    shared = Shared()
    for name in dict.fromkeys(model.deployment_names):
        branch = literal_branch(workspace, name)
        if resolved is None:  # checked, never built (deployment_problems says why)
            found.extend(deployment_problems(model, name, branch, workspace.name, locate, shared))
            continue
        try:
            resolved[name] = resolve_deployment(model, name, branch, workspace.name, locate, shared)
        except ResolveProblem as exc:
            found.extend(exc.diagnostics)
    for rule in workspace.rules:
        if rule.preview is None or model.deployment(rule.preview.from_) is None:
            continue
        literal = not rule.is_regex and not any(c in rule.pattern for c in "*?[")
        branch = rule.pattern if literal else SAMPLE_BRANCH
        try:
            resolve(model, Target(branch, slug(branch), rule), workspace.name, locate)
        except ResolveProblem as exc:
            found.extend(exc.diagnostics)
    return found


def _whole_secret_extras(model: Model, locate: Locator) -> Iterator[Diagnostic]:
    """`extra: {secret: NAME}`: Airflow's extra is a JSON object, a secret's value is text."""
    from compiler.diagnostics import error

    written: list[ObjectSpec | OverrideSpec] = [*model.objects]
    for dep in model.deployments:
        written += [*dep.objects, *dep.overrides]
    if model.workspace is not None:
        written += [o for rule in model.workspace.rules if rule.preview for o in rule.preview.overrides]
    for spec in written:
        extra = spec.fields.get("extra")
        if isinstance(extra, Secret):
            message = (
                f"'extra' of {spec.kind} '{spec.key}' is one secret reference, but Airflow's extra is a JSON object: "
                f"put {{secret: NAME}} on its keys instead (extra: {{api_key: {{secret: {extra.name}}}}})"
            )
            yield error(locate(spec.path, (*spec.ypath, "extra")), "secret-extra", message)
