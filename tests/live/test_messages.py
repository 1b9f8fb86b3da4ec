"""What plan says when the Astro API, the workspace or a Deployment is not where the files say
(compiler/remote/astro.py `explained`, compiler/live/astro_run.py): the URL, what failed, the
location in environments/ and the live names, through the installed command."""

from __future__ import annotations

import socket
from pathlib import Path

from conftest import edit_file, run_cli
from support.astro_fake import FakeAstro


def plan(server: FakeAstro, root: Path, secrets: dict[str, str], **env: str) -> tuple[int, str]:
    run = run_cli("plan", "--all", "--secrets", "redact", cwd=root, env=server.env(**secrets, **env))
    return run.code, run.out + run.err


def test_an_unreachable_api_names_the_url_and_the_cause(
    seeded: FakeAstro, repo: Path, example_secrets: dict[str, str]
) -> None:
    with socket.socket() as probe:  # a loopback port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"http://127.0.0.1:{port}/v1"
    code, said = plan(seeded, repo, example_secrets, ASTRO_API_URL=url)
    assert code == 1, said
    assert f"GET {url}/organizations/" in said
    assert "Connection refused" in said and f"check ASTRO_API_URL (now {url})" in said
    assert "Traceback" not in said and seeded.token not in said


def test_a_url_without_v1_gets_the_hint(seeded: FakeAstro, repo: Path, example_secrets: dict[str, str]) -> None:
    code, said = plan(seeded, repo, example_secrets, ASTRO_API_URL=seeded.base)
    assert code == 1, said
    assert f"GET {seeded.base}/organizations/" in said and "HTTP 404" in said
    assert f"set ASTRO_API_URL to {seeded.base}/v1" in said


def test_a_wrong_workspace_is_located_with_the_live_names(
    seeded: FakeAstro, repo: Path, example_secrets: dict[str, str]
) -> None:
    edit_file(repo, "environments/workspace.yaml", "workspace: Data Platform", "workspace: Data Platfrom")
    code, said = plan(seeded, repo, example_secrets)
    assert code == 1, said
    assert "environments/workspace.yaml:6:12: error[workspace-not-found]: no workspace named 'Data Platfrom'" in said
    assert "(did you mean 'Data Platform'?)" in said and "the token sees: 'Data Platform'" in said


def test_a_missing_deployment_lists_the_live_ones(
    astro: FakeAstro, repo: Path, example_secrets: dict[str, str]
) -> None:
    astro.seed("Data Platform", ["production", "develop", "sandbox"])
    code, said = plan(astro, repo, example_secrets)
    assert code == 1, said
    assert "error[deployment-not-found]: Deployment 'development' not found in workspace 'Data Platform'" in said
    assert "(did you mean 'develop'?)" in said
    assert "its Deployments: 'develop', 'production', 'sandbox'" in said
