"""The one exception hierarchy of astro-gitops; cli.py maps it to exit codes."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Sequence

    from .diagnostics import Diagnostic


class AstroGitopsError(Exception):
    """Root of every error this program raises on purpose."""

    exit_code = 1


class UsageError(AstroGitopsError):
    """The command line asks for something impossible (exit 2)."""

    exit_code = 2


class OperationError(AstroGitopsError):
    """An operation failed for a reason the user can fix (exit 1)."""


class InvalidEnvironments(AstroGitopsError):
    """The environments do not validate; carries every diagnostic found."""

    def __init__(self, diagnostics: Sequence[Diagnostic]) -> None:
        super().__init__(f"{len(diagnostics)} problem(s) found")
        self.diagnostics = tuple(diagnostics)
