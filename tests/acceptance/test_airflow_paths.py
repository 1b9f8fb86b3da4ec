"""An Airflow key is one path segment, whatever it holds (red-team fault 3, defence in depth):
a pool name of dots alone (`..` would climb a level when the URL is normalized: the PATCH went to
`/api/v2`, the DELETE's 404 counted as done), or one with `?`, `%` or a space, is created,
updated and deleted by its own path. Through the installed command against a real Airflow.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import commit_files
from support.realairflow import AirflowServer

from acceptance.test_apply_airflow import apply, env_for


@pytest.mark.parametrize("names", [["..", "."], ["...", "x?y", "50%", "a b"]])
def test_a_pool_named_with_dots_or_reserved_characters_is_updated_and_deleted_by_its_own_path(
    repo: Path, airflow: AirflowServer, example_secrets: dict[str, str], names: list[str]
) -> None:
    env = env_for(airflow, example_secrets)

    def pools(slots: int) -> str:
        return "pools:\n" + "".join(f"  {name!r}:\n    slots: {slots}\n    links: all\n" for name in names)

    def held() -> dict[str, int]:
        return {p["name"]: p["slots"] for p in airflow.list("pools")}

    commit_files(repo, {"environments/odd_pools.yaml": pools(3)})
    assert apply(repo, airflow, env, "sandbox").code == 0
    before = held()
    assert all(before[name] == 3 for name in names), before
    commit_files(repo, {"environments/odd_pools.yaml": pools(5)})
    updated = apply(repo, airflow, env, "sandbox")
    assert updated.code == 0, updated.out + updated.err
    assert all(held()[name] == 5 for name in names), held()
    commit_files(repo, {}, remove=("environments/odd_pools.yaml",))
    deleted = apply(repo, airflow, env, "sandbox")
    assert deleted.code == 0, deleted.out + deleted.err
    after = held()
    assert not set(names) & set(after), after
    assert {k: v for k, v in before.items() if k not in names} == after
