"""Locations, diagnostics, their codes, and the plain reporters that print them (text, github).

The json reporter is a document of `report/documents.py` (pydantic), which imports this module, not the
other way round.
"""

# No `from __future__ import annotations` here: typing.NamedTuple compiles each field's annotation
# when it is a string (~0.1 ms a field), and this module's are all defined where they are used.
from collections.abc import Iterable, Sequence
from typing import Literal, NamedTuple

from compiler.escaping import one_line, workflow_data, workflow_property

Severity = Literal["error", "warning"]


# Frozen values as NamedTuples (ordered, hashed and shown as `order=True` dataclasses are): this
# module is below model/frozen.py (issue 26).
class Location(NamedTuple):
    """A 1-based position in a file, the path relative to --root."""

    path: str
    line: int = 1
    column: int = 1

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.column}"


class Diagnostic(NamedTuple):
    location: Location
    severity: Severity
    code: str
    message: str

    @property
    def is_error(self) -> bool:
        return self.severity == "error"

    def __str__(self) -> str:
        return f"{self.location}: {self.severity}[{self.code}]: {self.message}"


def error(location: Location, code: str, message: str) -> Diagnostic:
    return Diagnostic(location, "error", code, message)


def warning(location: Location, code: str, message: str) -> Diagnostic:
    return Diagnostic(location, "warning", code, message)


def has_errors(diagnostics: Iterable[Diagnostic]) -> bool:
    return any(d.is_error for d in diagnostics)


def ordered(diagnostics: Iterable[Diagnostic]) -> list[Diagnostic]:
    """Sorted by file and position, duplicates dropped."""
    return sorted(set(diagnostics))


def did_you_mean(name: str, candidates: Iterable[str]) -> str:
    """A ' (did you mean 'x'?)' suffix for a near-miss name, or ''."""
    import difflib

    matches = difflib.get_close_matches(name, sorted(set(candidates)), n=1, cutoff=0.6)
    return f" (did you mean '{matches[0]}'?)" if matches else ""


def report_text(diagnostics: Sequence[Diagnostic]) -> str:
    # Escaped as a whole: a newline in a path, a key or a message cannot forge a line.
    return "".join(f"{one_line(str(d))}\n" for d in diagnostics)


def report_github(diagnostics: Sequence[Diagnostic]) -> str:
    lines = []
    for d in diagnostics:
        loc = d.location
        props = ",".join(
            f"{k}={workflow_property(str(v))}"
            for k, v in (("file", loc.path), ("line", loc.line), ("col", loc.column), ("title", d.code))
        )
        lines.append(f"::{d.severity} {props}::{workflow_data(d.message)}\n")
    return "".join(lines)


def counted(diagnostics: Sequence[Diagnostic]) -> str:
    """'2 errors, 1 warning': the closing count of a list of diagnostics."""
    errors = sum(1 for d in diagnostics if d.is_error)
    return f"{plural(errors, 'error')}, {plural(len(diagnostics) - errors, 'warning')}"


def plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


# --- the codes ------------------------------------------------------------------------
# Every code a diagnostic can carry and its severity, as README.md's tables document them
# (tests/test_codes.py compares the two both ways, and checks the code emits them so).

ERROR: frozenset[Severity] = frozenset({"error"})
WARNING: frozenset[Severity] = frozenset({"warning"})
EITHER: frozenset[Severity] = ERROR | WARNING

CODES: dict[str, frozenset[Severity]] = {
    "yaml-syntax": ERROR,
    "duplicate-key": ERROR,
    "not-utf8": ERROR,
    "binary-file": ERROR,
    "file-too-large": ERROR,
    "too-deep": ERROR,
    "alias-bomb": ERROR,
    "too-many-files": ERROR,
    "outside-root": ERROR,
    "unreadable": ERROR,
    "ignored-file": WARNING,
    "empty-file": EITHER,
    "non-string-key": ERROR,
    "unsupported-value": ERROR,
    "missing-workspace": ERROR,
    "no-environments": ERROR,
    "unknown-key": ERROR,
    "missing-key": ERROR,
    "wrong-type": ERROR,
    "invalid-value": ERROR,
    "unsupported-version": ERROR,
    "invalid-port": ERROR,
    "invalid-slots": ERROR,
    "invalid-secret-name": ERROR,
    "invalid-executor": ERROR,
    "unknown-deployment": ERROR,
    "duplicate-object": ERROR,
    "duplicate-deployment": ERROR,
    "exclude-without-all": ERROR,
    "override-unlinked": ERROR,
    "scoped-collision": ERROR,
    "invalid-conn-id": ERROR,
    "conn-id-case-collision": ERROR,
    "invalid-variable-key": ERROR,
    "invalid-pool-name": ERROR,
    "plaintext-secret": ERROR,
    "missing-executor": ERROR,
    "missing-default-queue": ERROR,
    "queue-missing-field": ERROR,
    "setting-not-for-deployment-type": ERROR,
    "invalid-email": ERROR,
    "invalid-env-key": ERROR,
    "template-syntax": ERROR,
    "template-undefined": ERROR,
    "template-unsafe": ERROR,
    "template-error": ERROR,
    "template-too-costly": ERROR,
    "template-unsupported": ERROR,
    "invalid-regex": ERROR,
    "unused-object": WARNING,
    "astro-cli-skips": WARNING,
    "astro-cli-lowercases": WARNING,
    "unknown-conn-type": WARNING,
    "worker-type-case": WARNING,
    "required-field-removed": ERROR,
    "no-matching-branch": ERROR,
    "invalid-deployment-name": ERROR,
    "preview-name-collision": ERROR,
    "preview-collisions-unchecked": WARNING,
    "secret-extra": ERROR,
    "override-as-scoped-object": WARNING,
    "unsupported-directive": ERROR,
    "yaml-warning": WARNING,
    "special-file": ERROR,
    "workspace-placeholder": WARNING,
    # plan and apply (SPEC 7)
    "invalid-sync-owner": ERROR,
    "missing-sync-owner": ERROR,
    "sync-branch-preview": ERROR,
    "sync-branch-unconfirmed": ERROR,
    "unmanaged-object": ERROR,
    "reserved-key": ERROR,
    "ledger-rewritten": WARNING,
    "not-yet-applied": WARNING,
    "applied-by-sync-branch": WARNING,
    "pools-not-applied": WARNING,
    "airflow-unsupported": ERROR,
    "deployment-not-found": ERROR,
    "workspace-not-found": ERROR,
    "hibernation-not-development": WARNING,
    "stale-plan": ERROR,
    "runtime-version-differs": WARNING,
    "deployment-type-differs": ERROR,
    "deployment-left-git": WARNING,
    "preview-owned-by-other-branch": ERROR,
    "secret-env-var-made-plain": ERROR,
}

# `import` reads an Astro CLI settings file, whose rules are the CLI's: many problems the
# CLI skips without a word are warnings there.
IMPORT_CODES: dict[str, frozenset[Severity]] = {
    "not-airflow-settings": ERROR,
    "wrong-type": ERROR,
    "unknown-key": ERROR,
    "duplicate-key": ERROR,
    "invalid-conn-id": ERROR,
    "conn-id-case-collision": ERROR,
    "invalid-port": ERROR,
    "invalid-variable-key": ERROR,
    "invalid-pool": ERROR,
    "invalid-uri": ERROR,
    "invalid-extra": ERROR,
    "unrepresentable-extra": ERROR,
    "too-deep": ERROR,
    "nothing-imported": ERROR,
    "number-as-text": WARNING,
    "bool-as-text": WARNING,
    "number-as-integer": WARNING,
    "secret-as-text": WARNING,
    "skipped-entry": WARNING,
    "uri-ignored": WARNING,
    "extra-replaces-uri": WARNING,
    "extra-dropped": WARNING,
    "extra-key-case": WARNING,
    "duplicate-entry": WARNING,
}
