"""`apply PLAN` applies exactly the saved plan (SPEC 7.5): a planning flag the plan does not hold
is a usage error naming the flag, never silently dropped (as terraform's "Can't set variables
when applying a saved plan"); a flag that repeats what the plan holds is accepted. Through the
installed command, against the local Astro API server (the Airflow target's in
test_apply_airflow.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from support.astro_fake import FakeAstro

from acceptance.test_sync_apply import cli


@pytest.mark.parametrize(
    ("flags", "named"),
    [
        (("--adopt",), "--adopt"),
        (("--airflow", "http://127.0.0.1:1"), "--airflow"),
        (("--deployment", "sandbox", "--airflow", "http://127.0.0.1:1"), "--airflow"),
    ],
)
def test_a_flag_the_astro_plan_does_not_hold_is_a_usage_error(
    seeded: FakeAstro,
    repo: Path,
    tmp_path: Path,
    example_secrets: dict[str, str],
    flags: tuple[str, ...],
    named: str,
) -> None:
    saved = tmp_path / "plan.json"
    assert cli(seeded, repo, example_secrets, "plan", "--out", str(saved)).code == 0
    seeded.admin("clear-log", {})
    refused = cli(seeded, repo, example_secrets, "apply", str(saved), *flags)
    assert refused.code == 2, refused.out + refused.err
    assert refused.err.startswith(f"astro-gitops: error: {named}: PLAN was made "), refused.err
    assert "plan again with it" in refused.err and "Traceback" not in refused.err
    assert not refused.out and not seeded.log()  # refused before any request


def test_a_flag_that_repeats_the_plan_is_accepted(
    seeded: FakeAstro, repo: Path, tmp_path: Path, example_secrets: dict[str, str]
) -> None:
    saved = tmp_path / "plan.json"
    assert cli(seeded, repo, example_secrets, "plan", "--adopt", "--out", str(saved)).code == 0
    done = cli(seeded, repo, example_secrets, "apply", str(saved), "--adopt", "--branch", "main", "--auto-approve")
    assert done.code == 0, done.out + done.err
    assert "Apply complete" in done.out
