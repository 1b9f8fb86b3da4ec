"""Resolved Deployments -> the text of each output file ({relative path: text}); writes nothing.

Formats followed at their source:
- airflow_settings.yaml: astronomer/astro-cli settings/types.go (Connection, Pool, Variable
  keys) and settings/settings.go (conn_extra: a string passes through as JSON, a mapping is
  JSON-encoded after viper lower-cased its keys; pool_slot 0 and empty variable values skipped).
- deployment.yaml: astro-cli cloud/deployment/inspect/inspect.go (deploymentConfig, workerq,
  environment variables, hibernation schedules) as read by cloud/deployment/fromfile/fromfile.go.
- environment-objects.json: the Astro API's CreateEnvironmentObjectRequest
  (objectKey, objectType, scope, scopeEntityId, autoLinkDeployments, links[].overrides,
  excludeLinks, connection, airflowVariable).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from functools import lru_cache
from typing import Any

from compiler.model.equality import holds_secret
from compiler.model.objects import MAPPINGS, ObjectKind, Secret
from compiler.model.secrets import SecretValues
from compiler.render import yaml_text
from compiler.render.drift_lines import REDACTED_NOTE
from compiler.resolve.deployment import ResolvedDeployment, ResolvedObject
from compiler.resolve.workspace_view import CONNECTION_FIELDS, EnvironmentObject, Link, WorkspaceView

# The configuration keys of the Astro deployment file, in inspect.go's order.
CONFIGURATION_KEYS = (
    "name", "description", "runtime_version", "dag_deploy_enabled", "ci_cd_enforcement",
    "scheduler_size", "is_high_availability", "is_development_mode", "executor", "scheduler_au",
    "scheduler_count", "cluster_name", "workspace_name", "deployment_type", "cloud_provider",
    "region", "default_task_pod_cpu", "default_task_pod_memory", "resource_quota_cpu",
    "resource_quota_memory", "default_worker_type", "workload_identity", "remote_execution",
)  # fmt: skip
QUEUE_KEYS = (
    "name",
    "max_worker_count",
    "min_worker_count",
    "worker_concurrency",
    "worker_type",
    "pod_cpu",
    "pod_ram",
    "pod_ephemeral_storage",
)
HIBERNATION_KEYS = ("hibernate_at", "wake_at", "description", "enabled")
SETTINGS_FILE = "airflow_settings.yaml"
DEPLOYMENT_FILE = "deployment.yaml"


@lru_cache(maxsize=1)
def _templates() -> Any:
    from jinja2 import Environment, PackageLoader, StrictUndefined

    env = Environment(
        loader=PackageLoader("compiler", "templates"),
        undefined=StrictUndefined,
        autoescape=False,
        keep_trailing_newline=True,
        # The templates ship with the package and never change while it runs; without
        # this, every get_template() stats the file (two calls per rendered entry).
        auto_reload=False,
    )
    env.filters["yaml"] = yaml_text.scalar
    env.filters["yaml_block"] = yaml_text.block
    return env


def _template(name: str, **values: Any) -> str:
    text: str = _templates().get_template(name).render(**values)
    return text.rstrip("\n") + "\n"


def json_text(value: Any) -> str:
    """The canonical JSON of a value: sorted keys, for byte-identical output.

    `json.dumps(value, sort_keys=True, ensure_ascii=False)`, through one encoder made once
    (json.dumps builds a new one for every call with options).
    """
    return _CANONICAL_JSON(value)


_CANONICAL_JSON = json.JSONEncoder(sort_keys=True, ensure_ascii=False).encode


def variable_text(value: Any) -> str:
    """Airflow variable values are strings; anything else is stored as its JSON text."""
    return value if isinstance(value, str) else json_text(value)


def canonical(value: Any) -> Any:
    """Mappings with sorted keys, at every depth: the order keys were written in means nothing."""
    if isinstance(value, MAPPINGS):
        return {k: canonical(value[k]) for k in sorted(value)}
    if isinstance(value, (list, tuple)):
        return [canonical(v) for v in value]
    return value


# --- airflow_settings.yaml -----------------------------------------------------------


Memo = dict[int, tuple[ResolvedObject, str]]  # id of a shared resolved object -> (the object, its list item)


def airflow_settings(
    dep: ResolvedDeployment, secrets: SecretValues, conn_extra: str = "json", memo: Memo | None = None
) -> str:
    """The Astro CLI settings file of one Deployment.

    `memo` carries rendered list items between the Deployments of one render (with one
    `secrets`): an object that resolves the same everywhere is one shared ResolvedObject, so
    its item is rendered once (which keeps `render --all` linear in practice). Only shared
    objects are kept, each with its item: a Deployment's own objects are let go with it
    (`render --all` holds one Deployment at a time), and an id is only trusted while the
    object it was taken from is held.
    """
    memo = {} if memo is None else memo

    def item(obj: ResolvedObject) -> str:
        """The object's list item, made (and kept, for a shared object): the loop below takes
        a kept one itself."""
        text = entry_text(_ENTRIES[obj.kind](obj, secrets, conn_extra))
        if obj.shared:
            memo[id(obj)] = (obj, text)
        return text

    # Each section's entries joined here (each starts on a new line): one string for the
    # template to place, not a thousand values for its loop.
    entries: dict[str, list[str]] = {kind: [] for _, kind in _SECTIONS}
    kept_item = memo.get
    for obj in dep.objects:  # objects x Deployments times: a shared item is taken here, without a call
        kept = kept_item(id(obj))
        entries[obj.kind].append(kept[1] if kept is not None and kept[0] is obj else item(obj))
    sections = [(section, "".join(entries[kind])) for section, kind in _SECTIONS]
    return _template(
        "airflow_settings.yaml.j2", deployment=dep.name, sections=sections, note=_note(SETTINGS_FILE, secrets)
    )


# The first comment line after the header says what the file holds in place of secrets.
# output.drift trusts a file that starts with REDACTED_NOTE to hold no secret value: the
# note and the content are written in one atomic write, so the note cannot go stale.
_NOTES = {
    (SETTINGS_FILE, True): f"{REDACTED_NOTE}: secret values are <secret:NAME> placeholders, for review\n"
    "# and drift checks only. Render with --secrets env|dotenv before astro dev start / object import.",
    (DEPLOYMENT_FILE, True): f"{REDACTED_NOTE}: a secret variable has no value, which\n"
    "# astro deployment update reads as: keep the stored value.",
}
RESOLVED_NOTE = "# Secrets: resolved values (--secrets env|dotenv). Keep this file out of git."


def _note(name: str, secrets: SecretValues) -> str:
    return _NOTES[name, True] if secrets.redacted else RESOLVED_NOTE


def entry_text(entry: list[tuple[str, Any]]) -> str:
    """One list item of airflow_settings.yaml, as the file's template joins them: each key on
    its own line, the first after `- `, each value as `yaml_text.block` writes it.

    Formatted here rather than by a Jinja render per entry (10,900 renders at 1000x50, a
    tenth of `render --all`); tests/render/test_texts.py holds it to what
    templates/airflow_settings_entry.yaml.j2, which documents the layout, renders.
    """
    block = yaml_text.block
    lead = "\n    - "
    parts: list[str] = []
    for key, value in entry:
        parts += (lead, key, ":", block(value, 8))
        lead = "\n      "
    return "".join(parts).rstrip("\n")


ENTRY_TEMPLATE = "airflow_settings_entry.yaml.j2"
_SECTIONS: tuple[tuple[str, ObjectKind], ...] = (
    ("connections", "connection"),
    ("pools", "pool"),
    ("variables", "variable"),
)


def _connection_entry(obj: ResolvedObject, secrets: SecretValues, conn_extra: str) -> list[tuple[str, Any]]:
    fields = obj.fields()
    reveal = secrets.reveal
    entry: list[tuple[str, Any]] = [("conn_id", obj.key)]
    for name in CONNECTION_FIELDS:
        if name not in fields:
            continue
        value = reveal(fields[name])
        if name == "extra":
            value = canonical(value) if conn_extra == "mapping" else json_text(value)
        entry.append((f"conn_{name}", value))
    return entry


def _pool_entry(obj: ResolvedObject, secrets: SecretValues, conn_extra: str) -> list[tuple[str, Any]]:
    fields = obj.fields()
    entry: list[tuple[str, Any]] = [("pool_name", obj.key), ("pool_slot", fields["slots"])]
    if "description" in fields:
        entry.append(("pool_description", fields["description"]))
    return entry


def _variable_entry(obj: ResolvedObject, secrets: SecretValues, conn_extra: str) -> list[tuple[str, Any]]:
    value = secrets.reveal(obj.fields().get("value", ""))
    return [("variable_name", obj.key), ("variable_value", variable_text(value))]


_ENTRIES = {"connection": _connection_entry, "pool": _pool_entry, "variable": _variable_entry}


# --- deployment.yaml -------------------------------------------------------------------


def deployment_file(dep: ResolvedDeployment, workspace: str, secrets: SecretValues) -> str:
    spec = dep.spec
    configuration = {"name": dep.name, "description": spec.description, "workspace_name": workspace, **spec.astro}
    sections: list[tuple[str, Any]] = [
        ("environment_variables", _environment_variables(spec.environment_variables, secrets)),
        ("configuration", {k: configuration[k] for k in CONFIGURATION_KEYS if configuration.get(k) is not None}),
        ("worker_queues", [{k: q[k] for k in QUEUE_KEYS if k in q} for q in spec.worker_queues]),
        ("alert_emails", list(spec.alert_emails)),
        ("hibernation_schedules", [{k: h[k] for k in HIBERNATION_KEYS if k in h} for h in spec.hibernation_schedules]),
    ]
    return _template("deployment.yaml.j2", deployment=dep.name, sections=sections, note=_note(DEPLOYMENT_FILE, secrets))


def _environment_variables(variables: Mapping[str, Any], secrets: SecretValues) -> list[dict[str, Any]]:
    """`{key, value, is_secret}` each; a secret under redact has no `value` at all (SPEC 5.2).

    The Astro CLI's `update --deployment-file` reads a missing value as "keep the stored
    one": a placeholder there would be applied as the secret's new value.
    """
    return [
        {"key": key, "is_secret": True}
        if isinstance(value, Secret) and secrets.redacted
        else {"key": key, "value": _env_value(value, secrets), "is_secret": isinstance(value, Secret)}
        for key, value in sorted(variables.items())
    ]


def _env_value(value: Any, secrets: SecretValues) -> str:
    if isinstance(value, Secret):
        return secrets.value(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


# --- environment-objects.json ----------------------------------------------------------


def environment_objects(view: WorkspaceView, secrets: SecretValues) -> str:
    """The workspace view as create requests, secrets filled in as `secrets` says.

    The text is `json.dumps(requests, indent=2, ensure_ascii=False) + "\\n"`, byte for byte
    (tests/render/test_texts.py proves it), built by `_indented` one request at a time:
    `indent=` turns off json's C encoder, which made this 11 % of `render --all`, and the
    whole list of requests with its pieces was a transient of about 7 times the output.
    """
    return "".join(environment_objects_pieces(view, secrets))


def environment_objects_pieces(view: WorkspaceView, secrets: SecretValues) -> Iterator[str]:
    """`environment_objects`, one request's text at a time (joined, the same text): the writer
    takes them as they come, so the file (50 MB at 5000x200) is never held whole."""
    if not view.objects:
        yield "[]\n"
        return
    separator = "[\n  "
    for obj in view.objects:
        parts: list[str] = [separator]
        _indented(_request(obj, secrets, encoded=True), "\n  ", parts)
        yield "".join(parts)
        separator = ",\n  "
    yield "\n]\n"


_STRING = json.encoder.encode_basestring  # the C function json uses for ensure_ascii=False
_COMPACT = json.JSONEncoder(ensure_ascii=False).encode  # the C encoder, for other scalars


def indented_json(value: Any) -> str:
    """`json.dumps(value, indent=2, ensure_ascii=False)`, the same text, strings and scalars
    encoded by json's C functions and the layout assembled here.

    Raises TypeError for what json cannot encode, as json.dumps does.
    """
    parts: list[str] = []
    _indented(value, "\n", parts)
    return "".join(parts)


def _indented(value: Any, newline: str, parts: list[str]) -> None:
    """Append the text of `value` to `parts`; `newline` is "\\n" and the indentation of `value`'s line."""
    if isinstance(value, str):
        parts.append(value if type(value) is _Encoded else _STRING(value))
    elif isinstance(value, dict):
        if not value:
            parts.append("{}")
            return
        inner = newline + "  "
        separator = "{" + inner
        for key, item in value.items():
            parts.append(separator)
            parts.append(_STRING(key) if isinstance(key, str) else _COMPACT({key: 0})[1:-4])
            parts.append(": ")
            _indented(item, inner, parts)
            separator = "," + inner
        parts.append(newline + "}")
    elif isinstance(value, (list, tuple)):
        if not value:
            parts.append("[]")
            return
        inner = newline + "  "
        separator = "[" + inner
        for item in value:
            parts.append(separator)
            _indented(item, inner, parts)
            separator = "," + inner
        parts.append(newline + "]")
    elif value is True:
        parts.append("true")
    elif value is False:
        parts.append("false")
    elif value is None:
        parts.append("null")
    else:
        parts.append(_COMPACT(value))


def _request(obj: EnvironmentObject, secrets: SecretValues, *, encoded: bool = False) -> dict[str, Any]:
    """The create request of one object, as data; `encoded`: its plain links (and excluded
    Deployments) already JSON text for `_indented`, which writes the same bytes."""
    entry = _deployment_entry if encoded else _deployment_data
    request: dict[str, Any] = {
        "objectKey": obj.object_key,
        "objectType": obj.object_type,
        "scope": obj.scope,
        "scopeEntityId": obj.scope_entity,
    }
    if obj.scope == "WORKSPACE":
        request["autoLinkDeployments"] = obj.auto_link_deployments
        request["links"] = [_link(obj, link, secrets, entry) for link in obj.links]
        request["excludeLinks"] = [entry(name) for name in obj.exclude_links]
    if obj.description is not None:
        request["description"] = obj.description
    request.update(_payload(obj.kind, obj.fields, secrets))
    return request


class _Encoded(str):
    """Text `_indented` places as it is: already the JSON of a value at its place in the file."""


@lru_cache(maxsize=1 << 12)
def _deployment_entry(name: str) -> _Encoded:
    """The text of `{"scope": "DEPLOYMENT", "scopeEntityId": name}` as an item of a request's
    `links` or `excludeLinks`: the same for every object linked to the Deployment, so it is
    encoded once per run instead of once per object and Deployment (issue 26)."""
    parts: list[str] = []
    _indented(_deployment_data(name), "\n      ", parts)
    return _Encoded("".join(parts))


def _deployment_data(name: str) -> dict[str, Any]:
    return {"scope": "DEPLOYMENT", "scopeEntityId": name}


def _link(
    obj: EnvironmentObject, link: Link, secrets: SecretValues, entry: Callable[[str], dict[str, Any] | _Encoded]
) -> dict[str, Any] | _Encoded:
    if link.overrides is None:
        return entry(link.deployment)
    overrides = _payload(obj.kind, link.overrides, secrets)
    if not any(overrides.values()):  # an override of secrets only has nothing left under redact
        return entry(link.deployment)
    return {"scope": "DEPLOYMENT", "scopeEntityId": link.deployment, "overrides": overrides}


def _payload(kind: str, fields: Mapping[str, Any], secrets: SecretValues) -> dict[str, Any]:
    """The typed member; under redact a field holding a secret is absent, never a placeholder.

    Astro keeps a stored secret when an update leaves it empty or out (ASTRO-API 1.4), so
    a tool that applies a redacted file keeps the real values. A connection's `extra` is
    one JSON object that replaces the stored one: an `extra` holding a secret leaf is left
    out whole, since leaving out only the leaf would delete the stored secret.
    """
    if kind == "connection":
        kept = [k for k in CONNECTION_FIELDS if k in fields and not (secrets.redacted and holds_secret(fields[k]))]
        return {"connection": {k: canonical(secrets.reveal(fields[k])) for k in kept}}
    value = fields.get("value")
    if holds_secret(value) and secrets.redacted:
        return {"airflowVariable": {"isSecret": True}}
    return {"airflowVariable": {"value": variable_text(secrets.reveal(value)), "isSecret": holds_secret(value)}}


def render_deployment(
    dep: ResolvedDeployment, workspace: str, secrets: SecretValues, conn_extra: str, memo: Memo | None = None
) -> dict[str, str]:
    return {
        f"{dep.name}/{SETTINGS_FILE}": airflow_settings(dep, secrets, conn_extra, memo),
        f"{dep.name}/{DEPLOYMENT_FILE}": deployment_file(dep, workspace, secrets),
    }
