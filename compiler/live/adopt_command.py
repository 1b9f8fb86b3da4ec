"""`import --from-astro [--workspace NAME]` and `import --from-airflow URL --deployment D`: one call
for the command line, which checks the options that go together and writes the files."""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

from compiler.errors import UsageError
from compiler.onboarding.adoption import Adopted


def adopt(
    root: Path,
    environ: Mapping[str, str],
    *,
    from_airflow: str | None,
    workspace: str | None,
    deployment: str | None,
    dotenv: Path | None,
    force: bool,
) -> Adopted:
    """Read the live workspace (Astro) or Airflow, write environments/ (and, when asked, the
    secret values an Airflow returned into a git-ignored dotenv file). UsageError for options
    that do not go together."""
    owner = default_owner(root)
    if from_airflow is None:
        if deployment is not None or dotenv is not None:
            raise UsageError(
                "--from-astro takes no --deployment (it imports every Deployment) and no --dotenv "
                "(Astro never returns a secret value)"
            )
        from compiler.live.astro_import import import_astro

        return import_astro(root, environ, workspace=workspace, force=force, owner=owner)
    if deployment is None:
        raise UsageError("--from-airflow needs --deployment D: the Deployment whose objects they become")
    if workspace is not None:
        raise UsageError("--workspace goes with --from-astro; --from-airflow reads workspace.yaml")
    from compiler.live.airflow_import import import_airflow

    return import_airflow(root, environ, url=from_airflow, deployment=deployment, dotenv=dotenv, force=force)


def default_owner(root: Path) -> str:
    """sync.owner of a workspace.yaml an import writes: the repository folder's name, as a valid owner."""
    name = re.sub(r"[^A-Za-z0-9_.-]+", "-", root.resolve().name).strip("-._")[:64]
    return name or "astro-gitops"
