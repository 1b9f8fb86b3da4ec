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
from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import Any

from . import templating, yamltext
from .model import MAPPINGS, Model, ObjectKind, ObjectSpec, Secret
from .output import REDACTED_NOTE
from .resolve import ResolvedDeployment, ResolvedObject, flatten
from .secrets import SecretValues

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
CONNECTION_FIELDS = ("type", "host", "schema", "login", "password", "port", "extra")
SETTINGS_FILE = "airflow_settings.yaml"
DEPLOYMENT_FILE = "deployment.yaml"
OBJECTS_FILE = "environment-objects.json"


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
    env.filters["yaml"] = yamltext.scalar
    env.filters["yaml_block"] = yamltext.block
    return env


def _template(name: str, **values: Any) -> str:
    text: str = _templates().get_template(name).render(**values)
    return text.rstrip("\n") + "\n"


def json_text(value: Any) -> str:
    """The canonical JSON of a value: sorted keys, for byte-identical output."""
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


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


def airflow_settings(
    dep: ResolvedDeployment, secrets: SecretValues, conn_extra: str = "json", memo: dict[int, str] | None = None
) -> str:
    """The Astro CLI settings file of one Deployment.

    `memo` carries rendered list items between the Deployments of one render: an object
    that resolves the same everywhere is one shared ResolvedObject, so its item is
    rendered once (which keeps `render --all` linear in practice).
    """
    memo = {} if memo is None else memo

    def item(obj: ResolvedObject) -> str:
        if id(obj) not in memo:
            entry = _ENTRIES[obj.kind](obj, secrets, conn_extra)
            memo[id(obj)] = _templates().get_template(_ENTRY_TEMPLATE).render(entry=entry).rstrip("\n")
        return memo[id(obj)]

    sections = [(section, [item(o) for o in dep.of_kind(kind)]) for section, kind in _SECTIONS]
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


_ENTRY_TEMPLATE = "airflow_settings_entry.yaml.j2"
_SECTIONS: tuple[tuple[str, ObjectKind], ...] = (
    ("connections", "connection"),
    ("pools", "pool"),
    ("variables", "variable"),
)


def _connection_entry(obj: ResolvedObject, secrets: SecretValues, conn_extra: str) -> list[tuple[str, Any]]:
    fields = secrets.reveal(obj.fields())
    entry: list[tuple[str, Any]] = [("conn_id", obj.key)]
    for name in CONNECTION_FIELDS:
        if name not in fields:
            continue
        value = fields[name]
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


def environment_objects(
    model: Model, workspace: str, secrets: SecretValues, resolved: Sequence[ResolvedDeployment]
) -> str:
    """The workspace view: one create request per workspace object, Deployment-scoped ones too."""
    by_name = {d.name: d for d in resolved}
    explicit = _explicit_overrides(model)
    requests = [
        _workspace_request(o, explicit.get((o.kind, o.key), {}), workspace, secrets, by_name)
        for o in model.objects
        if o.kind != "pool"
    ]
    requests += [
        _scoped_request(o, d.name, secrets)
        for d in resolved
        for o in d.objects
        if o.scope == "deployment" and o.kind != "pool"
    ]
    requests.sort(key=lambda r: (r["scope"], r["scopeEntityId"], r["objectType"], r["objectKey"]))
    return json.dumps(requests, indent=2, ensure_ascii=False) + "\n"


_OBJECT_TYPE = {"connection": "CONNECTION", "variable": "AIRFLOW_VARIABLE"}


def _payload(kind: str, fields: Mapping[str, Any], secrets: SecretValues) -> dict[str, Any]:
    if kind == "connection":
        return {"connection": {k: canonical(secrets.reveal(fields[k])) for k in CONNECTION_FIELDS if k in fields}}
    value = fields.get("value")
    is_secret = any(isinstance(leaf, Secret) for _, leaf in flatten({"v": value}))
    return {"airflowVariable": {"value": variable_text(secrets.reveal(value)), "isSecret": is_secret}}


def _workspace_request(
    obj: ObjectSpec,
    explicit: Mapping[str, Mapping[str, Any]],
    workspace: str,
    secrets: SecretValues,
    resolved: Mapping[str, ResolvedDeployment],
) -> dict[str, Any]:
    base_fields = _base_fields(obj, workspace)
    request: dict[str, Any] = {
        "objectKey": obj.key,
        "objectType": _OBJECT_TYPE[obj.kind],
        "scope": "WORKSPACE",
        "scopeEntityId": workspace,
        "autoLinkDeployments": obj.links == "all",
        "links": _links(obj, base_fields, explicit, secrets, resolved),
        "excludeLinks": [{"scope": "DEPLOYMENT", "scopeEntityId": name} for name in sorted(obj.exclude)],
    }
    if "description" in base_fields:
        request["description"] = base_fields["description"]
    request.update(_payload(obj.kind, base_fields, secrets))
    return request


def _base_fields(obj: ObjectSpec, workspace: str) -> dict[str, Any]:
    """The object's own fields, templates rendered where they need only `workspace`.

    A template that names the branch or the Deployment has no workspace-wide value: it
    stays as written here, and every linked Deployment gets its value as a link override.
    """
    variables = {"workspace": workspace}

    def render(value: Any) -> Any:
        if isinstance(value, MAPPINGS):
            return {k: render(v) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [render(v) for v in value]
        if isinstance(value, str):
            try:
                return templating.render_string(value, variables)
            except templating.TemplateProblem:
                return value
        return value

    return {k: render(v) for k, v in obj.fields.items()}


def _links(
    obj: ObjectSpec,
    base: Mapping[str, Any],
    explicit: Mapping[str, Mapping[str, Any]],
    secrets: SecretValues,
    resolved: Mapping[str, ResolvedDeployment],
) -> list[dict[str, Any]]:
    """One link per listed Deployment and per linked Deployment whose values differ from the base."""
    listed = set(obj.links) if isinstance(obj.links, tuple) else set()
    differing: dict[int, set[str]] = {}  # by resolved object: Deployments mostly share one
    links = []
    for name in sorted(n for n in listed | set(explicit) | set(resolved) if obj.linked_to(n)):
        found = resolved[name].find(obj.kind, obj.key) if name in resolved else None
        fields = found.fields() if found else {}
        if id(found) not in differing:
            differing[id(found)] = {k for k in _LINK_FIELDS[obj.kind] if k in fields and fields[k] != base.get(k)}
        keys = set(explicit.get(name, ())) | differing[id(found)]
        overrides = _override_payload(obj.kind, keys, fields, secrets) if found else None
        if name not in listed and name not in explicit and overrides is None:
            continue
        link: dict[str, Any] = {"scope": "DEPLOYMENT", "scopeEntityId": name}
        if overrides is not None:
            link["overrides"] = overrides
        links.append(link)
    return links


# The fields a link override can carry in the Astro API (a description is the object's own).
_LINK_FIELDS = {"connection": CONNECTION_FIELDS, "variable": ("value",)}


def _explicit_overrides(model: Model) -> dict[tuple[str, str], dict[str, Mapping[str, Any]]]:
    """The override each Deployment file writes, by object and then Deployment name (one pass)."""
    objects = {(o.kind, o.key): o for o in model.objects}
    found: dict[tuple[str, str], dict[str, Mapping[str, Any]]] = {}
    for d in model.deployments:
        for o in d.overrides:
            obj = objects.get((o.kind, o.key))
            if obj is not None and obj.linked_to(d.name):
                found.setdefault((o.kind, o.key), {})[d.name] = o.fields
    return found


def _override_payload(
    kind: str, keys: set[str], fields: Mapping[str, Any], secrets: SecretValues
) -> dict[str, Any] | None:
    """The overridden fields with their values as resolved for that Deployment (None: nothing to carry)."""
    carried = [k for k in _LINK_FIELDS[kind] if k in keys]
    if not carried:
        return None
    if kind == "variable":
        return _payload(kind, fields, secrets)
    return {"connection": {k: canonical(secrets.reveal(fields.get(k))) for k in carried}}


def _scoped_request(obj: ResolvedObject, deployment: str, secrets: SecretValues) -> dict[str, Any]:
    fields = obj.fields()
    request: dict[str, Any] = {
        "objectKey": obj.key,
        "objectType": _OBJECT_TYPE[obj.kind],
        "scope": "DEPLOYMENT",
        "scopeEntityId": deployment,
    }
    if "description" in fields:
        request["description"] = fields["description"]
    request.update(_payload(obj.kind, fields, secrets))
    return request


def render_deployment(
    dep: ResolvedDeployment, workspace: str, secrets: SecretValues, conn_extra: str, memo: dict[int, str] | None = None
) -> dict[str, str]:
    return {
        f"{dep.name}/{SETTINGS_FILE}": airflow_settings(dep, secrets, conn_extra, memo),
        f"{dep.name}/{DEPLOYMENT_FILE}": deployment_file(dep, workspace, secrets),
    }
