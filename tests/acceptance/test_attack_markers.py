"""Attacks on the ownership markers (SPEC 7.3) through the installed command against the local
Astro API server: odd descriptions a hand edit or a hostile server can leave on a live object."""

from __future__ import annotations

from pathlib import Path

from conftest import git
from support.astro_fake import DEPLOYMENTS, FakeAstro

from acceptance.test_signed_markers import objects, seed_variable
from acceptance.test_sync_apply import applied, cli


def test_a_huge_description_of_marker_openings_neither_hangs_nor_is_ours(
    seeded: FakeAstro, repo: Path, example_secrets: dict[str, str]
) -> None:
    # 680 KB of `[astro-gitops a=b`: the marker's regular expression, searched from every
    # position, took quadratic time on it (8,000 repeats: 14 s; 40,000: beyond the 120 s a run
    # of the command is given). A description the Astro UI, Airflow or a hostile server can hold.
    huge = "by hand " + "[astro-gitops a=b" * 40_000
    seed_variable(seeded, "left_alone", huge)
    seed_variable(seeded, "odd_end", "x [astro-gitops owner=data-platform SIG=" + "A" * 32 + "]")
    seed_variable(seeded, "unicode_owner", "x [astro-gitops owner=dätä-platform]")
    plan = cli(seeded, repo, example_secrets, "plan")
    assert plan.code == 0, plan.out + plan.err
    assert "left_alone" not in plan.out and "odd_end" not in plan.out and "unicode_owner" not in plan.out
    applied(seeded, repo, example_secrets)
    assert objects(seeded)["left_alone"]["description"] == huge


ODD = (
    "[astro-gitops owner=data-platform fp=%ZZ:%ZZ=x;-:=;:a=b;%F0%9F=zz sig=" + "0" * 32 + "]",
    "[astro-gitops owner=data-platform branch=%FF%FE%00 sig=" + "f" * 32 + "]",
    "[astro-gitops owner=data-platform branch= fp= sig=]",
    "[astro-gitops owner=data-platform sig=" + "a" * 33 + "]",
    "[astro-gitops owner=data-platform sig=" + "ABCDEF0123456789" * 2 + "]",
    "[astro-gitops owner=data-platform fp=" + ";".join(f"-:p{i}=0123456789abcdef" for i in range(10_000)) + "]",
    "[astro-gitops owner=data-platform\u00a0sig=" + "a" * 32 + "]",
    "x\n[astro-gitops owner=data-platform]\n\n",
    "[astro-gitops]",
    "[astro-gitops owner=data-platform owner=data-platform]",
    "\udcff [astro-gitops owner=data-platform]",
)


def test_odd_markers_on_keys_git_defines_are_refused_without_a_traceback(
    seeded: FakeAstro, repo: Path, example_secrets: dict[str, str]
) -> None:
    for description in ODD:
        seeded.reset()
        seeded.seed("Data Platform", DEPLOYMENTS)
        seed_variable(seeded, "data_bucket", description.replace("\udcff", "\u00ff"))
        seeded.admin("clear-log", {})
        plan = cli(seeded, repo, example_secrets, "plan")
        assert plan.code == 1 and "Traceback" not in plan.err, (description, plan.err)
        assert "error[unmanaged-object]: variable 'data_bucket'" in plan.err, (description, plan.err)
        refused = cli(seeded, repo, example_secrets, "apply", "--auto-approve")
        assert refused.code == 1 and not seeded.writes(), (description, refused.err)


def test_a_preview_create_answered_with_another_workspaces_deployment_never_touches_it(
    seeded: FakeAstro, repo: Path, example_secrets: dict[str, str]
) -> None:
    # SPEC 7.3: the ID a create returns is ours only if it carries our marker for this branch.
    # The answer's name is checked, its workspace and marker are not: a Deployment of the same
    # name in another workspace (an ID the plan never read, so not "known") is taken as the
    # new preview, and the preview's settings and objects are written to it.
    applied(seeded, repo, example_secrets)
    seeded.admin("seed", {"workspaces": [{"name": "Other Team"}], "deployments": [
        {"name": "dev-feature-shape", "workspace": "Other Team", "description": "the other team's"}]})  # fmt: skip
    before = next(d for d in seeded.state()["deployments"] if d["name"] == "dev-feature-shape")
    git(repo, "checkout", "-q", "-b", "feature/shape")
    seeded.admin("fault", {"method": "POST", "path": "/deployments$", "answer_as": "dev-feature-shape"})
    result = cli(seeded, repo, example_secrets, "apply", "--auto-approve")
    assert result.code == 1, result.out + result.err
    state = seeded.state()
    assert next(d for d in state["deployments"] if d["id"] == before["id"]) == before
    assert not [o for o in state["objects"] if o["scopeEntityId"] == before["id"]]
    assert "answered with another Deployment" in result.out + result.err


def test_a_branch_in_a_live_marker_never_puts_control_characters_on_the_terminal(
    seeded: FakeAstro, repo: Path, example_secrets: dict[str, str]
) -> None:
    # The branch of a marker is percent-decoded (marker.split) and told in unmanaged-object.
    seed_variable(seeded, "data_bucket", "x [astro-gitops owner=someone-else branch=a%1B%5D0%3Bpwned%07%1B%5B2J%0Dz]")
    plan = cli(seeded, repo, example_secrets, "plan")
    assert plan.code == 1 and "unmanaged-object" in plan.err, plan.err
    assert not [c for c in plan.out + plan.err if ord(c) < 32 and c not in "\n"], repr(plan.err)
