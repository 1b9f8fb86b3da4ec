"""`import --from-airflow URL --deployment D`: a self-hosted Airflow 2 or 3 (or `astro dev start`'s)
-> D's Deployment-scoped connections, variables and pools in D's file (onboarding/adoption.py).

Read through remote/airflow.py with the credentials of `plan --airflow` (SPEC 7.7). A value
Airflow masks (`***`, whole or inside a JSON value) becomes a `{secret: NAME}` whose value the user provides; a value in a
secret place (a password, a secret-looking extra key or variable key) that Airflow returned in
clear becomes a `{secret: NAME}` too, and its value goes only to the `--dotenv PATH` file the
user asked for (git-ignored, mode 0600; onboarding/dotenvfile.py), never into environments/.
Airflow 2 never returns a password (write-only there): a note says so. D's existing file keeps
its other sections (settings, overrides); its comments are not kept.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from compiler.live.astro_import import found_workspace_name
from compiler.load import documents
from compiler.load.sources import filesystem_sources
from compiler.model.frozen import replace
from compiler.model.secrets import looks_secret
from compiler.onboarding.adoption import SETTINGS_ORDER, Adopted, write_adopted
from compiler.onboarding.found import FoundDeployment, FoundObject, FoundWorkspace
from compiler.onboarding.known_values import register_environ
from compiler.sync import marker as markers
from compiler.sync.airflow_state import MASKED, LiveAirflow, LiveObject
from compiler.sync.ledger import PREFIX as LEDGER_PREFIX

_KEPT = (*SETTINGS_ORDER, "overrides")


def import_airflow(
    root: Path, environ: Mapping[str, str], *, url: str, deployment: str, dotenv: Path | None, force: bool
) -> Adopted:
    """Read the Airflow at `url`, write D's file; the values it returned in clear to `dotenv` if given."""
    from compiler.onboarding.dotenvfile import refuse_unless_ignored, write_secrets
    from compiler.remote.airflow import AirflowClient, Credentials, api_root

    if dotenv is not None:
        refuse_unless_ignored(dotenv, root)  # before anything is written
    register_environ(root, environ)  # a secret value in a live field is never written (known_values.py)
    with AirflowClient(url, Credentials.from_env(environ)) as client:
        live = client.read()
    found = found_airflow(live, deployment, _existing(root, deployment), found_workspace_name(root))
    adopted = write_adopted(root, found, source=f"Airflow {api_root(url)}", force=force, owner=None)
    notes = list(adopted.notes)
    if not live.version.reads_passwords and live.of_kind("connection"):
        notes.append(
            f"Airflow {live.version.text} never returns a connection's password: add "
            "`password: {secret: NAME}` to each imported connection that has one"
        )
    if adopted.values:
        if dotenv is None:
            notes.append(
                f"Airflow returned {len(adopted.values)} secret value(s) in clear: they were not written anywhere; "
                "import again with --force --dotenv PATH (a git-ignored file) to keep them"
            )
        else:
            done = write_secrets(dotenv, adopted.values, root)
            notes.append(f"wrote {len(done.added)} secret value(s) to {dotenv} (mode 0600)")
    return replace(adopted, notes=tuple(notes))


def found_airflow(live: LiveAirflow, deployment: str, existing: Mapping[str, Any], workspace: str) -> FoundWorkspace:
    """The Airflow's objects as D's Deployment-scoped objects and pools; D's file's other sections kept."""
    objects = tuple(
        _object(o, deployment)
        for kind in ("connection", "variable")
        for o in live.of_kind(kind)
        if not (kind == "variable" and o.key.startswith(LEDGER_PREFIX))  # astro-gitops's own
    )
    pools = {o.key: _pool(o) for o in live.of_kind("pool")}
    description = existing.get("description")
    kept = {k: existing[k] for k in _KEPT if k in existing}
    dep = FoundDeployment(deployment, description if isinstance(description, str) else "", kept=kept)
    return FoundWorkspace(workspace, (dep,), objects, {deployment: pools} if pools else {})


def _object(obj: LiveObject, deployment: str) -> FoundObject:
    text, _ = markers.split(obj.description)
    fields: dict[str, Any] = {}
    masked: set[str] = set()
    for name, value in obj.fields.items():
        if name == "extra" and isinstance(value, Mapping):
            fields["extra"] = {k: "" if _masked(v) else v for k, v in value.items()}
            masked |= {f"extra.{k}" for k, v in value.items() if _masked(v)}
        elif _masked(value):
            fields[name] = ""
            masked.add(name)
        else:
            fields[name] = value
    if obj.kind == "variable" and (looks_secret(obj.key) or _holds_secret(fields.get("value"))):
        masked.add("value")  # a reference; its value (if shown in clear) only for --dotenv
    kind: Literal["connection", "variable"] = "connection" if obj.kind == "connection" else "variable"
    return FoundObject(kind, obj.key, text.strip(), fields, frozenset(masked), deployment)


def _holds_secret(text: Any) -> bool:
    """A JSON text with a secret-looking key at any depth (Airflow 2 returns those in clear)."""
    try:
        value = json.loads(text) if isinstance(text, str) else None
    except ValueError:
        return False
    return _secret_key(value)


def _secret_key(value: Any) -> bool:
    if isinstance(value, dict):
        return any((looks_secret(str(k)) and v not in (None, "")) or _secret_key(v) for k, v in value.items())
    return isinstance(value, list) and any(_secret_key(v) for v in value)


def _masked(value: Any) -> bool:
    """Masked whole (`***`) or in part: Airflow masks secret keys inside a JSON value too, so
    what it returned is not the value (it must not be written back, or into a dotenv file)."""
    return isinstance(value, str) and MASKED in value


def _pool(obj: LiveObject) -> dict[str, Any]:
    text, _ = markers.split(obj.description)
    fields = dict(obj.fields)
    return {**fields, "description": text.strip()} if text.strip() else fields


def _existing(root: Path, deployment: str) -> Mapping[str, Any]:
    """D's deployment file as data (empty when there is none)."""
    loaded, _ = documents.load_documents(filesystem_sources(root))
    for doc in loaded:
        if doc.kind == "deployment" and isinstance(doc.data, dict) and doc.data.get("name") == deployment:
            return doc.data
    return {}
