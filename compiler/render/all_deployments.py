"""`render --all` one Deployment at a time: resolve it, feed the workspace view, render its files,
let it go (issue 26).

Holding every resolved Deployment until the last file was written was the largest part of
the peak memory of `render --all` (1.2 GB at 5000 connections x 200 Deployments). Here a
Deployment is resolved, added to the workspace view (`ViewBuilder` keeps only what the view
holds of it), rendered, and dropped before the next; environment-objects.json comes last,
once every Deployment is added. The writer stages every text and renames them into place
only when all are made (`write.write_streamed`), so a failure half-way still changes
nothing; `--check` sorts its diff by path (`write.drift_streamed`).

Secret values are read before the first text is made, and which names are needed is
known only from the resolved Deployments: with `--secrets env|dotenv` a first pass
resolves each Deployment to collect the names and the view (holding one at a time too),
the second renders. Under `redact` (the default) no value is read and one pass does all.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from compiler.diagnostics import Diagnostic, Location
from compiler.errors import InvalidEnvironments
from compiler.model import out_names, secrets
from compiler.model.objects import Model
from compiler.model.secrets import SecretValues
from compiler.render import texts
from compiler.render.dropped import settings_file_drops
from compiler.render.write import Text
from compiler.resolve.deployment import Locator, ResolvedDeployment, ResolveProblem, Shared, resolve_deployment
from compiler.resolve.workspace_view import ViewBuilder, WorkspaceView
from compiler.validate.resolution_rules import literal_branch

# (path, the text of each SecretValues asked for, in that order; a text may come in pieces)
Texts = Iterator[tuple[str, tuple[Text, ...]]]


class Collected:
    """What a pass learns besides the texts, complete once its texts are all taken."""

    def __init__(self) -> None:
        self.view: WorkspaceView | None = None
        self.drops: dict[Location | None, Diagnostic] = {}  # astro-cli-skips, first of each place
        self.secret_names: set[str] = set()


def output_names(model: Model) -> list[str]:
    """Every path `render --all` writes, sorted (known before anything is resolved)."""
    files = (texts.SETTINGS_FILE, texts.DEPLOYMENT_FILE)
    return sorted(
        [f"{name}/{file}" for name in set(model.deployment_names) for file in files] + [out_names.OBJECTS_FILE]
    )


def each_resolved(model: Model, locate: Locator) -> Iterator[ResolvedDeployment]:
    """Every Deployment as `render --all` resolves it (its literal branch), by name, one at a time.

    Raises InvalidEnvironments for the first that does not resolve (validate has said so).
    """
    workspace = model.workspace
    assert workspace is not None
    shared = Shared()  # objects no Deployment overrides: resolved once, for all
    for name in sorted(set(model.deployment_names)):
        try:
            yield resolve_deployment(model, name, literal_branch(workspace, name), workspace.name, locate, shared)
        except ResolveProblem as exc:
            raise InvalidEnvironments(exc.diagnostics) from None


def collect(model: Model, locate: Locator) -> Collected:
    """The first pass of an env or dotenv render: the view and the secret names, no text."""
    found = Collected()
    building = ViewBuilder(model, locate)
    seen: set[int] = set()  # shared objects already read (each is held by the pass's Shared)
    for dep in each_resolved(model, locate):
        building.add(dep)
        found.secret_names |= _secret_names(dep, seen)
    found.view = _view(building)
    found.secret_names |= {s.name for o in found.view.objects for s in secrets.referenced(o.fields)}
    return found


def rendered(
    model: Model,
    locate: Locator,
    values: Sequence[SecretValues],
    found: Collected,
    *,
    drops: bool,
) -> Texts:
    """(path, (text under each of `values`)) of every file, each Deployment's two together and
    environment-objects.json last; `found` gets the view (unless it has it) and the drops
    (with `drops`) as the Deployments go by."""
    workspace = model.workspace
    assert workspace is not None
    building = ViewBuilder(model, locate) if found.view is None else None
    memos: list[texts.Memo] = [{} for _ in values]  # one per SecretValues: an item holds its values
    for dep in each_resolved(model, locate):
        made = [
            texts.render_deployment(dep, workspace.name, v, workspace.conn_extra, m)
            for v, m in zip(values, memos, strict=True)
        ]
        if building is not None:  # after the texts, which made each object's fields the view reads
            building.add(dep)
        if drops:
            for warning in settings_file_drops([dep], locate):
                found.drops.setdefault(warning.location, warning)
        for path in sorted(made[0]):
            yield path, tuple(files[path] for files in made)
        del dep, made  # the next Deployment is resolved without this one
    if building is not None:
        found.view = _view(building)
    assert found.view is not None
    # In pieces: the writer takes them one at a time; --check joins them (pairs).
    yield out_names.OBJECTS_FILE, tuple(texts.environment_objects_pieces(found.view, v) for v in values)


def _view(building: ViewBuilder) -> WorkspaceView:
    try:
        return building.view()
    except ResolveProblem as exc:
        raise InvalidEnvironments(exc.diagnostics) from None


def _secret_names(dep: ResolvedDeployment, seen: set[int]) -> set[str]:
    """The secret names a Deployment's files need; a shared object is read once (`seen`)."""
    names = {s.name for s in secrets.referenced(dep.spec.environment_variables)}
    for obj in dep.objects:
        if obj.shared:
            if id(obj) in seen:
                continue
            seen.add(id(obj))
        names |= {s.name for s in secrets.referenced(obj.fields())}
    return names


def first_of(texts_made: Texts, index: int = 0) -> Iterator[tuple[str, Text]]:
    """(path, text) of the `index`-th SecretValues of each file."""
    return ((path, made[index]) for path, made in texts_made)


def pairs(texts_made: Texts, redacted: bool) -> Iterator[tuple[str, str, str]]:
    """(path, real text, marked text) for `--check`, whole: the real text twice when the values
    are redacted, else the second rendering (drift_lines.marked: markers for the secrets)."""
    for path, made in texts_made:
        real = _whole(made[0])
        yield path, real, real if redacted else _whole(made[1])


def _whole(text: Text) -> str:
    return text if isinstance(text, str) else "".join(text)
