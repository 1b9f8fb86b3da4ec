"""What an import read from a live workspace, in environments/ terms (no API names here).

live/ fills these from the Astro API or an Airflow REST API; adoption.py writes them as
environments/ files. Values are as read: a secret the API masks is not a value here, its
path is in `masked` (`password`, `extra.token`, `value`), which the writer turns into a
`{secret: NAME}` reference.

    FoundWorkspace
      name: str                              the Astro workspace name
      deployments: (FoundDeployment, ...)    every non-preview Deployment
      objects: (FoundObject, ...)            workspace- and Deployment-scoped objects
      pools: {deployment: {pool: fields}}    pools read from an Airflow, per Deployment
    FoundObject
      kind: connection | variable
      key: str                               conn_id or variable key
      deployment: str | None                 the Deployment of a Deployment-scoped object, else None
      description: str                       the user's text (an astro-gitops marker taken off)
      fields: {name: value}                  connection: type host port schema login password extra;
                                             variable: value (a string)
      masked: frozenset[str]                 paths set but not shown (secrets)
      links: "all" | (deployment, ...)       workspace objects only
      exclude: (deployment, ...)             with links "all"
      overrides: {deployment: FoundOverride} each link's override fields
    FoundDeployment
      name, description: str
      settings: {section: value}             the deployment file's sections (astro, worker_queues, ...)
      masked_env: (name, ...)                secret environment variables (values never read)
      kept: {section: value}                 sections of an existing file, written back as they were
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, Literal

from compiler.model.frozen import field, frozen

_EMPTY: Mapping[str, Any] = MappingProxyType({})


@frozen
class FoundOverride:
    """A Deployment's link override: the fields it sets as read, and the masked ones."""

    fields: Mapping[str, Any] = field(default_factory=lambda: _EMPTY)
    masked: frozenset[str] = frozenset()


@frozen
class FoundObject:
    kind: Literal["connection", "variable"]
    key: str
    description: str = ""
    fields: Mapping[str, Any] = field(default_factory=lambda: _EMPTY)
    masked: frozenset[str] = frozenset()
    deployment: str | None = None
    links: Literal["all"] | tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    overrides: Mapping[str, FoundOverride] = field(default_factory=lambda: _EMPTY)


@frozen
class FoundDeployment:
    name: str
    description: str = ""
    settings: Mapping[str, Any] = field(default_factory=lambda: _EMPTY)
    masked_env: tuple[str, ...] = ()
    kept: Mapping[str, Any] = field(default_factory=lambda: _EMPTY)  # sections of its file kept as written


@frozen
class FoundWorkspace:
    name: str
    deployments: tuple[FoundDeployment, ...]
    objects: tuple[FoundObject, ...]
    pools: Mapping[str, Mapping[str, Mapping[str, Any]]] = field(default_factory=lambda: _EMPTY)
