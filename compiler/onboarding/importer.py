"""`import`: an Astro CLI airflow_settings.yaml -> environments/ files, with the secrets taken out.

The file is read as the Astro CLI reads it (settingsfile/); objectsfile.py writes its
entries as objects files, every secret as `{secret: NAME}`. The values come back in
`ImportResult.secrets`, for the user's secret store: they are never written into a file
and never appear in a diagnostic. Imported objects are linked where `--link` says, and
by default to no Deployment: local values must not reach production without a decision.
"""

from __future__ import annotations

import os
from collections.abc import Collection, Iterable, Sequence
from pathlib import Path, PurePosixPath
from typing import Any, Literal, TypeAlias

from compiler import limits
from compiler.atomic import write_new
from compiler.diagnostics import Diagnostic, did_you_mean, error, has_errors, ordered, warning
from compiler.errors import OperationError, UsageError
from compiler.load import documents
from compiler.load.sources import DEPLOYMENTS_DIR, ENVIRONMENTS, filesystem_sources
from compiler.model.frozen import field, frozen, replace
from compiler.model.secrets import add_sensitive_keys, reference_name
from compiler.model.secrets import dotenv_text as dotenv_text  # the NAME='value' block; the reader's module writes it
from compiler.onboarding.objectsfile import (
    Secrets,
    connection_fields,
    file_text,
    plain,
    secret_name,
    variable_fields,
    verify,
)
from compiler.onboarding.settingsfile.settings import SECTIONS, Entry, read_settings

__all__ = [
    "ImportResult",
    "InvalidSettings",
    "dotenv_text",
    "import_file",
    "import_settings",
    "parse_links",
    "secret_name",
]

DEFAULT_FOLDER = "environments/imported"
Links: TypeAlias = 'Literal["all"] | tuple[str, ...]'
YPath: TypeAlias = documents.YPath


@frozen
class ImportResult:
    """The files to write (paths under environments/) and the secret values taken out of them."""

    files: dict[str, str]
    secrets: dict[str, str] = field(repr=False)
    diagnostics: tuple[Diagnostic, ...] = ()  # warnings (errors raise InvalidSettings)
    keys: dict[str, tuple[str, ...]] = field(default_factory=dict)  # section -> imported keys
    links: Links = ()  # what every imported object is linked to
    written: tuple[str, ...] = ()  # set by import_file

    @property
    def counts(self) -> dict[str, int]:
        return {section: len(keys) for section, keys in self.keys.items()}


class InvalidSettings(OperationError):
    """The settings file cannot be imported; carries every problem found."""

    def __init__(self, source: str, diagnostics: Sequence[Diagnostic]) -> None:
        self.diagnostics = tuple(diagnostics)
        super().__init__(
            f"cannot import {source}, nothing written ({tally(self.diagnostics)}):", [str(d) for d in self.diagnostics]
        )


def tally(diagnostics: Sequence[Diagnostic]) -> str:
    """'2 errors, 1 warning': errors and warnings counted apart."""
    errors = sum(d.is_error for d in diagnostics)
    warnings = len(diagnostics) - errors
    return f"{errors} error{'s' * (errors != 1)}, {warnings} warning{'s' * (warnings != 1)}"


def parse_links(text: str) -> Links:
    """`--link`: `all`, or Deployment names separated by commas."""
    if text.strip() == "all":
        return "all"
    names = tuple(dict.fromkeys(n.strip() for n in text.split(",") if n.strip()))
    if not names:
        raise UsageError("--link must be 'all' or Deployment names separated by commas")
    return names


def import_settings(
    text: str,
    source_name: str,
    *,
    existing_names: Iterable[str] = (),
    links: Links = (),
    folder: str = DEFAULT_FOLDER,
) -> ImportResult:
    """Convert the text of an airflow_settings.yaml; raise InvalidSettings when it has errors.

    `existing_names` are secret names already used in the repository: derived names avoid
    them. `links` is what every imported object is linked to (default: no Deployment).
    """
    return _convert(text.encode("utf-8"), source_name, set(existing_names), links, folder)


def import_file(
    root: Path, source: Path, *, links: Links = (), force: bool = False, folder: str = DEFAULT_FOLDER
) -> ImportResult:
    """`astro-gitops import FILE`: convert FILE and write the files under root; one call for the CLI.

    Refuses (writing nothing) when a file to write exists and `force` is not given, when
    `links` names a Deployment environments/ does not define, or when environments/
    already defines an imported key (the files would not validate).
    """
    name = display_name(root, source)
    # Read as every YAML file is: only a regular file (never a FIFO), within the size limit.
    data = limits.read_regular_file(source, name)
    if isinstance(data, Diagnostic):
        raise InvalidSettings(name, [data])
    # The files an import writes are replaced by it (with force): what they hold does not count.
    targets = {f"{folder}/{section}.yaml" for section in SECTIONS}
    _refuse_unknown_links(root, links, ignore=targets)
    _use_workspace_policy(root)
    result = _convert(data, name, referenced_secret_names(root, ignore=targets), links, folder)
    _refuse_defined(root, result, ignore=targets)
    written = write_new(root, result.files, force=force)
    return replace(result, written=tuple(written))


def display_name(root: Path, source: Path) -> str:
    """The source as validate shows paths: relative to the root when inside it, else as given."""
    try:
        return Path(os.path.realpath(source)).relative_to(os.path.realpath(root)).as_posix()
    except ValueError:
        return str(source)


def _convert(data: bytes, source_name: str, existing_names: set[str], links: Links, folder: str) -> ImportResult:
    _check_folder(folder)
    document = _parse(data, source_name)
    settings = read_settings(document)
    found = list(settings.diagnostics)
    if not has_errors(found) and not (settings.connections or settings.variables or settings.pools):
        found.append(error(document.locate(()), "nothing-imported", "no connection, variable or pool to import"))
    if has_errors(found):
        raise InvalidSettings(source_name, ordered(found))

    def retyped(entry: Entry, dotted: str, kind: str) -> None:
        message = f"extra.{dotted} of '{entry.key}' is a {kind}, taken out as a secret holding its JSON text: it renders as a string"
        found.append(warning(document.locate(entry.ypath), "secret-as-text", message))

    secrets = Secrets(existing_names)
    linked = {"links": links if links == "all" else list(links)}
    objects = {
        "connections": [(c.key, {**connection_fields(c, secrets, retyped), **linked}) for c in settings.connections],
        "variables": [(v.key, {**variable_fields(v, secrets), **linked}) for v in settings.variables],
        "pools": [(p.key, {**p.fields, **linked}) for p in settings.pools],
    }
    files = {
        f"{folder}/{s}.yaml": file_text(s, entries, source_name, linked=bool(links))
        for s, entries in objects.items()
        if entries
    }
    for section, entries in objects.items():
        if entries:
            path = f"{folder}/{section}.yaml"
            verify(path, files[path], {section: {k: plain(f) for k, f in entries}})
    keys = {section: tuple(k for k, _ in entries) for section, entries in objects.items()}
    return ImportResult(files, secrets.values, tuple(ordered(found)), keys, links=links)


def _check_folder(folder: str) -> None:
    parts = PurePosixPath(folder).parts
    if not parts or parts[0] != ENVIRONMENTS or ".." in parts or (len(parts) > 1 and parts[1] == "deployments"):
        raise UsageError(
            f"the import folder must be under {ENVIRONMENTS}/ (and not in {DEPLOYMENTS_DIR}), not '{folder}'"
        )


# --- the repository the files go to -------------------------------------------------------


def referenced_secret_names(root: Path, ignore: Collection[str] = ()) -> set[str]:
    """Every `{secret: NAME}` under root/environments but in `ignore`, read leniently (a broken file is skipped)."""
    return {name for document in _documents(root, ignore) for name in _secret_refs(document.data)}


def _use_workspace_policy(root: Path) -> None:
    """The names workspace.yaml adds to the secret policy (`secrets.sensitive_keys`, SPEC 2.5)."""
    for document in _documents(root, ()):
        spec = (
            document.data.get("secrets") if document.kind == "workspace" and isinstance(document.data, dict) else None
        )
        names = spec.get("sensitive_keys") if isinstance(spec, dict) else None
        if isinstance(names, list):
            add_sensitive_keys(n for n in names if isinstance(n, str))


def _documents(root: Path, ignore: Collection[str]) -> list[documents.Document]:
    loaded, _ = documents.load_documents(s for s in filesystem_sources(root) if s.path not in ignore)
    return loaded


def _secret_refs(value: Any) -> Iterable[str]:
    if isinstance(value, dict):
        name = reference_name(value)
        if name is not None:
            yield name
        for child in value.values():
            yield from _secret_refs(child)
    elif isinstance(value, list):
        for child in value:
            yield from _secret_refs(child)


def _refuse_unknown_links(root: Path, links: Links, ignore: Collection[str]) -> None:
    """`--link D` must name a Deployment of environments/ (when it defines any)."""
    if links == "all" or not links:
        return
    names = {
        d.data["name"]
        for d in _documents(root, ignore)
        if d.kind == "deployment" and isinstance(d.data, dict) and isinstance(d.data.get("name"), str)
    }
    unknown = [n for n in links if names and n not in names]
    if unknown:
        hint = did_you_mean(unknown[0], names)
        known = ", ".join(sorted(names))
        raise UsageError(f"--link names no Deployment of environments/: {', '.join(unknown)}{hint} (known: {known})")


def _refuse_defined(root: Path, result: ImportResult, ignore: Collection[str]) -> None:
    """Imported keys environments/ already defines would be duplicates: say where, write nothing."""
    wanted = {(s, k.upper() if s == "connections" else k) for s, keys in result.keys.items() for k in keys}
    clashes = [
        f"{section[:-1]} '{key}' ({document.locate((section, key), at='key')})"
        for document in _documents(root, ignore)
        if document.kind != "workspace" and isinstance(document.data, dict)
        for section in SECTIONS
        if isinstance(document.data.get(section), dict)
        for key in document.data[section]
        if (section, key.upper() if section == "connections" else key) in wanted
    ]
    if clashes:
        raise OperationError("environments/ already defines " + ", ".join(clashes) + ": remove or rename them first")


def _parse(data: bytes, source_name: str) -> documents.Document:
    document, problems = documents.parse_document(source_name, data)
    if document is None or has_errors(problems):
        raise InvalidSettings(source_name, problems)
    return document
