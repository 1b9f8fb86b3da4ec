"""The live read of a plan (compiler/live/early_read.py) started before validation, and the
Astro API URL it connects to: what the early start may never change."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from conftest import commit_files, run_cli
from support.astro_fake import DEPLOYMENTS, TOKEN, FakeAstro

from compiler.errors import OperationError
from compiler.live.early_read import LiveRead, workspace_name
from compiler.remote.astro import connect
from compiler.validate.project import validate_root


def test_the_guess_is_the_name_workspace_yaml_holds_and_nothing_else(tmp_path: Path) -> None:
    folder = tmp_path / "environments"
    folder.mkdir()
    workspace = folder / "workspace.yaml"
    assert workspace_name(tmp_path) is None  # no file
    workspace.write_text("version: 1\nworkspace: Data Platform\nbranches: []\nsync: {owner: data-platform}\n")
    assert workspace_name(tmp_path) == "Data Platform"
    for text in (
        "workspace: Data Platform\n",  # no sync.owner: plan stops before any request
        "workspace: Data Platform\nsync: {owner: ' '}\n",
        "workspace: Data Platform\nsync: {branch: main}\n",
        "workspace: '{{ env }} platform'\n",
        "workspace: [a]\n",
        "- a\n",
        "workspace: !!str x\n",
        "workspace: \n",
        "name: Data Platform\n",
        "\ufffe: [",
    ):
        workspace.write_text(text)
        assert workspace_name(tmp_path) is None, text
    workspace.write_bytes(b"name: \xff\n")
    assert workspace_name(tmp_path) is None
    workspace.unlink()
    os.mkfifo(workspace)  # a named pipe: never opened for reading, so this cannot block
    assert workspace_name(tmp_path) is None


def test_the_guess_is_the_validated_name_of_the_shipped_example(repo: Path) -> None:
    project = validate_root(repo).require_valid()
    assert project.model.workspace is not None
    assert workspace_name(repo) == project.model.workspace.name == "Data Platform"


def test_a_wrong_guess_is_read_again_with_the_validated_name(astro: FakeAstro) -> None:
    astro.seed("Data Platform", DEPLOYMENTS)
    reading = LiveRead(connect(astro.env()), guessed="Some Other Workspace")
    try:
        state = reading.state("Data Platform", ["production"]).result(timeout=60)
    finally:
        reading.close()
    assert state.workspace_name == "Data Platform" and {d.name for d in state.deployments} == set(DEPLOYMENTS)
    # The guess's own failure (no such workspace) is not the plan's.
    reads = [e["query"].get("names") for e in astro.log() if e["path"].endswith("/workspaces")]
    # (A name the organization lacks is followed by one unfiltered list: the live names for the message.)
    assert reads == ["Some Other Workspace", None, "Data Platform"]


def test_a_right_guess_is_not_read_twice(astro: FakeAstro) -> None:
    astro.seed("Data Platform", DEPLOYMENTS)
    reading = LiveRead(connect(astro.env()), guessed="Data Platform")
    try:
        state = reading.state("Data Platform", ["production", "sandbox"]).result(timeout=60)
    finally:
        reading.close()
    assert state.workspace_name == "Data Platform"
    paths = [e["path"] for e in astro.log()]
    assert sum(p.endswith("/workspaces") for p in paths) == 1
    per_deployment = [e["query"].get("deploymentId") for e in astro.log() if "deploymentId" in e["query"]]
    assert len(per_deployment) == 2


def test_a_guess_that_fails_is_raised_only_where_its_result_is_used(astro: FakeAstro) -> None:
    astro.seed("Data Platform", DEPLOYMENTS)
    reading = LiveRead(connect(astro.env()), guessed="Data Platform")
    try:
        with pytest.raises(OperationError, match="no workspace named") as raised:
            reading.state("Missing Workspace", []).result(timeout=60)
    finally:
        reading.close()
    assert "Missing Workspace" in str(raised.value)


def test_an_invalid_repository_is_reported_and_nothing_is_written(
    astro: FakeAstro,
    repo: Path,
    example_secrets: dict[str, str],
) -> None:
    astro.seed("Data Platform", DEPLOYMENTS)
    commit_files(repo, {"environments/deployments/production.yaml": "name: production\nbogus: [\n"}, "broken")
    result = run_cli("apply", "--auto-approve", cwd=repo, env=astro.env(**example_secrets))
    assert result.code == 1, result.out + result.err
    assert "environments/deployments/production.yaml:" in result.err and "Traceback" not in result.err
    assert not astro.writes()


@pytest.mark.parametrize(
    ("url", "said"),
    [
        ("http://[::1", "not an Astro API URL (ASTRO_API_URL): 'http://[::1'"),
        ("ftp://api.example.com/v1", "not an Astro API URL"),
        ("api.example.com/v1", "not an Astro API URL"),
        ("https://api.example.com:99999/v1", "not an Astro API URL"),
        ("http://api.example.com/v1", "refusing plain http to api.example.com"),
        ("https://[v1.fe]/", "not an Astro API URL"),
        ("https://[::1]x/", "not an Astro API URL"),
        ("https://a..b/", "not an Astro API URL"),
        ("https://" + "a" * 300 + ".com/", "not an Astro API URL"),
        (" https://api.example.com/v1", "not an Astro API URL"),
        ("https://api.exa\tmple.com/v1", "not an Astro API URL"),
        ("https://user:hunter2-pw@api.example.com/v1", "holds credentials; set ASTRO_API_TOKEN instead"),
    ],
)
def test_an_astro_api_url_that_cannot_be_used_is_an_error_not_a_crash(
    repo: Path, example_secrets: dict[str, str], url: str, said: str
) -> None:
    env = {"ASTRO_API_TOKEN": TOKEN, "ASTRO_ORGANIZATION_ID": "org1", "ASTRO_API_URL": url, **example_secrets}
    result = run_cli("plan", cwd=repo, env=env)
    assert result.code == 1, result.err
    assert said in result.err and "internal error" not in result.err and "Traceback" not in result.err
    assert TOKEN not in result.out + result.err and "hunter2" not in result.out + result.err


def test_a_bad_url_never_hides_the_repository_s_own_errors(repo: Path, example_secrets: dict[str, str]) -> None:
    # The live read starts before validation; a URL it cannot use must not end the run first.
    edit = (repo / "environments/workspace.yaml").read_text().replace("sync:\n", "sync:\n  bogus_key: 1\n")
    commit_files(repo, {"environments/workspace.yaml": edit}, "broken")
    for url in ("https://[v1.fe]/", "https://a..b/", "ftp://x/"):
        env = {"ASTRO_API_TOKEN": TOKEN, "ASTRO_ORGANIZATION_ID": "org1", "ASTRO_API_URL": url, **example_secrets}
        result = run_cli("plan", cwd=repo, env=env)
        assert result.code == 1, result.err
        assert "environments/workspace.yaml:" in result.out + result.err and "bogus_key" in result.out + result.err
        assert "internal error" not in result.err


@pytest.mark.parametrize("url", ["https://a..b/", "https://[v1.fe]/", "https://admin:s3cret-pw@localhost:1/"])
def test_an_airflow_url_that_cannot_be_used_is_an_error_not_a_crash(
    repo: Path, example_secrets: dict[str, str], url: str
) -> None:
    env = {"AIRFLOW_API_TOKEN": "airflow-tok", **example_secrets}
    result = run_cli("plan", "--deployment", "production", "--airflow", url, cwd=repo, env=env)
    assert result.code == 1, result.err
    assert "internal error" not in result.err and "Traceback" not in result.err
    assert "s3cret-pw" not in result.out + result.err and "airflow-tok" not in result.out + result.err
    if "@" in url:
        assert (
            "holds credentials; set AIRFLOW_API_TOKEN, or AIRFLOW_USERNAME and AIRFLOW_PASSWORD instead" in result.err
        )


def test_a_linked_workspace_file_is_not_read_for_the_guess(tmp_path: Path) -> None:
    outside = tmp_path / "outside.yaml"
    outside.write_text("workspace: Somewhere Else\n")
    (tmp_path / "repo/environments").mkdir(parents=True)
    (tmp_path / "repo/environments/workspace.yaml").symlink_to(outside)
    assert workspace_name(tmp_path / "repo") is None
    (tmp_path / "other").mkdir()
    (tmp_path / "other/environments").symlink_to(tmp_path / "repo/environments")
    assert workspace_name(tmp_path / "other") is None


@pytest.mark.parametrize("host", ["localhost", "0.0.0.0"])
def test_plain_http_to_this_machine_by_any_local_name_is_allowed(
    seeded: FakeAstro, repo: Path, example_secrets: dict[str, str], host: str
) -> None:
    # The unspecified address and names that resolve only to loopback are this machine too.
    url = seeded.url.replace("127.0.0.1", host)
    env = {**seeded.env(**example_secrets), "ASTRO_API_URL": url}
    result = run_cli("plan", cwd=repo, env=env)
    assert result.code == 0, result.err
    assert result.out.startswith('astro-gitops plan: workspace "Data Platform"')
