"""The JSON documents astro-gitops prints, typed with pydantic at the output edge.

Each machine-readable output is declared once here: built through its model (so a wrong
shape is a bug caught where it is made, not in a consumer's CI), printed by
`model_dump_json`, and published as a JSON Schema by `astro-gitops schema <name>-report`.
pydantic is imported only by the commands that print JSON, never by plain `validate`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from compiler.diagnostics import Diagnostic, has_errors
from compiler.escaping import undecodable

if TYPE_CHECKING:
    from compiler.render.pipeline import Which
    from compiler.resolve.deployment import ResolvedDeployment

Action = Literal["added", "removed", "changed"]


class _Report(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    @field_validator("*", mode="after")
    @classmethod
    def _encodable(cls, value: Any) -> Any:
        """A path or name holding bytes that are not UTF-8 (a lone surrogate) is no JSON text: escaped."""
        return undecodable(value) if isinstance(value, str) else value

    def text(self, *, indent: int | None = 2) -> str:
        return self.model_dump_json(indent=indent, by_alias=True) + "\n"


class DiagnosticEntry(_Report):
    path: str = Field(description="File path relative to --root")
    line: int = Field(ge=1)
    column: int = Field(ge=1)
    severity: Literal["error", "warning"]
    code: str = Field(pattern=r"^[a-z0-9]+(?:-[a-z0-9]+)*$", description="Stable kebab-case code (README)")
    message: str


class ValidateReport(_Report):
    """`validate --format json`."""

    ok: bool = Field(description="False when any diagnostic is an error")
    diagnostics: list[DiagnosticEntry]


class WhichReport(_Report):
    """`which --format json`."""

    deployment: str
    preview: bool
    from_: str | None = Field(alias="from", description="The Deployment a preview derives from")
    template: str | None = Field(description="The preview name template")
    branch: str
    slug: str


class MatrixEntry(_Report):
    deployment: str
    preview: bool
    from_: str = Field(alias="from")
    branch: str | None = Field(description="The branch of a preview; null otherwise")


class MatrixReport(_Report):
    """`matrix`: a GitHub Actions `strategy.matrix` for `fromJSON`."""

    include: list[MatrixEntry]


def matrix_report(deployments: Sequence[ResolvedDeployment]) -> MatrixReport:
    """`matrix`'s document: one entry per Deployment, in the order given."""
    include = [
        MatrixEntry(deployment=d.name, preview=d.is_preview, from_=d.base, branch=d.branch if d.is_preview else None)
        for d in deployments
    ]
    return MatrixReport(include=include)


class FieldChangeEntry(_Report):
    path: str = Field(description="Dotted field path, e.g. extra.role")
    old: str | None = Field(description="Display text of the old value; null when absent")
    new: str | None = Field(description="Display text of the new value; null when absent")


class ObjectChangeEntry(_Report):
    kind: Literal["connection", "variable", "pool"]
    key: str
    action: Action
    fields: list[FieldChangeEntry]


class Counts(_Report):
    added: int = Field(ge=0)
    changed: int = Field(ge=0)
    removed: int = Field(ge=0)


class DeploymentPlanEntry(_Report):
    name: str
    action: Action
    counts: Counts
    objects: list[ObjectChangeEntry]
    deployment_file: list[FieldChangeEntry]


class DiffReport(_Report):
    """`diff --format json`."""

    base: str
    head: str
    changes: bool
    deployments: list[DeploymentPlanEntry]


REPORTS: dict[str, type[_Report]] = {
    "validate-report": ValidateReport,
    "which-report": WhichReport,
    "matrix-report": MatrixReport,
    "diff-report": DiffReport,
}


def validate_json(diagnostics: Sequence[Diagnostic]) -> str:
    """`validate --format json` (and the diagnostics of a failed command in that format)."""
    entries = [
        DiagnosticEntry(
            path=d.location.path,
            line=d.location.line,
            column=d.location.column,
            severity=d.severity,
            code=d.code,
            message=d.message,
        )
        for d in diagnostics
    ]
    return ValidateReport(ok=not has_errors(diagnostics), diagnostics=entries).text()


def which_json(found: Which) -> str:
    return WhichReport(
        deployment=found.deployment,
        preview=found.is_preview,
        from_=found.base if found.is_preview else None,
        template=found.template,
        branch=found.branch,
        slug=found.slug,
    ).text()


def schema_document(name: str | None) -> Any:
    """What `schema [NAME]` prints: an input schema, all three, or the schema of a JSON output."""
    if name and name in REPORTS:
        return REPORTS[name].model_json_schema(by_alias=True)
    from compiler.validate.schema_check import SCHEMA_FILES, schema

    names = [name] if name else sorted(SCHEMA_FILES)
    return schema(names[0]) if len(names) == 1 else {each: schema(each) for each in names}
