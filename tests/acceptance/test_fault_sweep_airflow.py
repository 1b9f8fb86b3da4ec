"""A fault at every write position of `apply --airflow` (SPEC 7.6, issue 21), against a real Airflow 3.

The fault proxy of tests/support/fault_proxy.py stands between the installed command and the
real Airflow API server of realairflow.py and meets one write with one fault: a 500, the
connection dropped before the write reaches Airflow or after Airflow did it, a 409, a one-day
Retry-After, an answer slower than ASTRO_GITOPS_HTTP_TIMEOUT. Two commits, A and B, differ by a
create, an update and a delete of each kind (connection, variable, pool); each step applies the
other commit with the fault at the first write of one class (kind and operation), so nine steps
walk A -> B -> A ... and meet every class once per fault.

At each step: the apply stops at the failed write (exit 1, a message naming the object, no write
after it), or, for a create whose fate the client settles by looking the key up, gets past it
(exit 0); no secret is printed; a second apply converges (exit 0, then `plan --exit-code` is 0);
and the connection passwords Airflow stores, read from its database with its own Fernet key,
are the ones git names: none lost or blanked. Airflow keys are unique, so no duplicate can exist.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from conftest import EXAMPLE, Run, example_secret_names, git, run_cli, set_sync_owner, write_files
from ruamel.yaml import YAML
from support.fault_proxy import FAULTS, FaultProxy, Write
from support.realairflow import FERNET_KEY, RESULT_MARKER, AirflowServer

pytestmark = pytest.mark.airflow3_only

DEPLOYMENT = "production"
OWNER = "data-platform"
KEY = "fingerprint-key-for-tests"
TIMEOUT = 2  # ASTRO_GITOPS_HTTP_TIMEOUT, seconds
SLOW = 4.0  # the slow fault answers after this many seconds: the client has given up
CLASSES = [(kind, op) for kind in ("connection", "variable", "pool") for op in ("create", "update", "delete")]
SETTLED_CREATES = {"500", "dropped-before", "dropped-after", "slow"}  # looked up, then made or found ours
COLLECTIONS = {"connections": "connection", "variables": "variable", "pools": "pool"}
SECRETS = {name: f"fake-{name.lower()}-'q' \"dq\" #: \\ é" for name in example_secret_names()}

# Commit B: one create, one update and one delete of each kind for production, against commit A (the example).
FTP = """connections:
  ftp_backup:
    type: ftp
    host: ftp.example.com
    login: backup
    password: {secret: SCRATCH_DB_PASSWORD}
    links: [production]
"""
B_EDITS = [
    ("environments/deployments/production.yaml", "      login: svc_prod\n", "      login: svc_prod2\n"),
    ("environments/deployments/production.yaml", "      value: s3://acme-data-prod\n", "      value: s3://acme-data-prod2\n"),
    ("environments/deployments/production.yaml", "  backfill_pool:\n    slots: 2\n", "  backfill_pool:\n    slots: 3\n"),
    ("environments/deployments/production.yaml",
     "    aws_default:\n      extra:\n        role_arn: arn:aws:iam::111111111111:role/airflow-production\n", ""),
    ("environments/variables.yaml",
     "  environment_name:\n    value: \"{{ deployment.name }}\"\n    description: Name of the Deployment the DAGs run in\n"
     "    links: all\n",
     "  retention_days:\n    value: \"30\"\n    links: all\n"),
    ("environments/pools.yaml",
     "  snowflake_pool:\n    slots: 8\n    description: Limit concurrent queries on the production warehouse\n"
     "    include_deferred: false\n    links: [production]\n",
     "  hotfix_pool:\n    slots: 1\n    links: [production]\n"),
    ("environments/connections/aws.yaml", "    links: all\n", "    links: all\n    exclude: [production]\n"),
]  # fmt: skip

# Run with the Airflow interpreter: every connection's password as Airflow stores it, decrypted.
PASSWORDS = f"""
import json, os, sqlite3
from cryptography.fernet import Fernet
fernet = Fernet({FERNET_KEY!r}.encode())
db = sqlite3.connect(os.path.join(os.environ["AIRFLOW_HOME"], "airflow.db"))
out = {{}}
for conn_id, password, encrypted in db.execute("SELECT conn_id, password, is_encrypted FROM connection"):
    out[conn_id] = fernet.decrypt(password.encode()).decode() if encrypted and password else password
print({RESULT_MARKER!r} + json.dumps(out))
"""


@dataclass(frozen=True)
class Sweep:
    """The repository (branch main at commit A or B), the proxy, and what each commit's apply does."""

    repo: Path
    proxy: FaultProxy
    airflow: AirflowServer
    commits: dict[str, str]  # "A"/"B" -> commit id
    writes: dict[str, list[tuple[str, str]]]  # target commit -> the (kind, op) of each write applying it
    passwords: dict[str, dict[str, str | None]]  # target commit -> conn_id -> password git names


def _class(write: Write) -> tuple[str, str]:
    parts = write.path.split("/")  # /api/v2/connections[/key]
    kind = COLLECTIONS.get(parts[3], parts[3]) if len(parts) > 3 else write.path
    if len(parts) > 4 and parts[4].startswith("astro_gitops_ledger_"):
        kind = "ledger"
    return kind, {"POST": "create", "PATCH": "update", "DELETE": "delete"}.get(write.method, write.method)


def _cli(sweep: Sweep, command: str, *more: str) -> Run:
    env = {**SECRETS, **sweep.airflow.credentials, "ASTRO_GITOPS_FINGERPRINT_KEY": KEY,
           "ASTRO_GITOPS_HTTP_TIMEOUT": str(TIMEOUT)}  # fmt: skip
    args = (command, "--deployment", DEPLOYMENT, "--airflow", sweep.proxy.url, *more)
    return run_cli(*args, *(("--auto-approve",) if command == "apply" else ()), cwd=sweep.repo, env=env)


def _at(sweep: Sweep, commit: str) -> None:
    git(sweep.repo, "reset", "-q", "--hard", sweep.commits[commit])


def _applied(sweep: Sweep) -> Run:
    sweep.proxy.clear()
    done = _cli(sweep, "apply")
    assert done.code == 0, done.out + done.err
    return done


def _passwords(repo: Path, tmp: Path) -> dict[str, str | None]:
    out = tmp / "render"
    done = run_cli("render", "--deployment", DEPLOYMENT, "--secrets", "env", "--out", str(out), cwd=repo, env=SECRETS)
    assert done.code == 0, done.err
    settings = YAML(typ="safe", pure=True).load((out / DEPLOYMENT / "airflow_settings.yaml").read_text())
    shutil.rmtree(out)
    return {c["conn_id"]: c.get("conn_password") for c in settings["airflow"]["connections"]}


@pytest.fixture(scope="module")
def sweep(airflow_server: AirflowServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sweep]:
    tmp = tmp_path_factory.mktemp("airflow-sweep")
    repo = tmp / "repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    shutil.copytree(EXAMPLE, repo / "environments")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "environments")
    set_sync_owner(repo, OWNER)
    commits = {"A": git(repo, "rev-parse", "HEAD").strip()}
    passwords = {"A": _passwords(repo, tmp)}
    for relative, old, new in B_EDITS:
        text = (repo / relative).read_text(encoding="utf-8")
        assert text.count(old) == 1, (relative, old)
        (repo / relative).write_text(text.replace(old, new), encoding="utf-8")
    write_files(repo, {"environments/connections/ftp.yaml": FTP})
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "B")
    commits["B"] = git(repo, "rev-parse", "HEAD").strip()
    passwords["B"] = _passwords(repo, tmp)
    airflow_server.reset()
    with FaultProxy(airflow_server.url, slow_seconds=SLOW) as proxy:
        made = Sweep(repo, proxy, airflow_server, commits, {}, passwords)
        _at(made, "A")
        _applied(made)
        for target in ("B", "A"):  # the writes of each direction, in the order the apply makes them
            _at(made, target)
            _applied(made)
            made.writes[target] = [_class(w) for w in proxy.writes]
            assert set(CLASSES) <= set(made.writes[target]), made.writes[target]
        yield made


def _stored_passwords(airflow: AirflowServer) -> dict[str, Any]:
    found: dict[str, Any] = airflow.run_python(PASSWORDS)
    return found


@pytest.mark.parametrize("fault", FAULTS)
def test_a_fault_at_every_write_class_of_an_airflow_apply_stops_it_and_the_next_apply_converges(
    sweep: Sweep, fault: str
) -> None:
    sweep.airflow.reset()
    _at(sweep, "A")
    _applied(sweep)
    current = "A"
    for kind, op in CLASSES:
        target = "B" if current == "A" else "A"
        _at(sweep, target)
        position = sweep.writes[target].index((kind, op))
        sweep.proxy.arm(fault, position)
        first = _cli(sweep, "apply")
        where = (fault, kind, op, first.out, first.err)
        met = sweep.proxy.writes
        assert met[position].fault == fault and _class(met[position]) == (kind, op), where
        assert "Traceback" not in first.err and "internal error" not in first.err, where
        if op == "create" and fault in SETTLED_CREATES:
            assert first.code == 0, where  # the create was looked up: made once, or found ours
        else:
            assert first.code == 1, where
            assert len(met) == position + 1, where  # stopped at the failed write: none after it
            symbol = {"create": "+", "update": "~", "delete": "-"}[op]
            failed = [line for line in first.out.splitlines() if line.startswith("failed: ")]
            assert len(failed) == 1 and failed[0].startswith(f"failed: {symbol} {kind} "), where
            assert "Apply failed: " in first.out, where
        printed = first.out + first.err
        assert not [name for name, value in SECRETS.items() if value in printed], where
        assert sweep.airflow.credentials["AIRFLOW_PASSWORD"] not in printed

        again = _applied(sweep)
        assert "Apply complete" in again.out or "No changes" in again.out, where
        quiet = _cli(sweep, "plan", "--exit-code")
        assert quiet.code == 0, (fault, kind, op, quiet.out, quiet.err)
        stored = _stored_passwords(sweep.airflow)
        assert set(stored) - {"absent"} == set(sweep.passwords[target]), (fault, kind, op, stored)
        for conn_id, password in sweep.passwords[target].items():  # none lost, none blanked
            assert stored.get(conn_id, "absent") == password, (fault, kind, op, conn_id)
        current = target
