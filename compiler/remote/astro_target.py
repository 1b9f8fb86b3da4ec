"""Performs a plan's writes against the Astro API (sync.apply's Target): objects, Deployment
settings and previews, each Deployment a write addresses first confirmed by its own GET."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence, Set
from typing import TYPE_CHECKING, Any

from compiler.errors import OperationError
from compiler.remote.astro import AstroApi
from compiler.review.changes import ObjectKey

if TYPE_CHECKING:
    from compiler.model.secrets import SecretValues
    from compiler.review.changes import Write
    from compiler.sync.astro_state import LiveState


class AstroTarget:
    """Performs the writes of a plan against the Astro API (sync.apply's Target).

    A plan made before a preview exists names it by a placeholder ID (`state.PENDING_ID`);
    once the preview's create has answered, its real ID replaces the placeholder in every
    later write (object scopes, links, marker fingerprints).
    """

    def __init__(self, api: AstroApi, known: Set[str] = frozenset()) -> None:
        self.api = api
        self.known = known  # the IDs the plan read live: no create may answer with one
        self.created: dict[str, str] = {}

    def confirm(self, writes: Sequence[Write], live: LiveState | None = None) -> None:
        """Before the first write: every Deployment these writes address (a settings update or a
        delete, a Deployment-scoped object, a link or an exclusion), as the list named it, is
        confirmed by its own GET (AstroApi.confirm_deployment): one request per Deployment, and a
        disagreement stops the apply before anything is written (SPEC 7.3: whatever a server
        answers, a feature branch never writes production). An ID no list named as a Deployment
        of this workspace (a preview still to create, a link to a Deployment gone) is not asked."""
        from compiler.sync.astro_state import PENDING_ID

        names = {d.id: d.name for d in live.deployments} if live else {}
        workspace = live.workspace_id if live else ""
        deleted: set[str] = set()
        for write in writes:
            if write.target == "deployment" and write.object_id and write.object_id != PENDING_ID:
                names[write.object_id] = write.key.object_key
                workspace = workspace or write.key.scope_entity_id
                if write.op == "delete":
                    deleted.add(write.object_id)
        names.pop(PENDING_ID, None)  # a preview created by this apply: its create's answer is checked
        for dep_id in sorted({i for w in writes for i in _addressed(w)} & set(names)):
            self.api.confirm_deployment(dep_id, names[dep_id], workspace, gone=dep_id in deleted)

    def write(self, write: Write, values: SecretValues) -> None:
        from compiler.sync.values import concrete

        body = self._known(concrete(write.body, values))
        object_id = self._known(write.object_id)
        if write.target == "deployment":
            self._deployment(write.op, object_id, body)
            return
        if write.target != "environment-object":
            raise OperationError(f"the Astro target cannot write a {write.target}")
        if write.op == "delete":
            self.api.delete(str(object_id))
        elif write.op == "update":
            self.api.update(str(object_id), body)
        else:
            key = write.key
            self.api.create(
                ObjectKey(key.object_key, key.object_type, key.scope, self._known(key.scope_entity_id)),
                body,
                self.known,
            )

    def _deployment(self, op: str, object_id: Any, body: Any) -> None:
        if op == "create":
            created = self.api.create_deployment(body, self.known)
            if object_id and created.get("id"):
                self.created[str(object_id)] = str(created["id"])
        elif op == "update":
            self.api.update_deployment(str(object_id), body)
        else:
            self.api.delete_deployment(str(object_id))

    def _known(self, value: Any) -> Any:
        """`value` with every placeholder ID of a created Deployment replaced by its real ID."""
        if not self.created:
            return value
        if isinstance(value, str):
            for placeholder, real in self.created.items():
                value = value.replace(placeholder, real)
            return value
        if isinstance(value, Mapping):
            return {k: self._known(v) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [self._known(v) for v in value]
        return value


def _addressed(write: Write) -> Iterator[str]:
    """The Deployment IDs a write addresses: its target, its scope, its links and exclusions."""
    if write.target == "deployment" and write.object_id:
        yield write.object_id
    if write.target != "environment-object":
        return
    if write.key.scope == "DEPLOYMENT":
        yield write.key.scope_entity_id
    body = write.body if isinstance(write.body, Mapping) else {}
    for name in ("links", "excludeLinks"):
        for entry in body.get(name) or ():
            if isinstance(entry, Mapping) and isinstance(entry.get("scopeEntityId"), str):
                yield entry["scopeEntityId"]
