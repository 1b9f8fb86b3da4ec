"""`import`: an Astro CLI airflow_settings.yaml -> environments/ files, with the secrets taken out.

The file is read as the Astro CLI reads it (settingsfile.py); this module turns its
entries into objects files.

Every plaintext password, every secret-looking extra leaf (rules.looks_secret) and the
value of every secret-looking variable becomes `{secret: NAME}`. The values come back in
`ImportResult.secrets`, for the user's secret store: they are never written into a file
and never appear in a diagnostic.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any, Literal, TypeAlias

from . import load, yamltext
from .diagnostics import Diagnostic, has_errors, ordered, warning
from .errors import OperationError, UsageError
from .model import Secret
from .rules import SECRET_NAME, looks_secret
from .scaffold import schema_comment, write_files
from .settingsfile import SECTIONS, Entry, read_settings
from .sources import DEPLOYMENTS_DIR, ENVIRONMENTS, filesystem_sources

DEFAULT_FOLDER = "environments/imported"
Links: TypeAlias = 'Literal["all"] | tuple[str, ...]'
YPath: TypeAlias = load.YPath


@dataclass(frozen=True)
class ImportResult:
    """The files to write (paths under environments/) and the secret values taken out of them."""

    files: dict[str, str]
    secrets: dict[str, str] = field(repr=False)
    diagnostics: tuple[Diagnostic, ...] = ()  # warnings (errors raise InvalidSettings)
    keys: dict[str, tuple[str, ...]] = field(default_factory=dict)  # section -> imported keys
    written: tuple[str, ...] = ()  # set by import_file

    @property
    def counts(self) -> dict[str, int]:
        return {section: len(keys) for section, keys in self.keys.items()}


class InvalidSettings(OperationError):
    """The settings file cannot be imported; carries every problem found."""

    def __init__(self, source: str, diagnostics: Sequence[Diagnostic]) -> None:
        self.diagnostics = tuple(diagnostics)
        count = sum(d.is_error for d in self.diagnostics)
        super().__init__(f"cannot import {source}: {count} problem(s)" + "".join(f"\n{d}" for d in self.diagnostics))


def parse_links(text: str) -> Links:
    """`--links`: `all`, or Deployment names separated by commas."""
    if text.strip() == "all":
        return "all"
    names = tuple(dict.fromkeys(n.strip() for n in text.split(",") if n.strip()))
    if not names:
        raise UsageError("--links must be 'all' or Deployment names separated by commas")
    return names


def import_settings(
    text: str,
    source_name: str,
    *,
    existing_names: Iterable[str] = (),
    links: Links = "all",
    folder: str = DEFAULT_FOLDER,
) -> ImportResult:
    """Convert the text of an airflow_settings.yaml; raise InvalidSettings when it has errors.

    `existing_names` are secret names already used in the repository: derived names avoid
    them. `links` is what every imported object is linked to.
    """
    _check_folder(folder)
    document = _checked(*load.parse_document(source_name, text.encode("utf-8")), source_name)
    return _convert(document, source_name, set(existing_names), links, folder)


def import_file(
    root: Path, source: Path, *, links: Links = "all", force: bool = False, folder: str = DEFAULT_FOLDER
) -> ImportResult:
    """`astro-gitops import FILE`: convert FILE and write the files under root; one call for the CLI.

    Refuses (writing nothing) when a file to write exists and `force` is not given, or when
    environments/ already defines an imported key (the files would not validate).
    """
    _check_folder(folder)
    # Read as every YAML file is (load.py): only a regular file, within the same limits.
    document = _checked(*load.read_yaml_file(source, str(source)), str(source))
    # The files an import writes are replaced by it (with force): what they hold does not count.
    targets = {f"{folder}/{section}.yaml" for section in SECTIONS}
    result = _convert(document, str(source), referenced_secret_names(root, ignore=targets), links, folder)
    _refuse_defined(root, result, ignore=targets)
    written = write_files(root, result.files, force=force)
    return dataclasses.replace(result, written=tuple(written))


def _convert(
    document: load.Document, source_name: str, existing_names: set[str], links: Links, folder: str
) -> ImportResult:
    settings = read_settings(document)
    found = list(settings.diagnostics)
    if has_errors(found):
        raise InvalidSettings(source_name, ordered(found))
    secrets = _Secrets(existing_names)
    linked = {"links": links if links == "all" else list(links)}
    objects = {
        "connections": [(c.key, {**_connection_fields(c, secrets), **linked}) for c in settings.connections],
        "variables": [(v.key, {**_variable_fields(v, secrets), **linked}) for v in settings.variables],
        "pools": [(p.key, {**p.fields, **linked}) for p in settings.pools],
    }
    files = {f"{folder}/{s}.yaml": _file(s, entries, source_name) for s, entries in objects.items() if entries}
    for section, entries in objects.items():
        if entries:
            path = f"{folder}/{section}.yaml"
            _verify(path, files[path], {section: {k: _plain(f) for k, f in entries}})
    if not files:
        found.append(warning(document.locate(()), "nothing-imported", "no connection, variable or pool to import"))
    keys = {section: tuple(k for k, _ in entries) for section, entries in objects.items()}
    return ImportResult(files, secrets.values, tuple(ordered(found)), keys)


def _check_folder(folder: str) -> None:
    parts = PurePosixPath(folder).parts
    if not parts or parts[0] != ENVIRONMENTS or ".." in parts or (len(parts) > 1 and parts[1] == "deployments"):
        raise UsageError(
            f"the import folder must be under {ENVIRONMENTS}/ (and not in {DEPLOYMENTS_DIR}), not '{folder}'"
        )


def dotenv_text(secrets: Mapping[str, str]) -> str:
    """`NAME=value` lines that `--secrets dotenv:PATH` reads back unchanged, sorted by name."""
    return "".join(f"{name}={_dotenv_value(secrets[name])}\n" for name in sorted(secrets))


def _dotenv_value(value: str) -> str:
    if "'" not in value and "\n" not in value:
        return f"'{value}'"
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def secret_name(*parts: str | int) -> str:
    """An environment-variable-like name: `snowflake_default`, `password` -> SNOWFLAKE_DEFAULT_PASSWORD."""
    name = re.sub(r"[^A-Z0-9]+", "_", "_".join(str(p) for p in parts).upper()).strip("_") or "SECRET"
    return "_" + name if name[0].isdigit() else name


# --- the repository the files go to -------------------------------------------------------


def referenced_secret_names(root: Path, ignore: Collection[str] = ()) -> set[str]:
    """Every `{secret: NAME}` under root/environments but in `ignore`, read leniently (a broken file is skipped)."""
    return {name for document in _documents(root, ignore) for name in _secret_refs(document.data)}


def _documents(root: Path, ignore: Collection[str]) -> list[load.Document]:
    documents, _ = load.load_documents(s for s in filesystem_sources(root) if s.path not in ignore)
    return documents


def _secret_refs(value: Any) -> Iterable[str]:
    if isinstance(value, dict):
        if set(value) == {"secret"} and isinstance(value["secret"], str):
            yield value["secret"]
        for child in value.values():
            yield from _secret_refs(child)
    elif isinstance(value, list):
        for child in value:
            yield from _secret_refs(child)


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


def _checked(document: load.Document | None, problems: list[Diagnostic], source_name: str) -> load.Document:
    if document is None or has_errors(problems):
        raise InvalidSettings(source_name, problems)
    return document


# --- secrets and the written objects -------------------------------------------------------


class _Secrets:
    """Derived secret names (unique, avoiding the repository's) and their values."""

    def __init__(self, taken: set[str]) -> None:
        self.taken = taken
        self.values: dict[str, str] = {}

    def add(self, value: str, *parts: str | int) -> Secret:
        base = secret_name(*parts)
        name, n = base, 2
        while name in self.taken:
            name, n = f"{base}_{n}", n + 1
        assert SECRET_NAME.fullmatch(name)
        self.taken.add(name)
        self.values[name] = value
        return Secret(name)


def _literal(text: str) -> str:
    """A string kept as it is: astro-gitops renders Jinja in values, and Airflow's `{{ ds }}` must survive."""
    if not re.search(r"\{[{%#]", text):
        return text
    if "endraw" not in text:
        return "{% raw %}" + text + "{% endraw %}"
    return re.sub(r"\{[{%#]", lambda m: "{{ '" + m.group(0) + "' }}", text)


def _connection_fields(conn: Entry, secrets: _Secrets) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    for name, value in conn.fields.items():
        if name == "password":
            fields[name] = secrets.add(value, conn.key, "PASSWORD")
        elif name == "extra":
            fields[name] = _extra_fields(value, (), "", conn.key, secrets)
        else:
            fields[name] = _literal(value) if isinstance(value, str) else value
    return fields


def _extra_fields(value: Any, path: YPath, key: str, conn_id: str, secrets: _Secrets) -> Any:
    """Extra with every secret-looking string leaf (a list item: its list's key) as a reference."""
    if isinstance(value, dict):
        return {k: _extra_fields(v, (*path, k), k, conn_id, secrets) for k, v in value.items()}
    if isinstance(value, list):
        return [_extra_fields(v, (*path, i), key, conn_id, secrets) for i, v in enumerate(value)]
    if isinstance(value, str) and value and looks_secret(key):
        return secrets.add(value, conn_id, "EXTRA", *path)
    return _literal(value) if isinstance(value, str) else value


def _variable_fields(variable: Entry, secrets: _Secrets) -> dict[str, Any]:
    value = variable.fields["value"]
    return {"value": secrets.add(value, variable.key) if looks_secret(variable.key) else _literal(value)}


_HEADER = """\
#
# Imported by `astro-gitops import` from {source}.
# `links` says which Deployments get each object: `all` gives it to every Deployment, as the
# local settings file gave it to the local Airflow. Narrow it (a list of Deployments, or
# `exclude`), or change values per Deployment under `overrides:` of a Deployment file.
# Secret values are not in this file: put each {{secret: NAME}} in your secret store.
"""


def _file(section: str, objects: list[tuple[str, dict[str, Any]]], source_name: str) -> str:
    source = re.sub(r"[^\x20-\x7e]", "?", PurePosixPath(source_name.replace("\\", "/")).name) or "airflow_settings.yaml"
    body = "".join(f"\n  {yamltext.scalar(key)}:{_yaml(fields, 4)}" for key, fields in objects)
    return schema_comment("objects") + _HEADER.format(source=source) + f"{section}:{body}\n"


def _yaml(value: Any, indent: int) -> str:
    """Block YAML after `key:`, with secret references in flow style: `{secret: NAME}`."""
    pad = " " * indent
    if isinstance(value, Secret):
        return f" {{secret: {value.name}}}"
    if isinstance(value, Mapping) and value:
        return "".join(f"\n{pad}{yamltext.scalar(k)}:{_yaml(v, indent + 2)}" for k, v in value.items())
    if isinstance(value, list) and value:
        return "".join(f"\n{pad}-{_item(v, indent + 2)}" for v in value)
    if isinstance(value, (Mapping, list)):
        return " {}" if isinstance(value, Mapping) else " []"
    return " " + yamltext.scalar(value)


def _item(value: Any, indent: int) -> str:
    if isinstance(value, Mapping) and value:
        return " " + _yaml(value, indent).lstrip("\n").lstrip(" ")
    return _yaml(value, indent)


def _plain(value: Any) -> Any:
    """What the written YAML reads back as: a reference is the mapping `{secret: NAME}`."""
    if isinstance(value, Secret):
        return {"secret": value.name}
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def _verify(path: str, text: str, expected: Any) -> None:
    """The written text reads back as the data meant, and passes the objects schema."""
    from . import schema

    document, problems = load.parse_document(path, text.encode("utf-8"))
    if document is None or problems or document.data != expected or schema.check_document(document):
        # A bug: the message names the file only, never a value.
        raise RuntimeError(f"import produced text that does not read back as intended: {path}")
