"""Astro API answers as frozen live values: Deployments and environment objects, their shape
checked as they are read (remote/answers.py), so a malformed answer is a located error, never a crash.

Names are the response types' (astro-cli astro-client-v1/api.gen.go `Deployment`,
`EnvironmentObject`, `EnvironmentObjectLink`): a link's overrides are `connectionOverrides` /
`airflowVariableOverrides` in responses, `overrides.connection` in requests.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from compiler.remote import answers
from compiler.review.changes import ObjectKey
from compiler.sync.astro_state import LiveDeployment, LiveLink, LiveObject

TYPED = {"CONNECTION": "connection", "AIRFLOW_VARIABLE": "airflowVariable"}
LINK_OVERRIDES = {"CONNECTION": "connectionOverrides", "AIRFLOW_VARIABLE": "airflowVariableOverrides"}


def live_deployment(raw: Mapping[str, Any], where: str) -> LiveDeployment:
    """A Deployment as read (its shape checked: remote/answers.py)."""
    with answers.shaped(where):
        return LiveDeployment(
            answers.text(raw, "id", where),
            answers.text(raw, "name", where),
            _optional_text(raw, "description", where),
            _frozen(dict(raw)),
            _optional_text(raw, "updatedAt", where),
            _optional_text(raw, "webServerAirflowApiUrl", where),
            _optional_text(raw, "status", where),
        )


def live_object(raw: Mapping[str, Any], where: str) -> LiveObject:
    """An environment object as read (its shape checked: remote/answers.py)."""
    object_type = answers.text(raw, "objectType", where)
    member = answers.mapping(raw.get(TYPED[object_type]) or {}, where, TYPED[object_type])
    key = ObjectKey(
        answers.text(raw, "objectKey", where),
        object_type,
        answers.text(raw, "scope", where),
        answers.text(raw, "scopeEntityId", where),
    )
    with answers.shaped(where):
        return LiveObject(
            id=answers.text(raw, "id", where),
            key=key,
            description=_optional_text(raw, "description", where),
            auto_link=bool(raw.get("autoLinkDeployments")),
            links=tuple(
                _link(answers.mapping(link, where, "a link"), object_type, where) for link in _list(raw, "links", where)
            ),
            excludes=tuple(
                answers.text(answers.mapping(e, where, "an excluded link"), "scopeEntityId", where)
                for e in _list(raw, "excludeLinks", where)
            ),
            fields=_frozen(dict(member)),
            set_fields=frozenset(str(f) for f in _list(raw, "setFields", where)),
            is_secret=bool(member.get("isSecret")),
            updated_at=_optional_text(raw, "updatedAt", where),
        )


def _link(link: Mapping[str, Any], object_type: str, where: str) -> LiveLink:
    overrides = link.get(LINK_OVERRIDES[object_type]) or link.get("overrides") or {}
    return LiveLink(
        answers.text(link, "scopeEntityId", where),
        _frozen(dict(answers.mapping(overrides, where, "a link's overrides"))),
        frozenset(str(f) for f in _list(link, "setFields", where)),
    )


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
