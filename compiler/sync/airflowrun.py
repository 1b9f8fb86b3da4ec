"""plan / apply against one Airflow (`--airflow URL`, SPEC 7.7), end to end.

A Deployment D (by --deployment, or the one the branch maps to) -> its resolved objects ->
that Airflow's live connections, variables and pools (through remote/, lazily) -> a plan in
the change model of plan.py -> writes through remote.airflow.AirflowTarget. The same owner,
marker, fingerprints, secret modes, reporters and exit codes as the Astro target.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .. import secrets
from ..build import Selection, resolve_selection
from ..diagnostics import Location
from ..errors import UsageError
from ..project import Project
from ..resolve import ResolvedDeployment
from ..secrets import SecretValues
from . import airflowplan
from .airflowstate import KINDS, Kind, LiveAirflow
from .apply import Applied, Step, apply
from .plan import Options, Plan


@dataclass(frozen=True)
class AirflowPlanned:
    plan: Plan
    deployment: ResolvedDeployment
    live: LiveAirflow
    values: SecretValues | None


def deployment(project: Project, root: Path, selection: Selection, environ: Mapping[str, str]) -> ResolvedDeployment:
    """The one Deployment an Airflow mirrors: --deployment D, or the branch's Deployment or preview."""
    if selection.all:
        raise UsageError("--airflow targets one Deployment: pass --deployment D (not --all)")
    return resolve_selection(project, root, selection, environ)[0]


def secret_values(
    dep: ResolvedDeployment, mode: str, environ: Mapping[str, str], kinds: tuple[Kind, ...] = KINDS
) -> SecretValues | None:
    """The values of every secret the Deployment's objects name; None under --secrets redact."""
    if secrets.parse_mode(mode)[0] == "redact":
        return None
    names = {s.name for o in dep.objects if o.kind in kinds for s in secrets.referenced(o.fields())}
    return secrets.load(mode, names, environ)


def locator(project: Project) -> Callable[[str, Any], Location]:
    def locate(path: str, ypath: Any) -> Location:
        document = project.document(path)
        return document.locate(ypath, at="key") if document and ypath else Location(path)

    return locate


def make_plan(
    project: Project,
    dep: ResolvedDeployment,
    live: LiveAirflow,
    *,
    owner: str,
    values: SecretValues | None,
    adopt: bool,
    environ: Mapping[str, str],
    kinds: tuple[Kind, ...] = KINDS,
    label: str | None = None,
) -> AirflowPlanned:
    key = environ.get("ASTRO_GITOPS_FINGERPRINT_KEY") or None
    options = Options(owner, adopt, key.encode() if key else None, values, locator(project))
    wanted = airflowplan.desired(project.model, dep, kinds)
    made = airflowplan.plan(wanted, live, options, label or f"{dep.name} on Airflow {live.url}")
    return AirflowPlanned(made, dep, live, values)


def run_apply(planned: AirflowPlanned, target: Any, on_step: Callable[[Step], None] | None = None) -> Applied:
    assert planned.values is not None, "apply refuses --secrets redact before planning"
    return apply(planned.plan, target, planned.values, on_step)
