"""Deployment settings: the deployment file's content -> the API's full-replacement update (SPEC 7.2).

The mapping follows the Astro CLI's `deployment update --deployment-file` (astro-cli
cloud/deployment/fromfile/fromfile.go): `ci_cd_enforcement` -> `isCicdEnforced`, `worker_type`
-> `astroMachine`, the queue named `default` is `isDefault`, `alert_emails` -> `contactEmails`,
hibernation schedules -> `scalingSpec.hibernationSpec.schedules` (sent for a development-mode
Deployment only, as the CLI does), the environment variables always complete. Differences from
the CLI: a worker queue keeps its live `id` by *name* (the CLI pairs queues by position after
sorting), and whatever the repository does not set keeps its live value (the CLI sends its zero
values). An unchanged secret environment variable (its fingerprint in the Deployment's marker
proves it) is sent without `value`, which keeps the stored one; never `""`, never a placeholder.
The runtime version cannot be changed through the API: a difference is a warning.

Pure: no HTTP, no printing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from compiler.diagnostics import Diagnostic, error, warning
from compiler.load.documents import YPath
from compiler.model.frozen import frozen
from compiler.model.objects import Secret, thaw
from compiler.model.secrets import looks_secret
from compiler.review.changes import REDACTED, FieldChange, ObjectChange, ObjectKey, Write
from compiler.sync import marker as markers
from compiler.sync.astro_state import PENDING_ID, LiveDeployment, LiveState
from compiler.sync.changeset import SECRET_CHANGED, SECRET_UNKNOWN, Options
from compiler.sync.deployment_body import (
    API_FIELDS,
    CREATE_FIELDS,
    CREATE_ONLY,
    REQUIRED,
    SCHEDULER,
    UPDATE_FIELDS,
    compared_queue_fields,
    created_fields,
    deployment_type,
    env_text,
    hibernation_request,
    kept_variable,
    live_queues,
    member_body,
    normal,
    queue_request,
    queue_view,
    scheduler,
    schedules_view,
)
from compiler.sync.values import concrete

ENV = "env."  # a secret environment variable's fingerprint path in the Deployment's marker


@frozen
class DesiredSettings:
    """One Deployment's settings as the repository says; `present` names the sections it sets
    (`astro` keys are present when written)."""

    name: str
    base: str  # the `from` Deployment of a preview (the name itself otherwise)
    is_preview: bool
    branch: str
    description: str | None
    astro: Mapping[str, Any]
    worker_queues: tuple[Mapping[str, Any], ...]
    environment_variables: Mapping[str, Any]
    alert_emails: tuple[str, ...]
    hibernation_schedules: tuple[Mapping[str, Any], ...]
    present: frozenset[str]
    path: str  # the Deployment's file
    where: tuple[str, YPath] = ("", ())  # what an error points at (its name, or the preview rule's)

    def sets(self, section: str) -> bool:
        return section in self.present


class SettingsPlan:
    def __init__(self) -> None:
        self.changes: list[ObjectChange] = []
        self.diagnostics: list[Diagnostic] = []
        self.secrets = False  # a secret environment variable was compared or sent


def plan_settings(
    desired: Sequence[DesiredSettings], live: LiveState, options: Options, *, full: bool, workspace_path: str
) -> SettingsPlan:
    planner = _Settings(live, options)
    for wanted in desired:
        found = next((d for d in live.deployments if d.name == wanted.name), None)
        if found is None or found.id == PENDING_ID:
            if wanted.is_preview:
                planner.create(wanted)
            continue  # a missing Deployment is reported by the caller
        planner.update(wanted, found)
    if full:
        planner.left_git({d.name for d in desired}, workspace_path)
    return planner.result


class _Settings:
    def __init__(self, live: LiveState, options: Options) -> None:
        self.live, self.options = live, options
        self.result = SettingsPlan()

    # --- an existing Deployment ---------------------------------------------------------------

    def update(self, wanted: DesiredSettings, found: LiveDeployment) -> None:
        user_text, mark = markers.split(found.description)
        adopted = self._ownership(wanted, mark, self._identity(found.name))
        if adopted is None:
            return
        live = found.request  # in the request types' names (effectiveWorkloadIdentity -> workloadIdentity, ...)
        if not self._same_type(wanted, found):
            return
        self._runtime(wanted, live)
        live_fps = dict(mark.fingerprints) if mark and not adopted else {}
        fields: list[FieldChange] = []
        if adopted:
            fields.append(FieldChange("marker", None, f"owner={self.options.owner}", note="adopt"))
        fields += self._scalars(wanted, live)
        if markers.normal(wanted.description) != markers.normal(user_text):
            fields.append(
                FieldChange(
                    "description", markers.normal(user_text) or None, markers.normal(wanted.description) or None
                )
            )
        variables, env_changes, fps = self._variables(wanted, live, live_fps)
        fields += env_changes
        queues, queue_changes = self._queues(wanted, live)
        fields += queue_changes
        scaling, scaling_changes = self._hibernation(wanted, live)
        fields += scaling_changes
        if wanted.sets("alert_emails") and sorted(wanted.alert_emails) != sorted(live.get("contactEmails") or []):
            fields.append(FieldChange("alert_emails", list(live.get("contactEmails") or []), list(wanted.alert_emails)))
        # Under --secrets redact no value is known, so fingerprints cannot be recorded: not a change.
        if not fields and fps != live_fps and self.options.values is not None:
            fields.append(FieldChange("marker", None, "fingerprints", note="secret fingerprints recorded"))
        if not fields:
            return
        description = markers.join(wanted.description, self._marker(wanted, fps, found.description))
        body = self._body(wanted, live, description, variables, queues, scaling)
        key = ObjectKey(wanted.name, "DEPLOYMENT", "WORKSPACE", self.live.workspace_id)
        self.result.changes.append(
            ObjectChange(
                "preview" if wanted.is_preview else "deployment",
                wanted.name,
                "update",
                tuple(fields),
                writes=(Write("update", key, found.id, body, target="deployment"),),
                touched=((found.id, found.updated_at),),
            )
        )

    def _identity(self, name: str) -> ObjectKey:
        """What a Deployment's marker signature binds: its name in this workspace."""
        return ObjectKey(name, "DEPLOYMENT", "WORKSPACE", self.live.workspace_id)

    def _ownership(self, wanted: DesiredSettings, mark: markers.Marker | None, identity: ObjectKey) -> bool | None:
        """False when ours, True when adopted now, None (with an error) when not to be touched."""
        what = "preview Deployment" if wanted.is_preview else "Deployment"
        standing = markers.standing(mark, self.options.owner, self.options.key, identity)
        if mark is not None and standing is markers.Standing.OURS:
            if wanted.is_preview and mark.branch != wanted.branch:
                self._error(
                    wanted,
                    "preview-owned-by-other-branch",
                    f"preview Deployment '{wanted.name}' {markers.whose_preview(mark)}, not '{wanted.branch}': "
                    "two branches never write the same preview; rename one branch or the preview name template",
                )
                return None
            return False
        if self.options.adopt:
            return True
        whose = markers.told(mark, self.options.owner, self.options.key, identity)
        self._error(
            wanted,
            "unmanaged-object",
            f"{what} '{wanted.name}' exists in Astro with {whose}: pass --adopt to manage it",
        )
        return None

    def _same_type(self, wanted: DesiredSettings, found: LiveDeployment) -> bool:
        """False (with an error) when the file names another type than the live Deployment's:
        `type` selects the request's union member, and no update changes it."""
        if "deployment_type" not in wanted.astro:
            return True
        said = deployment_type(wanted.astro, {})
        if said == found.deployment_type:
            return True
        message = (
            f"Deployment '{wanted.name}' is a {found.deployment_type} Deployment in Astro, the repository says "
            f"{said}: the API cannot change a Deployment's type (fix 'astro.deployment_type', or create a new Deployment)"
        )
        where = self.options.locate(wanted.path, ("astro", "deployment_type"))
        self.result.diagnostics.append(error(where, "deployment-type-differs", message))
        return False

    def _runtime(self, wanted: DesiredSettings, live: Mapping[str, Any]) -> None:
        runtime = wanted.astro.get("runtime_version")
        now = live.get("runtimeVersion") or live.get("astroRuntimeVersion")
        if runtime is not None and now and str(runtime) != str(now):
            message = (
                f"Deployment '{wanted.name}' runs Astro Runtime {now}, the repository says {runtime}: "
                "the API cannot change it (upgrade the Deployment, then update the file)"
            )
            self.result.diagnostics.append(
                warning(
                    self.options.locate(wanted.path, ("astro", "runtime_version")),
                    "runtime-version-differs",
                    message,
                )
            )

    def _scalars(self, wanted: DesiredSettings, live: Mapping[str, Any]) -> list[FieldChange]:
        kind = deployment_type(wanted.astro, live)
        changes = []
        for key, api_field in API_FIELDS.items():
            if key not in wanted.astro or api_field not in UPDATE_FIELDS.get(kind, UPDATE_FIELDS["STANDARD"]):
                continue
            after, before = normal(api_field, wanted.astro[key]), live.get(api_field)
            if after != normal(api_field, before):
                changes.append(FieldChange(key, thaw(before), after))
        if kind == "HYBRID":
            before_spec = live.get("scheduler") or {}
            for key, name in SCHEDULER.items():
                if key in wanted.astro and wanted.astro[key] != before_spec.get(name):
                    changes.append(FieldChange(key, before_spec.get(name), wanted.astro[key]))
        return changes

    # --- environment variables ------------------------------------------------------------------

    def _variables(
        self, wanted: DesiredSettings, live: Mapping[str, Any], live_fps: Mapping[tuple[str, str], str]
    ) -> tuple[list[dict[str, Any]], list[FieldChange], dict[tuple[str, str], str]]:
        stored = {str(v["key"]): v for v in live.get("environmentVariables") or ()}
        if not wanted.sets("environment_variables"):
            kept = [kept_variable(v) for v in stored.values()]
            return kept, [], dict(live_fps)
        entries, changes, fps = [], [], {}
        for key, raw in sorted(wanted.environment_variables.items()):
            value, path, before = env_text(raw), f"environment_variables.{key}", stored.get(key)
            if not isinstance(value, Secret):
                if before is not None and before.get("isSecret"):
                    self._error(
                        wanted,
                        "secret-env-var-made-plain",
                        f"environment variable {key} of '{wanted.name}' is secret in Astro and cannot become plain: "
                        "keep it a {secret: NAME} reference, or delete it in Astro first",
                    )
                elif before is None or before.get("value") != value:
                    old = None if before is None else before.get("value")
                    if looks_secret(key):  # a name Airflow masks: shown only as changed
                        old, value_shown = (None if old is None else REDACTED), REDACTED
                    else:
                        value_shown = value
                    changes.append(FieldChange(path, old, value_shown, looks_secret(key)))
                entries.append({"key": key, "isSecret": False, "value": value})
                continue
            self.result.secrets = True
            fp = self._fingerprint(wanted, key, value)
            if fp is not None:
                fps[(markers.OWN, ENV + key)] = fp
            same = before is not None and fp is not None and live_fps.get((markers.OWN, ENV + key)) == fp
            if same or (self.options.values is None and before is not None):
                entries.append({"key": key, "isSecret": True})  # no value: the stored one is kept
                continue
            entries.append({"key": key, "isSecret": True, "value": value})
            if before is None:
                changes.append(FieldChange(path, None, str(value)))
            else:
                note = SECRET_UNKNOWN if self.options.key is None or not live_fps else SECRET_CHANGED
                changes.append(FieldChange(path, None, str(value), note=note))
        for key, before in sorted(stored.items()):
            if key not in wanted.environment_variables:
                shown = "(secret)" if before.get("isSecret") or looks_secret(key) else before.get("value")
                changes.append(FieldChange(f"environment_variables.{key}", shown, None))
        return entries, changes, fps

    def _fingerprint(self, wanted: DesiredSettings, key: str, value: Secret) -> str | None:
        if self.options.key is None or self.options.values is None:
            return None
        text = concrete(value, self.options.values)
        return markers.fingerprint(self.options.key, f"DEPLOYMENT/{wanted.name}", markers.OWN, ENV + key, str(text))

    # --- worker queues and hibernation ----------------------------------------------------------

    def _queues(
        self, wanted: DesiredSettings, live: Mapping[str, Any]
    ) -> tuple[list[dict[str, Any]] | None, list[FieldChange]]:
        executor = normal("executor", wanted.astro.get("executor", live.get("executor")))
        if not wanted.sets("worker_queues") or executor == "KUBERNETES":
            return None, []
        kind = deployment_type(wanted.astro, live)
        stored = {str(q["name"]): q for q in live.get("workerQueues") or ()}
        entries, changes = [], []
        for queue in wanted.worker_queues:
            name = str(queue["name"])
            before = stored.get(name)
            entry = queue_request(queue, before, kind)
            entries.append(entry)
            if before is None:
                changes.append(FieldChange(f"worker_queues.{name}", None, queue_view(entry)))
                continue
            for key, api_field in compared_queue_fields(kind).items():
                if normal(api_field, before.get(api_field)) != entry.get(api_field):
                    changes.append(
                        FieldChange(f"worker_queues.{name}.{key}", before.get(api_field), entry.get(api_field))
                    )
        wanted_names = {str(q["name"]) for q in wanted.worker_queues}
        changes += [
            FieldChange(f"worker_queues.{name}", queue_view(q), None)
            for name, q in stored.items()
            if name not in wanted_names
        ]
        return entries, changes

    def _hibernation(
        self, wanted: DesiredSettings, live: Mapping[str, Any]
    ) -> tuple[dict[str, Any] | None, list[FieldChange]]:
        development = wanted.astro.get("is_development_mode", live.get("isDevelopmentMode"))
        hybrid = deployment_type(wanted.astro, live) == "HYBRID"  # no scalingSpec in its request
        if not wanted.sets("hibernation_schedules") or not development or hybrid:
            return None, []
        schedules = hibernation_request(wanted.hibernation_schedules)
        spec = live.get("scalingSpec") or {}
        before = [dict(s) for s in ((spec.get("hibernationSpec") or {}).get("schedules") or ())]
        scaling = {"hibernationSpec": {"schedules": schedules}}
        if schedules_view(before) == schedules_view(schedules):
            return scaling, []
        return scaling, [FieldChange("hibernation_schedules", schedules_view(before), schedules_view(schedules))]

    # --- the request ----------------------------------------------------------------------------

    def _body(
        self,
        wanted: DesiredSettings,
        live: Mapping[str, Any],
        description: str,
        variables: list[dict[str, Any]],
        queues: list[dict[str, Any]] | None,
        scaling: dict[str, Any] | None,
    ) -> dict[str, Any]:
        """The `Update<Type>DeploymentRequest` of the Deployment's type: git's settings, every
        other field of that member carried over from live (`live` in request names)."""
        kind = deployment_type(wanted.astro, live)
        fields = UPDATE_FIELDS.get(kind, UPDATE_FIELDS["STANDARD"])
        body: dict[str, Any] = {"name": wanted.name, "workspaceId": self.live.workspace_id, "type": kind}
        for key, api_field in API_FIELDS.items():
            value = wanted.astro[key] if key in wanted.astro else live.get(api_field)
            if value is not None and api_field != "type":
                body[api_field] = normal(api_field, thaw(value))
        for api_field, default in REQUIRED.items():
            body.setdefault(api_field, default)
        if kind == "HYBRID":
            body["scheduler"] = scheduler(wanted.astro, live)
        emails = wanted.alert_emails if wanted.sets("alert_emails") else live.get("contactEmails") or ()
        body.update(description=description, contactEmails=list(emails), environmentVariables=variables)
        if queues is None and normal("executor", body["executor"]) != "KUBERNETES" and live.get("workerQueues"):
            queues = live_queues(live, kind)  # a full replacement: the live queues, not none
        if queues is not None:
            body["workerQueues"] = queues
        if scaling is not None:
            body["scalingSpec"] = scaling
        return member_body(body, live, fields, carry=True)

    def _marker(
        self, wanted: DesiredSettings, fps: Mapping[tuple[str, str], str], live: str | None = None
    ) -> markers.Marker:
        branch = wanted.branch if wanted.is_preview else None
        identity = self._identity(wanted.name)
        return markers.signed(
            self.options.owner, identity, self.options.key, branch=branch, fingerprints=fps, live=live
        )

    # --- a preview to create ------------------------------------------------------------------------

    def create(self, wanted: DesiredSettings) -> None:
        """Create the preview from its `from` Deployment's settings (git's, then live's), then
        update it with the rest: the Astro CLI does the same, as a create may not take
        environment variables or alert emails."""
        base = next((d for d in self.live.deployments if d.name == wanted.base), None)
        template = dict(thaw(base.request)) if base is not None else {}
        kind = deployment_type(wanted.astro, template)
        body: dict[str, Any] = {"name": wanted.name, "workspaceId": self.live.workspace_id, "type": kind}
        for key, api_field in {**API_FIELDS, **CREATE_ONLY}.items():
            value = wanted.astro[key] if key in wanted.astro else template.get(api_field)
            if value is not None and api_field != "type":
                body[api_field] = normal(api_field, value)
        runtime = wanted.astro.get("runtime_version") or template.get("runtimeVersion")
        if runtime:
            body["astroRuntimeVersion"] = str(runtime)
        for api_field, default in REQUIRED.items():
            body.setdefault(api_field, default)
        if kind == "HYBRID":
            body["scheduler"] = scheduler(wanted.astro, template)
        queues = self._queues(wanted, {"type": kind})[0]
        if queues is None and body["executor"] != "KUBERNETES":
            queues = [queue_request(q, None, kind) for q in template.get("workerQueues") or ()]
        if queues:
            body["workerQueues"] = [{k: v for k, v in q.items() if k != "id"} for q in queues]
        body["description"] = markers.join(wanted.description, self._marker(wanted, {}))
        # Placement: a STANDARD Deployment by cloudProvider and region, a DEDICATED or HYBRID one
        # by clusterId only (Create<Type>DeploymentRequest); every other field of another member is left out.
        body = member_body(body, template, CREATE_FIELDS.get(kind, CREATE_FIELDS["STANDARD"]), carry=False)
        variables, env_fields, fps = self._variables(wanted, {}, {})
        if not wanted.sets("environment_variables"):
            variables, env_fields = [], []
        scaling = self._hibernation(wanted, {"isDevelopmentMode": body.get("isDevelopmentMode")})[0]
        update = self._body(wanted, body, markers.join(wanted.description, self._marker(wanted, fps)),
                            variables, queues, scaling)  # fmt: skip
        target = ObjectKey(wanted.name, "DEPLOYMENT", "WORKSPACE", self.live.workspace_id)
        self.result.changes.append(
            ObjectChange(
                "preview",
                wanted.name,
                "create",
                created_fields(body, env_fields),
                note=f"(from {wanted.base}, branch {wanted.branch})",
                writes=(
                    Write("create", target, PENDING_ID, body, target="deployment"),
                    Write("update", target, PENDING_ID, update, target="deployment"),
                ),
            )
        )

    # --- Deployments that left git ------------------------------------------------------------

    def left_git(self, names: set[str], workspace_path: str) -> None:
        for found in self.live.deployments:
            _, mark = markers.split(found.description)
            identity = self._identity(found.name)
            if found.name in names or mark is None or mark.branch is not None:
                continue
            if markers.standing(mark, self.options.owner, self.options.key, identity) is not markers.Standing.OURS:
                continue
            self.result.diagnostics.append(
                warning(
                    self.options.locate(workspace_path, ()),
                    "deployment-left-git",
                    f"Deployment '{found.name}' carries this repository's marker but is no longer in deployments/: "
                    "apply never deletes a Deployment; delete it in Astro if it should go",
                )
            )

    def _error(self, wanted: DesiredSettings, code: str, message: str) -> None:
        self.result.diagnostics.append(error(self.options.locate(*wanted.where), code, message))
