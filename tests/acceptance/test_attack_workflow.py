"""Attacks on the reusable workflow's deploy half (SPEC 7.3): its `preview destroy` and `preview
prune` steps, run as the runner runs them against the local Astro API server, never delete a
Deployment whose marker does not verify. They ran without ASTRO_GITOPS_FINGERPRINT_KEY, where
a marker of the owner's name is ours: a hand-typed or copied preview marker had its Deployment
deleted by the nightly prune."""

from __future__ import annotations

from pathlib import Path

from conftest import push_to_a_remote
from support.astro_fake import FakeAstro
from support.signed_markers import deployment_marker, workspace_id

from acceptance.test_workflow_deploy import KEY, server_env
from acceptance.test_workflows import run_step

WS = workspace_id("Data Platform")
TYPED = "a team's own [astro-gitops owner=data-platform branch=gone/branch]"
COPIED = deployment_marker("data-platform", "dev-gone-branch", WS, branch="gone/branch", key=KEY)


def _seed(server: FakeAstro) -> None:
    server.admin("seed", {"deployments": [
        {"name": "handmade-typed", "workspace": "Data Platform", "description": TYPED},
        {"name": "handmade-copied", "workspace": "Data Platform", "description": COPIED},  # another name's
        {"name": "dev-gone-branch", "workspace": "Data Platform", "description": COPIED},  # truly ours
    ]})  # fmt: skip


def _names(server: FakeAstro) -> set[str]:
    return {d["name"] for d in server.state()["deployments"]}


def test_the_prune_step_never_deletes_a_deployment_whose_marker_does_not_verify(
    seeded: FakeAstro, repo: Path, tmp_path: Path
) -> None:
    _seed(seeded)
    push_to_a_remote(repo, tmp_path / "remote.git")  # main only: every preview's branch is gone
    prune = {"${{ inputs.remote }}": "origin", "${{ secrets.ASTRO_API_TOKEN }}": seeded.env()["ASTRO_API_TOKEN"],
             "${{ secrets.ASTRO_GITOPS_FINGERPRINT_KEY }}": KEY,
             "${{ github.token }}": "ghs-test", "${{ github.server_url }}": "https://github.com"}  # fmt: skip
    proc, _ = run_step("preview-prune", "Prune previews whose branch is gone", repo, server_env(seeded), prune)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert {"handmade-typed", "handmade-copied"} <= _names(seeded), proc.stdout
    assert "dev-gone-branch" not in _names(seeded)


def test_the_destroy_step_never_deletes_a_deployment_whose_marker_does_not_verify(
    seeded: FakeAstro, repo: Path
) -> None:
    _seed(seeded)
    destroy = {"${{ github.event_name == 'delete' && github.event.ref || github.head_ref }}": "gone/branch",
               "${{ secrets.ASTRO_API_TOKEN }}": seeded.env()["ASTRO_API_TOKEN"],
               "${{ secrets.ASTRO_GITOPS_FINGERPRINT_KEY }}": KEY}  # fmt: skip
    proc, _ = run_step("preview-destroy", "Destroy the branch's preview", repo, server_env(seeded), destroy)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert {"handmade-typed", "handmade-copied"} <= _names(seeded), proc.stdout
    assert "dev-gone-branch" not in _names(seeded)
