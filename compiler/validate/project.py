"""The validate pipeline: sources -> documents -> schema -> model -> semantic rules."""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from compiler.diagnostics import Diagnostic, Location, error, has_errors, ordered
from compiler.errors import InvalidEnvironments
from compiler.load.documents import SCALARS, Document, Kind, YPath, load_documents, parse_document
from compiler.load.sources import ENVIRONMENTS, WORKSPACE_FILE, SourceFile, filesystem_sources
from compiler.model.frozen import field, frozen, replace
from compiler.model.objects import KINDS, SECTION, Model, build_model
from compiler.resolve.deployment import ResolvedDeployment
from compiler.validate import resolution_rules, rules, schema_check


@frozen
class Project:
    """A validated view of environments/ (maybe with errors; see `ok`)."""

    documents: tuple[Document, ...]
    model: Model
    diagnostics: tuple[Diagnostic, ...]
    # Every Deployment as `render --all` resolves it (validate resolved them to check them).
    resolved: Mapping[str, ResolvedDeployment] = field(default_factory=dict, compare=False, repr=False)

    @property
    def ok(self) -> bool:
        return not has_errors(self.diagnostics)

    def document(self, path: str) -> Document | None:
        return next((d for d in self.documents if d.path == path), None)

    def require_valid(self) -> Project:
        if not self.ok:
            raise InvalidEnvironments(self.diagnostics)
        return self

    def without_parsed_data(self) -> Project:
        """The same project, its documents' parsed data let go once the model is built (data None).

        Their text stays, so diagnostics are still located (Document.tree parses it again
        when asked). For render, which reads only the model and resolved Deployments: the
        parsed data was about a sixth of render's peak memory at 5000x200 (issue 26).
        """
        released = tuple(d.with_data(None) for d in self.documents)
        return replace(self, documents=released)


class Readings:
    """Files parsed and checked against their schema once, for every side of one review.

    `diff` and `matrix --since` validate environments/ at two commits that share most files;
    a file is a pure function of its path and bytes, so the second side takes the first's
    document and schema findings (parsing was 40 % of a `diff` at 1000x50, issue 26).
    """

    def __init__(self) -> None:
        self._parsed: dict[tuple[str, bytes], tuple[Document | None, list[Diagnostic]]] = {}
        self._checked: dict[int, tuple[Document, list[tuple[YPath, Diagnostic]]]] = {}

    def parse(self, path: str, data: bytes) -> tuple[Document | None, list[Diagnostic]]:
        """`parse_document`, once per path and bytes."""
        key = (path, data)
        if key not in self._parsed:
            self._parsed[key] = parse_document(path, data)
        document, problems = self._parsed[key]
        return document, list(problems)

    def check(self, document: Document) -> list[tuple[YPath, Diagnostic]]:
        """`schema_check.check_document`, once per document (kept with it, so its id stays its own)."""
        kept = self._checked.get(id(document))
        if kept is None or kept[0] is not document:
            kept = self._checked[id(document)] = (document, schema_check.check_document(document))
        return list(kept[1])


def validate(sources: Sequence[SourceFile], *, keep_resolved: bool = True, readings: Readings | None = None) -> Project:
    """Everything `validate` reports, and the model of the files that passed the schema.

    With `keep_resolved`, every Deployment as `render --all` resolves it too (Project.resolved);
    without, each is let go once checked (the `validate` command, in bounded memory). With
    `readings`, a file another validation read with the same bytes is not read again.
    """
    documents, problems = load_documents(sources, None if readings is None else readings.parse)
    problems.extend(_missing(sources))
    usable: list[Document] = []
    partial: set[str] = set()  # names whose definition failed its schema
    for document in documents:
        found = schema_check.check_document(document) if readings is None else readings.check(document)
        problems.extend(d for _, d in found)
        pruned = _prune(document, [ypath for ypath, _ in found])
        if pruned is not None:
            usable.append(pruned)
        partial.update(set(_defined_names(document)) - set(_defined_names(pruned) if pruned else ()))
    model = build_model(usable)
    problems.extend(rules.check(model, documents, partially_known=partial))
    # The workspace view's warnings need every resolved Deployment, but only where an override's
    # null removes a field; otherwise `validate` lets each resolved Deployment go at once.
    resolved: dict[str, ResolvedDeployment] | None = {} if keep_resolved or _removes_a_field(model) else None
    problems.extend(_resolution_problems(model, documents, problems, resolved))
    if resolved and not has_errors(problems):
        problems.extend(_view_warnings(model, documents, resolved))
    return Project(tuple(documents), model, tuple(ordered(problems)), resolved if keep_resolved and resolved else {})


def _removes_a_field(model: Model) -> bool:
    """Whether an override (of a Deployment or a preview rule) holds a null at any depth."""
    rules = model.workspace.rules if model.workspace else ()
    overrides = [*(o for d in model.deployments for o in d.overrides),
                 *(o for r in rules if r.preview for o in r.preview.overrides)]  # fmt: skip
    return any(_holds_null(o.fields) for o in overrides)


def _holds_null(value: Any) -> bool:
    if value is None:
        return True
    if type(value) in SCALARS:  # most values
        return False
    if isinstance(value, Mapping):
        return any(_holds_null(v) for v in value.values())
    return False


def _view_warnings(
    model: Model, documents: Sequence[Document], resolved: Mapping[str, ResolvedDeployment]
) -> list[Diagnostic]:
    """The warnings of the workspace view `render --all` and `plan` compute (override-as-scoped-object:
    a null a link override cannot express), so `validate` and the pre-commit hook show them too."""
    # Only a null that removed a field can make one: without any, the view is not built (it
    # renders workspace-wide templates, which validate otherwise never pays for).
    if not any(o.removed for dep in resolved.values() for o in dep.objects):
        return []
    from compiler.resolve.deployment import ResolveProblem
    from compiler.resolve.workspace_view import workspace_view

    by_path = {d.path: d for d in documents}

    def locate(path: str, ypath: YPath) -> Location:
        document = by_path.get(path)
        return document.locate(ypath) if document else Location(path)

    try:
        view = workspace_view(model, list(resolved.values()), locate)
    except ResolveProblem:  # a broken template: resolution reported it already
        return []
    return list(dict.fromkeys(view.warnings))


def _resolution_problems(
    model: Model,
    documents: Sequence[Document],
    known: Sequence[Diagnostic],
    resolved: dict[str, ResolvedDeployment] | None,
) -> list[Diagnostic]:
    """What resolution (the same that `render` runs) reports, less what the rules said there."""
    by_path = {d.path: d for d in documents}

    def locate(path: str, ypath: YPath) -> Location:
        document = by_path.get(path)
        return document.locate(ypath) if document else Location(path)

    said = {(d.location, d.code) for d in known}
    found = []
    for diagnostic in resolution_rules.problems(model, locate, resolved):
        if (diagnostic.location, diagnostic.code) not in said:
            said.add((diagnostic.location, diagnostic.code))
            found.append(diagnostic)
    return found


def _prune(document: Document, bad: list[YPath]) -> Document | None:
    """The document without the objects, overrides or rules that failed the schema.

    Semantic rules then still run over everything else, so one typo does not hide the
    other problems of a file. An error outside such a unit drops the whole document.
    """
    if not bad:
        return document
    units = {_unit(document.kind, ypath) for ypath in bad}
    if None in units or not isinstance(document.data, dict):
        return None
    return document.with_data(_without(document.data, units))


def _unit(kind: Kind, ypath: YPath) -> YPath | None:
    sections = {SECTION[k] for k in KINDS}
    if kind == "workspace" and len(ypath) >= 2 and ypath[0] == "branches":
        return ypath[:2]
    if kind in ("objects", "deployment") and len(ypath) >= 2 and ypath[0] in sections:
        return _object_unit(ypath[:2], ypath[2:])
    if kind == "deployment" and len(ypath) >= 3 and ypath[0] == "overrides" and ypath[1] in sections:
        return _object_unit(ypath[:3], ypath[3:])
    return None


# Fields whose absence changes what other rules conclude (unused-object, plaintext-secret).
_CONTROL_FIELDS = {"links", "exclude", "allow_plaintext"}


def _object_unit(obj: YPath, inside: YPath) -> YPath:
    """Only the bad field of an object, so the rules still check its other fields.

    A bad port must not hide a plaintext password beside it. A bad control field, or an
    error about the object itself (a missing or unknown key), drops the whole object.
    """
    if inside and inside[0] not in _CONTROL_FIELDS:
        return (*obj, inside[0])
    return obj


def _without(data: Any, units: set[Any]) -> Any:
    pruned = copy.deepcopy(data)
    units = {u for u in units if not any(u[:i] in units for i in range(1, len(u)))}  # the outermost only
    for unit in sorted(units, key=lambda u: [str(p) for p in u], reverse=True):
        parent = pruned
        for step in unit[:-1]:
            parent = parent[step]
        if isinstance(parent, list):
            parent[unit[-1]] = None  # keep the indexes of the other rules
        else:
            del parent[unit[-1]]
    return pruned


def validate_root(root: Path, *, keep_resolved: bool = True) -> Project:
    return validate(filesystem_sources(root), keep_resolved=keep_resolved)


def _missing(sources: Sequence[SourceFile]) -> list[Diagnostic]:
    if not sources:
        where = Location(ENVIRONMENTS + "/")
        return [
            error(
                where, "no-environments", "no YAML files under environments/ (run 'astro-gitops init' to scaffold them)"
            )
        ]
    if any(s.problem is not None and s.path == ENVIRONMENTS for s in sources):
        return []  # the folder itself was not read (too many files, not a folder): workspace.yaml is unknown
    if all(s.path != WORKSPACE_FILE for s in sources):
        return [error(Location(WORKSPACE_FILE), "missing-workspace", "environments/workspace.yaml is required")]
    return []


def _defined_names(document: Document) -> list[str]:
    data: Any = document.data
    if not isinstance(data, dict):
        return []
    if document.kind == "deployment":
        return [data["name"]] if isinstance(data.get("name"), str) else []
    if document.kind == "objects":
        return [key for kind in KINDS if isinstance(data.get(SECTION[kind]), dict) for key in data[SECTION[kind]]]
    return []
