"""Every answer, every file, every variable and every git layout is input (issue 21, K3, K4, O1,
O2): a bad one is a clear message and exit 1 (or 2), never exit 70, and a hostile server gets no
unbounded time, memory or pages. Through the installed command against the local Astro API
server's hostile answers (tests/support/astro_api/hostile.py), which also stands in for an
Airflow REST API where a test needs one to misbehave.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from conftest import Run, git, run_cli
from support.astro_fake import FakeAstro

from acceptance.test_sync_apply import KEY, applied, cli

ALL = 1_000_000
WORKSPACES = "/workspaces$"


def no_crash(result: Run, code: int = 1) -> None:
    assert result.code == code, (result.code, result.out, result.err)
    assert "internal error" not in result.err and "Traceback" not in result.err


@pytest.mark.parametrize(
    "answer",
    [
        {"nest": 200_000},
        {"reply": {"body": ["array"]}},
        {"reply": {"body": {"workspaces": "x"}}},
        {"reply": {"body": {"workspaces": [["x"]]}}},
        {"reply": {"body": {"workspaces": [{"id": 7, "name": "Data Platform"}], "totalCount": 1}}},
        {"reply": {"body": {"workspaces": [], "totalCount": "many"}}},
    ],
)
def test_a_malformed_workspace_list_is_a_message(
    seeded: FakeAstro, repo: Path, example_secrets: dict[str, str], answer: dict[str, Any]
) -> None:
    seeded.admin("fault", {"method": "GET", "path": WORKSPACES, "count": ALL, **answer})
    no_crash(cli(seeded, repo, example_secrets, "plan"))


@pytest.mark.parametrize(
    "item",
    [
        {"objectKey": None},
        {"objectKey": 5},
        {"scope": ["WORKSPACE"]},
        {"links": {"a": 1}},
        {"links": [{"scopeEntityId": None}]},
        {"airflowVariable": ["x"]},
        {"description": 3},
    ],
)
def test_a_malformed_environment_object_is_a_message(
    seeded: FakeAstro, repo: Path, example_secrets: dict[str, str], item: dict[str, Any]
) -> None:
    ws = seeded.state()["workspaces"][0]["id"]
    good = {"id": "eo1", "objectKey": "data_bucket", "objectType": "AIRFLOW_VARIABLE", "scope": "WORKSPACE",
            "scopeEntityId": ws, "airflowVariable": {"value": "v"}}  # fmt: skip
    page = {"environmentObjects": [{**good, **item}], "totalCount": 1}
    seeded.admin("fault", {"method": "GET", "path": "environment-objects$", "reply": {"body": page}, "count": ALL})
    no_crash(cli(seeded, repo, example_secrets, "plan"))


def test_a_deployment_create_answered_with_a_list_is_a_message(
    seeded: FakeAstro, repo: Path, example_secrets: dict[str, str]
) -> None:
    applied(seeded, repo, example_secrets)
    git(repo, "checkout", "-q", "-b", "feature/list")
    seeded.admin("fault", {"method": "POST", "path": "/deployments$", "reply": {"body": [{"id": "x"}]}})
    result = cli(seeded, repo, example_secrets, "apply", "--auto-approve")
    no_crash(result)
    assert "not an object" in result.out


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("ASTRO_API_TOKEN", "tøken-with-ø"),
        ("ASTRO_API_TOKEN", "tok\nen"),
        ("ASTRO_GITOPS_FINGERPRINT_KEY", "key-\udcff-not-utf-8-text"),
        ("ASTRO_GITOPS_FINGERPRINT_KEY", "k"),
        ("ASTRO_GITOPS_HTTP_TIMEOUT", "inf"),
        ("ASTRO_GITOPS_HTTP_TIMEOUT", "nan"),
        ("ASTRO_GITOPS_HTTP_TIMEOUT", "-1"),
        ("ASTRO_GITOPS_HTTP_MAX_BYTES", "lots"),
    ],
)
def test_a_bad_variable_is_a_message(
    seeded: FakeAstro, repo: Path, example_secrets: dict[str, str], variable: str, value: str
) -> None:
    env = {**seeded.env(**example_secrets), "ASTRO_GITOPS_FINGERPRINT_KEY": KEY, variable: value}
    result = run_cli("plan", cwd=repo, env=env)
    no_crash(result)
    assert variable in result.err


# --- bounds (K4) -------------------------------------------------------------------------------------


def test_a_body_over_the_limit_is_refused_without_reading_it_all(
    seeded: FakeAstro, repo: Path, example_secrets: dict[str, str]
) -> None:
    seeded.admin("fault", {"method": "GET", "path": WORKSPACES, "huge": 64 * 1024 * 1024, "count": ALL})
    env = {**seeded.env(**example_secrets), "ASTRO_GITOPS_HTTP_MAX_BYTES": str(1024 * 1024)}
    result = run_cli("plan", cwd=repo, env=env)
    no_crash(result)
    assert "larger than 1048576 bytes" in result.err


def test_a_dripped_answer_ends_at_the_timeout_and_the_read_is_retried(
    seeded: FakeAstro, repo: Path, example_secrets: dict[str, str]
) -> None:
    # 230 bytes at 0.5 s a byte: about two minutes without a whole-request deadline.
    seeded.admin("fault", {"method": "GET", "path": WORKSPACES, "drip": 0.5})
    env = {**seeded.env(**example_secrets), "ASTRO_GITOPS_HTTP_TIMEOUT": "2"}
    result = run_cli("plan", cwd=repo, env=env)
    no_crash(result, 0)
    assert [e["path"] for e in seeded.log()].count(seeded.log()[0]["path"]) == 2


def test_headers_dripped_a_byte_at_a_time_end_at_the_timeout_and_the_read_is_retried(
    seeded: FakeAstro, repo: Path, example_secrets: dict[str, str]
) -> None:
    # A status line and headers of about 290 bytes at 0.5 s a byte: over two minutes when only
    # each read has a timeout (every byte arrives well within one), so run_cli's own limit fails it.
    seeded.admin("fault", {"method": "GET", "path": WORKSPACES, "drip_headers": 0.5})
    env = {**seeded.env(**example_secrets), "ASTRO_GITOPS_HTTP_TIMEOUT": "2"}
    result = run_cli("plan", cwd=repo, env=env)
    no_crash(result, 0)
    assert [e["path"] for e in seeded.log()].count(seeded.log()[0]["path"]) == 2


def _as_airflow(server: FakeAstro, connections: dict[str, Any] | None = None) -> None:
    """The local server answering as an Airflow 3 REST API (version, then `connections`)."""
    server.admin("fault", {"method": "GET", "path": "^/api/v2/version$", "count": ALL,
                           "reply": {"body": {"version": "3.0.2"}}})  # fmt: skip
    if connections is not None:
        server.admin("fault", {"method": "GET", "path": "^/api/v2/connections$", "count": ALL,
                               "reply": {"body": connections}})  # fmt: skip


def test_airflow_paging_stops_at_a_page_cap_whatever_total_entries_says(
    seeded: FakeAstro, repo: Path, example_secrets: dict[str, str]
) -> None:
    _as_airflow(seeded, {"connections": [{"connection_id": "x", "conn_type": "http"}], "total_entries": 10**12})
    env = {**example_secrets, "AIRFLOW_API_TOKEN": "airflow-token-for-tests"}
    result = run_cli("plan", "--deployment", "development", "--airflow", seeded.base, cwd=repo, env=env)
    no_crash(result)
    assert "more than 1000 pages" in result.err


@pytest.mark.parametrize(
    "page",
    [["x"], {"connections": [{"connection_id": None}], "total_entries": 1},
     {"connections": [{"connection_id": "x", "description": 5}], "total_entries": 1},
     {"connections": [], "total_entries": "x"}],
)  # fmt: skip
def test_a_malformed_airflow_page_is_a_message(
    seeded: FakeAstro, repo: Path, example_secrets: dict[str, str], page: Any
) -> None:
    _as_airflow(seeded, page)
    env = {**example_secrets, "AIRFLOW_API_TOKEN": "airflow-token-for-tests"}
    no_crash(run_cli("plan", "--deployment", "development", "--airflow", seeded.base, cwd=repo, env=env))


# --- saved plans -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "edit",
    [
        lambda d: d["apply"].update(selection="x"),
        lambda d: d["apply"].update(touched=["a"]),
        lambda d: d["apply"].update(touched={"a": 1}),
        lambda d: d["apply"]["selection"].update(all="yes"),
        lambda d: d["apply"].update(inputs=None),
        lambda d: d.update(apply=[]),
    ],
)
def test_a_saved_plan_of_the_wrong_shape_is_a_message(
    seeded: FakeAstro, repo: Path, example_secrets: dict[str, str], edit: Any
) -> None:
    out = repo.parent / "p.json"
    assert cli(seeded, repo, example_secrets, "plan", "--out", str(out)).code == 0
    data = json.loads(out.read_text())
    edit(data)
    out.write_text(json.dumps(data))
    result = cli(seeded, repo, example_secrets, "apply", str(out), "--auto-approve")
    no_crash(result)
    assert "is not a plan written by" in result.err


def test_a_saved_plan_nested_very_deep_is_a_message(
    seeded: FakeAstro, repo: Path, example_secrets: dict[str, str]
) -> None:
    out = repo.parent / "p.json"
    out.write_text('{"apply": ' + "[" * 100_000 + "]" * 100_000 + "}")
    no_crash(cli(seeded, repo, example_secrets, "apply", str(out), "--auto-approve"))


# --- git layouts and characters (O1, O2) -----------------------------------------------------------

VALID = {
    "environments/workspace.yaml": "version: 1\nworkspace: W\n",
    "environments/deployments/production.yaml": "version: 1\nname: production\n",
}


def _repo(tmp_path: Path) -> Path:
    root = tmp_path / "r"
    root.mkdir(parents=True)
    git(root, "init", "-q", "-b", "main")
    git(root, "config", "user.email", "t@example.com")
    git(root, "config", "user.name", "t")
    return root


def _write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)


@pytest.mark.parametrize("layout", ["symlink", "file"])
def test_diff_against_a_commit_where_environments_is_not_a_folder(tmp_path: Path, layout: str) -> None:
    root = _repo(tmp_path)
    if layout == "symlink":
        (root / "environments").symlink_to("elsewhere")
    else:
        (root / "environments").write_text("not a folder\n")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "a")
    (root / "environments").unlink()
    _write(root, VALID)
    result = run_cli("diff", "HEAD", cwd=root)
    assert result.code in (0, 1, 3) and "internal error" not in result.err, result.err


def test_diff_against_a_commit_where_environments_is_a_submodule(tmp_path: Path) -> None:
    inner = _repo(tmp_path / "inner")
    _write(inner, {"x.txt": "x\n"})
    git(inner, "add", "-A")
    git(inner, "commit", "-q", "-m", "a")
    root = _repo(tmp_path)
    git(root, "-c", "protocol.file.allow=always", "submodule", "-q", "add", str(inner), "environments")
    git(root, "commit", "-q", "-m", "sub")
    result = run_cli("diff", "HEAD", cwd=root)
    assert result.code in (0, 1, 3) and "internal error" not in result.err, result.err


def test_diff_in_a_bare_clone_and_without_a_previous_branch(tmp_path: Path) -> None:
    root = _repo(tmp_path)
    _write(root, VALID)
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "a")
    no_crash(run_cli("diff", "@{-1}", cwd=root))
    bare = tmp_path / "bare.git"
    git(tmp_path, "clone", "-q", "--bare", str(root), str(bare))
    result = run_cli("diff", "HEAD", cwd=bare)
    assert result.code in (1, 2) and "internal error" not in result.err, result.err


def test_a_lone_surrogate_is_located_by_validate_and_never_crashes_render(tmp_path: Path) -> None:
    root = _repo(tmp_path)
    _write(root, {**VALID, "environments/v.yaml": 'variables:\n  v: {value: "\\ud800", links: all}\n'})
    validated = run_cli("validate", cwd=root)
    no_crash(validated)
    assert "v.yaml:2:" in validated.out + validated.err
    no_crash(run_cli("render", "--all", "--out", str(tmp_path / "out"), cwd=root))
