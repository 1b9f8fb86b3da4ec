"""What we render loads into real Apache Airflow (SPEC 5.1): every connection, variable and pool.

Airflow lives in its own interpreter (its dependency set is large and pinned), named by
ASTRO_GITOPS_AIRFLOW_PYTHON. Without it the test is skipped on a workstation and fails in
CI (CI=true), so the interoperability proof can never silently disappear there. All
objects go to one Airflow process: importing Airflow takes seconds.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from conftest import run_cli
from ruamel.yaml import YAML
from support.realairflow import airflow_python, run_airflow_script

CASES = Path(__file__).parent / "cases" / "render"

# Runs inside the Airflow interpreter: reads the objects as JSON on stdin, prints one result line
# (realairflow.RESULT_MARKER + JSON).
CHECK = r"""
import json, sys
from airflow.models.connection import Connection
from airflow.models.pool import Pool
from airflow.models.variable import Variable
from airflow.utils.helpers import validate_key

FIELDS = ("conn_id", "conn_type", "host", "schema", "login", "password", "port", "extra_dejson")
payload = json.load(sys.stdin)
problems = []


def check_connection(item):
    validate_key(item["conn_id"], max_length=200)
    extra = item.get("extra")
    conn = Connection(
        conn_id=item["conn_id"], conn_type=item.get("conn_type"), host=item.get("host"), schema=item.get("schema"),
        login=item.get("login"), password=item.get("password"), port=item.get("port"), extra=extra,
    )
    if extra is not None and conn.extra_dejson != json.loads(extra):
        raise AssertionError(f"extra_dejson {conn.extra_dejson!r} != {extra!r}")
    back = Connection.from_json(conn.as_json(), conn_id=conn.conn_id)
    for field in FIELDS:
        if getattr(back, field) != getattr(conn, field):
            raise AssertionError(f"{field} does not survive as_json/from_json: {getattr(conn, field)!r} -> {getattr(back, field)!r}")
    for field in ("host", "schema", "login", "password", "port"):
        if getattr(conn, field) != item.get(field):
            raise AssertionError(f"{field} changed on the way in: {item.get(field)!r} -> {getattr(conn, field)!r}")


def check_variable(item):
    validate_key(item["key"], max_length=250)
    if not isinstance(item["value"], str):
        raise AssertionError(f"value is {type(item['value']).__name__}, not str")
    variable = Variable(key=item["key"], val=item["value"], description=item.get("description"))
    if variable.val != item["value"]:
        raise AssertionError("value changed")


def check_pool(item):
    if not isinstance(item["slots"], int) or item["slots"] < -1:
        raise AssertionError(f"slots {item['slots']!r}")
    Pool(pool=item["name"], slots=item["slots"], description=item.get("description"), include_deferred=False)


CHECKS = {"connection": check_connection, "variable": check_variable, "pool": check_pool}
counts = {kind: 0 for kind in CHECKS}
for item in payload:
    try:
        CHECKS[item["kind"]](item)
        counts[item["kind"]] += 1
    except Exception as exc:
        problems.append(f"{item['where']}: {type(exc).__name__}: {exc}")
print("ASTRO-GITOPS-AIRFLOW-RESULT " + json.dumps({"counts": counts, "problems": problems}))
"""


def _settings_objects(path: Path, label: str) -> list[dict[str, Any]]:
    """The entries of one airflow_settings.yaml, read as the Astro CLI reads them (YAML, then fields)."""
    data = YAML(typ="safe", pure=True).load(path.read_text(encoding="utf-8"))["airflow"]
    objects: list[dict[str, Any]] = []
    for c in data["connections"]:
        extra = c.get("conn_extra")
        assert c.get("conn_port") is None or isinstance(c["conn_port"], int), f"{label}: conn_port must be an integer"
        objects.append(
            {
                "kind": "connection",
                "where": f"{label} connection {c['conn_id']}",
                "conn_id": c["conn_id"],
                "conn_type": c.get("conn_type"),
                **{field: c.get(f"conn_{field}") for field in ("host", "schema", "login", "password", "port")},
                "extra": json.dumps(extra) if isinstance(extra, dict) else extra,
            }
        )
    for v in data["variables"]:
        objects.append(
            {
                "kind": "variable",
                "where": f"{label} variable {v['variable_name']}",
                "key": v["variable_name"],
                "value": v["variable_value"],
            }
        )
    for p in data["pools"]:
        objects.append(
            {
                "kind": "pool",
                "where": f"{label} pool {p['pool_name']}",
                "name": p["pool_name"],
                "slots": p["pool_slot"],
                "description": p.get("pool_description"),
            }
        )
    return objects


def _environment_objects(path: Path, label: str) -> list[dict[str, Any]]:
    """Each connection of environment-objects.json, and as each link override makes it."""
    objects = []
    for request in json.loads(path.read_text(encoding="utf-8")):
        if request["objectType"] != "CONNECTION":
            continue
        variants = [("", request["connection"])]
        variants += [
            (f" link {link['scopeEntityId']}", {**request["connection"], **link["overrides"]["connection"]})
            for link in request.get("links", [])
            if "overrides" in link
        ]
        for suffix, connection in variants:
            extra = connection.get("extra")
            objects.append(
                {
                    "kind": "connection",
                    "where": f"{label} {request['objectKey']}{suffix}",
                    "conn_id": request["objectKey"],
                    "conn_type": connection.get("type"),
                    **{field: connection.get(field) for field in ("host", "schema", "login", "password", "port")},
                    "extra": None if extra is None else json.dumps(extra),
                }
            )
    return objects


def test_rendered_objects_load_into_airflow(
    example_repo: Path, example_secrets: dict[str, str], tmp_path: Path
) -> None:
    python = airflow_python()
    out = tmp_path / "out"
    rendered = run_cli("render", "--all", "--secrets", "env", "--out", str(out), cwd=example_repo, env=example_secrets)
    assert rendered.code == 0, rendered.err
    preview = run_cli(
        "render",
        "--branch",
        "feature/Airflow_Check",
        "--secrets",
        "env",
        "--out",
        str(out),
        cwd=example_repo,
        env=example_secrets,
    )
    assert preview.code == 0, preview.err

    objects: list[dict[str, Any]] = []
    for path in sorted(out.glob("*/airflow_settings.yaml")):
        objects += _settings_objects(path, path.parent.name)
    objects += _environment_objects(out / "environment-objects.json", "environment-objects.json")
    for path in sorted(CASES.glob("*/expected/**/airflow_settings.yaml")):
        objects += _settings_objects(path, str(path.relative_to(CASES)))
    for path in sorted(CASES.glob("*/expected/environment-objects.json")):
        objects += _environment_objects(path, str(path.relative_to(CASES)))

    deployments = {p.parent.name for p in out.glob("*/airflow_settings.yaml")}
    assert deployments == {"development", "production", "sandbox", "dev-feature-airflow-check"}
    result = run_airflow_script(python, CHECK, tmp_path / "airflow-home", objects)
    assert result["problems"] == []
    expected = {kind: sum(o["kind"] == kind for o in objects) for kind in ("connection", "variable", "pool")}
    assert result["counts"] == expected
    assert expected["connection"] >= 20  # the example and the cases, not an empty run
