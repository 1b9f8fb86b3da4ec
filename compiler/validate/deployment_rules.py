"""Semantic rules of a Deployment's own file: its name (an output folder), and the checks the
Astro CLI makes of a deployment file (executor, worker queues, e-mails, environment variables)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from compiler.model import out_names
from compiler.model.objects import DeploymentSpec
from compiler.model.secrets import reference_name
from compiler.validate.object_rules import check_secret_names

if TYPE_CHECKING:
    from compiler.validate.checker import Checker

ENV_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
EMAIL = re.compile(
    r"[^@\s<>(),;:\"\[\]]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+"
)
QUEUE_EXECUTORS = {"CELERY", "CELERYEXECUTOR", "ASTRO", "ASTROEXECUTOR"}
TYPE_NAMES = {"HOSTED_SHARED": "STANDARD", "HOSTED_STANDARD": "STANDARD", "HOSTED_DEDICATED": "DEDICATED"}
# Settings a Deployment type's request cannot carry (astro-cli astro-client-v1/api.gen.go,
# commit ed93cc59e54d: Create|Update{Standard,Dedicated,Hybrid}DeploymentRequest).
_HOSTED_ONLY = ("scheduler_size", "is_high_availability", "is_development_mode", "default_task_pod_cpu",
                "default_task_pod_memory", "resource_quota_cpu", "resource_quota_memory", "remote_execution")  # fmt: skip
NOT_FOR_TYPE = {
    "STANDARD": ("scheduler_au", "scheduler_count", "task_pod_node_pool_id"),
    "DEDICATED": ("scheduler_au", "scheduler_count", "task_pod_node_pool_id", "cloud_provider", "region"),
    "HYBRID": (*_HOSTED_ONLY, "cloud_provider", "region"),
}
PLACED_BY = {"STANDARD": "cloud_provider and region", "DEDICATED": "cluster_id", "HYBRID": "cluster_id"}


def check_deployments(c: Checker) -> None:
    first: dict[str, DeploymentSpec] = {}
    for deployment in c.model.deployments:
        earlier = first.get(out_names.fold(deployment.name))
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
        first.setdefault(out_names.fold(deployment.name), deployment)
        _check_deployment_name(c, deployment)
        _check_deployment_file(c, deployment)


def _check_deployment_name(c: Checker, d: DeploymentSpec) -> None:
    """The name becomes the output folder: one safe path segment, or nothing is rendered."""
    problem = out_names.segment_problem(d.name)
    if problem is None and d.name.casefold() in out_names.TOP_LEVEL_FILES:
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


def _check_deployment_file(c: Checker, d: DeploymentSpec) -> None:
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
    kind = deployment_type(d)
    for i, queue in enumerate(d.worker_queues):
        for field in ("name", "worker_type" if kind != "HYBRID" else "node_pool_id"):
            if not queue.get(field):
                c.error(d.path, ("worker_queues", i), "queue-missing-field", f"worker queue {i + 1} needs '{field}'")
    _check_type_settings(c, d, kind)
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
        check_secret_names(c, d.path, ("environment_variables", key), value)


def deployment_type(d: DeploymentSpec) -> str:
    """STANDARD, DEDICATED or HYBRID (`astro.deployment_type`, HOSTED_* spellings folded;
    STANDARD when unset)."""
    text = str(d.astro.get("deployment_type") or "STANDARD").upper()
    return TYPE_NAMES.get(text, text)


def _check_type_settings(c: Checker, d: DeploymentSpec, kind: str) -> None:
    """A setting the Deployment type's request has no field for is refused where it is written."""
    if kind not in NOT_FOR_TYPE:
        return
    for key in NOT_FOR_TYPE[kind]:
        if key in d.astro:
            _not_for_type(c, d, ("astro", key), f"'astro.{key}'", kind)
    if kind == "HYBRID" and str(d.astro.get("executor") or "").upper() in ("ASTRO", "ASTROEXECUTOR"):
        message = "a HYBRID Deployment has no ASTRO executor (UpdateHybridDeploymentRequest: CELERY or KUBERNETES)"
        c.error(d.path, ("astro", "executor"), "setting-not-for-deployment-type", message)
    if kind == "HYBRID" and d.hibernation_schedules:
        _not_for_type(c, d, ("hibernation_schedules",), "'hibernation_schedules'", kind)
    for i, queue in enumerate(d.worker_queues):
        wrong = ("pod_ephemeral_storage",) if kind == "HYBRID" else ("node_pool_id",)
        for key in wrong:
            if key in queue:
                _not_for_type(c, d, ("worker_queues", i, key), f"worker queue {i + 1}'s '{key}'", kind)


def _not_for_type(c: Checker, d: DeploymentSpec, where: tuple[str | int, ...], what: str, kind: str) -> None:
    message = (
        f"{what} is not a setting of a {kind} Deployment (its API request has no such field; "
        f"a {kind} Deployment is placed by {PLACED_BY[kind]}): remove it or change 'astro.deployment_type'"
    )
    c.error(d.path, where, "setting-not-for-deployment-type", message, key=True)
