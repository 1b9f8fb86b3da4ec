"""The render pipeline: branch -> Deployment(s) -> resolved -> workspace view -> files -> written or compared."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from compiler.diagnostics import Diagnostic, Location, error, warning
from compiler.errors import InvalidEnvironments, OperationError
from compiler.load.documents import YPath
from compiler.load.sources import ENVIRONMENTS
from compiler.model import branches, out_names, secrets
from compiler.model.frozen import field, frozen
from compiler.model.objects import Model, WorkspaceSpec
from compiler.model.secrets import SecretValues
from compiler.resolve.deployment import (
    Locator,
    ResolvedDeployment,
    ResolveProblem,
    Shared,
    resolve,
    resolve_deployment,
)
from compiler.resolve.workspace_view import WorkspaceView, workspace_view
from compiler.validate.project import Project
from compiler.validate.resolution_rules import literal_branch

if TYPE_CHECKING:
    from compiler.render import all_deployments, texts

# The texts (Jinja), the writer, the streamed render of every Deployment and the check's diff are imported
# where a render runs: `plan`, `apply` and `explain` import this module for the selection of a
# Deployment only (issue 26: about 12 ms of a plan's CPU).

SAFE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9 _.-]{0,99}")


@frozen
class Selection:
    """What to render: a branch's Deployment, one Deployment by name, or all of them."""

    branch: str | None = None
    deployment: str | None = None
    all: bool = False


@frozen
class Which:
    deployment: str
    is_preview: bool
    base: str
    template: str | None
    branch: str
    slug: str
    warnings: tuple[Diagnostic, ...] = ()


@frozen
class RenderResult:
    files: tuple[str, ...]  # the path of every file rendered (relative to --out), sorted; the texts are not kept
    secrets: SecretValues
    written: list[str] = field(default_factory=list)
    drift: str = ""
    warnings: list[Diagnostic] = field(default_factory=list)


def _workspace(project: Project) -> WorkspaceSpec:
    workspace = project.model.workspace
    assert workspace is not None, "a valid project has a workspace"
    return workspace


def _locator(project: Project) -> Locator:
    def locate(path: str, ypath: YPath) -> Location:
        document = project.document(path)
        return document.locate(ypath) if document else Location(path)

    return locate


def target(project: Project, root: Path, branch_flag: str | None, environ: Mapping[str, str]) -> branches.Target:
    """The rule the current branch matches (SPEC 3)."""
    workspace = _workspace(project)
    branch = current_branch(root, branch_flag, environ)
    found = branches.match(workspace, branch)
    if found is None:
        where = project.document(workspace.path)
        location = where.locate(("branches",), at="key") if where else None
        raise InvalidEnvironments(
            [error(location, "no-matching-branch", branches.no_match_message(workspace, branch))] if location else []
        )
    return found


def current_branch(root: Path, branch_flag: str | None, environ: Mapping[str, str]) -> str:
    """The branch of this run, in SPEC 3's order: --branch, GITHUB_HEAD_REF, GITHUB_REF_NAME, git."""
    from compiler.load import gitrefs

    return branches.detect(branch_flag, environ, lambda: gitrefs.checked_out_branch(root))


def which(project: Project, root: Path, branch_flag: str | None, environ: Mapping[str, str]) -> Which:
    found = target(project, root, branch_flag, environ)
    notes: list[Diagnostic] = []
    resolved = _resolve_target(project, root, found, notes)
    template = found.rule.preview.name if found.rule.preview else None
    return Which(resolved.name, found.is_preview, found.base, template, found.branch, found.slug, tuple(notes))


def _resolve_target(
    project: Project, root: Path, found: branches.Target, notes: list[Diagnostic] | None = None
) -> ResolvedDeployment:
    workspace = _workspace(project)
    try:
        resolved = resolve(project.model, found, workspace.name, _locator(project))
    except ResolveProblem as exc:
        raise InvalidEnvironments(exc.diagnostics) from None
    if found.is_preview:
        _check_preview_name(project, root, found, resolved.name, notes if notes is not None else [])
    return resolved


def _check_preview_name(
    project: Project, root: Path, found: branches.Target, name: str, notes: list[Diagnostic]
) -> None:
    """A preview must not take an existing Deployment's name or another branch's preview name.

    Where other branches cannot be known (no remote, offline), `notes` gets a warning: the
    check is then incomplete, and says so.
    """
    from compiler.load import gitrefs

    document = project.document(found.rule.path)
    assert document is not None and found.rule.preview is not None
    where = document.locate((*found.rule.ypath, "preview", "name"))
    if not SAFE_NAME.fullmatch(name) or ".." in name or out_names.segment_problem(name):
        raise InvalidEnvironments(
            [error(where, "invalid-deployment-name", f"preview name '{name}' must match {SAFE_NAME.pattern}")]
        )
    if out_names.fold(name) in {out_names.fold(n) for n in project.model.deployment_names}:
        raise InvalidEnvironments(
            [
                error(
                    where,
                    "preview-name-collision",
                    f"preview name '{name}' of branch '{found.branch}' is the name of an existing Deployment",
                )
            ]
        )
    known = gitrefs.branch_names(root)
    notes.extend(
        warning(where, "preview-collisions-unchecked", f"{why}: preview name '{name}' may also be another branch's")
        for why in known.unknown
    )
    taken = {n: b for b in known.names if b != found.branch and (n := _preview_name(project, b)) is not None}
    other = next((b for n, b in taken.items() if n == name), None)
    if other is not None:
        message = f"branches '{found.branch}' and '{other}' both get preview name '{name}'{_rename_hint(project, found.branch, set(taken) | set(project.model.deployment_names))}"
        raise InvalidEnvironments([error(where, "preview-name-collision", message)])


def _preview_name(project: Project, branch: str) -> str | None:
    """The preview name `branch` gets, or None when it gets no (valid) preview."""
    found = branches.match(_workspace(project), branch)
    if found is None or found.rule.preview is None:
        return None
    try:
        return resolve(project.model, found, _workspace(project).name).name
    except ResolveProblem:
        return None


def _rename_hint(project: Project, branch: str, taken: set[str]) -> str:
    """A rename of `branch` that is proven to work: its preview name is valid and free."""
    import shlex

    for suffix in range(2, 100):
        candidate = f"{branch}-{suffix}"
        name = _preview_name(project, candidate)
        if name is not None and name not in taken and SAFE_NAME.fullmatch(name) and ".." not in name:
            return f"; rename this branch, e.g. git branch -m {shlex.quote(branch)} {shlex.quote(candidate)} (preview name '{name}')"
    return "; rename one of them"


def resolve_selection(
    project: Project,
    root: Path,
    selection: Selection,
    environ: Mapping[str, str],
    notes: list[Diagnostic] | None = None,
) -> list[ResolvedDeployment]:
    model, workspace = project.model, _workspace(project)
    if selection.all or selection.deployment:
        names = model.deployment_names if selection.all else [selection.deployment or ""]
        unknown = [n for n in names if model.deployment(n) is None]
        if unknown:
            from compiler.diagnostics import did_you_mean

            raise OperationError(
                f"no Deployment named '{unknown[0]}'{did_you_mean(unknown[0], model.deployment_names)}"
            )
        if all(n in project.resolved for n in names):  # validate resolved them already
            return [project.resolved[n] for n in sorted(names)]
        shared = Shared()
        try:
            return [
                resolve_deployment(model, n, literal_branch(workspace, n), workspace.name, _locator(project), shared)
                for n in sorted(names)
            ]
        except ResolveProblem as exc:
            raise InvalidEnvironments(exc.diagnostics) from None
    return [_resolve_target(project, root, target(project, root, selection.branch, environ), notes)]


def render_files(
    model: Model, resolved: list[ResolvedDeployment], values: SecretValues, view: WorkspaceView | None = None
) -> dict[str, str]:
    """Each Deployment's files, and environment-objects.json when a workspace view is given."""
    return dict(rendered(model, resolved, values, view))


def output_names(resolved: list[ResolvedDeployment], view: WorkspaceView | None) -> list[str]:
    """The path of every file `rendered` gives, sorted."""
    from compiler.render import texts

    names = [f"{dep.name}/{name}" for dep in resolved for name in (texts.SETTINGS_FILE, texts.DEPLOYMENT_FILE)]
    return sorted(names + ([out_names.OBJECTS_FILE] if view is not None else []))


def rendered(
    model: Model, resolved: list[ResolvedDeployment], values: SecretValues, view: WorkspaceView | None = None
) -> Iterator[tuple[str, str]]:
    """(path, text) of each file, in the order of `output_names`, made as they are asked for:
    one Deployment's texts are held at a time, never all of them (issue 26)."""
    from compiler.render import texts

    workspace = model.workspace
    assert workspace is not None
    memo: texts.Memo = {}  # list items of objects shared by several Deployments
    # A Deployment's two paths share its folder, so no other path sorts between them.
    units: list[tuple[str, ResolvedDeployment | None]] = [(f"{d.name}/{texts.SETTINGS_FILE}", d) for d in resolved]
    if view is not None:
        units.append((out_names.OBJECTS_FILE, None))
    for _, dep in sorted(units, key=lambda unit: unit[0]):
        if dep is None:
            assert view is not None
            yield out_names.OBJECTS_FILE, texts.environment_objects(view, values)
        else:
            yield from sorted(texts.render_deployment(dep, workspace.name, values, workspace.conn_extra, memo).items())


def view_of(project: Project, resolved: list[ResolvedDeployment]) -> WorkspaceView:
    """The workspace view of `render --all` (every Deployment resolved)."""
    try:
        return workspace_view(project.model, resolved, _locator(project))
    except ResolveProblem as exc:
        raise InvalidEnvironments(exc.diagnostics) from None


def needed_secrets(resolved: list[ResolvedDeployment], view: WorkspaceView | None) -> set[str]:
    # Objects shared by several Deployments are one value: look at each once.
    distinct = {id(o): o for dep in resolved for o in dep.objects}.values()
    names = {s.name for o in distinct for s in secrets.referenced(o.fields())}
    names |= {s.name for dep in resolved for s in secrets.referenced(dep.spec.environment_variables)}
    if view is not None:
        names |= {s.name for o in view.objects for s in secrets.referenced(o.fields)}
    return names


def run_render(
    project: Project,
    root: Path,
    selection: Selection,
    out: Path,
    mode: str,
    *,
    check: bool,
    environ: Mapping[str, str],
    on_wait: Callable[[Path], None] | None = None,
) -> RenderResult:
    """Render the selection; write it (or, with check, report drift and write nothing)."""
    from compiler.render import drift_lines, write
    from compiler.render.dropped import settings_file_drops

    secrets.parse_mode(mode)
    write.check_location(out, root / ENVIRONMENTS)
    if selection.all:
        return _render_all(project, root, out, mode, check=check, environ=environ, on_wait=on_wait)
    notes: list[Diagnostic] = []  # about the branch's preview name (see _check_preview_name)
    resolved = resolve_selection(project, root, selection, environ, notes)
    warnings = list(notes)
    if not check:  # a check writes no settings file (and the pre-commit check hook stays silent)
        warnings += settings_file_drops(resolved, _locator(project))
    values = secrets.load(mode, needed_secrets(resolved, None), environ)
    names = output_names(resolved, None)
    write.check_location(out, root / ENVIRONMENTS, names)
    files = rendered(project.model, resolved, values)
    if check:
        # The diff masks every line where a rendering with markers for the secret values holds
        # one (drift_lines.new_side says why that cannot leak).
        if values.redacted:
            both = ((path, text, text) for path, text in files)
        else:
            shown = rendered(project.model, resolved, drift_lines.marked(values))
            both = ((path, text, marks) for (path, text), (_, marks) in zip(files, shown, strict=True))
        drift = write.drift_streamed(out, names, both, out.name or ".")
        return RenderResult(tuple(names), values, drift=drift, warnings=warnings)
    if not values.redacted:
        _refuse_tracked(root, out, names)
    written = write.write_streamed(out, names, files, on_wait=on_wait).written
    return RenderResult(tuple(names), values, written=written, warnings=warnings)


def _render_all(
    project: Project,
    root: Path,
    out: Path,
    mode: str,
    *,
    check: bool,
    environ: Mapping[str, str],
    on_wait: Callable[[Path], None] | None,
) -> RenderResult:
    """`run_render` of every Deployment, one at a time (compiler/render/all_deployments.py),
    with the same checks, in the same order, as a selection held whole."""
    from compiler.render import all_deployments, drift_lines, write

    model, locate = project.model, _locator(project)
    found = all_deployments.Collected()
    if secrets.parse_mode(mode)[0] != "redact":  # values are read before the first text
        found = all_deployments.collect(model, locate)
    values = secrets.load(mode, found.secret_names, environ)
    names = all_deployments.output_names(model)
    write.check_location(out, root / ENVIRONMENTS, names)
    if check:
        # The diff masks every line where a rendering with markers for the secret values holds
        # one (drift_lines.new_side says why that cannot leak).
        shown = (values,) if values.redacted else (values, drift_lines.marked(values))
        both = all_deployments.pairs(
            all_deployments.rendered(model, locate, shown, found, drops=False), values.redacted
        )
        drift = write.drift_streamed(out, names, both, out.name or ".")
        return RenderResult(tuple(names), values, drift=drift, warnings=_all_warnings(project, found))
    if not values.redacted:
        _refuse_tracked(root, out, names)
    files = all_deployments.first_of(all_deployments.rendered(model, locate, (values,), found, drops=True))
    written = write.write_streamed(out, names, files, on_wait=on_wait).written
    return RenderResult(tuple(names), values, written=written, warnings=_all_warnings(project, found))


def _all_warnings(project: Project, found: all_deployments.Collected) -> list[Diagnostic]:
    """The view's warnings validate did not show (each is said once), then the settings file's drops."""
    assert found.view is not None, "every text was taken"
    return [w for w in found.view.warnings if w not in project.diagnostics] + list(found.drops.values())


def _refuse_tracked(root: Path, out: Path, files: Sequence[str]) -> None:
    """Resolved secrets never go into a file git tracks (it would be one commit from leaking)."""
    from compiler.load import gitrefs

    tracked = gitrefs.tracked(root, [out / p for p in files])
    if tracked:
        shown = ", ".join(str(p) for p in tracked)
        raise OperationError(
            f"refusing to write resolved secrets into file(s) tracked by git: {shown}; use --secrets redact or an ignored --out"
        )
