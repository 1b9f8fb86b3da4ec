"""Semantic rules of SPEC 2 and 6 over the typed model -> located diagnostics."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from . import airflow_ids, consumers, output, templating
from .airflow_ids import CONN_ID, MAX_POOL_NAME, MAX_VARIABLE_KEY  # noqa: F401  (re-exported for old importers)
from .branches import rule_regex, slug
from .diagnostics import Diagnostic, Location, did_you_mean, error, warning
from .load import Document, YPath, iter_leaves, iter_strings
from .model import DeploymentSpec, Model, ObjectKind, ObjectSpec, OverrideSpec, Secret
from .schema import SECRET_NAME_MESSAGE
from .secrets import SECRET_NAME, plaintext_paths, reference_name

ENV_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
EMAIL = re.compile(
    r"[^@\s<>(),;:\"\[\]]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+"
)
QUEUE_EXECUTORS = {"CELERY", "CELERYEXECUTOR", "ASTRO", "ASTROEXECUTOR"}
SAMPLE_BRANCH = "feature/example"
# What `init` writes until the user names the workspace (warning `workspace-placeholder`).
WORKSPACE_PLACEHOLDER = "<your Astro workspace>"


class _Checker:
    def __init__(self, model: Model, documents: Iterable[Document], partially_known: set[str]) -> None:
        self.model = model
        self.docs = {d.path: d for d in documents}
        self.found: list[Diagnostic] = []
        self.names = set(model.deployment_names)
        self.partially_known = partially_known

    def at(self, path: str, ypath: YPath, *, key: bool = False) -> Location:
        document = self.docs.get(path)
        return document.locate(ypath, at="key" if key else "value") if document else Location(path)

    def error(self, path: str, ypath: YPath, code: str, message: str, *, key: bool = False) -> None:
        self.found.append(error(self.at(path, ypath, key=key), code, message))

    def unknown_deployment(self, name: str, path: str, ypath: YPath, what: str) -> None:
        if name not in self.names and name not in self.partially_known:
            hint = did_you_mean(name, self.names)
            self.error(
                path, ypath, "unknown-deployment", f"{what} names Deployment '{name}', which does not exist{hint}"
            )


def check(model: Model, documents: Iterable[Document], partially_known: set[str] | None = None) -> list[Diagnostic]:
    """Every semantic problem of the model; the documents give positions.

    `partially_known` names Deployments and objects defined in files that failed their
    schema: references to them are not reported a second time.
    """
    checker = _Checker(model, documents, partially_known or set())
    _check_workspace(checker)
    _check_deployments(checker)
    _check_objects(checker)
    _check_links(checker)
    _check_overrides(checker)
    _check_templates(checker)
    checker.found.extend(consumers.warnings(model, lambda path, ypath, at_key: checker.at(path, ypath, key=at_key)))
    return checker.found


def _check_workspace(c: _Checker) -> None:
    workspace = c.model.workspace
    if workspace is None:
        return
    if workspace.name == WORKSPACE_PLACEHOLDER:
        message = "fill in your Astro workspace name (it becomes workspace_name in every deployment file)"
        c.found.append(warning(c.at(workspace.path, ("workspace",)), "workspace-placeholder", message))
    for rule in workspace.rules:
        key = "regex" if rule.is_regex else "branch"
        try:
            rule_regex(rule)
        except re.error as exc:
            c.error(rule.path, (*rule.ypath, key), "invalid-regex", f"invalid regular expression: {exc}")
        if rule.deployment is not None:
            c.unknown_deployment(rule.deployment, rule.path, (*rule.ypath, "deployment"), "branch rule")
        if rule.preview is not None:
            c.unknown_deployment(rule.preview.from_, rule.path, (*rule.ypath, "preview", "from"), "preview rule")


def _check_deployments(c: _Checker) -> None:
    first: dict[str, DeploymentSpec] = {}
    for deployment in c.model.deployments:
        earlier = first.get(output.fold(deployment.name))
        if earlier is not None:
            other = c.at(earlier.path, ("name",))
            same = (
                ""
                if earlier.name == deployment.name
                else f" as '{earlier.name}' (its output folder, where case is ignored)"
            )
            c.error(
                deployment.path,
                ("name",),
                "duplicate-deployment",
                f"Deployment '{deployment.name}' is also defined{same} at {other}",
            )
        first.setdefault(output.fold(deployment.name), deployment)
        _check_deployment_name(c, deployment)
        _check_deployment_file(c, deployment)


def _check_deployment_name(c: _Checker, d: DeploymentSpec) -> None:
    """The name becomes the output folder: one safe path segment, or nothing is rendered."""
    problem = output.segment_problem(d.name)
    if problem is None and d.name.casefold() in output.TOP_LEVEL_FILES:
        problem = "is the name of an output file"
    if problem:
        # Quoted once: by us when printable, else by repr (which quotes and escapes).
        shown = f"'{d.name}'" if d.name.isprintable() and len(d.name) <= 100 else repr(d.name[:100])
        c.error(
            d.path,
            ("name",),
            "invalid-deployment-name",
            f"Deployment name {shown} {problem}; it names an output folder",
        )


def _check_deployment_file(c: _Checker, d: DeploymentSpec) -> None:
    """The checks the Astro CLI makes of a deployment file (cloud/deployment/fromfile)."""
    executor = d.astro.get("executor")
    if executor is None:
        c.error(
            d.path,
            ("astro",) if "astro" in c.docs[d.path].data else ("name",),
            "missing-executor",
            "the Astro deployment file needs 'astro.executor'",
            key=True,
        )
    needs_default = str(executor or "").upper() in QUEUE_EXECUTORS
    for i, queue in enumerate(d.worker_queues):
        for field in ("name", "worker_type"):
            if not queue.get(field):
                c.error(d.path, ("worker_queues", i), "queue-missing-field", f"worker queue {i + 1} needs '{field}'")
    if needs_default and not any(q.get("name") == "default" for q in d.worker_queues):
        where = ("worker_queues",) if d.worker_queues else ("astro", "executor")
        c.error(
            d.path,
            where,
            "missing-default-queue",
            f"executor {executor} needs a worker queue named 'default'",
            key=True,
        )
    for i, email in enumerate(d.alert_emails):
        if not EMAIL.fullmatch(email):
            c.error(d.path, ("alert_emails", i), "invalid-email", f"'{email}' is not an e-mail address")
    if reference_name(d.environment_variables) is not None:
        # `environment_variables: {secret: X}`: one reference where a mapping of variables belongs.
        message = "'environment_variables' must map each variable name to a value, not be one secret reference (write NAME: {secret: X})"
        c.error(d.path, ("environment_variables",), "wrong-type", message)
        return
    for key, value in d.environment_variables.items():
        if not ENV_KEY.fullmatch(key):
            c.error(
                d.path,
                ("environment_variables", key),
                "invalid-env-key",
                f"environment variable name '{key}' must match {ENV_KEY.pattern}",
                key=True,
            )
        _check_secret_names(c, d.path, ("environment_variables", key), value)


def _check_objects(c: _Checker) -> None:
    scoped = [o for d in c.model.deployments for o in d.objects]
    _duplicates(c, c.model.objects)
    for d in c.model.deployments:
        _case_collisions(c, [o for o in d.objects if o.kind == "connection"])
    _case_collisions(c, [o for o in c.model.objects if o.kind == "connection"])
    for obj in (*c.model.objects, *scoped):
        _check_object(c, obj)


def _duplicates(c: _Checker, objects: Iterable[ObjectSpec]) -> None:
    first: dict[tuple[str, str], ObjectSpec] = {}
    for obj in objects:
        seen = first.setdefault((obj.kind, obj.key), obj)
        if seen is not obj:
            other = c.at(seen.path, seen.ypath, key=True)
            c.error(
                obj.path, obj.ypath, "duplicate-object", f"{obj.kind} '{obj.key}' is also defined at {other}", key=True
            )


def _case_collisions(c: _Checker, connections: list[ObjectSpec]) -> None:
    first: dict[str, ObjectSpec] = {}
    for obj in connections:
        seen = first.setdefault(obj.key.upper(), obj)
        if seen is not obj and seen.key != obj.key:
            c.error(
                obj.path, obj.ypath, "conn-id-case-collision",
                f"conn_id '{obj.key}' differs from '{seen.key}' only in case; {airflow_ids.env_name(obj.key)} would be the same",
                key=True,
            )  # fmt: skip


def _check_object(c: _Checker, obj: ObjectSpec) -> None:
    problem = _key_problem(obj.kind, obj.key)
    if problem is not None:
        c.error(obj.path, obj.ypath, *problem, key=True)
    if obj.kind == "connection":
        _check_plaintext(c, obj.path, obj.ypath, obj.fields, obj.allow_plaintext)
    _check_secret_names(c, obj.path, obj.ypath, obj.fields)
    if obj.deployment is None and obj.linked_nowhere:
        c.found.append(
            warning(
                c.at(obj.path, obj.ypath, key=True),
                "unused-object",
                f"{obj.kind} '{obj.key}' is linked to no Deployment",
            )
        )
    if obj.exclude and obj.links != "all":
        c.error(
            obj.path,
            (*obj.ypath, "exclude"),
            "exclude-without-all",
            "'exclude' is only allowed with 'links: all'",
            key=True,
        )


_KEY_CODES: dict[ObjectKind, str] = {
    "connection": "invalid-conn-id",
    "variable": "invalid-variable-key",
    "pool": "invalid-pool-name",
}
_KEY_RULES = {
    "connection": airflow_ids.conn_id_problem,
    "variable": airflow_ids.variable_key_problem,
    "pool": airflow_ids.pool_name_problem,
}


def _key_problem(kind: ObjectKind, key: str) -> tuple[str, str] | None:
    """(code, message) when Airflow would refuse the object's key."""
    message = _KEY_RULES[kind](key)
    return None if message is None else (_KEY_CODES[kind], message)


def _check_plaintext(c: _Checker, path: str, ypath: YPath, fields: Mapping[str, Any], allowed: bool) -> None:
    if allowed:
        return
    for leaf in plaintext_paths(fields):
        c.error(
            path, (*ypath, *leaf), "plaintext-secret",
            f"'{'.'.join(map(str, leaf))}' holds a literal secret; write {{secret: NAME}} (or set allow_plaintext: true for a throwaway local database)",
        )  # fmt: skip


def _check_secret_names(c: _Checker, path: str, ypath: YPath, value: Any) -> None:
    for leaf, secret in _secrets(value, ()):
        if not SECRET_NAME.fullmatch(secret.name):
            c.error(
                path,
                (*ypath, *leaf, "secret"),
                "invalid-secret-name",
                SECRET_NAME_MESSAGE,
            )


def _secrets(value: Any, ypath: YPath) -> Iterator[tuple[YPath, Secret]]:
    return ((path, leaf) for path, leaf in iter_leaves(value, ypath) if isinstance(leaf, Secret))


def _check_links(c: _Checker) -> None:
    for obj in c.model.objects:
        if isinstance(obj.links, tuple):
            for i, name in enumerate(obj.links):
                c.unknown_deployment(name, obj.path, (*obj.ypath, "links", i), f"{obj.kind} '{obj.key}' links")
        for i, name in enumerate(obj.exclude):
            c.unknown_deployment(name, obj.path, (*obj.ypath, "exclude", i), f"{obj.kind} '{obj.key}' exclude")


def _check_overrides(c: _Checker) -> None:
    for d in c.model.deployments:
        _check_override_set(c, d.name, d.overrides, d.objects)
    workspace = c.model.workspace
    for rule in workspace.rules if workspace else ():
        base = c.model.deployment(rule.preview.from_) if rule.preview else None
        if rule.preview and base:
            _check_override_set(c, base.name, rule.preview.overrides, base.objects, preview=True)


def _check_override_set(
    c: _Checker, name: str, overrides: Iterable[OverrideSpec], scoped: Iterable[ObjectSpec], *, preview: bool = False
) -> None:
    linked = {(o.kind, o.key): o for o in c.model.objects if o.linked_to(name)}
    _check_scoped(c, name, scoped, linked)
    for override in overrides:
        target = linked.get((override.kind, override.key))
        if target is None and override.key in c.partially_known:
            continue
        if target is None:
            keys = [k for kind, k in linked if kind == override.kind]
            whose = f"the preview's base '{name}'" if preview else f"'{name}'"
            c.error(
                override.path,
                override.ypath,
                "override-unlinked",
                f"override of {override.kind} '{override.key}', which is not linked to {whose}{did_you_mean(override.key, keys)}",
                key=True,
            )
            continue
        _check_secret_names(c, override.path, override.ypath, override.fields)
        if override.kind == "connection":
            allowed = override.allow_plaintext if override.allow_plaintext is not None else target.allow_plaintext
            _check_plaintext(c, override.path, override.ypath, override.fields, allowed)


def _check_scoped(
    c: _Checker, name: str, scoped: Iterable[ObjectSpec], linked: Mapping[tuple[ObjectKind, str], ObjectSpec]
) -> None:
    """Deployment-scoped objects must not take the key of an object linked to the Deployment."""
    # A conn_id that differs only in case would share AIRFLOW_CONN_<ID> inside this Deployment.
    linked_conn_ids = {key.upper(): obj for (kind, key), obj in linked.items() if kind == "connection"}
    for obj in scoped:
        if (obj.kind, obj.key) in linked:
            other = c.at(*_where(linked[(obj.kind, obj.key)]), key=True)
            c.error(
                obj.path,
                obj.ypath,
                "scoped-collision",
                f"Deployment-scoped {obj.kind} '{obj.key}' has the key of the {obj.kind} linked to '{name}' at {other}; override it instead",
                key=True,
            )
        elif obj.kind == "connection" and obj.key.upper() in linked_conn_ids:
            seen = linked_conn_ids[obj.key.upper()]
            c.error(
                obj.path, obj.ypath, "conn-id-case-collision",
                f"conn_id '{obj.key}' differs from '{seen.key}' (linked to '{name}' at {c.at(*_where(seen), key=True)}) only in case; {airflow_ids.env_name(obj.key)} would be the same",
                key=True,
            )  # fmt: skip


def _where(obj: ObjectSpec) -> tuple[str, YPath]:
    return obj.path, obj.ypath


def _check_templates(c: _Checker) -> None:
    """Render every templated string once with a sample branch, to locate broken templates now."""
    workspace_name = c.model.workspace.name if c.model.workspace else "workspace"
    sample = templating.context(SAMPLE_BRANCH, slug(SAMPLE_BRANCH), "example", workspace_name)
    for path, document in c.docs.items():
        for ypath, text in iter_strings(document.data):
            if templating.has_template(text):
                try:
                    templating.render_string(text, sample)
                except templating.TemplateProblem as problem:
                    c.error(path, ypath, problem.code, problem.message)
