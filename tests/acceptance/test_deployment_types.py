"""Deployments of every type (STANDARD, DEDICATED, HYBRID) against the local Astro API server,
through the installed command: request bodies per union member, live values read under the
response type's names, unmanaged fields carried over, previews placed by the source's type
(../shared/handed/contract.md)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from conftest import commit_files, edit_file, git, run_cli
from support.astro_fake import FakeAstro
from support.realairflow import AirflowServer
from support.signed_markers import deployment_marker, workspace_id

from acceptance.test_sync_apply import applied, cli

FILES = "environments/deployments/{}.yaml"


def seed(server: FakeAstro, **by_name: dict[str, Any]) -> None:
    """The example's workspace with production, development and sandbox; `by_name` adds fields."""
    names = ("production", "development", "sandbox")
    ws_id = workspace_id("Data Platform")
    deployments = [
        {
            "name": n,
            "workspace": "Data Platform",
            "description": deployment_marker("data-platform", n, ws_id),
            **by_name.get(n, {}),
        }
        for n in names
    ]
    server.admin("seed", {"workspaces": [{"name": "Data Platform", "id": ws_id}], "deployments": deployments})


def deployment_updates(server: FakeAstro) -> list[dict[str, Any]]:
    return [e for e in server.log() if e["method"] == "POST" and "/deployments/" in e["path"]]


def sent_to(server: FakeAstro, name: str) -> dict[str, Any]:
    dep_id = next(d["id"] for d in server.state()["deployments"] if d["name"] == name)
    [body] = [e["body"] for e in deployment_updates(server) if e["path"].endswith(f"/{dep_id}")]
    return body  # type: ignore[no-any-return]


def set_type(repo: Path, name: str, kind: str, extra: str = "") -> None:
    """Make git's `name` a Deployment of `kind` (no cloud_provider/region unless STANDARD)."""
    path = FILES.format(name)
    edit_file(repo, path, "deployment_type: STANDARD", f"deployment_type: {kind}{extra}")
    if kind != "STANDARD":
        edit_file(repo, path, "  cloud_provider: AWS\n  region: us-east-1\n", "")


REMOTE = {"enabled": True, "allowedIpAddressRanges": ["10.0.0.0/8"], "taskLogBucket": "s3://logs",
          "taskLogUrlPattern": "https://logs/{id}"}  # fmt: skip


def test_workload_identity_converges_and_remote_execution_is_carried_over(
    astro: FakeAstro, repo: Path, example_secrets: dict[str, str]
) -> None:
    seed(astro, production={"remoteExecution": REMOTE})
    role = "arn:aws:iam::123456789012:role/prod"
    edit_file(repo, FILES.format("production"), "  dag_deploy_enabled: true\n",
              f"  dag_deploy_enabled: true\n  workload_identity: {role}\n")  # fmt: skip
    commit_files(repo, {}, "identity")
    applied(astro, repo, example_secrets)
    body = sent_to(astro, "production")
    assert body["workloadIdentity"] == role
    assert body["remoteExecution"] == REMOTE  # the live value without the response-only remoteApiUrl
    astro.admin("clear-log", {})
    plan = cli(astro, repo, example_secrets, "plan", "--exit-code")
    assert plan.code == 0, plan.out + plan.err
    assert "workload_identity" not in plan.out
    again = applied(astro, repo, example_secrets)
    assert "No changes" in again.out and not astro.writes()


def test_a_dedicated_update_keeps_its_dr_workload_identity(
    astro: FakeAstro, repo: Path, example_secrets: dict[str, str]
) -> None:
    dr = "arn:aws:iam::123456789012:role/ded-dr"
    seed(astro, production={"type": "DEDICATED", "clusterId": "clu-dedicated", "drWorkloadIdentity": dr})
    set_type(repo, "production", "DEDICATED")
    commit_files(repo, {}, "dedicated")
    applied(astro, repo, example_secrets)
    body = sent_to(astro, "production")
    assert body["type"] == "DEDICATED" and body["drWorkloadIdentity"] == dr
    assert "cloudProvider" not in body and "region" not in body and "clusterId" not in body


def test_a_deployment_scope_apply_keeps_a_connections_auth_type(
    seeded: FakeAstro, repo: Path, example_secrets: dict[str, str]
) -> None:
    from support.test_astro_api_server import call

    applied(seeded, repo, example_secrets)
    snowflake = next(o for o in seeded.state()["objects"] if o["objectKey"] == "snowflake_default")
    path = f"/v1/organizations/{seeded.env()['ASTRO_ORGANIZATION_ID']}/environment-objects/{snowflake['id']}"
    last = [e["body"] for e in seeded.log() if e["method"] == "POST" and e["path"] == path]
    by_ui = dict(last[-1]) if last else {"connection": {"type": "snowflake"}, "autoLinkDeployments": True}
    by_ui["connection"] = {**by_ui["connection"], "authTypeId": "snowflake-key-pair"}
    assert call(seeded, "POST", path, by_ui)[0] == 200  # set in the UI: read back as connectionAuthType.id
    edit_file(repo, FILES.format("production"), "database: PROD", "database: PROD2")
    commit_files(repo, {}, "prod database")
    seeded.admin("clear-log", {})
    applied(seeded, repo, example_secrets, "--deployment", "production")
    [sent] = [e["body"] for e in seeded.log() if e["method"] == "POST" and e["path"] == path]
    assert sent["connection"].get("authTypeId") == "snowflake-key-pair"


HOSTED_ONLY = ("scheduler_size", "is_high_availability", "is_development_mode", "default_task_pod_cpu",
               "default_task_pod_memory", "resource_quota_cpu", "resource_quota_memory")  # fmt: skip
PLACEMENT = {"STANDARD": {"cloudProvider": "AWS", "region": "us-east-1"}, "DEDICATED": {"clusterId": "clu-ded"},
             "HYBRID": {"clusterId": "clu-hyb", "scheduler": {"au": 10, "replicas": 2}, "taskPodNodePoolId": "np-pods"}}  # fmt: skip


def make_type(repo: Path, name: str, kind: str) -> None:
    """Git's `name` as a Deployment of `kind`: a HYBRID one without the hosted-only settings,
    its queues on node pools."""
    path = repo / FILES.format(name)
    lines = path.read_text().splitlines(keepends=True)
    out = []
    for line in lines:
        key = line.strip().split(":")[0]
        if kind != "STANDARD" and key in ("cloud_provider", "region"):
            continue
        if kind == "HYBRID" and key in HOSTED_ONLY:
            continue
        out.append(line.replace("deployment_type: STANDARD", f"deployment_type: {kind}"))
        if kind == "HYBRID" and line.lstrip().startswith("- name: "):
            out.append(f"    node_pool_id: np-{line.split(':')[1].strip()}\n")
    text = "".join(out)
    if kind == "HYBRID":  # no hibernation on HYBRID (its request has no scalingSpec)
        text = re.sub(r"^hibernation_schedules:.*?\n(?:[ -].*\n)*", "", text, flags=re.M)
    path.write_text(text)


def queues(kind: str) -> list[dict[str, Any]]:
    """Live worker queues as seeded: on node pools for HYBRID, on machines otherwise."""
    where = (lambda n: {"nodePoolId": f"np-{n}"}) if kind == "HYBRID" else (lambda n: {"astroMachine": "A5"})
    return [{"name": n, "isDefault": n == "default", "minWorkerCount": 0, "maxWorkerCount": 2,
             "workerConcurrency": 5, **where(n)} for n in ("default", "heavy")]  # fmt: skip


def test_a_hybrid_update_fits_update_hybrid_deployment_request(
    astro: FakeAstro, repo: Path, example_secrets: dict[str, str]
) -> None:
    seed(astro, production={"type": "HYBRID", **PLACEMENT["HYBRID"], "workerQueues": queues("HYBRID")})
    make_type(repo, "production", "HYBRID")
    commit_files(repo, {}, "hybrid")
    assert run_cli("validate", cwd=repo).code == 0
    applied(astro, repo, example_secrets)
    body = sent_to(astro, "production")
    assert body["type"] == "HYBRID" and body["scheduler"] == {"au": 10, "replicas": 2}  # from live
    assert not {"schedulerSize", "isHighAvailability", "isDevelopmentMode", "scalingSpec"} & body.keys()
    assert body["taskPodNodePoolId"] == "np-pods"
    assert [(q["name"], q["nodePoolId"]) for q in body["workerQueues"]] == [("default", "np-default"),
                                                                           ("heavy", "np-heavy")]  # fmt: skip
    assert all("astroMachine" not in q for q in body["workerQueues"])
    assert cli(astro, repo, example_secrets, "plan", "--exit-code").code == 0
    edit_file(repo, FILES.format("production"), "  executor: CELERY\n", "  executor: CELERY\n  scheduler_au: 12\n")
    commit_files(repo, {}, "bigger scheduler")
    plan = cli(astro, repo, example_secrets, "plan")
    assert "~ scheduler_au: 10 -> 12" in plan.out, plan.out + plan.err
    astro.admin("clear-log", {})
    applied(astro, repo, example_secrets)
    assert sent_to(astro, "production")["scheduler"] == {"au": 12, "replicas": 2}


@pytest.mark.parametrize(
    ("kind", "create_keeps_variables"),
    [("STANDARD", False), ("DEDICATED", False), ("HYBRID", False), ("STANDARD", True)],
)
def test_a_preview_is_placed_by_its_source_type_and_updated_in_full(
    astro: FakeAstro, repo: Path, example_secrets: dict[str, str], kind: str, create_keeps_variables: bool
) -> None:
    """Whether the public create takes environment variables is not established: either way the
    update after the create sends them all."""
    astro.admin("config", {"create_keeps_variables": create_keeps_variables})
    seed(astro, development={"type": kind, **PLACEMENT[kind], "workerQueues": queues(kind)})
    make_type(repo, "development", kind)
    commit_files(repo, {}, kind)
    git(repo, "checkout", "-q", "-b", "feature/x")
    astro.admin("clear-log", {})
    created = applied(astro, repo, example_secrets)
    assert "preview 'dev-feature-x' is HEALTHY" in created.err
    [create] = [e["body"] for e in astro.log() if e["method"] == "POST" and e["path"].endswith("/deployments")]
    assert create["type"] == kind
    if kind == "STANDARD":
        assert (create["cloudProvider"], create["region"]) == ("AWS", "us-east-1") and "clusterId" not in create
    else:
        assert create["clusterId"] == PLACEMENT[kind]["clusterId"]
        assert "cloudProvider" not in create and "region" not in create
    if kind == "HYBRID":
        assert create["scheduler"] == {"au": 10, "replicas": 2} and create["taskPodNodePoolId"] == "np-pods"
        assert [q["nodePoolId"] for q in create["workerQueues"]] == ["np-default"]
    first = sent_to(astro, "dev-feature-x")
    assert [q["name"] for q in first["workerQueues"]] == ["default"]
    assert {v["key"] for v in first["environmentVariables"]} == {"LOG_LEVEL", "OPENLINEAGE_NAMESPACE",
                                                                 "SLACK_WEBHOOK_URL"}  # fmt: skip
    edit_file(repo, FILES.format("development"), "LOG_LEVEL: DEBUG", "LOG_LEVEL: INFO")
    commit_files(repo, {}, "quieter")
    astro.admin("clear-log", {})
    applied(astro, repo, example_secrets)
    again = sent_to(astro, "dev-feature-x")
    assert [q["name"] for q in again["workerQueues"]] == ["default"] and again["type"] == kind
    assert {"key": "LOG_LEVEL", "isSecret": False, "value": "INFO"} in again["environmentVariables"]
    assert len(again["environmentVariables"]) == 3
    assert cli(astro, repo, example_secrets, "plan", "--exit-code").code == 0


def test_a_new_preview_is_awaited_and_a_wait_that_runs_out_says_so(
    astro: FakeAstro, repo: Path, example_secrets: dict[str, str]
) -> None:
    seed(astro)
    astro.admin("config", {"creating_reads": 2})
    git(repo, "checkout", "-q", "-b", "feature/x")
    waited = applied(astro, repo, {**example_secrets, "ASTRO_GITOPS_PREVIEW_POLL": "0"})
    assert "waiting for preview 'dev-feature-x': CREATING" in waited.err
    assert "preview 'dev-feature-x' is HEALTHY" in waited.err
    assert "reports no Airflow API URL" not in waited.err
    git(repo, "checkout", "-q", "-b", "feature/y")
    astro.admin("config", {"creating_reads": 1000})
    env = {**example_secrets, "ASTRO_GITOPS_PREVIEW_WAIT": "0"}
    late = cli(astro, repo, env, "apply", "--auto-approve")
    assert late.code == 1, late.out + late.err
    assert (
        "preview 'dev-feature-y' is not ready after 0 s (ASTRO_GITOPS_PREVIEW_WAIT): its status is CREATING" in late.err
    )
    assert "Traceback" not in late.err
    again = cli(astro, repo, example_secrets, "plan")
    assert "warning[pools-not-applied]: Deployment 'dev-feature-y' is CREATING and has no Airflow yet" in again.err
    git(repo, "checkout", "-q", "-b", "feature/z")
    astro.admin("clear-log", {})
    bad = cli(astro, repo, {**example_secrets, "ASTRO_GITOPS_PREVIEW_WAIT": "soon"}, "apply", "--auto-approve")
    assert bad.code == 1 and "ASTRO_GITOPS_PREVIEW_WAIT must be a number of seconds" in bad.err
    assert not astro.writes()


def test_a_type_the_api_cannot_change_is_refused_where_the_file_says_it(
    astro: FakeAstro, repo: Path, example_secrets: dict[str, str]
) -> None:
    seed(astro, production={"type": "DEDICATED", "clusterId": "clu-ded"})
    plan = cli(astro, repo, example_secrets, "plan")
    assert plan.code == 1
    assert re.search(
        r"^environments/deployments/production\.yaml:8:3: error\[deployment-type-differs\]: Deployment 'production' "
        r"is a DEDICATED Deployment in Astro, the repository says STANDARD",
        plan.err,
        re.M,
    ), plan.err
    assert not astro.writes()


def test_validate_refuses_a_setting_the_deployment_type_has_no_field_for(repo: Path) -> None:
    edit_file(repo, FILES.format("production"), "deployment_type: STANDARD", "deployment_type: DEDICATED")
    edit_file(repo, FILES.format("development"), "deployment_type: STANDARD", "deployment_type: HYBRID")
    result = run_cli("validate", cwd=repo)
    assert result.code == 1
    found = re.findall(r"^environments/deployments/(\w+)\.yaml:\d+:\d+: error\[setting-not-for-deployment-type\]: "
                       r"'(?:astro\.)?(\w+)'", result.out + result.err, re.M)  # fmt: skip
    assert ("production", "cloud_provider") in found and ("production", "region") in found
    assert ("development", "scheduler_size") in found and ("development", "hibernation_schedules") in found
    assert not [f for f in found if f[0] == "sandbox"]
    missing = r"development\.yaml:22:\d+: error\[queue-missing-field\]: worker queue 1 needs 'node_pool_id'"
    assert re.search(missing, result.out + result.err), result.out


@pytest.mark.airflow3_only
def test_a_new_previews_pools_are_applied_in_its_first_apply(
    repo: Path, airflow: AirflowServer, example_secrets: dict[str, str]
) -> None:
    with FakeAstro(token=airflow.token()) as server:
        seed(server)
        server.admin("config", {"creating_reads": 1, "new_airflow_url": f"{airflow.url}/api/v2"})
        git(repo, "checkout", "-q", "-b", "feature/x")
        first = applied(server, repo, {**example_secrets, "ASTRO_GITOPS_PREVIEW_POLL": "0"})
        assert "waiting for preview 'dev-feature-x': CREATING" in first.err
        assert re.search(r"^done: \+ pool \S+ \(deployment dev-feature-x\)", first.out, re.M), first.out
        assert "dev-feature-x' reports no Airflow API URL" not in first.err
        assert "No changes" in applied(server, repo, example_secrets).out
