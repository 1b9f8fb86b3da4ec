"""astro-gitops: a GitOps configuration compiler for Astronomer Astro.

The public API; everything else in the package is private. Names load on first use, so
`import compiler` (and every command's start-up) stays cheap.

    from compiler import validate_root
    project = validate_root(Path("."))
    for diagnostic in project.diagnostics:
        print(diagnostic)
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

# The one source of the version: pyproject.toml reads it (setuptools `dynamic`), `--version`
# prints it, `init` pins its release, and the release workflow checks the tag against it.
__version__ = "0.1.0"

__all__ = [
    "AstroGitopsError",
    "Diagnostic",
    "InvalidEnvironments",
    "Location",
    "Project",
    "Selection",
    "main",
    "run_render",
    "validate_root",
]

_HOME = {
    "AstroGitopsError": "errors",
    "InvalidEnvironments": "errors",
    "Diagnostic": "diagnostics",
    "Location": "diagnostics",
    "Project": "validate.project",
    "validate_root": "validate.project",
    "Selection": "render.pipeline",
    "run_render": "render.pipeline",
    "main": "cli",
}


def __getattr__(name: str) -> Any:
    if name not in _HOME:
        raise AttributeError(f"module 'compiler' has no attribute {name!r}")
    return getattr(import_module(f".{_HOME[name]}", __name__), name)
