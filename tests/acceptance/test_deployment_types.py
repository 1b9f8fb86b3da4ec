"""Deployments of every type (STANDARD, DEDICATED, HYBRID) against the local Astro API server,
through the installed command: request bodies per union member, live values read under the
response type's names, unmanaged fields carried over, previews placed by the source's type
(../shared/handed/contract.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from conftest import commit_files, edit_file
from support.astro_fake import FakeAstro

from acceptance.test_sync_apply import applied, cli

MARKER = "[astro-gitops owner=data-platform]"
FILES = "environments/deployments/{}.yaml"


def seed(server: FakeAstro, **by_name: dict[str, Any]) -> None:
    """The example's workspace with production, development and sandbox; `by_name` adds fields."""
    names = ("production", "development", "sandbox")
    deployments = [
        {"name": n, "workspace": "Data Platform", "description": MARKER, **by_name.get(n, {})} for n in names
    ]
    server.admin("seed", {"workspaces": [{"name": "Data Platform"}], "deployments": deployments})


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
