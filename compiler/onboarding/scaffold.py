"""`init`: scaffold environments/, a pre-commit hook and a GitHub workflow in an existing repository.

The scaffolded files come from compiler/onboarding/templates/ and validate with no error;
the one warning left is the workspace name to fill in (`workspace-placeholder`), unless
`--workspace` gave it. The production rule follows the repository's default branch, and
the workflow and the hook install astro-gitops the way the running one was installed
(installspec.py). Files of the user's that we only add to (.gitignore,
.pre-commit-config.yaml) are never rewritten: missing lines are appended, as a person would.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from compiler import limits
from compiler.atomic import refuse_existing, write_new
from compiler.diagnostics import Diagnostic
from compiler.errors import OperationError
from compiler.escaping import has_undecodable, one_line
from compiler.model.frozen import frozen
from compiler.onboarding.installspec import PROJECT_REPOSITORY, InstallSpec
from compiler.onboarding.starter_files import starter
from compiler.render import yaml_text
from compiler.validate.rules import WORKSPACE_PLACEHOLDER

REPOSITORY = PROJECT_REPOSITORY
# Users' repositories do not vendor our schemas: editors fetch them from the main branch.
SCHEMA_BASE = "https://raw.githubusercontent.com/astro-gitops/astro-gitops/main/schemas"
PRECOMMIT_FILE = ".pre-commit-config.yaml"
GITIGNORE_FILE = ".gitignore"
# build/: render's output; airflow_settings.yaml and .env: local settings and secret values
# (`import --dotenv .env`); plan.json, *.plan.json: saved plans (`plan --out`), which name
# live objects and are applied as they are.
IGNORED = ("build/", "airflow_settings.yaml", ".env", "plan.json", "*.plan.json")
_IGNORE_COMMENT = "# astro-gitops: rendered output, saved plans, and local settings that may hold secrets\n"
OWNER = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")  # sync.owner, as schemas/workspace.schema.json
DEFAULT_BRANCH = "main"  # when the repository has none yet (no commit, no origin)
_WORKFLOW = ".github/workflows/astro-gitops.yml"

# The files `init` creates (and refuses to overwrite), by the template they come from.
SCAFFOLD = {
    "environments/workspace.yaml": "workspace.yaml",
    "environments/connections/example.yaml": "example.yaml",
    "environments/deployments/production.yaml": "production.yaml",
    "environments/deployments/development.yaml": "development.yaml",
    _WORKFLOW: "workflow.yml",
}
# With --deploy: the caller that turns the reusable workflow's deploy half on.
_DEPLOY_WORKFLOW = "workflow-deploy.yml"


@frozen
class InitResult:
    """What `init` did, as paths relative to the root."""

    created: tuple[str, ...]  # new files, and files replaced with force
    updated: tuple[str, ...]  # the user's files we appended to
    unchanged: tuple[str, ...]  # the user's files that already had what we add
    replaced: tuple[str, ...] = ()  # the part of `created` that existed (force)
    notes: tuple[str, ...] = ()

    @property
    def written(self) -> tuple[str, ...]:
        return tuple(sorted((*self.created, *self.updated)))


def schema_comment(kind: str) -> str:
    """The first line of a YAML file of `kind` (workspace, objects, deployment): editor validation."""
    return f"# yaml-language-server: $schema={SCHEMA_BASE}/{kind}.schema.json\n"


def init(
    root: Path,
    *,
    force: bool = False,
    workspace: str | None = None,
    branch: str | None = None,
    install: InstallSpec | None = None,
    deploy: bool = False,
    owner: str | None = None,
) -> InitResult:
    """Scaffold a repository; with conflicting files and no `force`, write nothing and say which.

    `branch` is the production branch (default: the repository's default branch), `install`
    what CI and pre-commit install (default: installspec.default_install()), `deploy` whether
    the workflow applies to Astro, and `owner` the `sync.owner` (default: the folder's name).
    """
    from compiler.onboarding.installspec import default_install
    from compiler.onboarding.precommit import with_hook

    if not root.is_dir():
        raise OperationError(f"{root} is not a directory")
    install = install or default_install()
    production = branch or default_branch(root)
    scaffold = scaffold_files(workspace or WORKSPACE_PLACEHOLDER, production, install, deploy=deploy)
    scaffold["environments/workspace.yaml"] += sync_block(owner or default_owner(root), production)
    replaced = refuse_existing(root, scaffold, force=force)
    additions = {
        PRECOMMIT_FILE: with_hook(_user_file(root / PRECOMMIT_FILE), install),
        GITIGNORE_FILE: with_ignored(_read(root / GITIGNORE_FILE)),
    }
    pending = {path: text for path, text in additions.items() if text is not None}
    existed = {path for path in pending if _exists(root / path)}
    write_new(root, {**scaffold, **pending}, force=True)
    return InitResult(
        created=tuple(sorted({*scaffold, *pending} - existed)),
        updated=tuple(sorted(existed)),
        unchanged=tuple(sorted(set(additions) - set(pending))),
        replaced=tuple(replaced),
        notes=_notes(root, workspace, install),
    )


def default_branch(root: Path) -> str:
    """The repository's default branch: origin's, else the one checked out, else git's setting, else main."""
    from compiler.load.gitrefs import default_branch as from_git

    found = from_git(root) or DEFAULT_BRANCH
    if has_undecodable(found):  # git allows any bytes in a ref name; workspace.yaml and the workflow are text
        raise OperationError(
            f"the repository's default branch '{one_line(found)}' is not UTF-8 text, which workspace.yaml "
            "and the workflow need: rename the branch"
        )
    return found


def default_owner(root: Path) -> str:
    """`sync.owner` when none is given: the repository folder's name, as a slug (`data-platform`)."""
    slug = re.sub(r"[^a-z0-9]+", "-", root.resolve().name.lower()).strip("-")[:64].strip("-")
    return slug or "astro-gitops"


def sync_block(owner: str, branch: str) -> str:
    """The `sync:` block of workspace.yaml: who owns what `apply` writes, and the branch that applies it."""
    return (
        "\n# plan/apply: `owner` is written into every object apply manages (never touched: objects\n"
        "# without it); the `branch` (the default branch) applies workspace-level objects.\n"
        f"sync:\n  owner: {yaml_text.scalar(owner)}\n  branch: {json.dumps(branch)}\n"
    )


def scaffold_files(workspace: str, branch: str, install: InstallSpec, *, deploy: bool = False) -> dict[str, str]:
    """{relative path: text} of every file `init` creates (with `deploy`, the deploy caller workflow)."""
    values = {
        "SCHEMA_BASE": SCHEMA_BASE,
        "WORKSPACE": yaml_text.scalar(workspace),
        "WORKSPACE_COMMENT": _workspace_comment(workspace),
        "BRANCH": _comment_text(branch),
        "BRANCH_VALUE": json.dumps(branch),  # a JSON string is YAML, in block and flow context
        "PRODUCTION_DESCRIPTION": yaml_text.scalar(f"Production Deployment (branch {_comment_text(branch)})"),
        **_workflow_values(install),
    }
    chosen = {**SCAFFOLD, _WORKFLOW: _DEPLOY_WORKFLOW} if deploy else SCAFFOLD
    return {path: starter(name, values) for path, name in chosen.items()}


def _workspace_comment(workspace: str) -> str:
    if workspace == WORKSPACE_PLACEHOLDER:
        return "# FILL IN: your Astro workspace name, as the Astro UI shows it (validate warns until you do)"
    return "# the Astro workspace name, as the Astro UI shows it"


def _comment_text(text: str) -> str:
    return "".join(c if c.isprintable() else "?" for c in text)


def _workflow_values(install: InstallSpec) -> dict[str, str]:
    """Where the reusable workflow comes from and what it installs, with the reason as a comment."""
    if install.github and install.commit:
        uses = f"{install.github}/.github/workflows/astro-gitops.yml@{install.commit}"
        uses_comment = "# the commit `init` ran from"
    elif install.tag:
        uses = f"astro-gitops/astro-gitops/.github/workflows/astro-gitops.yml@{install.tag}"
        uses_comment = f"# the release {install.tag} (safer: that tag's commit SHA)"
    else:
        uses = "astro-gitops/astro-gitops/.github/workflows/astro-gitops.yml@main"
        uses_comment = "# safer: pin a commit SHA of astro-gitops/astro-gitops instead of main"
    return {
        "USES": uses,
        "USES_COMMENT": uses_comment,
        "SPEC": json.dumps(install.pip),
        "SPEC_COMMENT": f"# {_comment_text(install.comment)}" if install.comment else "",
    }


def _exists(path: Path) -> bool:
    return path.exists() or path.is_symlink()


def _user_file(path: Path) -> bytes | Diagnostic | None:
    """A file of the user's, within the limits of every file read (never a FIFO, say)."""
    return limits.read_regular_file(path, path.name) if _exists(path) else None


def _read(path: Path) -> str | None:
    data = _user_file(path)
    if isinstance(data, Diagnostic):
        raise OperationError(f"cannot read {path.name}", [str(data)])
    try:
        return None if data is None else data.decode("utf-8")
    except UnicodeDecodeError:
        raise OperationError(f"cannot read {path.name}: it is not UTF-8") from None


def _notes(root: Path, workspace: str | None, install: InstallSpec) -> tuple[str, ...]:
    notes = []
    if workspace is None:
        notes.append(
            f"fill in your Astro workspace name in environments/workspace.yaml (`{WORKSPACE_PLACEHOLDER}` now), "
            "or run init with --workspace NAME"
        )
    if install.kind == "local":
        notes.append(f"{PRECOMMIT_FILE} and {_WORKFLOW} install astro-gitops from {install.comment}")
    if (root / "airflow_settings.yaml").is_file():
        notes.append(
            "airflow_settings.yaml exists: bring its objects over with `astro-gitops import airflow_settings.yaml`; "
            "it is now ignored by git (`git rm --cached airflow_settings.yaml` if it was committed)"
        )
    return tuple(notes)


# --- .gitignore --------------------------------------------------------------------------


def with_ignored(text: str | None) -> str | None:
    """The .gitignore with our lines appended where missing; None when none is missing."""
    present = {_ignore_key(line) for line in (text or "").splitlines()}
    missing = [line for line in IGNORED if _ignore_key(line) not in present]
    if not missing:
        return None
    before = text or ""
    if before and not before.endswith("\n"):
        before += "\n"
    gap = "\n" if before.strip() else ""
    return before + gap + _IGNORE_COMMENT + "".join(f"{m}\n" for m in missing)


def _ignore_key(line: str) -> str:
    # `build`, `/build` and `build/` all keep build/ out of git.
    return line.strip().strip("/")
