"""Astro API answers as frozen live values: Deployments and environment objects, their shape
checked as they are read (remote/answers.py), so a malformed answer is a located error, never a crash.

Names are the response types' (astro-cli astro-client-v1/api.gen.go `Deployment`,
`EnvironmentObject`, `EnvironmentObjectLink`): a link's overrides are `connectionOverrides` /
`airflowVariableOverrides` in responses, `overrides.connection` in requests.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from types import MappingProxyType
from typing import Any

from compiler.remote import answers
from compiler.review.changes import ObjectKey
from compiler.sync.astro_state import LiveDeployment, LiveLink, LiveObject

TYPED = {"CONNECTION": "connection", "AIRFLOW_VARIABLE": "airflowVariable"}
# The enums of the `EnvironmentObject` response (api.gen.go): a value outside them is an error;
# the types this tool does not manage are read past (never confused with ours: the type is in the key).
OBJECT_TYPES = ("CONNECTION", "AIRFLOW_VARIABLE", "ENVIRONMENT_VARIABLE", "METRICS_EXPORT")
SCOPES = ("WORKSPACE", "DEPLOYMENT")
LINK_OVERRIDES = {"CONNECTION": "connectionOverrides", "AIRFLOW_VARIABLE": "airflowVariableOverrides"}


def live_deployment(raw: Mapping[str, Any], where: str) -> LiveDeployment:
    """A Deployment as read (its shape checked, its IDs too: remote/answers.py)."""
    name = answers.text(raw, "name", where)
    of = f"Deployment '{name}'"
    dep_id = answers.identifier(raw, "id", where, of)
    for name_of_id in ("workspaceId", "clusterId"):  # identities a create or an update sends back
        if raw.get(name_of_id) is not None:
            answers.identifier(raw, name_of_id, where, of)
    for queue in _list(raw, "workerQueues", where):
        if isinstance(queue, Mapping) and queue.get("id") is not None:
            answers.identifier(queue, "id", where, f"a worker queue of {of}")
    with answers.shaped(where):
        return LiveDeployment(
            dep_id,
            name,
            _optional_text(raw, "description", where),
            _frozen(dict(raw)),
            _optional_text(raw, "updatedAt", where),
            _optional_text(raw, "webServerAirflowApiUrl", where),
            _optional_text(raw, "status", where),
        )


def object_type(raw: Mapping[str, Any], where: str) -> str:
    """An environment object's `objectType`: one of the API's (OBJECT_TYPES), else UnexpectedAnswer."""
    return answers.enum(raw, "objectType", where, OBJECT_TYPES)


def live_object(raw: Mapping[str, Any], where: str) -> LiveObject:
    """An environment object of a type this tool manages (TYPED) as read (its shape, enums and
    IDs checked: remote/answers.py)."""
    kind = answers.enum(raw, "objectType", where, TYPED)
    object_key = answers.text(raw, "objectKey", where)
    of = f"{kind.lower().replace('_', ' ')} '{object_key}'"
    member = answers.mapping(raw.get(TYPED[kind]) or {}, where, TYPED[kind])
    key = ObjectKey(
        object_key,
        kind,
        answers.enum(raw, "scope", where, SCOPES, of),
        answers.identifier(raw, "scopeEntityId", where, of),
    )
    with answers.shaped(where):
        return LiveObject(
            id=answers.identifier(raw, "id", where, of),
            key=key,
            description=_optional_text(raw, "description", where),
            auto_link=bool(raw.get("autoLinkDeployments")),
            links=tuple(
                _link(answers.mapping(link, where, "a link"), kind, where, of) for link in _list(raw, "links", where)
            ),
            excludes=tuple(
                answers.identifier(
                    _link_scope(answers.mapping(e, where, "an excluded link"), where, of), "scopeEntityId", where, of
                )
                for e in _list(raw, "excludeLinks", where)
            ),
            fields=_frozen(dict(member)),
            set_fields=frozenset(str(f) for f in _list(raw, "setFields", where)),
            is_secret=bool(member.get("isSecret")),
            updated_at=_optional_text(raw, "updatedAt", where),
        )


def _link(link: Mapping[str, Any], object_type: str, where: str, of: str) -> LiveLink:
    _link_scope(link, where, f"a link of {of}")
    overrides = link.get(LINK_OVERRIDES[object_type]) or link.get("overrides") or {}
    return LiveLink(
        answers.identifier(link, "scopeEntityId", where, f"a link of {of}"),
        _frozen(dict(answers.mapping(overrides, where, "a link's overrides"))),
        frozenset(str(f) for f in _list(link, "setFields", where)),
    )


def _link_scope(link: Mapping[str, Any], where: str, of: str) -> Mapping[str, Any]:
    """`link` when its `scope` is absent or the one its type allows (DEPLOYMENT)."""
    if link.get("scope") is not None:
        answers.enum(link, "scope", where, ("DEPLOYMENT",), of)
    return link


def _list(raw: Mapping[str, Any], name: str, where: str) -> list[Any]:
    value = raw.get(name) or []
    if not isinstance(value, list):
        raise answers.UnexpectedAnswer(where, f"'{name}' is not a list")
    return value


def _optional_text(raw: Mapping[str, Any], name: str, where: str) -> str:
    value = raw.get(name)
    if value is not None and not isinstance(value, str):
        raise answers.UnexpectedAnswer(where, f"'{name}' is not a text")
    return value or ""


def _frozen(value: Any) -> Any:
    if isinstance(value, dict):
        return MappingProxyType({k: _frozen(v) for k, v in value.items()})
    if isinstance(value, list):
        return tuple(_frozen(v) for v in value)
    return value


# --- one ID per object, every row in its place (the lists are checked against each other) ---------


def distinct(named: Iterable[tuple[str, str]], where: str) -> None:
    """Each ID names one thing: `named` holds (ID, what it names) pairs; an ID given twice (one
    Deployment listed twice, one ID under two names, an object's ID that is a Deployment's) is an
    UnexpectedAnswer naming both: nothing can be written by an ID the answers disagree about."""
    seen: dict[str, str] = {}
    for found, what in named:
        if found in seen:
            raise answers.UnexpectedAnswer(
                where, f"the ID {found} is listed twice, as {seen[found]} and as {what}: one ID names one object"
            )
        seen[found] = what


def placed(objects: Iterable[LiveObject], places: Mapping[tuple[str, str], bool], where: str) -> list[LiveObject]:
    """The objects a listing holds for its place: `places` maps (scope, scopeEntityId) to True
    (kept) or False (read past: another listing's, as a filter the API documents loosely may
    include). An object of any other scope (a Deployment outside the workspace, another
    workspace) is an UnexpectedAnswer."""
    kept = []
    for obj in objects:
        place = places.get((obj.key.scope, obj.key.scope_entity_id))
        if place is None:
            raise answers.UnexpectedAnswer(
                where,
                f"{described(obj)} is scoped to {obj.key.scope.lower()} {obj.key.scope_entity_id}, "
                "outside the workspace and Deployments listed",
            )
        if place:
            kept.append(obj)
    return kept


def described(obj: LiveObject) -> str:
    return f"{obj.key.object_type.lower().replace('_', ' ')} '{obj.key.object_key}' ({obj.id})"


def named_ids(
    workspace_id: str, deployments: Iterable[LiveDeployment], objects: Iterable[LiveObject]
) -> Iterator[tuple[str, str]]:
    """(ID, what) for the workspace, each Deployment and each object: for `distinct`."""
    yield workspace_id, "the workspace"
    for dep in deployments:
        yield dep.id, f"Deployment '{dep.name}'"
    for obj in objects:
        yield obj.id, described(obj)
