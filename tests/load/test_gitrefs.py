"""environments/ read from git objects: the same limits and problems as from the working tree."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path

import pytest
from conftest import commit_files, git

from compiler import limits
from compiler.errors import OperationError
from compiler.load import sources
from compiler.load.gitrefs import sources_at

MakeRepo = Callable[[Mapping[str, str | bytes]], Path]
FILES = {f"environments/o{i}.yaml": "{}\n" for i in range(5)}


def test_a_commit_is_read_without_checking_it_out(make_repo: MakeRepo) -> None:
    root = make_repo({**FILES, "environments/notes.txt": "not yaml\n", "other/x.yaml": "{}\n"})
    commit_files(root, {"environments/o0.yaml": "variables: {}\n"}, remove=("environments/o1.yaml",))

    before = sources_at(root, "HEAD~1")
    now = sources_at(root, "HEAD")

    assert [s.path for s in before] == sorted(FILES)
    assert [s.path for s in now] == sorted(set(FILES) - {"environments/o1.yaml"})
    assert (before[0].data, now[0].data) == (b"{}\n", b"variables: {}\n")
    assert git(root, "status", "--porcelain") == ""


def test_more_files_than_the_limit_are_one_problem_and_none_is_read(
    make_repo: MakeRepo, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = make_repo(FILES)
    monkeypatch.setattr(limits, "MAX_FILES", 4)

    found = sources_at(root, "HEAD")

    assert [(s.path, s.data, s.problem and s.problem.code) for s in found] == [("environments", None, "too-many-files")]
    assert found == sources.filesystem_sources(root)


def test_at_the_limit_every_file_is_read(make_repo: MakeRepo, monkeypatch: pytest.MonkeyPatch) -> None:
    root = make_repo(FILES)
    monkeypatch.setattr(limits, "MAX_FILES", 5)

    assert [s.problem for s in sources_at(root, "HEAD")] == [None] * 5


def test_an_unknown_ref_is_an_operation_error(make_repo: MakeRepo) -> None:
    root = make_repo(FILES)

    with pytest.raises(OperationError, match="unknown git ref 'nope'"):
        sources_at(root, "nope")


def test_a_ref_beyond_a_shallow_clone_is_an_error_with_a_hint(make_repo: MakeRepo, tmp_path: Path) -> None:
    """`diff HEAD~1` and `matrix --since HEAD^` in the CI default `git clone --depth 1` (was exit 70)."""
    from conftest import EXAMPLE, run_cli

    example = {f"environments/{p.relative_to(EXAMPLE).as_posix()}": p.read_text() for p in EXAMPLE.rglob("*.yaml")}
    origin = make_repo(example)
    commit_files(
        origin,
        {
            "environments/deployments/production.yaml": example["environments/deployments/production.yaml"].replace(
                "LOG_LEVEL: INFO", "LOG_LEVEL: DEBUG"
            )
        },
    )
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", "--depth", "1", origin.as_uri(), str(clone))
    for args in (("diff", "HEAD~1"), ("diff", "HEAD^", "HEAD", "--format", "json"), ("matrix", "--since", "HEAD^")):
        result = run_cli(*args, cwd=clone)
        assert result.code == 1, (args, result)
        assert result.err.startswith("astro-gitops: error: unknown git ref 'HEAD")
        assert "git fetch --unshallow" in result.err and "fetch-depth: 0" in result.err
    git(clone, "fetch", "-q", "--unshallow")
    assert run_cli("diff", "HEAD~1", cwd=clone).code == 0  # the hint, followed, works
    unknown = run_cli("diff", "origin/nope", cwd=clone)
    assert unknown.code == 1 and "git fetch origin" in unknown.err and "--unshallow" not in unknown.err
