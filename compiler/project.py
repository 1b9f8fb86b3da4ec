"""The validate pipeline: sources -> documents -> schema -> model -> semantic rules."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import load, rules, schema
from .diagnostics import Diagnostic, Location, error, has_errors, ordered
from .errors import InvalidEnvironments
from .model import KINDS, SECTION, Model, build_model


@dataclass(frozen=True)
class Project:
    """A validated view of environments/ (maybe with errors; see `ok`)."""

    documents: tuple[load.Document, ...]
    model: Model
    diagnostics: tuple[Diagnostic, ...]

    @property
    def ok(self) -> bool:
        return not has_errors(self.diagnostics)

    def document(self, path: str) -> load.Document | None:
        return next((d for d in self.documents if d.path == path), None)

    def require_valid(self) -> Project:
        if not self.ok:
            raise InvalidEnvironments(self.diagnostics)
        return self


def validate(sources: Sequence[load.SourceFile]) -> Project:
    """Everything `validate` reports, and the model of the files that passed the schema."""
    documents, problems = load.load_documents(sources)
    problems.extend(_missing(sources))
    valid: list[load.Document] = []
    for document in documents:
        found = schema.check_document(document)
        problems.extend(found)
        if not found:
            valid.append(document)
    model = build_model(valid)
    # Names defined in files that failed their schema are not reported again as unknown.
    partial = {name for d in documents if d not in valid for name in _defined_names(d)}
    problems.extend(rules.check(model, documents, partially_known=partial))
    return Project(tuple(documents), model, tuple(ordered(problems)))


def validate_root(root: Path) -> Project:
    return validate(load.filesystem_sources(root))


def _missing(sources: Sequence[load.SourceFile]) -> list[Diagnostic]:
    if not sources:
        where = Location(load.ENVIRONMENTS + "/")
        return [error(where, "no-environments", "no YAML files under environments/ (run 'astro-gitops init' to scaffold them)")]
    if all(s.path != load.WORKSPACE_FILE for s in sources):
        return [error(Location(load.WORKSPACE_FILE), "missing-workspace", "environments/workspace.yaml is required")]
    return []


def _defined_names(document: load.Document) -> list[str]:
    data: Any = document.data
    if not isinstance(data, dict):
        return []
    if document.kind == "deployment":
        return [data["name"]] if isinstance(data.get("name"), str) else []
    if document.kind == "objects":
        return [key for kind in KINDS if isinstance(data.get(SECTION[kind]), dict) for key in data[SECTION[kind]]]
    return []
