"""Planning for one Airflow: (a Deployment's resolved objects, that Airflow's live objects) -> a plan.

The target of `--airflow URL` (connections, variables and pools) and of the pools of an Astro
Deployment (pools only, through its Airflow). Pure: no HTTP, no printing. It speaks the change
model of sync/astro_plan.py (ObjectChange, FieldChange, Plan), so the reporters and exit codes are the Astro
target's; ownership markers and secret fingerprints are marker.py's, in each description.

Its writes name `TARGET` (remote.airflow.AirflowTarget performs them). Airflow differs from the Environment Manager in ways that make this target simpler: every
object belongs to the one Deployment the Airflow serves (no links), and a PATCH with an
`update_mask` changes exactly the named fields, so nothing is ever replaced. `default_pool`
always exists, cannot be deleted, and Airflow lets only its slots and include_deferred change
(its description cannot carry a marker): a repository that defines it manages those two.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from types import MappingProxyType
from typing import Any

from compiler.diagnostics import Diagnostic, error
from compiler.load.documents import YPath
from compiler.model.frozen import frozen
from compiler.model.objects import MAPPINGS, Model, Secret
from compiler.model.secrets import SecretValues, looks_secret
from compiler.resolve.deployment import ResolvedDeployment, ResolvedObject
from compiler.review.changes import REDACTED, FieldChange, ObjectChange, ObjectKey, Write
from compiler.sync import marker as markers
from compiler.sync.airflow_state import DEFAULT_POOL, KINDS, MASKED, Kind, LiveAirflow, LiveObject
from compiler.sync.changeset import SECRET_CHANGED, SECRET_UNKNOWN, Options, Plan
from compiler.sync.desired import CONNECTION_FIELDS, has_secret, variable_value
from compiler.sync.ledger import RESTORED, LedgerPlan
from compiler.sync.values import concrete, leaves, same, shown

SCOPE = "AIRFLOW"  # the ObjectKey scope of a write to an Airflow
TARGET = "airflow"  # what such a write is to (changeset.Write.target)


@frozen
class Wanted:
    """One object the Airflow should hold: fields named as in environments/, secrets as `Secret`."""

    kind: Kind
    key: str
    description: str | None
    fields: Mapping[str, Any]
    path: str
    ypath: YPath


@frozen
class AirflowDesired:
    """What one Deployment's Airflow should hold, for the kinds this target manages."""

    deployment: str
    kinds: tuple[Kind, ...]
    objects: tuple[Wanted, ...]


def desired(model: Model, dep: ResolvedDeployment, kinds: tuple[Kind, ...] = KINDS) -> AirflowDesired:
    wanted = tuple(_wanted(model, dep, obj) for obj in dep.objects if obj.kind in kinds)
    return AirflowDesired(dep.name, kinds, wanted)


def _wanted(model: Model, dep: ResolvedDeployment, obj: ResolvedObject) -> Wanted:
    fields = obj.fields()
    kind: Kind = obj.kind
    own: dict[str, Any]
    if kind == "connection":
        own = {k: fields[k] for k in CONNECTION_FIELDS if fields.get(k) is not None}
    elif kind == "variable":
        own = {"value": variable_value(fields.get("value", ""))}
    else:
        own = {k: fields[k] for k in ("slots", "include_deferred") if fields.get(k) is not None}
    path, ypath = _location(model, dep, obj)
    return Wanted(kind, obj.key, fields.get("description"), MappingProxyType(own), path, ypath)


def _location(model: Model, dep: ResolvedDeployment, obj: ResolvedObject) -> tuple[str, YPath]:
    specs = model.objects if obj.scope == "workspace" else (s.objects if (s := model.deployment(dep.base)) else ())
    found = next((o for o in specs if o.kind == obj.kind and o.key == obj.key), None)
    return (found.path, found.ypath) if found else (dep.spec.path, ())


# --- which values are compared by fingerprint --------------------------------------------


def _sensitive(name: str) -> bool:
    """Airflow's masker's names and the project's (compiler.model.secrets.looks_secret)."""
    return looks_secret(name)


def _holds_sensitive(value: Any) -> bool:
    if isinstance(value, MAPPINGS):
        return any(_sensitive(k) or _holds_sensitive(v) for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return any(_holds_sensitive(v) for v in value)
    return False


def secret_path(wanted: Wanted, path: str, value: Any) -> bool:
    """A field whose value is compared by fingerprint: a secret reference, or one Airflow masks on
    read (a password, an extra key or a variable whose name says secret, a mapping holding one)."""
    if has_secret(value) or path == "password":
        return True
    if wanted.kind == "variable":
        return _sensitive(wanted.key)
    if path.startswith("extra."):
        return _sensitive(path[len("extra.") :]) or _holds_sensitive(value)
    return False


# --- planning ------------------------------------------------------------------------------


def plan(desired: AirflowDesired, live: LiveAirflow, options: Options, scope: str) -> Plan:
    planner = _Planner(desired, live, options)
    changes = [c for w in desired.objects if (c := planner.object(w)) is not None]
    changes += planner.deletes()
    order = {"create": 0, "update": 1, "replace": 2, "delete": 3}
    changes.sort(key=lambda c: (order[c.operation], c.kind, c.key))
    # The ledger is written with the last change, after what it records (a plan with nothing else
    # to change writes nothing: a clean Airflow stays clean, and its ledger waits for the next write).
    # Shown as a change of its own (the plan shows every write a merge makes), applied last.
    ledger = planner.ledger.writes(planner.diagnostics) if changes else ()
    for write in ledger:
        changes.append(planner.ledger.change(write, desired.deployment))
    blind = options.key is None and options.values is not None and planner.saw_secret
    return Plan(scope, tuple(changes), tuple(planner.diagnostics), blind, target=f"Airflow {live.url}")


class _Planner:
    def __init__(self, desired: AirflowDesired, live: LiveAirflow, options: Options) -> None:
        self.desired, self.live, self.options = desired, live, options
        self.diagnostics: list[Diagnostic] = []
        self.saw_secret = False
        self.ledger = LedgerPlan(live, options, desired.deployment, desired.kinds)

    def object(self, wanted: Wanted) -> ObjectChange | None:
        if not self._supported(wanted) or self.ledger.reserved(wanted, self._error):
            return None
        found = self.live.find(wanted.kind, wanted.key)
        if found is None:
            self.ledger.record(wanted, self._fingerprints(wanted))
            return self._create(wanted)
        special = wanted.kind == "pool" and wanted.key == DEFAULT_POOL
        _, mark = markers.split(found.description)
        identity = _identity(wanted.kind, wanted.key, self.desired.deployment)
        ours = markers.standing(mark, self.options.owner, self.options.key, identity) is markers.Standing.OURS
        listed = self.ledger.fingerprints(wanted.kind, wanted.key) if mark is None and not special else None
        if listed is not None:
            # Ours by the ledger: edited by hand (the description rewritten), an edit to plan.
            return self._update(wanted, found, None, adopted=False, restored=listed)
        if not ours and not special and not self.options.adopt:
            whose = markers.told(mark, self.options.owner, self.options.key, identity)
            self._error(
                wanted,
                "unmanaged-object",
                f"{wanted.kind} '{wanted.key}' exists in Airflow at {self.live.url} with {whose}: "
                "pass --adopt to manage it",
            )
            return None
        return self._update(wanted, found, mark if ours else None, adopted=not ours and not special)

    def _supported(self, wanted: Wanted) -> bool:
        if (
            wanted.kind == "pool"
            and wanted.fields.get("include_deferred")
            and not self.live.version.has_include_deferred
        ):
            self._error(
                wanted,
                "airflow-unsupported",
                f"pool '{wanted.key}': include_deferred needs Airflow 2.7 or later; {self.live.url} runs "
                f"{self.live.version.text}",
            )
            return False
        return True

    # --- create ------------------------------------------------------------------------------

    def _create(self, wanted: Wanted) -> ObjectChange:
        fields = self._sendable(wanted)
        description = markers.join(wanted.description, self._marker(wanted, self._fingerprints(wanted)))
        body = {"key": wanted.key, "fields": dict(fields), "description": description}
        self.saw_secret |= has_secret(wanted.fields)
        write = Write("create", self._object_key(wanted.kind, wanted.key), body=body, target=TARGET)
        return ObjectChange(
            wanted.kind,
            wanted.key,
            "create",
            self._create_fields(wanted, fields),
            deployment=self.desired.deployment,
            writes=(write,),
        )

    def _create_fields(self, wanted: Wanted, fields: Mapping[str, Any]) -> tuple[FieldChange, ...]:
        """Every field a create sets: secrets by name (`(secret NAME)`), a sensitive literal never."""
        shown_fields = []
        for path, value in leaves(fields):
            if isinstance(value, Secret):
                shown_fields.append(FieldChange(path, None, shown(value), True, f"secret {value.name}"))
            elif secret_path(wanted, path, value):
                shown_fields.append(FieldChange(path, None, REDACTED, True, "sensitive value"))
            else:
                shown_fields.append(FieldChange(path, None, shown(value)))
        return tuple(shown_fields)

    def _sendable(self, wanted: Wanted) -> Mapping[str, Any]:
        if wanted.kind == "pool" and not self.live.version.has_include_deferred:
            return {k: v for k, v in wanted.fields.items() if k != "include_deferred"}
        return wanted.fields

    # --- update ------------------------------------------------------------------------------

    def _update(
        self,
        wanted: Wanted,
        found: LiveObject,
        mark: markers.Marker | None,
        *,
        adopted: bool,
        restored: Mapping[tuple[str, str], str] | None = None,
    ) -> ObjectChange | None:
        live_fps = dict(mark.fingerprints) if mark else dict(restored or {})
        changes: list[FieldChange] = (
            [FieldChange("marker", None, f"owner={self.options.owner}", note="adopt")] if adopted else []
        )
        if restored is not None:
            changes.append(FieldChange("marker", None, f"owner={self.options.owner}", note=RESTORED))
        if not (wanted.kind == "pool" and wanted.key == DEFAULT_POOL):
            self.ledger.record(wanted, self._fingerprints(wanted) if self.options.values is not None else live_fps)
        mask: set[str] = set()
        for change in self._field_changes(wanted, found, live_fps):
            changes.append(change)
            mask.add(change.path.split(".", 1)[0])
        special = wanted.kind == "pool" and wanted.key == DEFAULT_POOL
        user_text, _ = markers.split(found.description)
        if not special and markers.normal(wanted.description) != markers.normal(user_text):
            changes.append(
                FieldChange(
                    "description", markers.normal(user_text) or None, markers.normal(wanted.description) or None
                )
            )
        fps = self._fingerprints(wanted)
        # Under --secrets redact no value is known, so fingerprints cannot be recorded: not a change.
        if not special and not changes and fps != live_fps and self.options.values is not None:
            changes.append(FieldChange("marker", None, "fingerprints", note="secret fingerprints recorded"))
        if not changes:
            return None
        description = markers.join(wanted.description, self._marker(wanted, fps, found.description))
        if not special and description != found.description:
            mask.add("description")
        fields = dict(self._sendable(wanted))
        fields.update({name: None for name in mask - {"description"} if name not in fields})  # removed: sent as null
        body = {"key": wanted.key, "fields": fields, "description": description, "mask": sorted(mask)}
        write = Write("update", self._object_key(wanted.kind, wanted.key), body=body, target=TARGET)
        return ObjectChange(wanted.kind, wanted.key, "update", tuple(changes), self.desired.deployment, writes=(write,))

    def _field_changes(
        self, wanted: Wanted, found: LiveObject, live_fps: Mapping[tuple[str, str], str]
    ) -> Iterator[FieldChange]:
        live = dict(leaves(found.fields))
        sendable = self._sendable(wanted)
        for path, value in leaves(sendable):
            change = self._compare(wanted, path, value, live.get(path), live_fps)
            if change is not None:
                yield change
        wanted_paths = {p for p, _ in leaves(sendable)}
        for path, before in sorted(live.items()):
            # A pool's live include_deferred stays as it is when the repository leaves it unset.
            if path not in wanted_paths and before not in (None, "") and wanted.kind != "pool":
                # A live value is shown only when its name is not secret-looking: an Airflow whose
                # masker is configured otherwise could return a secret in clear.
                hidden = before == MASKED or _sensitive(path.rsplit(".", 1)[-1])
                yield FieldChange(path, "(secret)" if hidden else before, None)
        # Airflow 2 never reads a password back: what we set is known from its fingerprint.
        if (markers.OWN, "password") in live_fps and "password" not in wanted_paths and "password" not in live:
            yield FieldChange("password", "(secret)", None)

    def _compare(
        self, wanted: Wanted, path: str, value: Any, before: Any, live_fps: Mapping[tuple[str, str], str]
    ) -> FieldChange | None:
        if secret_path(wanted, path, value) or before == MASKED:
            if self.options.values is None:
                return None  # --secrets redact: only fields that are not secret are compared
            self.saw_secret = True
            if self.options.key is None or not live_fps:  # no fingerprint recorded (an adoption): unknown
                return FieldChange(path, note=SECRET_UNKNOWN)
            if live_fps.get((markers.OWN, path)) != self._fp(wanted, path, value):
                return FieldChange(path, note=SECRET_CHANGED)
            return None
        if before is not None and same(before, concrete(value, SecretValues())):
            return None
        return FieldChange(path, before, shown(value))

    # --- deletes -------------------------------------------------------------------------------

    def deletes(self) -> list[ObjectChange]:
        wanted = {(w.kind, w.key) for w in self.desired.objects}
        changes = []
        for kind in self.desired.kinds:
            for found in self.live.of_kind(kind):
                if (kind, found.key) in wanted or (kind == "pool" and found.key == DEFAULT_POOL):
                    continue
                if kind == "variable" and found.key == self.ledger.key:
                    continue  # the ledger itself (rewritten by `ledger.change`)
                _, mark = markers.split(found.description)
                listed = mark is None and self.ledger.fingerprints(kind, found.key) is not None
                identity = _identity(kind, found.key, self.desired.deployment)
                if not listed and not markers.ours(found.description, self.options.owner, self.options.key, identity):
                    continue  # never delete what is not ours
                write = Write("delete", self._object_key(kind, found.key), target=TARGET)
                changes.append(
                    ObjectChange(kind, found.key, "delete", deployment=self.desired.deployment, writes=(write,))
                )
        return changes

    # --- markers, fingerprints, diagnostics ----------------------------------------------------

    def _marker(self, wanted: Wanted, fps: Mapping[tuple[str, str], str], live: str | None = None) -> markers.Marker:
        identity = _identity(wanted.kind, wanted.key, self.desired.deployment)
        return markers.signed(self.options.owner, identity, self.options.key, fingerprints=fps, live=live)

    def _fingerprints(self, wanted: Wanted) -> dict[tuple[str, str], str]:
        found: dict[tuple[str, str], str] = {}
        for path, value in leaves(self._sendable(wanted)):
            if secret_path(wanted, path, value) and (fp := self._fp(wanted, path, value)) is not None:
                found[(markers.OWN, path)] = fp
        return found

    def _fp(self, wanted: Wanted, path: str, value: Any) -> str | None:
        if self.options.key is None or self.options.values is None:
            return None
        text = concrete(value, self.options.values)
        text = text if isinstance(text, str) else json.dumps(text, sort_keys=True, ensure_ascii=False)
        return markers.fingerprint(self.options.key, f"airflow/{wanted.kind}/{wanted.key}", markers.OWN, path, text)

    def _object_key(self, kind: Kind, key: str) -> ObjectKey:
        return ObjectKey(key, kind, SCOPE, self.desired.deployment)

    def _error(self, wanted: Wanted, code: str, message: str) -> None:
        self.diagnostics.append(error(self.options.locate(wanted.path, wanted.ypath), code, message))


def _identity(kind: Kind, key: str, deployment: str) -> ObjectKey:
    """What the marker signature of an Airflow object binds (SPEC 7.3): its kind, its key and
    the Deployment whose Airflow holds it (`--deployment`): a marker copied into another
    Deployment's Airflow does not make an object there ours. One local Airflow that stands in
    for several Deployments in turn needs `--adopt` when it changes Deployment."""
    return ObjectKey(key, kind, SCOPE, deployment)
