"""Planning: (desired, live) -> the changes and the writes that make live match (SPEC 7.2-7.4).

Pure: no HTTP, no printing. Every update carries the object's complete state (the typed member
with the connection `type`, the description with its marker, `links`, `excludeLinks`,
`autoLinkDeployments`), because whether the API keeps what an update omits is not established.
A Deployment's part is written by re-sending the live object with only that part changed.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from compiler.diagnostics import Diagnostic, error, warning
from compiler.model.frozen import replace
from compiler.model.secrets import SecretValues
from compiler.review.changes import FieldChange, ObjectChange, ObjectKey, Write
from compiler.sync import deferred, reach
from compiler.sync import marker as markers
from compiler.sync.astro_state import LiveObject, LiveState
from compiler.sync.changeset import KIND, SECRET_CHANGED, SECRET_UNKNOWN, TYPED, Options, Plan
from compiler.sync.desired import Desired, DesiredObject, Part, has_secret
from compiler.sync.fingerprints import Fingerprinter
from compiler.sync.live_member import live_member
from compiler.sync.values import concrete, hidden, leaves, same, shown


def plan(desired: Desired, live: LiveState, options: Options, scope: str) -> Plan:
    planner = _Planner(desired, live, options)
    changes = [c for obj in desired.objects if (c := planner.object(obj)) is not None]
    changes += planner.deletes()
    order = {"create": 0, "update": 1, "replace": 2, "delete": 3}

    def ordered(found: list[ObjectChange]) -> tuple[ObjectChange, ...]:
        return tuple(sorted(found, key=lambda c: (order[c.operation], c.kind, c.key, c.deployment or "")))

    blind = options.key is None and options.values is not None and planner.saw_secret
    diagnostics = (*desired.warnings, *planner.diagnostics)
    return Plan(scope, ordered(changes), diagnostics, blind, ordered(planner.deferred))


class _Planner:
    def __init__(self, desired: Desired, live: LiveState, options: Options) -> None:
        self.desired, self.live, self.options = desired, live, options
        self.diagnostics: list[Diagnostic] = []
        self.matched: set[str] = set()
        self.saw_secret = False
        self.deferred: list[ObjectChange] = []  # what the sync branch applies, not this scope
        self.in_scope = {n: i for n in desired.deployments if (i := live.deployment_id(n)) is not None}
        self.fingerprints = Fingerprinter(options.key, options.values, self.in_scope)
        self._ours = frozenset(self.in_scope.values())
        self._notes: dict[tuple[int, bool], tuple[Mapping[str, Part], str]] = {}
        self._parts_of: dict[int, tuple[Mapping[str, Part], tuple[Part, ...], tuple[Part, ...]]] = {}

    # --- one desired object -------------------------------------------------------------

    def object(self, obj: DesiredObject) -> ObjectChange | None:
        entity = self.live.workspace_id if obj.scope == "WORKSPACE" else self.live.deployment_id(obj.entity)
        if entity is None:
            return None  # a Deployment missing live is reported once, by the caller
        key = ObjectKey(obj.key, obj.object_type, obj.scope, entity)
        found = self.live.find(key)
        if found is not None:
            self.matched.add(found.id)
        own = obj.scope == "DEPLOYMENT" or self.desired.full
        if found is None:
            if own:
                return self._create(obj, key)
            self._warn(
                obj,
                "not-yet-applied",
                f"{obj.kind} '{obj.key}' does not exist in Astro yet: it appears when the sync branch applies; skipped",
            )
            self.deferred.append(deferred.create(obj, self._parts(obj), self.options.sync_branch))
            return None
        owned = self._ownership(obj, found, own)
        if owned is None:
            return None
        if not own and owned:
            self._defer_own_changes(obj, found)
        return self._update(obj, found, own, adopted=not owned)

    def _defer_own_changes(self, obj: DesiredObject, found: LiveObject) -> None:
        change = deferred.update(obj, found, self.options.sync_branch, self.fingerprints)
        if change is not None:
            self.deferred.append(change)
            self._warn(obj, "applied-by-sync-branch", deferred.warning_text(change, self.options.sync_branch))

    def _ownership(self, obj: DesiredObject, found: LiveObject, own: bool) -> bool | None:
        """True when ours, False when adopted now, None (with an error) when not to be touched."""
        _, mark = markers.split(found.description)
        if (
            markers.standing(mark, self.options.owner, self.options.key, self.live.marker_identity(found.key))
            is markers.Standing.OURS
        ):
            return True
        if self.options.adopt and own:
            return False
        whose = markers.told(mark, self.options.owner, self.options.key, self.live.marker_identity(found.key))
        how = "pass --adopt to manage it" if own else "adopt it with an apply of the sync branch (--adopt)"
        self._error(
            obj,
            "unmanaged-object",
            f"{obj.kind} '{obj.key}' exists in Astro with {whose}: {how}",
        )
        return None

    # --- create ---------------------------------------------------------------------------

    def _create(self, obj: DesiredObject, key: ObjectKey) -> ObjectChange:
        fps = {
            **self.fingerprints.own(obj),
            **{k: v for p in self._overriding(obj) for k, v in self.fingerprints.part(obj, p).items()},
        }
        body: dict[str, Any] = {
            "objectKey": obj.key,
            "objectType": obj.object_type,
            "scope": obj.scope,
            "scopeEntityId": key.scope_entity_id,
            "description": markers.join(obj.description, self._marker(key, fps)),
            TYPED[obj.object_type]: self._member(obj, create=True),
        }
        if obj.scope == "WORKSPACE":
            links, excludes = self._entries(obj, obj.auto_link, None)
            body.update(autoLinkDeployments=obj.auto_link, links=links, excludeLinks=excludes)
        self._note_secrets(obj)
        return ObjectChange(
            obj.kind,
            obj.key,
            "create",
            deployment=self._scoped_to(obj),
            note=self._note(obj),
            fields=reach.create_fields(obj, self._parts(obj)),
            writes=(Write("create", key, body=body),),
        )

    def _note(self, obj: DesiredObject) -> str:
        """reach.describe, once per parts mapping that objects share (desired._PartsOf)."""
        if obj.scope != "WORKSPACE":
            return reach.describe(obj)
        kept = self._notes.get((id(obj.parts), obj.auto_link))
        if kept is None or kept[0] is not obj.parts:
            kept = self._notes[(id(obj.parts), obj.auto_link)] = (obj.parts, reach.describe(obj))
        return kept[1]

    def _scoped_to(self, obj: DesiredObject) -> str | None:
        return obj.entity if obj.scope == "DEPLOYMENT" else None

    # --- update / replace -----------------------------------------------------------------

    def _update(self, obj: DesiredObject, found: LiveObject, own: bool, *, adopted: bool) -> ObjectChange | None:
        user_text, mark = markers.split(found.description)
        live_fps = dict(mark.fingerprints) if mark and not adopted else {}
        fields: list[FieldChange] = []
        if adopted:
            fields.append(FieldChange("marker", None, f"owner={self.options.owner}", note="adopt"))
        if own:
            reason = self._replace_reason(obj, found)
            if reason is not None:
                return self._replace(obj, found, reason)
            parts = [p for p in obj.parts.values() if p.deployment in self.in_scope]
            fields += [
                replace(f, reach=reach.field_reach(f.path, parts)) if obj.scope == "WORKSPACE" else f
                for f in self._own_changes(obj, found, live_fps)
            ]
            if markers.normal(obj.description) != markers.normal(user_text):
                before, after = markers.normal(user_text) or None, markers.normal(obj.description) or None
                fields.append(FieldChange("description", before, after))
            if obj.scope == "WORKSPACE" and obj.auto_link != found.auto_link:
                fields.append(FieldChange("links", _mode(found.auto_link), _mode(obj.auto_link)))
        auto = obj.auto_link if own else found.auto_link
        for part in self._parts(obj):
            fields += self._part_changes(obj, found, part, live_fps)
        fps = self.fingerprints.after_write(obj, own, live_fps, self._parts(obj))
        # Under --secrets redact no value is known, so fingerprints cannot be recorded: not a change.
        if not fields and fps != live_fps and self.options.values is not None:
            fields.append(FieldChange("marker", None, "fingerprints", note="secret fingerprints recorded"))
        if not fields:
            return None
        body = self._update_body(obj, found, own, auto, user_text, fps, live_fps)
        write = Write("update", found.key, found.id, body)
        return ObjectChange(
            obj.kind,
            obj.key,
            "update",
            tuple(fields),
            self._scoped_to(obj),
            writes=(write,),
            touched=((found.id, found.updated_at),),
        )

    def _replace_reason(self, obj: DesiredObject, found: LiveObject) -> str | None:
        if obj.kind == "connection" and found.fields.get("type") != obj.fields.get("type"):
            return "type"
        if obj.kind == "variable" and found.is_secret != obj.is_secret:
            return "isSecret"
        wanted = {p for p, _ in leaves(obj.fields)}
        gone = sorted(p for p in self._live_paths(found.fields, found.set_fields) if p not in wanted)
        # Whether an update clears an omitted field is not established: a field that must go
        # is removed by re-creating the object, which is right either way.
        return gone[0] if gone else None

    def _replace(self, obj: DesiredObject, found: LiveObject, reason: str) -> ObjectChange:
        create = self._create(obj, found.key)
        before = found.fields.get(reason) if reason == "type" else (found.is_secret if reason == "isSecret" else "set")
        after = obj.fields.get(reason) if reason == "type" else (obj.is_secret if reason == "isSecret" else None)
        change = FieldChange(reason, before, after)
        writes = (Write("delete", found.key, found.id), *create.writes)
        return ObjectChange(
            obj.kind,
            obj.key,
            "replace",
            (change,),
            create.deployment,
            create.note,
            writes,
            ((found.id, found.updated_at),),
        )

    @staticmethod
    def _live_paths(fields: Mapping[str, Any], set_fields: frozenset[str]) -> set[str]:
        present = {p for p, v in leaves(fields) if v not in (None, "")}
        return (present | set(set_fields)) - {"isSecret", "connectionAuthType", "authTypeId"}

    def _own_changes(
        self, obj: DesiredObject, found: LiveObject, live_fps: Mapping[tuple[str, str], str]
    ) -> list[FieldChange]:
        live = dict(leaves(found.fields))
        changes = []
        for path, value in leaves(obj.fields):
            change = self._compare(obj, markers.OWN, path, value, live.get(path), live_fps, None)
            if change is not None:
                changes.append(change)
        return changes

    def _compare(
        self,
        obj: DesiredObject,
        part: str,
        path: str,
        value: Any,
        before: Any,
        live_fps: Mapping[tuple[str, str], str],
        deployment: str | None,
    ) -> FieldChange | None:
        if hidden(path, value, secret_variable=obj.sensitive):
            if self.options.values is None:
                return None  # --secrets redact: only non-secret fields are compared
            self.saw_secret = True
            after = shown(value) if has_secret(value) else "<hidden>"
            if self.options.key is None or not live_fps:  # no fingerprint recorded (an adoption): unknown
                return FieldChange(path, None, after, note=SECRET_UNKNOWN, deployment=deployment)
            if live_fps.get((part, path)) != self.fingerprints.fp(obj, part, path, value):
                return FieldChange(path, None, after, note=SECRET_CHANGED, deployment=deployment)
            return None
        if before is not None and same(before, concrete(value, SecretValues())):
            return None
        return FieldChange(path, before, shown(value), deployment=deployment)

    # --- a Deployment's part ----------------------------------------------------------------

    def _parts(self, obj: DesiredObject) -> tuple[Part, ...]:
        """The object's parts in scope, by Deployment name. Objects share a parts mapping where
        they can (desired._PartsOf): each mapping is sorted and filtered once (issue 26)."""
        return self._in_scope(obj)[1]

    def _overriding(self, obj: DesiredObject) -> tuple[Part, ...]:
        """The parts in scope that are not a plain link: excluded, or overriding a field."""
        return self._in_scope(obj)[2]

    def _in_scope(self, obj: DesiredObject) -> tuple[Mapping[str, Part], tuple[Part, ...], tuple[Part, ...]]:
        kept = self._parts_of.get(id(obj.parts))
        if kept is None or kept[0] is not obj.parts:
            parts = tuple(p for name, p in sorted(obj.parts.items()) if name in self.in_scope)
            kept = (obj.parts, parts, tuple(p for p in parts if p.overrides or not p.linked))
            self._parts_of[id(obj.parts)] = kept  # the mapping is kept too: its id is not reused
        return kept

    def _part_changes(
        self, obj: DesiredObject, found: LiveObject, part: Part, live_fps: Mapping[tuple[str, str], str]
    ) -> list[FieldChange]:
        dep_id = self.in_scope[part.deployment]
        link = found.link(dep_id)
        # Whether the Deployment has the object live: the live auto-link, not the desired one.
        linked_live = link is not None or (found.auto_link and dep_id not in found.excludes)
        if part.linked != linked_live:
            what = reach.link_reach(obj.kind, part.deployment, part.linked)
            return [FieldChange("linked", linked_live, part.linked, deployment=part.deployment, reach=what)]
        if not part.linked:
            return []
        live_values = dict(leaves(link.overrides)) if link else {}
        live_set = self._live_paths(link.overrides, link.set_fields) if link else set()
        changes = []
        for path, value in leaves(part.overrides):
            change = self._compare(obj, dep_id, path, value, live_values.get(path), live_fps, part.deployment)
            if change is not None:
                changes.append(change)
        wanted = {p for p, _ in leaves(part.overrides)}
        # A live value is shown only when the field is not one compared by fingerprint (a
        # secret-looking name): what the API returns is not trusted to be masked.
        changes += [
            FieldChange(
                p,
                "(secret)" if hidden(p, live_values.get(p)) else live_values.get(p, "(set)"),
                None,
                deployment=part.deployment,
            )
            for p in sorted(live_set - wanted)
        ]
        return changes

    def _entries(self, obj: DesiredObject, auto: bool, found: LiveObject | None) -> tuple[list[Any], list[Any]]:
        """links and excludeLinks: the in-scope parts as desired, every other entry as live."""
        links: list[Any] = []
        excludes: list[Any] = []
        ours = self._ours
        if found is not None:
            # An entry without `overrides` keeps a link's stored override (ASTRO-API.md 1.4).
            # An entry of a Deployment that no longer exists (a destroyed preview) is dropped.
            alive = {d.id for d in self.live.deployments}
            links += [
                {"scope": "DEPLOYMENT", "scopeEntityId": link.deployment_id}
                for link in found.links
                if link.deployment_id not in ours and link.deployment_id in alive
            ]
            excludes += [
                {"scope": "DEPLOYMENT", "scopeEntityId": d} for d in found.excludes if d not in ours and d in alive
            ]
        # Without a live object, a plain link of an auto-linked object is no entry: only the others are read.
        for part in self._overriding(obj) if found is None and auto else self._parts(obj):
            dep_id = self.in_scope[part.deployment]
            live_link = found.link(dep_id) if found else None
            unset = (
                sorted(
                    self._live_paths(live_link.overrides, live_link.set_fields) - {p for p, _ in leaves(part.overrides)}
                )
                if live_link
                else []
            )
            if not part.linked:
                if auto:
                    excludes.append({"scope": "DEPLOYMENT", "scopeEntityId": dep_id})
                continue
            if not part.overrides and not unset and auto:
                continue
            entry: dict[str, Any] = {"scope": "DEPLOYMENT", "scopeEntityId": dep_id}
            overrides: dict[str, Any] = {}
            if part.overrides:
                overrides[TYPED[obj.object_type]] = dict(part.overrides)
            if unset:
                overrides["unsetFields"] = unset
            if overrides:
                entry["overrides"] = overrides
            links.append(entry)
        key = lambda e: e["scopeEntityId"]  # noqa: E731
        return sorted(links, key=key), sorted(excludes, key=key)

    # --- bodies and fingerprints -------------------------------------------------------------

    def _member(self, obj: DesiredObject, *, create: bool) -> dict[str, Any]:
        member = dict(obj.fields)
        if obj.kind == "variable" and create:
            member["isSecret"] = obj.is_secret
        return member

    def _proven(self, obj: DesiredObject) -> Callable[[str, Any], str | None]:
        """The fingerprint of our value at a path, to compare with the live marker's (None: no key)."""
        if not (self.options.key and self.options.values):
            return lambda path, value: None
        return lambda path, value: self.fingerprints.fp(obj, markers.OWN, path, value)

    def _update_body(
        self,
        obj: DesiredObject,
        found: LiveObject,
        own: bool,
        auto: bool,
        user_text: str,
        fps: dict[tuple[str, str], str],
        live_fps: Mapping[tuple[str, str], str],
    ) -> dict[str, Any]:
        description = obj.description if own else (user_text.strip() or None)
        member = self._member(obj, create=False) if own else live_member(obj, found, live_fps, self._proven(obj))
        auth = found.fields.get("connectionAuthType")
        if own and obj.kind == "connection" and isinstance(auth, Mapping) and auth.get("id"):
            member.setdefault("authTypeId", auth["id"])  # not managed by git: carried over from live
        body: dict[str, Any] = {
            "description": markers.join(description, self._marker(found.key, fps, found.description)),
            TYPED[obj.object_type]: member,
        }
        links, excludes = self._entries(obj, auto, found) if obj.scope == "WORKSPACE" else ([], [])
        # Sent on every update, empty for a Deployment-scoped object: the API may clear what is omitted.
        body.update(autoLinkDeployments=auto and obj.scope == "WORKSPACE", links=links, excludeLinks=excludes)
        return body

    def _marker(self, key: ObjectKey, fps: Mapping[tuple[str, str], str], live: str | None = None) -> markers.Marker:
        identity = self.live.marker_identity(key)
        return markers.signed(self.options.owner, identity, self.options.key, fingerprints=fps, live=live)

    def _note_secrets(self, obj: DesiredObject) -> None:
        if has_secret(obj.fields) or any(has_secret(p.overrides) for p in obj.parts.values()):
            self.saw_secret = True

    # --- deletes ------------------------------------------------------------------------------

    def deletes(self) -> list[ObjectChange]:
        ours = set(self.in_scope.values())
        changes = []
        for found in self.live.objects:
            if found.id in self.matched or found.key.object_type not in KIND:
                continue
            if not markers.ours(
                found.description, self.options.owner, self.options.key, self.live.marker_identity(found.key)
            ):
                continue  # never delete what is not ours
            if found.key.scope == "WORKSPACE" and not self.desired.full:
                self._defer_delete(found)
                continue
            if not (found.key.scope == "WORKSPACE" or found.key.scope_entity_id in ours):
                continue
            scoped = self.live.deployment_name(found.key.scope_entity_id) if found.key.scope == "DEPLOYMENT" else None
            changes.append(
                ObjectChange(
                    KIND[found.key.object_type],
                    found.key.object_key,
                    "delete",
                    deployment=scoped,
                    note=reach.removed_from(found, self.live),
                    writes=(Write("delete", found.key, found.id),),
                    touched=((found.id, found.updated_at),),
                )
            )
        return changes

    def _defer_delete(self, found: LiveObject) -> None:
        """A managed workspace object that left git: the sync branch deletes it (a plan line)."""
        if (KIND[found.key.object_type], found.key.object_key) not in self.desired.defined:
            self.deferred.append(deferred.delete(found, self.live, self.options.sync_branch))

    # --- diagnostics --------------------------------------------------------------------------

    def _error(self, obj: DesiredObject, code: str, message: str) -> None:
        self.diagnostics.append(error(self.options.locate(obj.path, obj.ypath), code, message))

    def _warn(self, obj: DesiredObject, code: str, message: str) -> None:
        self.diagnostics.append(warning(self.options.locate(obj.path, obj.ypath), code, message))


_mode = deferred.link_mode
