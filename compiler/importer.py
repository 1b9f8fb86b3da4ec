"""`import`: an Astro CLI airflow_settings.yaml -> environments/ files, with the secrets taken out.

The file is read as the Astro CLI reads it (astro-cli settings/types.go, settings.go):
keys match ignoring case (viper lower-cases them), an empty value is an absent one,
`conn_uri` counts only when no other field is set and is parsed as Airflow parses it
(Connection._parse_from_uri), and entries the CLI skips (no conn_id; neither conn_type nor
conn_uri; pool_slot 0; no variable value) are skipped with a warning.

Every plaintext password, every secret-looking extra leaf (rules.looks_secret) and the
value of every secret-looking variable becomes `{secret: NAME}`. The values come back in
`ImportResult.secrets`, for the user's secret store: they are never written into a file
and never appear in a diagnostic.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any, Literal, TypeAlias
from urllib.parse import parse_qsl, unquote, urlsplit

from . import load, yamltext
from .diagnostics import Diagnostic, Location, did_you_mean, error, has_errors, ordered, warning
from .errors import OperationError, UsageError
from .model import Secret
from .rules import CONN_ID, MAX_POOL_NAME, MAX_VARIABLE_KEY, SECRET_NAME, looks_secret
from .scaffold import schema_comment, write_files

DEFAULT_FOLDER = "environments/imported"
Links: TypeAlias = 'Literal["all"] | tuple[str, ...]'
YPath: TypeAlias = load.YPath
_Raw: TypeAlias = "Mapping[str, tuple[str, Any]]"  # an entry: {lower-case key: (key as written, value)}

_KEYS = {
    "connections": ("conn_id", "conn_type", "conn_host", "conn_schema", "conn_login", "conn_password", "conn_port", "conn_uri", "conn_extra"),
    "variables": ("variable_name", "variable_value"),
    "pools": ("pool_name", "pool_slot", "pool_description"),
}  # fmt: skip
_TEXT_FIELDS = ("type", "host", "schema", "login", "password")  # conn_<field>, in render order
_EXTRA_KEY = "__extra__"  # Airflow: a URI query parameter holding the whole extra as JSON
_MAX_EXTRA_DEPTH = load.MAX_DEPTH - 8  # room for connections/<id>/extra in the written file


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
    return _convert(text.encode("utf-8"), source_name, set(existing_names), links, folder)


def import_file(
    root: Path, source: Path, *, links: Links = "all", force: bool = False, folder: str = DEFAULT_FOLDER
) -> ImportResult:
    """`astro-gitops import FILE`: convert FILE and write the files under root; one call for the CLI.

    Refuses (writing nothing) when a file to write exists and `force` is not given, or when
    environments/ already defines an imported key (the files would not validate).
    """
    try:
        data = source.read_bytes()
    except OSError as exc:
        raise OperationError(f"cannot read {source}: {exc.strerror or type(exc).__name__}") from None
    # The files an import writes are replaced by it (with force): what they hold does not count.
    targets = {f"{folder}/{section}.yaml" for section in _KEYS}
    result = _convert(data, str(source), referenced_secret_names(root, ignore=targets), links, folder)
    _refuse_defined(root, result, ignore=targets)
    written = write_files(root, result.files, force=force)
    return dataclasses.replace(result, written=tuple(written))


def _convert(data: bytes, source_name: str, existing_names: set[str], links: Links, folder: str) -> ImportResult:
    _check_folder(folder)
    document = _parse(data, source_name)
    reader = _Reader(document)
    sections = {name: reader.entries(name) for name in _KEYS}
    connections = _deduplicated(reader, [c for c in map(reader.connection, sections["connections"]) if c], "connection")
    variables = _deduplicated(reader, [v for v in map(reader.variable, sections["variables"]) if v], "variable")
    pools = _deduplicated(reader, [p for p in map(reader.pool, sections["pools"]) if p], "pool")
    if has_errors(reader.found):
        raise InvalidSettings(source_name, ordered(reader.found))
    secrets = _Secrets(existing_names)
    linked = {"links": links if links == "all" else list(links)}
    objects = {
        "connections": [(c.key, {**_connection_fields(c, secrets), **linked}) for c in connections],
        "variables": [(v.key, {**_variable_fields(v, secrets), **linked}) for v in variables],
        "pools": [(p.key, {**p.fields, **linked}) for p in pools],
    }
    files = {f"{folder}/{s}.yaml": _file(s, found, source_name) for s, found in objects.items() if found}
    for section, found in objects.items():
        if found:
            path = f"{folder}/{section}.yaml"
            _verify(path, files[path], {section: {k: _plain(f) for k, f in found}})
    if not files:
        reader.warn((), "nothing-imported", "no connection, variable or pool to import")
    keys = {section: tuple(k for k, _ in found) for section, found in objects.items()}
    return ImportResult(files, secrets.values, tuple(ordered(reader.found)), keys)


def _check_folder(folder: str) -> None:
    parts = PurePosixPath(folder).parts
    if not parts or parts[0] != load.ENVIRONMENTS or ".." in parts or (len(parts) > 1 and parts[1] == "deployments"):
        raise UsageError(
            f"the import folder must be under {load.ENVIRONMENTS}/ (and not in {load.DEPLOYMENTS_DIR}), not '{folder}'"
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
    documents, _ = load.load_documents(s for s in load.filesystem_sources(root) if s.path not in ignore)
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
        for section in _KEYS
        if isinstance(document.data.get(section), dict)
        for key in document.data[section]
        if (section, key.upper() if section == "connections" else key) in wanted
    ]
    if clashes:
        raise OperationError("environments/ already defines " + ", ".join(clashes) + ": remove or rename them first")


# --- reading the settings file ---------------------------------------------------------


@dataclass(frozen=True)
class _Entry:
    kind: str
    key: str
    ypath: YPath
    fields: Mapping[str, Any]


def _parse(data: bytes, source_name: str) -> load.Document:
    document, problems = load.parse_document(source_name, data)
    if document is None or has_errors(problems):
        raise InvalidSettings(source_name, problems)
    return document


class _Reader:
    """Reads entries the way the Astro CLI does, collecting located diagnostics."""

    def __init__(self, document: load.Document) -> None:
        self.document = document
        self.found: list[Diagnostic] = []
        self.airflow = self._airflow()

    def at(self, ypath: YPath, *, key: bool = False) -> Location:
        return self.document.locate(ypath, at="key" if key else "value")

    def error(self, ypath: YPath, code: str, message: str, *, key: bool = False) -> None:
        self.found.append(error(self.at(ypath, key=key), code, message))

    def warn(self, ypath: YPath, code: str, message: str, *, key: bool = False) -> None:
        self.found.append(warning(self.at(ypath, key=key), code, message))

    def _airflow(self) -> tuple[YPath, Mapping[str, Any]] | None:
        data = self.document.data
        top = _lookup(data, "airflow") if isinstance(data, dict) else None
        if top is None:
            self.error((), "not-airflow-settings", "not an Astro CLI airflow_settings.yaml (no 'airflow:' mapping)")
            return None
        ypath: YPath = (top[0],)
        if top[1] is None:
            return ypath, {}
        if not isinstance(top[1], dict):
            self.error(ypath, "wrong-type", "'airflow' must be a mapping of connections, pools and variables")
            return None
        return ypath, top[1]

    def entries(self, section: str) -> list[tuple[YPath, _Raw]]:
        """The section's entries as {lower-case key: (key as written, value)}."""
        if self.airflow is None:
            return []
        prefix, airflow = self.airflow
        found = _lookup(airflow, section)
        if found is None or found[1] is None:
            return []
        ypath = (*prefix, found[0])
        if not isinstance(found[1], list):
            self.error(ypath, "wrong-type", f"'{section}' must be a list")
            return []
        result: list[tuple[YPath, _Raw]] = []
        for i, entry in enumerate(found[1]):
            if isinstance(entry, dict):
                result.append(((*ypath, i), self._keys(entry, (*ypath, i), section)))
            elif entry is not None:
                self.error((*ypath, i), "wrong-type", f"an entry of '{section}' must be a mapping")
        return result

    def _keys(self, entry: dict[str, Any], ypath: YPath, section: str) -> dict[str, tuple[str, Any]]:
        keys: dict[str, tuple[str, Any]] = {}
        for key, value in entry.items():
            if key.lower() not in _KEYS[section]:
                hint = did_you_mean(key.lower(), _KEYS[section])
                self.warn(
                    (*ypath, key), "unknown-key", f"unknown key '{key}' ignored, as by the Astro CLI{hint}", key=True
                )
            elif key.lower() in keys:
                self.error((*ypath, key), "duplicate-key", f"'{key}' given twice (keys match ignoring case)", key=True)
            else:
                keys[key.lower()] = (key, value)
        return keys

    def text(self, ypath: YPath, entry: _Raw, name: str) -> str | None:
        """A string field; numbers become their text (as the CLI's weak decoding does), '' is absent."""
        if name not in entry:
            return None
        key, value = entry[name]
        if value is None or isinstance(value, str):
            return value or None
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            self.warn((*ypath, key), "number-as-text", f"'{key}' is a YAML number, imported as its text (quote it)")
            return str(value)
        self.error((*ypath, key), "wrong-type", f"'{key}' must be a string")
        return None

    def integer(self, ypath: YPath, entry: _Raw, name: str) -> int | None:
        if name not in entry:
            return None
        key, value = entry[name]
        if value is None or (isinstance(value, int) and not isinstance(value, bool)):
            return value
        if isinstance(value, str) and re.fullmatch(r"\s*-?[0-9]+\s*", value):
            return int(value)
        if isinstance(value, str) and not value.strip():
            return None
        self.error((*ypath, key), "wrong-type", f"'{key}' must be an integer")
        return None

    # --- connections ---

    def connection(self, item: tuple[YPath, _Raw]) -> _Entry | None:
        ypath, entry = item
        conn_id = self.text(ypath, entry, "conn_id")
        if conn_id is None:
            self.warn(ypath, "skipped-entry", "connection without conn_id skipped, as by the Astro CLI")
            return None
        if not CONN_ID.fullmatch(conn_id) or ".." in conn_id:
            message = f"conn_id '{conn_id}' must match ^[A-Za-z0-9_.-]{{1,200}}$ and not contain '..'"
            self.error((*ypath, entry["conn_id"][0]), "invalid-conn-id", message)
            return None
        fields: dict[str, Any] = {name: self.text(ypath, entry, f"conn_{name}") for name in _TEXT_FIELDS}
        fields["port"] = self._port(ypath, entry)
        fields = {k: v for k, v in fields.items() if v is not None}
        from_uri = self._uri(ypath, entry, fields, conn_id)
        if from_uri is None:
            return None
        fields, uri_extra = from_uri
        extra = self._extra(ypath, entry)
        if extra is not None and uri_extra is not None:
            where = (*ypath, entry["conn_extra"][0])
            self.warn(where, "extra-replaces-uri", "conn_extra replaces the extra of conn_uri")
        extra = extra if extra is not None else uri_extra
        if "type" not in fields:
            message = f"connection '{conn_id}' without conn_type or conn_uri skipped, as by the Astro CLI"
            self.warn(ypath, "skipped-entry", message)
            return None
        if extra:
            self._check_extra(ypath, entry, extra)
            fields["extra"] = extra
        return _Entry("connection", conn_id, ypath, fields)

    def _port(self, ypath: YPath, entry: _Raw) -> int | None:
        port = self.integer(ypath, entry, "conn_port")
        if port is None or port == 0:  # 0 is the CLI's "not set"
            return None
        if not 1 <= port <= 65535:
            self.error((*ypath, entry["conn_port"][0]), "invalid-port", "conn_port must be from 1 to 65535")
            return None
        return port

    def _uri(
        self, ypath: YPath, entry: _Raw, fields: dict[str, Any], conn_id: str
    ) -> tuple[dict[str, Any], Any] | None:
        """The fields (from conn_uri when it is the only one given) and the URI's extra; None: a bad URI."""
        uri = self.text(ypath, entry, "conn_uri")
        if uri is None:
            return fields, None
        where = (*ypath, entry["conn_uri"][0])
        if fields:
            message = f"conn_uri of '{conn_id}' ignored beside other fields, as by the Astro CLI"
            self.warn(where, "uri-ignored", message, key=True)
            return fields, None
        try:
            parsed = parse_conn_uri(uri)
        except ValueError as exc:
            self.error(where, "invalid-uri", f"conn_uri of '{conn_id}': {exc}")
            return None
        extra = parsed.pop("extra", None)
        return parsed, extra

    def _extra(self, ypath: YPath, entry: _Raw) -> dict[str, Any] | None:
        if "conn_extra" not in entry:
            return None
        key, value = entry["conn_extra"]
        where = (*ypath, key)
        if value is None or value == "":
            return None
        if isinstance(value, str):
            try:
                return _json_object(value)
            except ValueError as exc:
                self.error(where, "invalid-extra", f"conn_extra {exc}")
                return None
        if isinstance(value, dict):
            if any(k != k.lower() for k in _all_keys(value)):
                message = "the Astro CLI lower-cases the keys of a conn_extra mapping; kept as written"
                self.warn(where, "extra-key-case", message)
            return value
        self.warn(where, "extra-dropped", f"conn_extra of type {type(value).__name__} is dropped, as by the Astro CLI")
        return None

    def _check_extra(self, ypath: YPath, entry: _Raw, extra: dict[str, Any]) -> None:
        where = (*ypath, entry["conn_extra"][0] if "conn_extra" in entry else entry["conn_uri"][0])
        if _depth(extra) > _MAX_EXTRA_DEPTH:
            self.error(where, "too-deep", f"extra is nested deeper than {_MAX_EXTRA_DEPTH} levels")
        for path in _secret_key_mappings(extra, ()):
            dotted = ".".join(map(str, path))
            message = f"extra.{dotted}: a mapping with a key 'secret' reads as a secret reference"
            self.error(where, "unrepresentable-extra", message)

    # --- variables and pools ---

    def variable(self, item: tuple[YPath, _Raw]) -> _Entry | None:
        ypath, entry = item
        name = self.text(ypath, entry, "variable_name")
        value = self.text(ypath, entry, "variable_value")
        if name is None or value is None:
            what = "without variable_name" if name is None else f"'{name}' without variable_value"
            self.warn(ypath, "skipped-entry", f"variable {what} skipped, as by the Astro CLI")
            return None
        if len(name) > MAX_VARIABLE_KEY:
            where = (*ypath, entry["variable_name"][0])
            self.error(where, "invalid-variable-key", f"variable key must be 1 to {MAX_VARIABLE_KEY} characters")
            return None
        return _Entry("variable", name, ypath, {"value": value})

    def pool(self, item: tuple[YPath, _Raw]) -> _Entry | None:
        ypath, entry = item
        name = self.text(ypath, entry, "pool_name")
        slots = self.integer(ypath, entry, "pool_slot")
        if name is None or not slots:
            what = "without pool_name" if name is None else f"'{name}' without pool_slot"
            self.warn(ypath, "skipped-entry", f"pool {what} skipped, as by the Astro CLI")
            return None
        if len(name) > MAX_POOL_NAME:
            self.error(ypath, "invalid-pool", f"pool name must be 1 to {MAX_POOL_NAME} characters")
            return None
        if slots < -1:
            self.error((*ypath, entry["pool_slot"][0]), "invalid-pool", "pool_slot must be -1 (unlimited) or more")
            return None
        description = self.text(ypath, entry, "pool_description")
        return _Entry("pool", name, ypath, {"slots": slots, **({"description": description} if description else {})})


def _lookup(mapping: Mapping[str, Any], name: str) -> tuple[str, Any] | None:
    """(key as written, value) of the key that equals `name` ignoring case (viper lower-cases keys)."""
    return next(((k, v) for k, v in mapping.items() if k.lower() == name), None)


def _deduplicated(reader: _Reader, entries: list[_Entry], kind: str) -> list[_Entry]:
    """The later of two entries with one key wins, as the CLI applies them in order."""
    # conn_ids that differ only in case share AIRFLOW_CONN_<ID>: a collision, not a duplicate.
    fold = str.upper if kind == "connection" else str
    kept: dict[str, _Entry] = {}
    for entry in entries:
        seen = next((e for e in kept.values() if fold(e.key) == fold(entry.key)), None)
        if seen is not None and seen.key != entry.key:
            message = f"conn_id '{entry.key}' differs from '{seen.key}' (at {reader.at(seen.ypath)}) only in case"
            reader.error(entry.ypath, "conn-id-case-collision", message)
            continue
        if seen is not None:
            message = f"{kind} '{entry.key}' is also defined at {reader.at(seen.ypath)}; the later one wins, as in the Astro CLI"
            reader.warn(entry.ypath, "duplicate-entry", message)
            del kept[seen.key]
        kept[entry.key] = entry
    return list(kept.values())


# --- conn_uri and extra, as Airflow reads them ---------------------------------------------


def parse_conn_uri(uri: str) -> dict[str, Any]:
    """The fields of an Airflow connection URI (Connection._parse_from_uri), without empty ones.

    Error messages never quote the URI: it may hold a password.
    """
    schemes = uri.count("://")
    if schemes > 2:
        raise ValueError("more than two '://' in the URI")
    with_protocol = schemes == 2
    scheme = _split(uri).scheme
    if not scheme:
        raise ValueError("the URI has no scheme (the connection type)")
    # As Airflow does it, replacing every occurrence: the same URIs fail or pass.
    rest = uri.replace(f"{scheme}://", "" if with_protocol else "//")
    if with_protocol and any(c in rest.split("://", 1)[0] for c in "@:"):
        raise ValueError("invalid connection string")
    parts = _split(rest)
    host = _hostname(parts)
    try:
        port = parts.port
    except ValueError:
        raise ValueError("the URI's port is not a number from 0 to 65535") from None
    fields: dict[str, Any] = {
        "type": "postgres" if scheme == "postgresql" else scheme.replace("-", "_"),
        "host": f"{parts.scheme}://{host}" if with_protocol and host else host,
        "schema": unquote(parts.path[1:]),
        "login": unquote(parts.username) if parts.username else None,
        "password": unquote(parts.password) if parts.password else None,
        "port": port or None,
        "extra": _query_extra(parts.query),
    }
    return {k: v for k, v in fields.items() if v not in (None, "", {})}


def _split(uri: str) -> Any:
    try:
        return urlsplit(uri)
    except ValueError:  # its message may quote the URI's netloc, password included
        raise ValueError("the URI cannot be parsed") from None


def _hostname(parts: Any) -> str:
    hostname = unquote(parts.hostname or "")
    if "/" in hostname:
        hostname = parts.netloc
        if "@" in hostname:
            hostname = hostname.rsplit("@", 1)[1]
        if ":" in hostname:
            hostname = hostname.split(":", 1)[0]
        hostname = unquote(hostname)
    return hostname


def _query_extra(query: str) -> dict[str, Any] | None:
    if not query:
        return None
    values = dict(parse_qsl(query, keep_blank_values=True))
    if _EXTRA_KEY in values:
        try:
            return _json_object(values[_EXTRA_KEY])
        except ValueError as exc:
            raise ValueError(f"its {_EXTRA_KEY} parameter {exc}") from None
    return values


def _json_object(text: str) -> dict[str, Any]:
    def no_constants(name: str) -> Any:
        raise ValueError(f"{name} is not allowed")

    try:
        value = json.loads(text, parse_constant=no_constants)
    except json.JSONDecodeError as exc:
        raise ValueError(f"is not valid JSON ({exc.msg} at line {exc.lineno} column {exc.colno})") from None
    except RecursionError:
        raise ValueError("is nested too deeply") from None
    except ValueError as exc:
        raise ValueError(f"is not valid JSON ({exc})") from None
    if not isinstance(value, dict):
        raise ValueError("must be a JSON object")
    return value


def _all_keys(value: Any) -> Iterable[str]:
    if isinstance(value, dict):
        for key, child in value.items():
            yield key
            yield from _all_keys(child)
    elif isinstance(value, list):
        for child in value:
            yield from _all_keys(child)


def _depth(value: Any) -> int:
    if isinstance(value, dict):
        return 1 + max(map(_depth, value.values()), default=0)
    if isinstance(value, list):
        return 1 + max(map(_depth, value), default=0)
    return 0


def _secret_key_mappings(value: Any, path: YPath) -> Iterable[YPath]:
    """Mappings our format cannot hold: below the top of extra, a `secret` key makes a reference."""
    if isinstance(value, dict):
        if path and "secret" in value:
            yield path
        if not path and set(value) == {"secret"} and value["secret"] == "":
            yield ("secret",)
        for key, child in value.items():
            yield from _secret_key_mappings(child, (*path, key))
    elif isinstance(value, list):
        for i, child in enumerate(value):
            yield from _secret_key_mappings(child, (*path, i))


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


def _connection_fields(conn: _Entry, secrets: _Secrets) -> dict[str, Any]:
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


def _variable_fields(variable: _Entry, secrets: _Secrets) -> dict[str, Any]:
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
