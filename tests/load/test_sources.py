"""Units of compiler.load.sources: which files of environments/ are read, in which order, within limits."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from compiler import limits
from compiler.load import sources


def test_filesystem_sources_reads_yaml_only_in_a_stable_order(tmp_path: Path) -> None:
    env = tmp_path / "environments"
    (env / "deployments").mkdir(parents=True)
    for name in ("z.yml", "a.yaml", "deployments/p.yaml", "notes.md", "b.json", "workspace.yaml"):
        (env / name).write_text("{}\n")

    paths = [s.path for s in sources.filesystem_sources(tmp_path)]

    assert paths == [
        "environments/a.yaml",
        "environments/deployments/p.yaml",
        "environments/workspace.yaml",
        "environments/z.yml",
    ]


def test_no_environments_folder(tmp_path: Path) -> None:
    assert sources.filesystem_sources(tmp_path) == []


def test_too_many_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(limits, "MAX_FILES", 3)
    env = tmp_path / "environments"
    env.mkdir()
    for i in range(5):
        (env / f"f{i}.yaml").write_text("{}\n")

    found = sources.filesystem_sources(tmp_path)

    assert len(found) == 1 and found[0].problem is not None
    assert (found[0].problem.code, found[0].path) == ("too-many-files", "environments")


def test_big_file_is_not_read(tmp_path: Path) -> None:
    env = tmp_path / "environments"
    env.mkdir()
    with (env / "huge.yaml").open("wb") as handle:  # sparse: the size without the bytes
        handle.truncate(limits.MAX_FILE_BYTES + 1)

    (source,) = sources.filesystem_sources(tmp_path)

    assert source.data is None and source.problem is not None and source.problem.code == "file-too-large"


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="needs symbolic links")
def test_symbolic_links(tmp_path: Path) -> None:
    env = tmp_path / "environments"
    (env / "inside").mkdir(parents=True)
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside" / "o.yaml").write_text("{}\n")
    (env / "inside" / "real.yaml").write_text("{}\n")
    (env / "to-outside.yaml").symlink_to(tmp_path / "outside" / "o.yaml")
    (env / "to-inside.yaml").symlink_to(env / "inside" / "real.yaml")
    (env / "dir-outside").symlink_to(tmp_path / "outside", target_is_directory=True)
    (env / "dir-inside").symlink_to(env / "inside", target_is_directory=True)
    (env / "loop").symlink_to(env, target_is_directory=True)

    found = {s.path: (s.problem.code if s.problem else "read") for s in sources.filesystem_sources(tmp_path)}

    assert found == {
        "environments/dir-outside": "outside-root",
        "environments/inside/real.yaml": "read",
        "environments/to-inside.yaml": "read",
        "environments/to-outside.yaml": "outside-root",
    }
