"""A real Apache Airflow 3 API server for tests: started once per test session (per xdist worker).

Airflow lives in its own interpreter (its dependency set is large and pinned), named by
ASTRO_GITOPS_AIRFLOW_PYTHON. Without it a test that needs Airflow is skipped on a
workstation and FAILS under CI=true, so the proof on real Airflow can never silently
disappear there (.ci/run builds that interpreter).

The server runs `airflow api-server` on a free loopback port with its own AIRFLOW_HOME in a
temporary folder, SQLite (`airflow db migrate`), and the simple auth manager with one known
admin user. This module talks to it with the standard library only, so what the tests read
back never goes through the client under test.
"""

from __future__ import annotations

import base64
import json
import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

USER = "gitops-admin"
PASSWORD = "real-airflow-test-password"
START_TIMEOUT = 180.0
SIMPLE_AUTH_MANAGER = "airflow.api_fastapi.auth.managers.simple.simple_auth_manager.SimpleAuthManager"
RESULT_MARKER = "ASTRO-GITOPS-AIRFLOW-RESULT "


# Install Airflow as .ci/run does, pinned by the repository's constraints (Python 3.11):
INSTALL = (
    'python3.11 -m venv ~/airflow3 && ~/airflow3/bin/pip install "apache-airflow==3.1.8" '
    "--constraint constraints/constraints-3.1.8/constraints-3.11.txt "
    "&& export ASTRO_GITOPS_AIRFLOW_PYTHON=~/airflow3/bin/python"
)
# A fixed Fernet key (urlsafe base64 of 32 bytes): connection passwords and extras are stored
# encrypted, as in every real Airflow, so a cryptography release that breaks Airflow's
# encryption (3.1.8 with cryptography 46 or later) fails the tests instead of passing unseen.
FERNET_KEY = base64.urlsafe_b64encode(b"astro-gitops-tests-fernet-key-32").decode()


def airflow_python() -> str:
    """The interpreter with apache-airflow installed; fails under CI=true, else skips, when unset."""
    found = os.environ.get("ASTRO_GITOPS_AIRFLOW_PYTHON", "")
    if found:
        return found
    if os.environ.get("CI") == "true":
        pytest.fail(
            f"CI=true but ASTRO_GITOPS_AIRFLOW_PYTHON is not set: the real-Airflow tests must run in CI (.ci/run: {INSTALL})"
        )
    pytest.skip(f"set ASTRO_GITOPS_AIRFLOW_PYTHON to a Python with apache-airflow installed: {INSTALL}")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def airflow2_python() -> str | None:
    """An interpreter with Airflow 2 (2.7 or later), opted into by ASTRO_GITOPS_AIRFLOW2_PYTHON."""
    return os.environ.get("ASTRO_GITOPS_AIRFLOW2_PYTHON") or None


def airflow_env(home: Path, major: int = 3) -> dict[str, str]:
    """The environment every Airflow process of one server shares (same database, same Fernet key)."""
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(home),
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__LOGGING__LOGGING_LEVEL": "ERROR",
        "AIRFLOW__CORE__FERNET_KEY": FERNET_KEY,
        "PYTHONWARNINGS": "ignore",
    }
    if major >= 3:  # the simple auth manager with one known admin
        env["AIRFLOW__CORE__AUTH_MANAGER"] = SIMPLE_AUTH_MANAGER
        env["AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS"] = f"{USER}:admin"
        env["AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE"] = str(home / "passwords.json")
    else:  # the FAB user database; the REST API takes basic auth
        env["AIRFLOW__API__AUTH_BACKENDS"] = "airflow.api.auth.backend.basic_auth"
        env["AIRFLOW__WEBSERVER__SECRET_KEY"] = "astro-gitops-tests"
    return env


@dataclass
class AirflowServer:
    """A running `airflow api-server`: its URL, home, interpreter, and a standard-library REST reader."""

    python: str
    home: Path
    port: int
    major: int = 3
    startup_seconds: float = 0.0
    process: subprocess.Popen[bytes] | None = None
    _token: str = field(default="", repr=False)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def env(self) -> dict[str, str]:
        return airflow_env(self.home, self.major)

    @property
    def api(self) -> str:
        return "/api/v2" if self.major >= 3 else "/api/v1"

    @property
    def credentials(self) -> dict[str, str]:
        """The environment that lets astro-gitops log in as the known user."""
        return {"AIRFLOW_USERNAME": USER, "AIRFLOW_PASSWORD": PASSWORD}

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self) -> None:
        began = time.monotonic()
        self.home.mkdir(parents=True, exist_ok=True)
        (self.home / "passwords.json").write_text(json.dumps({USER: PASSWORD}), encoding="utf-8")
        self._airflow("db", "migrate")
        if self.major < 3:
            self._airflow("users", "create", "--username", USER, "--password", PASSWORD, "--role", "Admin",
                          "--firstname", "Astro", "--lastname", "Gitops", "--email", "gitops@example.com")  # fmt: skip
        command = "api-server" if self.major >= 3 else "webserver"
        log = (self.home / "api-server.log").open("wb")
        self.process = subprocess.Popen(
            [self.python, "-m", "airflow", command, "-H", "127.0.0.1", "-p", str(self.port), "-w", "1"],
            env=self.env,
            cwd=self.home,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: stop() ends the server and its workers
        )
        log.close()
        self._wait_healthy(began)
        self.startup_seconds = time.monotonic() - began

    def _airflow(self, *args: str) -> None:
        done = subprocess.run(
            [self.python, "-m", "airflow", *args],
            env=self.env,
            cwd=self.home,
            capture_output=True,
            text=True,
            timeout=START_TIMEOUT,
            check=False,
        )
        if done.returncode != 0:
            pytest.fail(f"airflow {' '.join(args[:2])} failed:\n{done.stdout[-2000:]}\n{done.stderr[-3000:]}")

    def _wait_healthy(self, began: float) -> None:
        assert self.process is not None
        while time.monotonic() - began < START_TIMEOUT:
            if self.process.poll() is not None:
                pytest.fail(f"airflow api-server exited with {self.process.returncode}:\n{self.log_tail()}")
            try:
                health = "/api/v2/monitor/health" if self.major >= 3 else "/api/v1/health"
                with urllib.request.urlopen(f"{self.url}{health}", timeout=2) as response:
                    if json.load(response)["metadatabase"]["status"] == "healthy":
                        return
            except (OSError, ValueError, KeyError):
                pass
            time.sleep(0.2)
        self.stop()
        pytest.fail(f"airflow api-server not healthy after {START_TIMEOUT:.0f} s:\n{self.log_tail()}")

    def __enter__(self) -> AirflowServer:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        try:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=20)
        except ProcessLookupError:
            pass

    def log_tail(self) -> str:
        path = self.home / "api-server.log"
        return path.read_text(encoding="utf-8", errors="replace")[-4000:] if path.exists() else ""

    # -- a REST reader that is not the client under test ---------------------------------------

    def token(self) -> str:
        if not self._token:
            body = self.request("POST", "/auth/token", {"username": USER, "password": PASSWORD}, auth=False)
            self._token = body["access_token"]
        return self._token

    def request(self, method: str, path: str, body: Any = None, *, auth: bool = True) -> Any:
        """One JSON request; returns the decoded body (None for an empty one); raises on HTTP errors."""
        headers = {"Accept": "application/json"}
        if body is not None:  # Airflow 2 (Flask) refuses a JSON content type without a body
            headers["Content-Type"] = "application/json"
        if auth and self.major >= 3:
            headers["Authorization"] = f"Bearer {self.token()}"
        elif auth:
            headers["Authorization"] = "Basic " + base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(f"{self.url}{path}", data=data, method=method, headers=headers)
        try:
            with urllib.request.urlopen(req, timeout=30) as response:
                raw = response.read()
        except urllib.error.HTTPError as exc:
            raise AssertionError(f"{method} {path}: HTTP {exc.code}: {exc.read()[:2000]!r}") from None
        return json.loads(raw) if raw else None

    def list(self, kind: str) -> list[dict[str, Any]]:
        """Every connection, variable or pool (`kind` is the collection name), all pages."""
        items: list[dict[str, Any]] = []
        while True:
            page = self.request("GET", f"{self.api}/{kind}?limit=100&offset={len(items)}")
            items += page[kind]
            if not page[kind] or len(items) >= page["total_entries"]:
                return items

    def reset(self) -> None:
        """Back to a fresh Airflow: no connection, no variable, default_pool only (with its 128 slots)."""
        for item in self.list("connections"):
            self.request("DELETE", f"{self.api}/connections/{_quote(item['connection_id'])}")
        for item in self.list("variables"):
            self.request("DELETE", f"{self.api}/variables/{_quote(item['key'])}")
        for item in self.list("pools"):
            if item["name"] != "default_pool":
                self.request("DELETE", f"{self.api}/pools/{_quote(item['name'])}")
        # Airflow 3 (FastAPI) takes update_mask repeated; Airflow 2 (connexion) one comma-separated value,
        # and silently ignores a repeated one.
        mask = (
            "update_mask=slots&update_mask=include_deferred"
            if self.major >= 3
            else "update_mask=slots,include_deferred"
        )
        self.request(
            "PATCH",
            f"{self.api}/pools/default_pool?{mask}",
            {"name": "default_pool", "slots": 128, "include_deferred": False},
        )

    def run_python(self, script: str, stdin: Any = None) -> Any:
        """Run `script` with the Airflow interpreter on this server's home (see run_airflow_script)."""
        return run_airflow_script(self.python, script, self.home, stdin, major=self.major)


def run_airflow_script(python: str, script: str, home: Path, stdin: Any = None, *, major: int = 3) -> Any:
    """Run `script` with the Airflow interpreter `python` on the Airflow home `home`, `stdin` as JSON
    on its standard input; the script prints RESULT_MARKER + JSON, and that value is returned."""
    home.mkdir(parents=True, exist_ok=True)
    proc = subprocess.run(
        [python, "-c", script],
        input=json.dumps(stdin),
        env=airflow_env(home, major),
        cwd=home,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    lines = [line for line in proc.stdout.splitlines() if line.startswith(RESULT_MARKER)]
    assert proc.returncode == 0 and lines, f"the Airflow script failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    return json.loads(lines[-1][len(RESULT_MARKER) :])


def _quote(key: str) -> str:
    from urllib.parse import quote

    return quote(key, safe="")
