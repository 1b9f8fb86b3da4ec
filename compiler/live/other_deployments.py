"""What a branch's repository changes for the Deployments outside its scope (SPEC 7.2, 7.5).

A branch that maps to Deployment D (or a preview) applies D's part of each workspace object and
D's settings. Its files may also change other Deployments' parts (a production override edited
on `dev`) or their settings: the sync branch applies those when the change reaches it. The plan
lists them with the other deferred changes, so a reviewer sees every change the files hold.

They are planned as the sync branch would plan those Deployments' parts and settings, with no
secret value read (as `--secrets redact`: a secret field is not compared), and nothing of that
plan is written. The objects scoped to those Deployments are not read, so not compared.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from compiler.model.frozen import replace
from compiler.render.pipeline import Selection, resolve_selection
from compiler.review.changes import ObjectChange
from compiler.sync import deferred
from compiler.sync import deployments as deployment_stage
from compiler.sync import desired as desired_state
from compiler.sync.astro_plan import plan
from compiler.sync.astro_state import LiveState
from compiler.sync.changeset import Options
from compiler.validate.project import Project


def deferred_changes(
    project: Project,
    root: Path,
    scoped: desired_state.Desired,
    made: Sequence[ObjectChange],
    live: LiveState,
    options: Options,
    environ: Mapping[str, str],
) -> tuple[ObjectChange, ...]:
    """Every deferred change: the scope's own (`made`, whose reach names the Deployments of every
    scope, not only this one), then the other Deployments' part and settings changes."""
    workspace = project.model.workspace
    assert workspace is not None
    in_scope = set(scoped.deployments)
    others = [d for d in resolve_selection(project, root, Selection(all=True), environ) if d.name not in in_scope]
    state = desired_state.build(project.model, workspace.name, others, full=False)
    every_part: dict[tuple[str, str], list[desired_state.Part]] = {
        (o.kind, o.key): [
            *o.parts.values(),
            *(p for s in scoped.objects if (s.kind, s.key) == (o.kind, o.key) for p in s.parts.values()),
        ]
        for o in state.objects
    }
    made = [deferred.with_reach(c, every_part.get((c.kind, c.key))) for c in made]
    if not others:
        return tuple(made)
    blind = replace(options, values=None, adopt=False)
    parts = plan(state, live, blind, "").changes
    settings = deployment_stage.plan_for(project, others, live, blind, full=False).changes
    return (*made, *deferred.of_other_deployments(parts, settings, options.sync_branch))
