"""One change model: "object X (in Deployment D), field Y: before -> after, secret or not".

`diff` compares two resolved sides with it; `plan` compares the workspace view with live state
with it and adds the writes that make each change (sync/changeset.py), so both commands, their
reporters and their JSON share these two types. An object change's `operation` is the API's
word (create, update, replace, delete); its `action` is diff's word for it (added, changed,
removed). Values are compared exactly (as JSON, so 1, 1.0 and true differ; secret references by
name) and held safely: a secret reference as itself (shown by its name), a literal under a
secret-looking name never (held as `REDACTED`).
"""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping
from typing import Any, Literal

from compiler.model.equality import holds_secret, identity
from compiler.model.frozen import frozen
from compiler.model.objects import Secret, thaw
from compiler.model.secrets import looks_secret
from compiler.resolve.deployment import ResolvedObject, flatten

Action = Literal["create", "update", "replace", "delete"]
DiffAction = Literal["added", "changed", "removed"]
AS_DIFF: dict[Action, DiffAction] = {"create": "added", "update": "changed", "replace": "changed", "delete": "removed"}
FROM_DIFF: dict[DiffAction, Action] = {"added": "create", "changed": "update", "removed": "delete"}
SENSITIVE = "(sensitive value)"


class _Redacted:
    """A literal secret's stand-in: a change holds this, never the value."""

    def __repr__(self) -> str:
        return SENSITIVE


REDACTED: Any = _Redacted()


@frozen
class ObjectKey:
    """What makes an environment object unique (the key a create's 409 is about)."""

    object_key: str
    object_type: str
    scope: str
    scope_entity_id: str


@frozen
class Write:
    """One request: bodies hold `Secret` values, put in only when sent."""

    op: Literal["create", "update", "delete"]
    key: ObjectKey
    object_id: str | None = None
    body: Any = None
    # What the write is to: a target performs the kinds it knows (an Environment Manager
    # object here; a Deployment's settings or an Airflow pool are other kinds).
    target: str = "environment-object"


@frozen
class FieldChange:
    """One field: `before` -> `after` (None: absent on that side).

    Values are JSON data, a `Secret` reference or `REDACTED`, never a literal secret. `note`
    stands for the values where they cannot be compared or shown (a secret's state: "secret
    changed"); `deployment` names the Deployment whose part of a shared object this is.
    """

    path: str
    before: Any = None
    after: Any = None
    secret: bool = False  # a secret reference or a literal secret on either side
    note: str | None = None
    deployment: str | None = None
    # Which Deployments the change reaches, for a shared object's field or link (SPEC 7.5):
    # "reaches: development, staging; production overrides it", "development loses it".
    reach: str | None = None

    @property
    def old(self) -> str | None:
        """`before` as text (JSON, a secret reference by its name), None when absent."""
        return None if self.before is None else text(self.before)

    @property
    def new(self) -> str | None:
        return None if self.after is None else text(self.after)


@frozen
class ObjectChange:
    """One object's change. `writes` (the API requests that make it) and `touched` (the live
    objects' `(id, updatedAt)` as read, for stale-plan refusal) are set by `plan` only."""

    kind: str
    key: str
    operation: Action  # what the API would do
    fields: tuple[FieldChange, ...] = ()
    deployment: str | None = None  # whose part of the object, or the scope of a Deployment's own object
    note: str = ""  # how a plan describes the object: "(workspace; linked: all)"
    writes: tuple[Write, ...] = ()
    touched: tuple[tuple[str, str], ...] = ()

    @property
    def action(self) -> DiffAction:
        """The operation in diff's words: added, changed or removed."""
        return AS_DIFF[self.operation]


def text(value: Any) -> str:
    """A held value as a change shows it: JSON, a secret reference by its name, a redacted
    literal as `(sensitive value)`."""
    if isinstance(value, Secret):
        return str(value)
    if value is REDACTED:
        return SENSITIVE
    return _TEXT.encode(value)


# json.dumps(value, ensure_ascii=False, sort_keys=True, default=str), with its encoder made once:
# dumps builds a new one per call when given options (a plan shows some 20,000 values, issue 26).
_TEXT = json.JSONEncoder(ensure_ascii=False, sort_keys=True, default=str)


def json_value(value: Any) -> Any:
    """A held value as JSON data: a secret reference as its `<secret:NAME>` text (also inside a
    list or mapping), a redacted literal as `(sensitive value)`."""
    if isinstance(value, Secret) or value is REDACTED:
        return text(value)
    if isinstance(value, str | int | float | bool | None):
        return value
    return json.loads(text(value))


def held(path: tuple[Any, ...], value: Any, sensitive: bool = False) -> Any:
    """A value as a change holds it: secret references as themselves, literal secrets never
    (`sensitive`: the object's `value` is secret, as a variable's whose key says so)."""
    if isinstance(value, Secret):
        return value
    # Any literal under a secret-looking name, not only a string: `api_key: 123456` or
    # `credentials: [...]` pass validation yet are still secrets. Booleans are flags.
    if not isinstance(value, bool | None) and ((sensitive and path[:1] == ("value",)) or _sensitive(path)):
        return REDACTED
    return thaw(value)


def display(path: tuple[Any, ...], value: Any, sensitive: bool = False) -> str:
    """A value as a change shows it: secret references by name, literal secrets never."""
    return text(held(path, value, sensitive))


def sensitive_object(kind: str, key: str) -> bool:
    """An object all of whose values are secret: a variable whose key says secret (Airflow masks
    a variable by its key, as it masks a connection's extra by the extra's key)."""
    return kind == "variable" and looks_secret(key)


def _sensitive(path: tuple[Any, ...]) -> bool:
    return any(looks_secret(str(step)) for step in path)


Leaves = dict[tuple[Any, ...], Any]


def leaves(value: Mapping[str, Any]) -> Leaves:
    """Every leaf by its path; a null leaf is a field that is absent."""
    return {p: v for p, v in flatten(value) if p and v is not None}


def compare(old: Leaves, new: Leaves, *, sensitive: bool = False) -> tuple[FieldChange, ...]:
    """The field changes from `old` to `new`, by path (`sensitive`: every value is secret)."""
    changes = []
    for path in sorted(set(old) | set(new), key=lambda p: ".".join(map(str, p))):
        if path in old and path in new and identity(old[path]) == identity(new[path]):
            continue
        before = held(path, old[path], sensitive) if path in old else None
        after = held(path, new[path], sensitive) if path in new else None
        secret = (
            (sensitive and path[:1] == ("value",))
            or _sensitive(path)
            or any(holds_secret(side.get(path)) for side in (old, new))
        )
        changes.append(FieldChange(".".join(map(str, path)), before, after, secret))
    return tuple(changes)


def object_change(
    kind: str,
    key: str,
    old: Mapping[str, Any] | None,
    new: Mapping[str, Any] | None,
    *,
    deployment: str | None = None,
    replace_when: Collection[str] = (),
) -> ObjectChange | None:
    """The change of one object between two sides (None: absent), or None when it is the same.

    A change of a field in `replace_when` (a connection's `type`, say) is a `replace`.
    """
    fields = compare(leaves(old) if old is not None else {}, leaves(new) if new is not None else {})
    if old is None:
        return ObjectChange(kind, key, "create", fields, deployment) if new is not None else None
    if new is None:
        return ObjectChange(kind, key, "delete", fields, deployment)
    if not fields:
        return None
    replaced = any(f.path.split(".")[0] in replace_when for f in fields)
    return ObjectChange(kind, key, "replace" if replaced else "update", fields, deployment)


class Comparer:
    """The field changes between two resolved objects, each pair compared once.

    Why: an object that no Deployment overrides is one shared ResolvedObject on each side,
    so without this a diff of N objects x M Deployments would flatten and compare it M
    times, which was most of the cost of a big diff. Only shared objects are kept (with
    their ids, so the ids stay theirs): a Deployment's own objects, compared once anyway,
    are let go with it (`diff` holds one pair of Deployments at a time).
    """

    def __init__(self) -> None:
        self.leaves: dict[int, tuple[ResolvedObject, Leaves]] = {}
        self.pairs: dict[tuple[int, int], tuple[Any, Any, tuple[FieldChange, ...]]] = {}

    def changes(self, old: ResolvedObject | None, new: ResolvedObject | None) -> tuple[FieldChange, ...]:
        key = (id(old), id(new))
        kept = self.pairs.get(key)
        if kept is not None and kept[0] is old and kept[1] is new:
            return kept[2]
        sensitive = any(o is not None and sensitive_object(o.kind, o.key) for o in (old, new))
        found = compare(self._leaves(old), self._leaves(new), sensitive=sensitive)
        if all(o is None or o.shared for o in (old, new)):
            self.pairs[key] = (old, new, found)
        return found

    def _leaves(self, obj: ResolvedObject | None) -> Leaves:
        if obj is None:
            return {}
        kept = self.leaves.get(id(obj))
        if kept is not None and kept[0] is obj:
            return kept[1]
        found = leaves(obj.fields())
        if obj.shared:
            self.leaves[id(obj)] = (obj, found)
        return found
