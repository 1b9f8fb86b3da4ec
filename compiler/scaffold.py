"""`init`: scaffold environments/, a pre-commit hook and a GitHub workflow in an existing repository.

The scaffolded files come from compiler/templates/init/ and validate with no error and no
warning. Files of the user's that we only add to (.gitignore, .pre-commit-config.yaml)
are never rewritten: missing lines are appended, as a person would add them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path
from typing import Any

from . import limits, load, yamltext
from .diagnostics import Diagnostic, has_errors
from .errors import OperationError
from .output import _atomic_write

VERSION = "0.1.0"  # kept equal to pyproject.toml's version by tests/test_scaffold.py
RELEASE = f"v{VERSION}"
REPOSITORY = "https://github.com/astro-gitops/astro-gitops"
# Users' repositories do not vendor our schemas: editors fetch them from the main branch.
SCHEMA_BASE = "https://raw.githubusercontent.com/astro-gitops/astro-gitops/main/schemas"
HOOK_ID = "astro-gitops-validate"
PRECOMMIT_FILE = ".pre-commit-config.yaml"
GITIGNORE_FILE = ".gitignore"
IGNORED = ("build/", "airflow_settings.yaml")
_IGNORE_COMMENT = "# astro-gitops: rendered output, and local settings that may hold secrets\n"

# The files `init` creates (and refuses to overwrite), by the template they come from.
SCAFFOLD = {
    "environments/workspace.yaml": "workspace.yaml",
    "environments/connections/example.yaml": "example.yaml",
    "environments/deployments/production.yaml": "production.yaml",
    "environments/deployments/development.yaml": "development.yaml",
    ".github/workflows/astro-gitops.yml": "workflow.yml",
}
HOOK_ENTRY = f"- repo: {REPOSITORY}\n  rev: {RELEASE}\n  hooks:\n    - id: {HOOK_ID}\n"


@dataclass(frozen=True)
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


def init(root: Path, *, force: bool = False) -> InitResult:
    """Scaffold a repository; with conflicting files and no `force`, write nothing and say which."""
    if not root.is_dir():
        raise OperationError(f"{root} is not a directory")
    scaffold = scaffold_files(workspace_name(root))
    replaced = _refuse_existing(root, scaffold, force=force)
    additions = {
        PRECOMMIT_FILE: with_hook(_read(root / PRECOMMIT_FILE)),
        GITIGNORE_FILE: with_ignored(_read(root / GITIGNORE_FILE)),
    }
    pending = {path: text for path, text in additions.items() if text is not None}
    existed = {path for path in pending if _exists(root / path)}
    write_files(root, {**scaffold, **pending}, force=True)
    return InitResult(
        created=tuple(sorted({*scaffold, *pending} - existed)),
        updated=tuple(sorted(existed)),
        unchanged=tuple(sorted(set(additions) - set(pending))),
        replaced=tuple(replaced),
        notes=_notes(root),
    )


def workspace_name(root: Path) -> str:
    """The folder's name: a placeholder the user replaces with the Astro workspace name."""
    return root.resolve().name or "workspace"


def scaffold_files(workspace: str) -> dict[str, str]:
    """{relative path: text} of every file `init` creates."""
    values = {
        "SCHEMA_BASE": SCHEMA_BASE,
        "WORKSPACE": yamltext.scalar(workspace),
        "RELEASE": RELEASE,
        "VERSION": VERSION,
    }
    return {path: _template(name, values) for path, name in SCAFFOLD.items()}


def _template(name: str, values: Mapping[str, str]) -> str:
    text = files("compiler.templates").joinpath("init").joinpath(name).read_text(encoding="utf-8")
    for key, value in values.items():
        text = text.replace(f"%{key}%", value)
    return text


def write_files(root: Path, texts: Mapping[str, str], *, force: bool = False) -> list[str]:
    """Write each file atomically; without `force`, first refuse if any of them exists."""
    _refuse_existing(root, texts, force=force)
    for relative in sorted(texts):
        try:
            _atomic_write(root / relative, texts[relative])
        except OSError as exc:
            raise OperationError(f"cannot write {relative}: {exc.strerror or type(exc).__name__}") from None
    return sorted(texts)


def _refuse_existing(root: Path, paths: Iterable[str], *, force: bool) -> list[str]:
    """The paths that exist; without `force`, an error naming every one of them."""
    existing = sorted(p for p in paths if _exists(root / p))
    if existing and not force:
        listed = ", ".join(existing)
        raise OperationError(
            f"refusing to overwrite existing file(s): {listed} (move them away, or pass --force to replace them)"
        )
    return existing


def _exists(path: Path) -> bool:
    return path.exists() or path.is_symlink()


def _read(path: Path) -> str | None:
    """The text of a file of the user's, within the limits of every file read (never a FIFO, say)."""
    if not path.exists():
        return None
    data = limits.read_regular_file(path, path.name)
    if isinstance(data, Diagnostic):
        raise OperationError(f"cannot read {path.name}: {data.message}")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise OperationError(f"cannot read {path.name}: UnicodeDecodeError") from None


def _notes(root: Path) -> tuple[str, ...]:
    notes = []
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


# --- .pre-commit-config.yaml ---------------------------------------------------------------


def with_hook(text: str | None) -> str | None:
    """The pre-commit config with our hook repository added; None when it already has it.

    The entry is inserted as text, in the indentation of the existing entries, so the
    user's comments and layout stay as they are; the result is checked by parsing it.
    A layout that text insertion cannot follow (flow style) is re-emitted by ruamel.yaml.
    """
    if text is None or not text.strip():
        return _template("pre-commit-config.yaml", {"HOOK_ENTRY": _indented(HOOK_ENTRY, 2).rstrip("\n")})
    plain, data = _parse_config(text)
    if _has_hook(data):
        return None
    expected = {**plain, "repos": [*(plain.get("repos") or []), _plain_entry()]}
    for candidate in (_inserted(text, data), _reemitted(data)):
        if candidate is not None and _parses_to(candidate, expected):
            return candidate
    raise OperationError(
        f"cannot add the astro-gitops hook to {PRECOMMIT_FILE}; add this entry under `repos:` by hand:\n{HOOK_ENTRY}"
    )


def _indented(text: str, indent: int) -> str:
    return "".join(" " * indent + line for line in text.splitlines(keepends=True))


def _plain_entry() -> dict[str, Any]:
    return {"repo": REPOSITORY, "rev": RELEASE, "hooks": [{"id": HOOK_ID}]}


def _load(text: str) -> load.Document | None:
    """The config read as every YAML file is (load.py: same reader, same limits), or None with errors."""
    document, problems = load.parse_text(PRECOMMIT_FILE, text)
    return None if document is None or has_errors(problems) else document


def _parse_config(text: str) -> tuple[dict[str, Any], Any]:
    """The config's plain data and its round-trip tree (for positions and layout)."""
    document, problems = load.parse_text(PRECOMMIT_FILE, text)
    found = [d for d in problems if d.is_error]
    if document is None or found:
        raise OperationError(
            f"{PRECOMMIT_FILE} is not valid YAML ({found[0]}); fix it, or add this entry under `repos:` by hand:\n{HOOK_ENTRY}"
        )
    data = document.tree
    if not isinstance(data, dict) or not isinstance(data.get("repos", []), list):
        raise OperationError(f"{PRECOMMIT_FILE} is not a pre-commit configuration (a mapping with a `repos:` list)")
    return document.data, data


def _has_hook(data: Mapping[str, Any]) -> bool:
    """Our repository is listed, or some repository (a `local` one, say) has a hook of our id."""
    for repo in data.get("repos") or []:
        if not isinstance(repo, Mapping):
            continue
        if _same_repository(str(repo.get("repo", ""))):
            return True
        if any(isinstance(h, Mapping) and h.get("id") == HOOK_ID for h in repo.get("hooks") or []):
            return True
    return False


def _same_repository(url: str) -> bool:
    def key(u: str) -> str:
        return u.strip().rstrip("/").removesuffix(".git").lower()

    return key(url) == key(REPOSITORY)


def _inserted(text: str, data: Any) -> str | None:
    """Our entry typed in after the last repository, in the indentation of the first one."""
    repos = data.get("repos")
    if not repos or _flow(data) or _flow(repos):
        return None
    lines = text.splitlines(keepends=True)
    line, content = repos.lc.item(0)
    before = lines[line][:content].rstrip()
    if not before.endswith("-") or before[:-1].strip():
        return None
    end = _section_end(data, lines)
    last = max(i for i in range(data.lc.key("repos")[0], end) if _is_content(lines[i]))
    head = "".join(lines[: last + 1])
    if not head.endswith("\n"):
        head += "\n"
    return head + _entry_at(len(before) - 1, content) + "".join(lines[last + 1 :])


def _flow(node: Any) -> bool:
    attributes = getattr(node, "fa", None)
    return bool(attributes is not None and attributes.flow_style())


def _entry_at(dash: int, content: int) -> str:
    """HOOK_ENTRY with its dash at column `dash` and its keys at column `content`."""
    first, *rest = HOOK_ENTRY.splitlines(keepends=True)
    return " " * dash + "-" + " " * (content - dash - 1) + first[2:] + "".join(" " * (content - 2) + r for r in rest)


def _section_end(data: Any, lines: list[str]) -> int:
    """The line where the top-level key after `repos:` starts (or the end of the file)."""
    keys = list(data)
    following = keys[keys.index("repos") + 1 :]
    return min((data.lc.key(k)[0] for k in following), default=len(lines))


def _is_content(line: str) -> bool:
    # A comment in the first column before the next key belongs to that key, not to repos.
    return bool(line.strip()) and not line.startswith("#")


def _reemitted(data: Any) -> str:
    import io

    from ruamel.yaml import YAML

    yaml = YAML(typ="rt")
    yaml.indent(mapping=2, sequence=4, offset=2)
    repos = data.get("repos")
    if repos is None:
        data["repos"] = repos = []
    if _flow(repos):
        repos.fa.set_block_style()  # one entry per line, so ours reads like the others
    repos.append(_plain_entry())
    stream = io.StringIO()
    yaml.dump(data, stream)
    return stream.getvalue()


def _parses_to(text: str, expected: Any) -> bool:
    document = _load(text)  # a candidate that does not parse is just not taken
    return document is not None and bool(document.data == expected)
