"""The typed, frozen model of environments/.

The JSON Schemas are the edge of environments/ (they are the published contract and give
every error a position); documents that pass them are turned into the frozen dataclasses
here, and every later stage reads only these values. (pydantic was the first edge here;
it re-checked what the schemas had just checked and cost ~50 ms of every cold start.) Secret references become `Secret` values, so
no stage can mistake a reference for a literal. Source positions are not copied into
the model: each object remembers its file and YAML path, and `Document.locate` turns
those into `file:line:column` when a diagnostic or `explain` needs one.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from types import MappingProxyType
from typing import Any, Literal

from compiler.load.documents import SCALARS, YPath
from compiler.model.frozen import field, frozen
from compiler.model.secrets import Secret as Secret  # re-exported: the stages read references from the model
from compiler.model.secrets import add_sensitive_keys, reference_name

ObjectKind = Literal["connection", "variable", "pool"]
KINDS: tuple[ObjectKind, ...] = ("connection", "variable", "pool")
SECTION: dict[ObjectKind, str] = {"connection": "connections", "variable": "variables", "pool": "pools"}


# The mapping types a value can be here. Checking these concrete types, not the Mapping ABC,
# matters: ABC instance checks were a third of `render --all` on a large repository.
MAPPINGS = (dict, MappingProxyType)


def lift_secrets(value: Any) -> Any:
    """Plain data with every `{secret: NAME}` mapping replaced by a `Secret`."""
    if isinstance(value, dict):
        name = reference_name(value)
        if name is not None:
            return Secret(name)
        return {k: lift_secrets(v) for k, v in value.items()}
    if isinstance(value, list):
        return [lift_secrets(v) for v in value]
    return value


def freeze(value: Any) -> Any:
    """A read-only deep copy: mappings become MappingProxyType, lists tuples."""
    if type(value) in SCALARS:  # most values: answered before the isinstance checks
        return value
    if isinstance(value, MAPPINGS):
        return MappingProxyType({k: freeze(v) for k, v in value.items()})
    if isinstance(value, (list, tuple)):
        return tuple(freeze(v) for v in value)
    return value


def thaw(value: Any) -> Any:
    """The plain (dict/list) copy of a frozen value, for rendering."""
    if type(value) in SCALARS:
        return value
    if isinstance(value, MAPPINGS):
        return {k: thaw(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [thaw(v) for v in value]
    return value


_EMPTY: Mapping[str, Any] = MappingProxyType({})


@frozen
class ObjectSpec:
    """A connection, variable or pool as written (workspace or Deployment scope)."""

    kind: ObjectKind
    key: str
    path: str
    ypath: YPath
    fields: Mapping[str, Any]
    links: Literal["all"] | tuple[str, ...] | None = None
    exclude: tuple[str, ...] = ()
    allow_plaintext: bool = False
    deployment: str | None = None  # set for Deployment-scoped objects

    @property
    def linked_nowhere(self) -> bool:
        return not self.links

    def linked_to(self, deployment: str) -> bool:
        """Astro's link semantics: all Deployments but the excluded, or those listed."""
        if self.links == "all":
            return deployment not in self.exclude
        return bool(self.links) and deployment in (self.links or ())


@frozen
class OverrideSpec:
    """Field overrides of one linked object, in a Deployment file or a preview rule."""

    kind: ObjectKind
    key: str
    path: str
    ypath: YPath
    fields: Mapping[str, Any]
    allow_plaintext: bool | None = None


@frozen
class PreviewSpec:
    from_: str  # `from` in the file
    name: str
    overrides: tuple[OverrideSpec, ...] = ()


@frozen
class BranchRule:
    index: int
    path: str
    ypath: YPath
    pattern: str
    is_regex: bool
    deployment: str | None = None
    preview: PreviewSpec | None = None

    def describe(self) -> str:
        target = self.deployment if self.deployment else f"preview from {self.preview.from_ if self.preview else '?'}"
        how = "regex" if self.is_regex else "branch"
        return f"{how} '{self.pattern}' -> {target}"


@frozen
class DeploymentSpec:
    name: str
    path: str
    description: str | None = None
    astro: Mapping[str, Any] = field(default_factory=lambda: _EMPTY)
    worker_queues: tuple[Mapping[str, Any], ...] = ()
    environment_variables: Mapping[str, Any] = field(default_factory=lambda: _EMPTY)
    alert_emails: tuple[str, ...] = ()
    hibernation_schedules: tuple[Mapping[str, Any], ...] = ()
    overrides: tuple[OverrideSpec, ...] = ()
    objects: tuple[ObjectSpec, ...] = ()


@frozen
class WorkspaceSpec:
    path: str
    name: str
    rules: tuple[BranchRule, ...]
    conn_extra: Literal["json", "mapping"] = "json"
    sync_owner: str | None = None  # `sync.owner`: required by plan and apply
    sync_branch: str = "main"  # `sync.branch`
    sensitive_keys: tuple[str, ...] = ()  # `secrets.sensitive_keys`: more names that say secret (SPEC 2.5)


@frozen
class Model:
    """Everything environments/ says, typed and frozen."""

    workspace: WorkspaceSpec | None
    deployments: tuple[DeploymentSpec, ...]
    objects: tuple[ObjectSpec, ...]

    def deployment(self, name: str) -> DeploymentSpec | None:
        return next((d for d in self.deployments if d.name == name), None)

    @property
    def deployment_names(self) -> list[str]:
        return [d.name for d in self.deployments]


# --- building the model from schema-valid documents ----------------------------------

_CONTROL_KEYS = ("links", "exclude", "allow_plaintext")


def build_model(documents: list[Any]) -> Model:
    """The model of documents that passed the schema checks (others are left out)."""
    workspace = next((_workspace(d) for d in documents if d.kind == "workspace"), None)
    if workspace is not None:
        add_sensitive_keys(workspace.sensitive_keys)  # the secret policy of this run (SPEC 2.5)
    deployments = tuple(_deployment(d) for d in documents if d.kind == "deployment")
    objects = tuple(o for d in documents if d.kind == "objects" for o in _objects(d.data, d.path, ()))
    return Model(workspace=workspace, deployments=deployments, objects=objects)


def _entries(
    data: Mapping[str, Any] | None, prefix: YPath
) -> Iterator[tuple[ObjectKind, str, Mapping[str, Any], YPath]]:
    """(kind, key, body, YAML path) of every entry under connections/variables/pools."""
    for kind in KINDS:
        for key, body in ((data or {}).get(SECTION[kind]) or {}).items():
            yield kind, key, body or {}, (*prefix, SECTION[kind], key)


def _lift_values(section: Any) -> dict[str, Any]:
    """A mapping of names to values, each value lifted; never the mapping itself as one reference."""
    return {k: lift_secrets(v) for k, v in section.items()} if isinstance(section, dict) else {}


def _content(body: Mapping[str, Any], control: tuple[str, ...]) -> Mapping[str, Any]:
    """The fields that resolution merges, without the control keys, secrets lifted, frozen."""
    return _lifted_and_frozen({k: v for k, v in body.items() if k not in control})  # type: ignore[no-any-return]


def _lifted_and_frozen(value: Any) -> Any:
    """`freeze(lift_secrets(value))` in one pass (every object and override of a workspace goes
    through it: two walks were a third of building the model)."""
    if type(value) in SCALARS:
        return value
    if isinstance(value, dict):
        name = reference_name(value)
        if name is not None:
            return Secret(name)
        return MappingProxyType({k: _lifted_and_frozen(v) for k, v in value.items()})
    if isinstance(value, list):
        return tuple(_lifted_and_frozen(v) for v in value)
    return freeze(value)


def _objects(data: Mapping[str, Any], path: str, prefix: YPath, deployment: str | None = None) -> list[ObjectSpec]:
    found = []
    for kind, key, body, ypath in _entries(data, prefix):
        links = body.get("links")
        found.append(
            ObjectSpec(
                kind=kind,
                key=key,
                path=path,
                ypath=ypath,
                fields=_content(body, _CONTROL_KEYS),
                links=tuple(links) if isinstance(links, list) else links,
                exclude=tuple(body.get("exclude") or ()),
                allow_plaintext=bool(body.get("allow_plaintext", False)),
                deployment=deployment,
            )
        )
    return found


def _overrides(data: Mapping[str, Any] | None, path: str, prefix: YPath) -> tuple[OverrideSpec, ...]:
    return tuple(
        OverrideSpec(
            kind=kind,
            key=key,
            path=path,
            ypath=ypath,
            fields=_content(body, ("allow_plaintext",)),
            allow_plaintext=body.get("allow_plaintext"),
        )
        for kind, key, body, ypath in _entries(data, prefix)
    )


# The Astro CLI accepts these in any letter case (fromfile.go compares them case-insensitively
# or upper-cases them) but in places still tests the exact spelling, so the model holds that.
_UPPER_CASE_KEYS = ("scheduler_size", "cloud_provider", "deployment_type")
_EXECUTORS = {
    e.upper(): e for e in ("CELERY", "KUBERNETES", "ASTRO", "CeleryExecutor", "KubernetesExecutor", "AstroExecutor")
}


def normalised_configuration(astro: Mapping[str, Any]) -> dict[str, Any]:
    """`astro:` with the case-insensitive values in the Astro CLI's own spelling (templates untouched)."""
    out = dict(astro)
    for key in (*_UPPER_CASE_KEYS, "executor"):
        value = out.get(key)
        if isinstance(value, str) and "{" not in value:
            out[key] = _EXECUTORS.get(value.upper(), value) if key == "executor" else value.upper()
    return out


def _deployment(document: Any) -> DeploymentSpec:
    data = document.data
    return DeploymentSpec(
        name=data["name"],
        path=document.path,
        description=data.get("description"),
        astro=freeze(normalised_configuration(data.get("astro") or {})),
        worker_queues=freeze(data.get("worker_queues") or []),
        environment_variables=freeze(_lift_values(data.get("environment_variables"))),
        alert_emails=tuple(data.get("alert_emails") or ()),
        hibernation_schedules=freeze(data.get("hibernation_schedules") or []),
        overrides=_overrides(data.get("overrides"), document.path, ("overrides",)),
        objects=tuple(_objects(data, document.path, (), deployment=data["name"])),
    )


def _workspace(document: Any) -> WorkspaceSpec:
    data = document.data
    rules = []
    for index, rule in enumerate(data.get("branches") or []):
        if rule is None:  # a rule that failed its schema
            continue
        ypath: YPath = ("branches", index)
        preview = rule.get("preview")
        rules.append(
            BranchRule(
                index=index,
                path=document.path,
                ypath=ypath,
                pattern=rule.get("regex", rule.get("branch", "")),
                is_regex="regex" in rule,
                deployment=rule.get("deployment"),
                preview=None
                if preview is None
                else PreviewSpec(
                    from_=preview["from"],
                    name=preview["name"],
                    overrides=_overrides(preview.get("overrides"), document.path, (*ypath, "preview", "overrides")),
                ),
            )
        )
    return WorkspaceSpec(
        path=document.path,
        name=data["workspace"],
        rules=tuple(rules),
        conn_extra=(data.get("render") or {}).get("conn_extra", "json"),
        sync_owner=(data.get("sync") or {}).get("owner"),
        sync_branch=(data.get("sync") or {}).get("branch", "main"),
        sensitive_keys=tuple((data.get("secrets") or {}).get("sensitive_keys") or ()),
    )
