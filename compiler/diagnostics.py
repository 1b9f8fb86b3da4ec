"""Locations, diagnostics, and the reporters that print them (text, json, github)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

Severity = Literal["error", "warning"]


@dataclass(frozen=True, order=True)
class Location:
    """A 1-based position in a file, the path relative to --root."""

    path: str
    line: int = 1
    column: int = 1

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.column}"


@dataclass(frozen=True, order=True)
class Diagnostic:
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
    return "".join(f"{d}\n" for d in diagnostics)


def report_json(diagnostics: Sequence[Diagnostic]) -> str:
    from .reports import DiagnosticEntry, ValidateReport

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


def _github_escape(text: str, *, property_value: bool = False) -> str:
    # The workflow-command escaping of actions/toolkit (command.ts).
    text = text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    if property_value:
        text = text.replace(":", "%3A").replace(",", "%2C")
    return text


def report_github(diagnostics: Sequence[Diagnostic]) -> str:
    lines = []
    for d in diagnostics:
        loc = d.location
        props = ",".join(
            f"{k}={_github_escape(str(v), property_value=True)}"
            for k, v in (("file", loc.path), ("line", loc.line), ("col", loc.column), ("title", d.code))
        )
        lines.append(f"::{d.severity} {props}::{_github_escape(d.message)}\n")
    return "".join(lines)


REPORTERS: dict[str, Callable[[Sequence[Diagnostic]], str]] = {
    "text": report_text,
    "json": report_json,
    "github": report_github,
}
