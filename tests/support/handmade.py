"""A team's hand-made Astro organization, for the import tests: what people build in the UI.

Links, an exclusion, link overrides (secret ones too), Deployment-scoped objects, secret
values everywhere Astro masks them, a variable holding Airflow's own Jinja, and a preview
(marked with its branch) that an import must leave out. Nothing carries our marker: the
organization has never been managed.
"""

from __future__ import annotations

from typing import Any

from support.astro_fake import FakeAstro

WORKSPACE = "Data Platform"
SECRET_VALUES = {  # what the team typed into the UI; never returned by a read
    "dev-Pa55word!",
    "prod-Pa55word!",
    "PRIVATEKEY-dev",
    "PRIVATEKEY-prod",
    "api-T0ken-xyz",
    "db-Pa55!",
}


def _conn(key: str, member: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"objectKey": key, "objectType": "CONNECTION", "connection": member, **extra}


def _var(key: str, member: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"objectKey": key, "objectType": "AIRFLOW_VARIABLE", "airflowVariable": member, **extra}


def _link(name: str, **fields: Any) -> dict[str, Any]:
    entry: dict[str, Any] = {"scope": "DEPLOYMENT", "scopeEntityId": name}
    if fields:
        entry["overrides"] = {"connection" if "value" not in fields else "airflowVariable": fields}
    return entry


def objects() -> list[dict[str, Any]]:
    ws = {"scope": "WORKSPACE", "scopeEntityId": WORKSPACE}
    return [
        _conn(
            "snowflake_default",
            {"type": "snowflake", "host": "ab12345.snowflakecomputing.com", "port": 443, "schema": "ANALYTICS",
             "login": "svc_dev", "password": "dev-Pa55word!",
             "extra": {"account": "ab12345", "database": "DEV", "private_key": "PRIVATEKEY-dev"}},
            description="Shared warehouse", autoLinkDeployments=True,
            excludeLinks=[{"scope": "DEPLOYMENT", "scopeEntityId": "sandbox"}],
            links=[_link("production", login="svc_prod", password="prod-Pa55word!",
                         extra={"account": "ab12345", "database": "PROD", "private_key": "PRIVATEKEY-prod"})],
            **ws,
        ),
        _conn(
            "partner_api", {"type": "http", "host": "https://sandbox.partner.example"},
            links=[_link("production", host="https://api.partner.example"), _link("development")], **ws,
        ),
        _var("data_bucket", {"value": "s3://dev-bucket"}, description="Landing bucket", autoLinkDeployments=True,
             links=[_link("production", value="s3://prod-bucket")], **ws),
        _var("partner_token", {"value": "api-T0ken-xyz", "isSecret": True}, links=[_link("production")], **ws),
        _var("report_sql", {"value": "SELECT * FROM t WHERE ds = '{{ ds }}'"}, autoLinkDeployments=True, **ws),
        _conn("orders_db", {"type": "postgres", "host": "orders.prod.internal", "login": "app",
                            "password": "db-Pa55!", "port": 5432},
              description="Production only", scope="DEPLOYMENT", scopeEntityId="production"),
        _var("dev_flag", {"value": "on"}, scope="DEPLOYMENT", scopeEntityId="development"),
    ]  # fmt: skip


def seed_handmade(astro: FakeAstro) -> None:
    """The organization, as a team left it after months in the UI."""
    deployments = [
        {"name": "production", "workspace": WORKSPACE, "description": "Production", "schedulerSize": "MEDIUM",
         "isHighAvailability": True, "contactEmails": ["data-oncall@example.com"],
         "workerQueues": [
             {"name": "default", "isDefault": True, "astroMachine": "A10", "minWorkerCount": 1,
              "maxWorkerCount": 10, "workerConcurrency": 10},
             {"name": "heavy", "isDefault": False, "astroMachine": "A20", "minWorkerCount": 0,
              "maxWorkerCount": 4, "workerConcurrency": 2, "podEphemeralStorage": "20Gi"}],
         "environmentVariables": [{"key": "LOG_LEVEL", "isSecret": False, "value": "INFO"},
                                  {"key": "PARTNER_API_TOKEN", "isSecret": True, "value": "env-S3cret"}]},
        {"name": "development", "workspace": WORKSPACE, "description": "", "isDevelopmentMode": True,
         "executor": "ASTRO", "defaultTaskPodCpu": "0.5", "defaultTaskPodMemory": "1Gi",
         "scalingSpec": {"hibernationSpec": {"schedules": [
             {"hibernateAtCron": "0 20 * * 1-5", "wakeAtCron": "0 7 * * 1-5", "isEnabled": True,
              "description": "nights"}]}}},
        {"name": "sandbox", "workspace": WORKSPACE, "description": "Try things"},
        {"name": "dev-feature-x", "workspace": WORKSPACE,
         "description": "[astro-gitops owner=data-platform branch=feature/x]"},
    ]  # fmt: skip
    astro.admin("seed", {"workspaces": [{"name": WORKSPACE}], "deployments": deployments, "objects": objects()})
