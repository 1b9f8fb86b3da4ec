"""Attacks on the ownership markers (SPEC 7.3) through the installed command against the local
Astro API server: odd descriptions a hand edit or a hostile server can leave on a live object."""

from __future__ import annotations

from pathlib import Path

from support.astro_fake import FakeAstro

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
