"""The ownership ledger kept in an Airflow: which objects this repository manages there, and the
fingerprints of their secrets, so ownership survives a hand edit of a description.

Why: a marker lives in an object's `description`, and on Airflow `airflow variables set` and the
UI's edit forms rewrite the description. A managed object edited by hand would lose its marker
and become `unmanaged-object` instead of showing as drift. The ledger is one Airflow Variable,
`astro_gitops_ledger_<owner>` (one per owner: two repositories may share an Airflow), itself
marked in its description, whose value is JSON:

    {"version": 1, "owner": "<sync.owner>",
     "managed": {"connection/warehouse": {"password": "<fingerprint>"}, "variable/data_bucket": {}, ...},
     "sig": "<HMAC-SHA256 hex>"}   # only with ASTRO_GITOPS_FINGERPRINT_KEY

Rules (sync/airflow_plan.py): an object with our marker is ours; an object WITHOUT any marker
that the ledger lists is ours too (its edit is a change, its marker is restored; its
fingerprints come from the ledger); an object with another owner's marker, or neither marker
nor ledger entry, stays untouchable without `--adopt`. The ledger counts only when its own
marker is ours and, with the fingerprint key set, its signature verifies: a hand-typed ledger
never makes someone's object ours. Every apply rewrites it when what it would say changes.
Pure: no HTTP.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from typing import Any, Literal

from compiler.sync import marker as markers

PREFIX = "astro_gitops_ledger"
RESTORED = "restored: its description was edited by hand; the ledger knows it as managed"
DESCRIPTION = "astro-gitops: the objects this repository manages in this Airflow (do not edit)"
Entries = Mapping[str, Mapping[str, str]]  # "kind/key" -> {field path: fingerprint}


def variable_key(owner: str) -> str:
    """The ledger's Variable key for `owner` (sync.owner: letters, digits, `_`, `.`, `-`)."""
    return f"{PREFIX}_{owner}"


def entry(kind: str, key: str) -> str:
    return f"{kind}/{key}"


def is_ours(description: str, owner: str) -> bool:
    """The ledger Variable carries our marker: ours to rewrite (its entries may still not count)."""
    _, mark = markers.split(description)
    return mark is not None and mark.owner == owner


def read(
    description: str, value: Any, owner: str, key: bytes | None, deployment: str
) -> dict[str, dict[str, str]] | None:
    """The ledger's entries when they count: its marker ours, its owner ours, and with `key` its
    signature verified (an unsigned ledger read with the key set counts for nothing). Else None."""
    if not is_ours(description, owner) or not isinstance(value, str):
        return None
    try:
        data = json.loads(value)
    except ValueError:
        return None
    if not isinstance(data, dict) or data.get("owner") != owner or not isinstance(data.get("managed"), dict):
        return None
    managed = {
        str(k): {str(p): str(h) for p, h in v.items()} for k, v in data["managed"].items() if isinstance(v, dict)
    }
    if key is not None and not hmac.compare_digest(
        str(data.get("sig", "")), _signature(key, owner, managed, deployment)
    ):
        return None
    return managed


def text(owner: str, managed: Entries, key: bytes | None, deployment: str) -> str:
    """The ledger's value: sorted, one line, signed when `key` is given."""
    data: dict[str, Any] = {
        "version": 1,
        "owner": owner,
        "managed": {k: dict(sorted(v.items())) for k, v in sorted(managed.items())},
    }
    if key is not None:
        data["sig"] = _signature(key, owner, managed, deployment)
    return json.dumps(data, sort_keys=True, separators=(",", ":"))


def _signature(key: bytes, owner: str, managed: Entries, deployment: str) -> str:
    """HMAC-SHA256 over the owner, the Deployment whose Airflow holds the ledger, and its entries:
    a ledger copied into another Deployment's Airflow claims nothing there."""
    payload = json.dumps(
        {"owner": owner, "deployment": deployment, "managed": managed}, sort_keys=True, separators=(",", ":")
    )
    return hmac.new(key, ("ledger\0" + payload).encode(), hashlib.sha256).hexdigest()


class LedgerPlan:
    """One plan's view of the ledger of the Airflow it plans for: what it says now (`entries`),
    what it will say after the apply (`managed`, recorded object by object), and the write that
    takes it there. Only a plan that manages variables keeps one (the pools of an Astro
    Deployment do not)."""

    def __init__(self, live: Any, options: Any, deployment: str, kinds: tuple[str, ...]) -> None:
        self.owner, self.signing_key, self.deployment = options.owner, options.key, deployment
        self.adopt = bool(options.adopt)
        self.key = variable_key(options.owner)
        self.active = "variable" in kinds
        self.found = live.find("variable", self.key) if self.active else None
        value = self.found.fields.get("value") if self.found else None
        self.entries = (
            read(self.found.description, value, self.owner, self.signing_key, deployment) if self.found else None
        )
        self.managed: dict[str, dict[str, str]] = {}

    def fingerprints(self, kind: str, key: str) -> dict[tuple[str, str], str] | None:
        """A listed object's fingerprints, as a marker holds them; None when the ledger does not list it."""
        listed = (self.entries or {}).get(entry(kind, key))
        return None if listed is None else {(markers.OWN, path): h for path, h in listed.items()}

    def record(self, wanted: Any, fps: Mapping[tuple[str, str], str]) -> None:
        if self.active:
            self.managed[entry(wanted.kind, wanted.key)] = {path: h for (_, path), h in fps.items()}

    def reserved(self, wanted: Any, report: Any) -> bool:
        """The repository may not define a variable under a ledger's key."""
        if wanted.kind == "variable" and wanted.key.startswith(PREFIX):
            report(wanted, "reserved-key", f"variable '{wanted.key}': keys starting with {PREFIX} are astro-gitops's")
            return True
        return False

    def change(self, write: Any, deployment: str) -> Any:
        """The ledger's write as the plan shows it: `+|~ variable astro_gitops_ledger_OWNER`, its
        value told by what it lists (never the JSON itself: it holds fingerprints)."""
        from compiler.review.changes import FieldChange, ObjectChange

        listed = _told(len(self.managed))
        before = None if write.op == "create" else _told(len(self.entries or {}))
        field = FieldChange("value", before, listed)
        return ObjectChange("variable", self.key, write.op, (field,), deployment, writes=(write,))

    def writes(self, diagnostics: list[Any]) -> tuple[Any, ...]:
        """The ledger's create or update when what it says changes (none when nothing is managed)."""
        from compiler.diagnostics import Location, error, warning
        from compiler.review.changes import ObjectKey, Write

        if not self.active or (self.found is None and not self.managed) or self.entries == self.managed:
            return ()
        ours = self.found is not None and is_ours(self.found.description, self.owner)
        # With the key, a ledger is ours only when its signature verifies (SPEC 7.3): one typed by
        # hand, copied from another Deployment's Airflow, or signed with another key is not.
        verified = ours and (self.signing_key is None or self.entries is not None)
        if self.found is not None and not verified and not self.adopt:
            why = "without our marker" if not ours else "with a signature that does not verify"
            message = f"variable '{self.key}' exists {why}: the ownership ledger is not written (pass --adopt)"
            diagnostics.append(error(Location(""), "unmanaged-object", message))
            return ()
        if self.found is not None and self.entries is None and ours:
            message = (
                f"the ownership ledger '{self.key}' does not verify (edited, or signed with another key): rewritten"
            )
            diagnostics.append(warning(Location(""), "ledger-rewritten", message))
        body = {
            "key": self.key,
            "fields": {"value": text(self.owner, self.managed, self.signing_key, self.deployment)},
            "description": markers.join(DESCRIPTION, markers.Marker(self.owner)),
            "mask": ["description", "value"],
        }
        op: Literal["create", "update"] = "create" if self.found is None else "update"
        return (Write(op, ObjectKey(self.key, "variable", "AIRFLOW", self.deployment), body=body, target="airflow"),)


def _told(count: int) -> str:
    return f"(ownership ledger: {count} managed object{'' if count == 1 else 's'})"
