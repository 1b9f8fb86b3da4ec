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
        check_secret_names(c, d.path, ("environment_variables", key), value)
