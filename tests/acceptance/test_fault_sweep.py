"""A fault at every write position (SPEC 7.6, issue 21): whatever the server does to the Nth
write of an apply (a 500, a connection dropped after the write was made, a 409 for an object
it does not hold, a one-day Retry-After), the apply stops at the first failure or gets past it,
and the next apply converges: live state matches git, no key twice, no secret blanked.

Through the installed command against the local Astro API server, for the sync branch's first
apply and a preview's.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from conftest import git
from support.astro_fake import DEPLOYMENTS, FakeAstro, resolve_em

from acceptance.test_sync_apply import applied, cli, rendered

FAULTS = {
    "500": {"status": 500},
    "dropped-after-the-write": {"drop": True},
    "409": {"status": 409},
    "one-day-retry-after": {"status": 429, "retry_after": 86400},
}


def _writes(server: FakeAstro) -> int:
    return len(server.writes())


def _no_duplicates(state: dict[str, Any]) -> None:
    keys = Counter((o["objectKey"], o["objectType"], o["scopeEntityId"]) for o in state["objects"])
    assert [k for k, n in keys.items() if n > 1] == []
    names = Counter(d["name"] for d in state["deployments"])
    assert [n for n, c in names.items() if c > 1] == []


def _sweep(server: FakeAstro, repo: Path, secrets: dict[str, str], fault: dict[str, Any], start: Any) -> int:
    """Run the apply with `fault` at each write position in turn, from the state `start()` makes."""
    start()
    server.admin("clear-log", {})
    applied(server, repo, secrets)
    positions = _writes(server)
    assert positions > 3
    for position in range(positions):
        start()
        server.admin("fault", {"method": "POST", "path": "", "after": position, **fault})
        first = cli(server, repo, secrets, "apply", "--auto-approve")
        assert first.code in (0, 1), (position, first)
        assert "internal error" not in first.err
        again = cli(server, repo, secrets, "apply", "--auto-approve")
        assert again.code == 0, (position, again.out, again.err)
        assert cli(server, repo, secrets, "plan", "--exit-code").code == 0, position
        _no_duplicates(server.state())
    return positions


@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_a_fault_at_every_write_of_a_first_apply_converges(
    astro_server: FakeAstro, repo: Path, tmp_path: Path, example_secrets: dict[str, str], fault: str
) -> None:
    def start() -> None:
        astro_server.reset()
        astro_server.seed("Data Platform", DEPLOYMENTS)

    _sweep(astro_server, repo, example_secrets, FAULTS[fault], start)
    state = astro_server.state()
    for name, wanted in rendered(repo, tmp_path, example_secrets).items():  # no secret blanked
        assert resolve_em(state, name) == wanted, name


@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_a_fault_at_every_write_of_a_previews_first_apply_converges(
    astro_server: FakeAstro, repo: Path, example_secrets: dict[str, str], fault: str
) -> None:
    def start() -> None:
        astro_server.reset()
        astro_server.seed("Data Platform", DEPLOYMENTS)
        git(repo, "checkout", "-q", "main")
        applied(astro_server, repo, example_secrets)
        git(repo, "checkout", "-q", "-B", "feature/sweep")

    _sweep(astro_server, repo, example_secrets, FAULTS[fault], start)
    preview = [d for d in astro_server.state()["deployments"] if d["name"] == "dev-feature-sweep"]
    assert len(preview) == 1 and "branch=feature/sweep" in preview[0]["description"]
    env = {v["key"]: v for v in preview[0]["environmentVariables"]}
    assert env["SLACK_WEBHOOK_URL"]["value"] == example_secrets["SLACK_DEV_WEBHOOK_URL"]  # not blanked
