"""Signed ownership markers (SPEC 7.3, issue 21 kind 9) through the installed command against the
local Astro API server: with ASTRO_GITOPS_FINGERPRINT_KEY set, a hand-typed or copied marker
never makes someone's object ours, to update, to delete or to prune; unsigned markers of an
earlier version are adopted once; a run without the key never strips a signature."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from conftest import push_to_a_remote
from support.astro_fake import DEPLOYMENTS, FakeAstro
from support.signed_markers import deployment_marker, marker, workspace_id

from acceptance.test_sync_apply import KEY, applied, cli

WS = workspace_id("Data Platform")


def objects(server: FakeAstro) -> dict[str, dict[str, Any]]:
    return {o["objectKey"]: o for o in server.state()["objects"]}


def seed_variable(server: FakeAstro, key: str, description: str, value: str = "by-hand") -> None:
    server.admin("seed", {"objects": [{
        "objectKey": key, "objectType": "AIRFLOW_VARIABLE", "scope": "WORKSPACE", "scopeEntityId": "Data Platform",
        "description": description, "airflowVariable": {"value": value}}]})  # fmt: skip


def test_a_hand_typed_marker_under_a_key_git_defines_is_refused_until_adopted(
    seeded: FakeAstro, repo: Path, example_secrets: dict[str, str]
) -> None:
    seed_variable(seeded, "data_bucket", "theirs [astro-gitops owner=data-platform]", "s3://theirs")
    plan = cli(seeded, repo, example_secrets, "plan")
    assert plan.code == 1 and "error[unmanaged-object]: variable 'data_bucket'" in plan.err, plan.err
    assert "an unsigned marker of owner 'data-platform'" in plan.err
    refused = cli(seeded, repo, example_secrets, "apply", "--auto-approve")
    assert refused.code == 1 and not seeded.writes()
    assert objects(seeded)["data_bucket"]["airflowVariable"]["value"] == "s3://theirs"
    adopted = applied(seeded, repo, example_secrets, "--adopt")
    assert "~ variable data_bucket" in adopted.out and "~ marker: (adopt)" in adopted.out
    signed = marker("data-platform", "AIRFLOW_VARIABLE", "data_bucket", "WORKSPACE", WS, key=KEY)
    assert objects(seeded)["data_bucket"]["description"].endswith(" " + signed)
    assert cli(seeded, repo, example_secrets, "plan", "--exit-code").code == 0


def test_a_marker_copied_from_our_object_never_makes_another_object_ours(
    seeded: FakeAstro, repo: Path, example_secrets: dict[str, str]
) -> None:
    applied(seeded, repo, example_secrets)
    ours = objects(seeded)["data_bucket"]["description"]
    copied = ours[ours.index("[astro-gitops") :]
    seed_variable(seeded, "left_git_or_never_ours", copied)  # a key git does not define: a delete if ours
    seeded.admin("clear-log", {})
    plan = cli(seeded, repo, example_secrets, "plan", "--exit-code")
    assert plan.code == 0, plan.out + plan.err  # nothing to delete: the copy does not verify
    assert "left_git_or_never_ours" not in plan.out
    assert applied(seeded, repo, example_secrets).code == 0 and not seeded.writes()
    assert objects(seeded)["left_git_or_never_ours"]["description"] == copied


def test_a_marker_signed_with_another_key_is_not_ours(
    seeded: FakeAstro, repo: Path, example_secrets: dict[str, str]
) -> None:
    applied(seeded, repo, example_secrets)
    plan = cli(seeded, repo, example_secrets, "plan", key="another-fingerprint-key")
    assert plan.code == 1 and "whose signature does not verify" in plan.err, plan.err
    assert "signed with another ASTRO_GITOPS_FINGERPRINT_KEY" in plan.err


def test_markers_written_without_the_key_are_signed_by_one_adopting_apply(
    seeded: FakeAstro, repo: Path, example_secrets: dict[str, str]
) -> None:
    seeded.reset()
    seeded.seed("Data Platform", DEPLOYMENTS, key=None)  # as an earlier version, or a run without a key, left it
    applied(seeded, repo, example_secrets, key=None)
    assert "sig=" not in objects(seeded)["data_bucket"]["description"]
    plan = cli(seeded, repo, example_secrets, "plan")
    assert plan.code == 1 and "unsigned marker" in plan.err and "pass --adopt" in plan.err
    applied(seeded, repo, example_secrets, "--adopt")
    assert all(" sig=" in o["description"] for o in objects(seeded).values())
    assert all(" sig=" in d["description"] for d in seeded.state()["deployments"])
    assert cli(seeded, repo, example_secrets, "plan", "--exit-code").code == 0


def test_a_run_without_the_key_keeps_every_signature(
    seeded: FakeAstro, repo: Path, example_secrets: dict[str, str]
) -> None:
    applied(seeded, repo, example_secrets)
    signed = {k: o["description"] for k, o in objects(seeded).items()}
    applied(seeded, repo, example_secrets, key=None)  # sends every secret (it cannot compare), signs nothing
    for key, description in signed.items():
        now = objects(seeded)[key]["description"]
        assert now.rsplit(" ", 1)[-1] == description.rsplit(" ", 1)[-1], key  # the same sig=...]
    # Still ours with the key (only the secrets' fingerprints, which need the key, are recorded again).
    plan = cli(seeded, repo, example_secrets, "plan")
    assert plan.code == 0 and "unmanaged-object" not in plan.err, plan.err
    applied(seeded, repo, example_secrets)
    assert cli(seeded, repo, example_secrets, "plan", "--exit-code").code == 0


def test_prune_and_destroy_never_delete_a_preview_whose_marker_does_not_verify(
    seeded: FakeAstro, repo: Path, example_secrets: dict[str, str], tmp_path: Path
) -> None:
    typed = "a team's own [astro-gitops owner=data-platform branch=gone/branch]"
    copied = deployment_marker("data-platform", "dev-gone-branch", WS, branch="gone/branch", key=KEY)
    seeded.admin("seed", {"deployments": [
        {"name": "handmade-typed", "workspace": "Data Platform", "description": typed},
        {"name": "handmade-copied", "workspace": "Data Platform", "description": copied},  # another name's
        {"name": "dev-gone-branch", "workspace": "Data Platform", "description": copied},  # truly ours
    ]})  # fmt: skip
    push_to_a_remote(repo, tmp_path / "remote.git")  # holds main only: every preview's branch is gone
    pruned = cli(seeded, repo, example_secrets, "preview", "prune", "--auto-approve")
    assert pruned.code == 0, pruned.out + pruned.err
    names = {d["name"] for d in seeded.state()["deployments"]}
    assert {"handmade-typed", "handmade-copied"} <= names and "dev-gone-branch" not in names
    gone = cli(seeded, repo, example_secrets, "preview", "destroy", "--branch", "gone/branch", "--auto-approve")
    assert gone.code == 0 and "0 to destroy" in gone.out
    assert {"handmade-typed", "handmade-copied"} <= {d["name"] for d in seeded.state()["deployments"]}
