"""`import --from-astro` / `--from-airflow`: what a live workspace holds -> environments/ files.

Input is found.py's FoundWorkspace (live/ reads it); output is the files' texts, the secret
names a user must provide (and where each came from), and nothing else: a masked value is
never a value, so no secret value is ever written into environments/; nor is a credential or
a known secret value a person put in a field that is no secret (known_values.py). The files say the
workspace exactly as it is live, so that `plan --adopt` right after shows no field change:

- `environments/objects/connections.yaml`, `environments/objects/variables.yaml`: the workspace
  objects with their own fields, `links: all` (+ `exclude`) or the list of linked Deployments;
- `environments/deployments/<name>.yaml` per Deployment (an existing file that names the
  Deployment is replaced in place): its settings, each link's override fields under
  `overrides:`, its Deployment-scoped objects (and pools, from an Airflow) under
  `connections:`, `variables:`, `pools:`;
- `environments/workspace.yaml` only when there is none.

Secret names (SECRET_NAMES in the README): `<KEY>_<FIELD>` for a workspace object's own
field (SNOWFLAKE_DEFAULT_PASSWORD, SNOWFLAKE_DEFAULT_EXTRA_TOKEN, a variable: its KEY),
`<KEY>__<DEPLOYMENT>_<FIELD>` for a Deployment's value (a link override or a Deployment-scoped
object: SNOWFLAKE_DEFAULT__PRODUCTION_PASSWORD), `<VARIABLE>__<DEPLOYMENT>` for a secret
environment variable; upper-cased, every other run of characters one `_`; a name already
used elsewhere in environments/ gets `_2`, `_3`, ...
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from compiler.atomic import write_new
from compiler.errors import OperationError
from compiler.load import documents
from compiler.load.sources import filesystem_sources
from compiler.model.frozen import field, frozen
from compiler.model.objects import Secret
from compiler.model.secrets import SECRET_NAME, looks_secret
from compiler.onboarding.found import FoundDeployment, FoundObject, FoundWorkspace
from compiler.onboarding.importer import referenced_secret_names
from compiler.onboarding.known_values import held, refuse_known, register_known
from compiler.onboarding.objectsfile import literal, mapping_text, plain, secret_name, verify
from compiler.onboarding.scaffold import schema_comment

OBJECTS_FOLDER = "environments/objects"
WORKSPACE_FILE = "environments/workspace.yaml"
DEPLOYMENTS = "environments/deployments"
CONNECTION_FIELDS = ("type", "host", "port", "schema", "login", "password", "extra")
SETTINGS_ORDER = ("astro", "worker_queues", "environment_variables", "alert_emails", "hibernation_schedules")


@frozen
class NeededSecret:
    """A `{secret: NAME}` the import wrote, and where its value lives (for the user's store)."""

    name: str
    where: str  # "connection snowflake_default password (workspace)"


@frozen
class Adopted:
    """What an import from a live workspace wrote."""

    source: str  # "Astro workspace \"Data Platform\"" or an Airflow URL
    files: dict[str, str]
    secrets: tuple[NeededSecret, ...]
    values: dict[str, str] = field(repr=False)  # values an API returned (Airflow), for --dotenv only
    counts: dict[str, int]
    notes: tuple[str, ...] = ()
    written: tuple[str, ...] = ()


class _Names:
    """Stable, readable, unique secret names, each with where it came from (and a value if read)."""

    def __init__(self, taken: set[str]) -> None:
        self.taken = taken
        self.needed: list[NeededSecret] = []
        self.values: dict[str, str] = {}
        self.held: list[str] = []  # where a field held a known value (known_values.py): made a reference

    def known(self, base: str, where: str) -> Secret:
        """A reference for a field that held a credential or a known secret value: its value is
        kept nowhere, not even for --dotenv (it may be the API token)."""
        self.held.append(where)
        return self.take(base, where)

    def take(self, base: str, where: str, value: Any = None) -> Secret:
        name, n = base, 2
        while name in self.taken:
            name, n = f"{base}_{n}", n + 1
        assert SECRET_NAME.fullmatch(name)
        self.taken.add(name)
        self.needed.append(NeededSecret(name, where))
        if isinstance(value, str) and value:
            self.values[name] = value
        return Secret(name)


def write_adopted(root: Path, found: FoundWorkspace, *, source: str, force: bool, owner: str | None) -> Adopted:
    """Write `found` under root; refuse (writing nothing) what exists without `force`, and keys
    environments/ already defines in files this import does not replace. `owner` is the
    sync.owner of a workspace.yaml written here (None: workspace.yaml must exist)."""
    paths = _deployment_paths(root, [d.name for d in found.deployments] + sorted(found.pools))
    targets = {f"{OBJECTS_FOLDER}/connections.yaml", f"{OBJECTS_FOLDER}/variables.yaml", *paths.values()}
    taken = referenced_secret_names(root, ignore=targets)
    files, names = _files(found, paths, _Names(set(taken)), source)
    if names.values:
        # A value an Airflow returned in clear in a secret place is known from now on: written
        # into no other field either (the files are made again, each such field a reference).
        register_known(names.values.values())
        files, names = _files(found, paths, _Names(set(taken)), source)
    notes = list(_lossy_notes(found))
    notes += [f"{where} held a credential or a secret value: written as a secret reference" for where in names.held]
    if not (root / WORKSPACE_FILE).exists():
        if owner is None:
            raise OperationError(f"{WORKSPACE_FILE} does not exist: run `astro-gitops init` first")
        files[WORKSPACE_FILE] = _workspace_file(found, owner)
        notes.append(f"wrote {WORKSPACE_FILE} with one branch rule: review its `branches:`")
    _refuse_defined(root, found, ignore={*targets, WORKSPACE_FILE})
    refuse_known(files)
    written = write_new(root, files, force=force)
    counts = {
        "connections": sum(o.kind == "connection" for o in found.objects),
        "variables": sum(o.kind == "variable" for o in found.objects),
        "pools": sum(len(p) for p in found.pools.values()),
        "deployments": len(found.deployments),
    }
    return Adopted(source, files, tuple(names.needed), names.values, counts, tuple(notes), tuple(written))


def _files(
    found: FoundWorkspace, paths: Mapping[str, str], names: _Names, source: str
) -> tuple[dict[str, str], _Names]:
    """The objects files and each Deployment's file (path -> text), and the names they took."""
    files = _object_files(found, names, source)
    deployments = {d.name: d for d in found.deployments}
    for name in sorted({*deployments, *found.pools} - {""}):
        dep = deployments.get(name) or FoundDeployment(name)
        files[paths[name]] = _deployment_file(paths[name], dep, found, names, source)
    return files, names


# --- objects -------------------------------------------------------------------------------


def _object_files(found: FoundWorkspace, names: _Names, source: str) -> dict[str, str]:
    files = {}
    for kind, section in (("connection", "connections"), ("variable", "variables")):
        objects = {o.key: _workspace_object(o, names) for o in found.objects if o.kind == kind and not o.deployment}
        if objects:
            path = f"{OBJECTS_FOLDER}/{section}.yaml"
            files[path] = _text(path, "objects", {section: objects}, _header(source))
    return files


def _workspace_object(obj: FoundObject, names: _Names) -> dict[str, Any]:
    fields = _fields(obj.kind, obj.fields, obj.masked, names, _naming(obj, None))
    if obj.description:
        fields = {"description": literal(obj.description), **fields}
    fields["links"] = "all" if obj.links == "all" else list(obj.links)
    if obj.links == "all" and obj.exclude:
        fields["exclude"] = list(obj.exclude)
    return fields


def _naming(obj: FoundObject, deployment: str | None) -> _Naming:
    where = f"{obj.kind} {obj.key}"
    if deployment is None:
        return _Naming(secret_name(obj.key), where, "(workspace)")
    base = f"{secret_name(obj.key)}__{secret_name(deployment)}"
    scoped = obj.deployment is not None
    return _Naming(base, where, f"(Deployment {deployment}{'' if scoped else ', link override'})")


@frozen
class _Naming:
    base: str
    what: str
    scope: str

    def name(self, path: str, kind: str) -> tuple[str, str]:
        if kind == "variable":
            return self.base, f"{self.what} value {self.scope}"
        return f"{self.base}_{secret_name(path)}", f"{self.what} {path} {self.scope}"


def _fields(
    kind: str, fields: Mapping[str, Any], masked: frozenset[str], names: _Names, naming: _Naming
) -> dict[str, Any]:
    """A connection's or variable's fields as the file holds them, every secret a reference."""

    def secret(path: str, value: Any = None) -> Secret:
        base, where = naming.name(path, kind)
        return names.take(base, where, value)

    def known(path: str) -> Secret:
        return names.known(*naming.name(path, kind))

    if kind == "variable":
        value = fields.get("value")
        if "value" in masked:
            return {"value": secret("value", value)}
        if held(value):
            return {"value": known("value")}
        return {"value": literal(value) if isinstance(value, str) else ("" if value is None else value)}
    out: dict[str, Any] = {}
    for name in CONNECTION_FIELDS:
        value = fields.get(name)
        if name == "extra":
            extra = _extra(value if isinstance(value, Mapping) else {}, masked, secret, known)
            if extra:
                out["extra"] = extra
        elif name in masked or (name == "password" and value not in (None, "")):
            out[name] = secret(name, value)
        elif value not in (None, ""):
            out[name] = literal(value) if isinstance(value, str) else value
    return out


def _extra(
    extra: Mapping[str, Any], masked: frozenset[str], secret: Any, known: Any, path: str = "extra"
) -> dict[str, Any]:
    """Extra keys as read, and masked keys the read left out; a masked or secret-looking key (at
    any depth: validate's plaintext rule) a reference, and one whose value (not a mapping) holds
    a known value (known_values.py)."""
    hidden = [p.removeprefix(f"{path}.") for p in sorted(masked) if p.startswith(f"{path}.")]
    hidden = [h for h in hidden if "." not in h]
    out: dict[str, Any] = {}
    for key in [*extra, *(k for k in hidden if k not in extra)]:
        value = extra.get(key)
        if key in hidden or (looks_secret(key) and value not in (None, "") and not isinstance(value, Mapping)):
            out[key] = secret(f"{path}.{key}", value)
        elif isinstance(value, Mapping):
            out[key] = _extra(value, masked, secret, known, f"{path}.{key}")
        elif held(value):
            out[key] = known(f"{path}.{key}")
        else:
            out[key] = _literals(value)
    return out


def _literals(value: Any) -> Any:
    if isinstance(value, str):
        return literal(value)
    if isinstance(value, Mapping):
        return {k: _literals(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_literals(v) for v in value]
    return value


# --- Deployments ---------------------------------------------------------------------------


def _deployment_file(path: str, dep: FoundDeployment, found: FoundWorkspace, names: _Names, source: str) -> str:
    data: dict[str, Any] = {"name": dep.name}
    if dep.description:
        data["description"] = literal(dep.description)
    for section in SETTINGS_ORDER:
        if section in dep.kept:
            data[section] = dep.kept[section]
        elif section in dep.settings:
            data[section] = _settings_section(section, dep, names)
    overrides = dep.kept.get("overrides") or _overrides(found, dep.name, names)
    if overrides:
        data["overrides"] = overrides
    for kind, section in (("connection", "connections"), ("variable", "variables")):
        scoped = [o for o in found.objects if o.kind == kind and o.deployment == dep.name]
        if scoped:
            data[section] = {o.key: _scoped_object(o, dep.name, names) for o in scoped}
    if found.pools.get(dep.name):
        data["pools"] = {k: dict(v) for k, v in found.pools[dep.name].items()}
    return _text(path, "deployment", data, _header(source))


def _settings_section(section: str, dep: FoundDeployment, names: _Names) -> Any:
    value = dep.settings[section]
    if section != "environment_variables":
        return _literals(value)
    out: dict[str, Any] = {}
    for key, text in value.items():
        base, where = (
            f"{secret_name(key)}__{secret_name(dep.name)}",
            f"environment variable {key} (Deployment {dep.name})",
        )
        if key in dep.masked_env:
            out[key] = names.take(base, where)
        elif held(text):
            out[key] = names.known(base, where)
        else:
            out[key] = literal(text) if isinstance(text, str) else text
    return out


def _scoped_object(obj: FoundObject, deployment: str, names: _Names) -> dict[str, Any]:
    fields = _fields(obj.kind, obj.fields, obj.masked, names, _naming(obj, deployment))
    return {"description": literal(obj.description), **fields} if obj.description else fields


def _overrides(found: FoundWorkspace, deployment: str, names: _Names) -> dict[str, Any]:
    """Each link override of `deployment`, as the fields that differ from the object's own
    (a connection's `extra`: the keys that differ, or all of them when none does)."""
    out: dict[str, dict[str, Any]] = {}
    for obj in found.objects:
        link = obj.overrides.get(deployment)
        if obj.deployment or link is None or not (link.fields or link.masked):
            continue
        fields = _fields(obj.kind, link.fields, link.masked, names, _naming(obj, deployment))
        if "extra" in fields and isinstance(obj.fields.get("extra"), Mapping):
            base = obj.fields["extra"]
            differ = {k: v for k, v in fields["extra"].items() if isinstance(v, Secret) or base.get(k) != v}
            fields["extra"] = differ or fields["extra"]
        if fields:
            out.setdefault(f"{obj.kind}s", {})[obj.key] = fields
    return {section: out[section] for section in ("connections", "variables") if section in out}


def _lossy_notes(found: FoundWorkspace) -> Iterable[str]:
    """Link overrides the files cannot say exactly: an `extra` that lacks a key the object sets."""
    for obj in found.objects:
        base = obj.fields.get("extra")
        for deployment, link in sorted(obj.overrides.items()):
            extra = link.fields.get("extra")
            if isinstance(base, Mapping) and isinstance(extra, Mapping):
                lost = sorted(k for k in base if k not in extra and f"extra.{k}" not in link.masked)
                if lost:
                    yield (
                        f"{obj.kind} {obj.key}: {deployment}'s link override of extra lacks "
                        f"{', '.join(lost)}: plan will show them as added to that link"
                    )


def _deployment_paths(root: Path, names: Iterable[str]) -> dict[str, str]:
    """Where each Deployment's file goes: the existing file that names it, else deployments/<slug>.yaml."""
    existing: dict[str, str] = {}
    loaded, _ = documents.load_documents(filesystem_sources(root))
    for doc in loaded:
        if doc.kind == "deployment" and isinstance(doc.data, dict) and isinstance(doc.data.get("name"), str):
            existing.setdefault(doc.data["name"], doc.path)
    used = set(existing.values())
    paths = {}
    for name in names:
        if name in existing:
            paths[name] = existing[name]
            continue
        slug = re.sub(r"[^a-z0-9_]+", "-", name.lower()).strip("-") or "deployment"
        path, n = f"{DEPLOYMENTS}/{slug}.yaml", 2
        while path in used:
            path, n = f"{DEPLOYMENTS}/{slug}-{n}.yaml", n + 1
        used.add(path)
        paths[name] = path
    return paths


def _refuse_defined(root: Path, found: FoundWorkspace, ignore: set[str]) -> None:
    """A workspace key another objects file already defines would be a duplicate: say where."""
    wanted = {(f"{o.kind}s", o.key.upper() if o.kind == "connection" else o.key) for o in found.objects}
    loaded, _ = documents.load_documents(s for s in filesystem_sources(root) if s.path not in ignore)
    clashes = [
        f"{section[:-1]} '{key}' ({doc.locate((section, key), at='key')})"
        for doc in loaded
        if doc.kind == "objects" and isinstance(doc.data, dict)
        for section in ("connections", "variables")
        if isinstance(doc.data.get(section), dict)
        for key in doc.data[section]
        if (section, key.upper() if section == "connections" else key) in wanted
    ]
    if clashes:
        raise OperationError("environments/ already defines " + ", ".join(clashes) + ": remove or rename them first")


# --- texts ---------------------------------------------------------------------------------


def _workspace_file(found: FoundWorkspace, owner: str) -> str:
    names = sorted(d.name for d in found.deployments)
    main = "production" if "production" in names else (names[0] if names else "")
    data: dict[str, Any] = {"version": 1, "workspace": found.name}
    data["branches"] = [{"branch": "main", "deployment": main}] if main else []
    data["sync"] = {"owner": owner}
    header = "#\n# Written by `astro-gitops import`: which git branch applies to which Deployment.\n"
    return _text(WORKSPACE_FILE, "workspace", data, header)


def _header(source: str) -> str:
    shown = re.sub(r"[^\x20-\x7e]", "?", source)
    return (
        f"#\n# Imported by `astro-gitops import` from {shown}.\n"
        "# Secret values are not in this file: put each {secret: NAME} in your secret store\n"
        "# (import printed the list, with where each one is set live).\n"
    )


def _text(path: str, kind: str, data: Mapping[str, Any], header: str) -> str:
    text = schema_comment(kind) + header + mapping_text(data)
    verify(path, text, plain(data))
    return text
