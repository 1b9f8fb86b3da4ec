"""The local Astro API server (tests/support/astro_api/server.py) as a subprocess, and what tests ask of it.

`resolve_em` reads the server's unmasked store and resolves it with Environment Manager
semantics: what each Deployment gets (the object's fields, its link's override fields on top,
plus its Deployment-scoped objects), in the shape of an airflow_settings.yaml.
"""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.request
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from support.signed_markers import SEED_KEY, deployment_marker, workspace_id

SERVER = Path(__file__).resolve().parent / "astro_api" / "server.py"
TOKEN = "tok-Zt0k3nV4lu3-never-shown"
ORG = "org00000000000000000000001"
DEPLOYMENTS = ["production", "development", "sandbox"]  # the shipped example's, in its workspace "Data Platform"


class FakeAstro:
    """The server as a subprocess on a free port; `with FakeAstro() as server:` stops it at the end."""

    def __init__(self, page_size: int = 20, token: str = TOKEN, admin_timeout: float = 10.0) -> None:
        self.token = token
        self.page_size = page_size
        self.admin_timeout = admin_timeout
        self.proc = subprocess.Popen(
            [sys.executable, str(SERVER), "--port", "0", "--token", token, "--page-size", str(page_size)],
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        assert line.startswith("listening on "), line
        self.url = line.split()[-1]
        self.base = self.url.removesuffix("/v1")

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=10)
        if self.proc.stdout:
            self.proc.stdout.close()

    def __enter__(self) -> FakeAstro:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def reset(self, **config: Any) -> FakeAstro:
        """As if started afresh (empty store, log and faults; the default switches), then `config`'s switches."""
        self.admin("reset", {})
        defaults = {"page_size": self.page_size, "omitted_links": "clear", "omitted_fields": "keep"}
        self.admin("config", {**defaults, **config})
        return self

    def admin(self, path: str, body: Any = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        method = "GET" if body is None and path in ("log", "state") else "POST"
        request = urllib.request.Request(
            f"{self.base}/_admin/{path}", data=data or b"{}" if method == "POST" else None, method=method
        )
        with urllib.request.urlopen(request, timeout=self.admin_timeout) as response:
            return json.loads(response.read())

    def log(self) -> list[dict[str, Any]]:
        return self.admin("log")  # type: ignore[no-any-return]

    def writes(self) -> list[dict[str, Any]]:
        return [e for e in self.log() if e["method"] in ("POST", "DELETE", "PUT", "PATCH")]

    def state(self) -> dict[str, Any]:
        return self.admin("state")  # type: ignore[no-any-return]

    def seed(
        self,
        workspace: str,
        deployments: list[str],
        objects: list[dict[str, Any]] | None = None,
        owner: str | None = "data-platform",
        airflow_urls: Mapping[str, str] | None = None,
        key: str | None = SEED_KEY,
    ) -> None:
        """The workspace (its ID `signed_markers.workspace_id(workspace)`) and its Deployments,
        carrying `owner`'s marker signed with `key` (as after an adoption with that
        ASTRO_GITOPS_FINGERPRINT_KEY; None: an unsigned marker, as written without a key)."""
        ws_id = workspace_id(workspace)
        urls = airflow_urls or {}
        self.admin(
            "seed",
            {
                "workspaces": [{"name": workspace, "id": ws_id}],
                "deployments": [
                    {
                        "name": d,
                        "workspace": workspace,
                        "description": deployment_marker(owner, d, ws_id, key=key) if owner else "",
                        "webServerAirflowApiUrl": urls.get(d, ""),
                    }
                    for d in deployments
                ],
                "objects": objects or [],
            },
        )

    def env(self, **extra: str) -> dict[str, str]:
        return {"ASTRO_API_TOKEN": self.token, "ASTRO_API_URL": self.url, "ASTRO_ORGANIZATION_ID": ORG, **extra}


def applied_on_main(server: FakeAstro, root: Path, cli: Callable[..., Any]) -> Path:
    """`root` (a repository on main) applied, auto-approved, through `cli(server, root, *args)` to
    `server` seeded with workspace "Data Platform" and its development and production Deployments:
    the start of a test that changes something after a first apply."""
    server.seed("Data Platform", ["development", "production"])
    done = cli(server, root, "apply", "--auto-approve")
    assert done.code == 0, done.out + done.err
    return root


# --- fixtures (conftest.py registers them for every test module) --------------------------------


@pytest.fixture
def astro() -> Iterator[FakeAstro]:
    """A fresh server for one test."""
    with FakeAstro() as server:
        yield server


@pytest.fixture
def seeded(astro: FakeAstro) -> FakeAstro:
    """The fresh server holding the example's workspace and Deployments, marked as data-platform's."""
    astro.seed("Data Platform", DEPLOYMENTS)
    return astro


@pytest.fixture(scope="module")
def astro_server() -> Iterator[FakeAstro]:
    """One server for a whole test module: each test starts from `astro_server.reset(...)`."""
    with FakeAstro() as server:
        yield server


# --- Environment Manager semantics over the server's store ------------------------------------


def _conn_entry(key: str, fields: Mapping[str, Any]) -> dict[str, Any]:
    entry: dict[str, Any] = {"conn_id": key}
    for name in ("type", "host", "schema", "login", "password", "port", "extra"):
        if fields.get(name) not in (None, "", {}):
            entry[f"conn_{name}"] = fields[name]
    return entry


def resolve_em(state: Mapping[str, Any], deployment: str) -> dict[str, Any]:
    """What `deployment` gets from the store: {"connections": {...}, "variables": {...}}."""
    dep_id = next(d["id"] for d in state["deployments"] if d["name"] == deployment)
    got: dict[str, dict[str, Any]] = {"connections": {}, "variables": {}}
    for obj in state["objects"]:
        typed = "connection" if obj["objectType"] == "CONNECTION" else "airflowVariable"
        fields = dict(obj[typed])
        if obj["scope"] == "WORKSPACE":
            excluded = any(e["scopeEntityId"] == dep_id for e in obj["excludeLinks"])
            link = next((entry for entry in obj["links"] if entry["scopeEntityId"] == dep_id), None)
            if link is None and not (obj["autoLinkDeployments"] and not excluded):
                continue
            fields.update((link or {}).get("overrides") or {})
        elif obj["scopeEntityId"] != dep_id:
            continue
        if typed == "connection":
            got["connections"][obj["objectKey"]] = _conn_entry(obj["objectKey"], fields)
        else:
            got["variables"][obj["objectKey"]] = fields["value"]
    return got


def settings_view(text: str) -> dict[str, Any]:
    """An airflow_settings.yaml in the same shape as resolve_em's result."""
    from ruamel.yaml import YAML

    data = YAML(typ="safe").load(text)["airflow"]
    connections = {}
    for conn in data.get("connections") or []:
        entry = {k: v for k, v in conn.items() if v not in (None, "", {})}
        if isinstance(entry.get("conn_extra"), str):
            entry["conn_extra"] = json.loads(entry["conn_extra"])
        connections[conn["conn_id"]] = entry
    variables = {v["variable_name"]: v["variable_value"] for v in data.get("variables") or []}
    return {"connections": connections, "variables": variables}
