"""Live state as frozen values: what remote/ reads and planning compares (no HTTP here)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from types import MappingProxyType
from typing import Any, Literal

from compiler.review.changes import ObjectKey

ObjectType = Literal["CONNECTION", "AIRFLOW_VARIABLE"]
Scope = Literal["WORKSPACE", "DEPLOYMENT"]

_EMPTY: Mapping[str, Any] = MappingProxyType({})
# The ID a plan gives a preview Deployment that apply creates first (apply puts in the real one).
PENDING_ID = "pending-preview-deployment-id"


@dataclass(frozen=True)
class LiveLink:
    """A Deployment's link: its override fields as read (secrets omitted) and which are set."""

    deployment_id: str
    overrides: Mapping[str, Any] = field(default_factory=lambda: _EMPTY)
    set_fields: frozenset[str] = frozenset()


@dataclass(frozen=True)
class LiveObject:
    id: str
    key: ObjectKey
    description: str
    auto_link: bool
    links: tuple[LiveLink, ...]
    excludes: tuple[str, ...]
    fields: Mapping[str, Any]  # the typed member as read (secret values masked)
    set_fields: frozenset[str]
    is_secret: bool
    updated_at: str

    def link(self, deployment_id: str) -> LiveLink | None:
        return self._links.get(deployment_id)

    @cached_property
    def _links(self) -> dict[str, LiveLink]:
        return {link.deployment_id: link for link in self.links}


@dataclass(frozen=True)
class LiveDeployment:
    id: str
    name: str
    description: str = ""
    # The Deployment as read (secret environment variables without `value`): its settings.
    settings: Mapping[str, Any] = field(default_factory=lambda: _EMPTY)
    updated_at: str = ""
    airflow_api_url: str = ""  # webServerAirflowApiUrl: its Airflow REST API (no scheme), where its pools live


@dataclass(frozen=True)
class LiveState:
    """The part of an organization one plan looks at."""

    organization_id: str
    workspace_id: str
    workspace_name: str
    deployments: tuple[LiveDeployment, ...]
    objects: tuple[LiveObject, ...]

    def deployment_id(self, name: str) -> str | None:
        return next((d.id for d in self.deployments if d.name == name), None)

    def deployment_name(self, deployment_id: str) -> str:
        return next((d.name for d in self.deployments if d.id == deployment_id), deployment_id)

    def find(self, key: ObjectKey) -> LiveObject | None:
        return self._by_key.get(key)

    @cached_property
    def _by_key(self) -> dict[ObjectKey, LiveObject]:
        # One lookup per desired object: keep it O(1) at thousands of objects.
        return {o.key: o for o in self.objects}
