"""Our hook in a user's .pre-commit-config.yaml, added as a person would add it.

The file is read through the same limits as the files of environments/ (load/documents.py): an
alias bomb or a 100 MB file is a located diagnostic, not a hang. The entry installs
astro-gitops the way the running one was installed (installspec.py): a git URL and
commit use this repository's hook manifest; anything else is a `local` hook that pip
installs from the same spec.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from compiler.diagnostics import Diagnostic, has_errors
from compiler.errors import OperationError
from compiler.load import documents
from compiler.onboarding.installspec import PROJECT_REPOSITORY, InstallSpec
from compiler.onboarding.starter_files import starter

HOOK_ID = "astro-gitops-validate"
PRECOMMIT_FILE = ".pre-commit-config.yaml"
_LOCAL_HOOK = (
    "  hooks:\n"
    f"    - id: {HOOK_ID}\n"
    "      name: astro-gitops validate\n"
    "      entry: astro-gitops validate\n"
    "      language: python\n"
    "      additional_dependencies: [{spec}]  # {comment}\n"
    "      pass_filenames: false\n"
    "      files: ^environments/\n"
    "      require_serial: true\n"
)


def hook_entry(install: InstallSpec) -> str:
    """Our `repos:` entry as YAML text, its dash in the first column."""
    if install.kind == "vcs":
        rev = f"{install.commit}  # {install.comment}"
        return f"- repo: {json.dumps(install.vcs_url)}\n  rev: {rev}\n  hooks:\n    - id: {HOOK_ID}\n"
    return "- repo: local\n" + _LOCAL_HOOK.format(spec=json.dumps(install.pip), comment=_one_line(install.comment))


def _plain_entry(install: InstallSpec) -> dict[str, Any]:
    if install.kind == "vcs":
        return {"repo": install.vcs_url, "rev": install.commit, "hooks": [{"id": HOOK_ID}]}
    hook = {
        "id": HOOK_ID,
        "name": "astro-gitops validate",
        "entry": "astro-gitops validate",
        "language": "python",
        "additional_dependencies": [install.pip],
        "pass_filenames": False,
        "files": "^environments/",
        "require_serial": True,
    }
    return {"repo": "local", "hooks": [hook]}


def with_hook(config: str | bytes | Diagnostic | None, install: InstallSpec) -> str | None:
    """The pre-commit config (its text or bytes) with our hook added; None when it already has it.

    The entry is inserted as text, in the indentation of the existing entries, so the
    user's comments and layout stay as they are; the result is checked by parsing it.
    A layout that text insertion cannot follow (flow style) is re-emitted by ruamel.yaml.
    """

    entry = hook_entry(install)
    if isinstance(config, Diagnostic):  # not readable within the limits (too large, a FIFO, ...)
        raise OperationError(f"cannot read {PRECOMMIT_FILE}; fix it, or {BY_HAND}", [str(config), *entry.splitlines()])
    raw = config.encode("utf-8") if isinstance(config, str) else config
    if raw is None or not raw.strip():
        return starter("pre-commit-config.yaml", {"HOOK_ENTRY": _indented(entry, 2).rstrip("\n")})
    plain, text = _parse(raw, entry)
    tree = _tree(text, entry)
    if _has_hook(plain, install):
        return None
    expected = {**plain, "repos": [*(plain.get("repos") or []), _plain_entry(install)]}
    for candidate in (_inserted(text, tree, entry), _reemitted(tree, install)):
        if candidate is not None and _parses_to(candidate, expected):
            return candidate
    raise OperationError(f"cannot add the astro-gitops hook to {PRECOMMIT_FILE}; {BY_HAND}", entry.splitlines())


BY_HAND = "add this entry under `repos:` by hand:"


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _indented(text: str, indent: int) -> str:
    return "".join(" " * indent + line for line in text.splitlines(keepends=True))


def _parse(raw: bytes, entry: str) -> tuple[dict[str, Any], str]:
    """The config's plain data and text, read within load/documents.py's limits (size, depth, aliases, encoding)."""
    document, problems = documents.parse_document(PRECOMMIT_FILE, raw)
    if document is None or has_errors(problems):
        raise OperationError(
            f"{PRECOMMIT_FILE} is not valid YAML; fix it, or {BY_HAND}",
            [*map(str, problems), *entry.splitlines()],
        )
    data = document.data
    if not isinstance(data, dict) or not isinstance(data.get("repos", []), list):
        raise OperationError(f"{PRECOMMIT_FILE} is not a pre-commit configuration (a mapping with a `repos:` list)")
    return data, raw.decode("utf-8-sig")


def _tree(text: str, entry: str) -> Any:
    """The round-trip tree, for positions and re-emitting (the text passed the limits)."""
    document, problems = documents.parse_text(PRECOMMIT_FILE, text)
    if document is None or has_errors(problems):
        raise OperationError(
            f"{PRECOMMIT_FILE} is not valid YAML; fix it, or {BY_HAND}",
            [*map(str, problems), *entry.splitlines()],
        )
    return document.tree


def _has_hook(data: Mapping[str, Any], install: InstallSpec) -> bool:
    """Our repository is listed, or some repository (a `local` one, say) has a hook of our id."""
    ours = {_repository_key(PROJECT_REPOSITORY), _repository_key(install.vcs_url)} - {""}
    for repo in data.get("repos") or []:
        if not isinstance(repo, Mapping):
            continue
        if _repository_key(str(repo.get("repo", ""))) in ours:
            return True
        if any(isinstance(h, Mapping) and h.get("id") == HOOK_ID for h in repo.get("hooks") or []):
            return True
    return False


def _repository_key(url: str) -> str:
    return url.strip().rstrip("/").removesuffix(".git").lower()


def _inserted(text: str, data: Any, entry: str) -> str | None:
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
    return head + _entry_at(entry, len(before) - 1, content) + "".join(lines[last + 1 :])


def _flow(node: Any) -> bool:
    attributes = getattr(node, "fa", None)
    return bool(attributes is not None and attributes.flow_style())


def _entry_at(entry: str, dash: int, content: int) -> str:
    """The entry with its dash at column `dash` and its keys at column `content`."""
    first, *rest = entry.splitlines(keepends=True)
    return " " * dash + "-" + " " * (content - dash - 1) + first[2:] + "".join(" " * (content - 2) + r for r in rest)


def _section_end(data: Any, lines: list[str]) -> int:
    """The line where the top-level key after `repos:` starts (or the end of the file)."""
    keys = list(data)
    following = keys[keys.index("repos") + 1 :]
    return min((data.lc.key(k)[0] for k in following), default=len(lines))


def _is_content(line: str) -> bool:
    # A comment in the first column before the next key belongs to that key, not to repos.
    return bool(line.strip()) and not line.startswith("#")


def _reemitted(data: Any, install: InstallSpec) -> str:
    import io

    from ruamel.yaml import YAML

    yaml = YAML(typ="rt")
    yaml.indent(mapping=2, sequence=4, offset=2)
    repos = data.get("repos")
    if repos is None:
        data["repos"] = repos = []
    if _flow(repos):
        repos.fa.set_block_style()  # one entry per line, so ours reads like the others
    repos.append(_plain_entry(install))
    stream = io.StringIO()
    yaml.dump(data, stream)
    return stream.getvalue()


def _parses_to(text: str, expected: Any) -> bool:
    document, problems = documents.parse_document(PRECOMMIT_FILE, text.encode("utf-8"))
    return document is not None and not has_errors(problems) and document.data == expected
