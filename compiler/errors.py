"""The one exception hierarchy of astro-gitops, and the exit codes (SPEC 4) it maps to."""

from __future__ import annotations

from enum import IntEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Sequence

    from compiler.diagnostics import Diagnostic


class ExitCode(IntEnum):
    """Every exit status of astro-gitops; the one source for the CLI, its --help and the README."""

    OK = 0
    INVALID = 1
    USAGE = 2
    CHANGES = 3
    INTERNAL = 70
    INTERRUPTED = 130  # Ctrl-C: the shell's 128 + SIGINT

    @property
    def meaning(self) -> str:
        return _MEANINGS[self]


_MEANINGS = {
    ExitCode.OK: "success",
    ExitCode.INVALID: "the environments are invalid, or the operation failed (diagnostics say why)",
    ExitCode.USAGE: "bad command-line usage",
    ExitCode.CHANGES: "changes found (`diff --exit-code`, `plan --exit-code`) or drift found (`render --check`)",
    ExitCode.INTERNAL: "internal error (a bug): one line asking for a report, never a secret",
    ExitCode.INTERRUPTED: "interrupted (Ctrl-C)",
}


class AstroGitopsError(Exception):
    """Root of every error this program raises on purpose.

    The message is one line. `details` are further lines our own code composed (a located
    diagnostic, a snippet to paste): the CLI prints each as a line of its own, each escaped,
    so no user-controlled text inside a message can forge a line.
    """

    exit_code = ExitCode.INVALID
    code: str | None = None  # a README Diagnostics code, for errors that have one

    def __init__(self, message: str = "", details: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.details = tuple(details)

    @property
    def headline(self) -> str:
        """`error[CODE]: message` (or `error: message`): the one place the prefix is added.

        The message itself never carries a prefix, so quoting one error inside another
        (`cannot reach Airflow: {exc}`) never doubles it.
        """
        return f"error{f'[{self.code}]' if self.code else ''}: {self}"


class UsageError(AstroGitopsError):
    """The command line asks for something impossible (exit 2)."""

    exit_code = ExitCode.USAGE


class OperationError(AstroGitopsError):
    """An operation failed for a reason the user can fix (exit 1)."""


class InvalidEnvironments(AstroGitopsError):
    """The environments do not validate; carries every diagnostic found."""

    def __init__(self, diagnostics: Sequence[Diagnostic]) -> None:
        super().__init__(f"{len(diagnostics)} problem(s) found")
        self.diagnostics = tuple(diagnostics)
