"""Units of compiler.limits, and its promise at the command line: every YAML file the tool
reads (environments/, init's .pre-commit-config.yaml, import's settings file) is read only
if it is a regular file, never blocks, and is parsed within the same bounds.

A hang is the failure these tests catch: a FIFO that nobody writes makes a plain open()
wait forever, so each command runs as a subprocess with a timeout (conftest.run_cli).
"""

from __future__ import annotations

import os
import socket
import stat
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from conftest import run_cli

from compiler import limits
from compiler.diagnostics import Diagnostic
from compiler.load import documents

MakeRepo = Callable[..., Path]
needs_fifo = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
WORKSPACE = "version: 1\nworkspace: T\nbranches:\n  - branch: main\n    deployment: prod\n"
DEPLOYMENT = "name: prod\nastro:\n  executor: KUBERNETES\n"
ALIAS_BOMB = (
    "\n".join(
        ['l0: &l0 ["x", "x", "x", "x", "x", "x", "x", "x", "x", "x"]']
        + [f"l{i}: &l{i} [" + ", ".join([f"*l{i - 1}"] * 10) + "]" for i in range(1, 9)]
        + ["repos: []"]
    )
    + "\n"
)


@contextmanager
def unix_socket(path: Path) -> Iterator[None]:
    here = os.getcwd()
    os.chdir(path.parent)  # a relative name: socket paths are limited to about 100 bytes
    try:
        with socket.socket(socket.AF_UNIX) as server:
            server.bind(path.name)
            yield
    finally:
        os.chdir(here)


# --- read_regular_file ---------------------------------------------------------------------


def test_a_regular_file_is_read(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_bytes(b"a: 1\n")
    assert limits.read_regular_file(tmp_path / "a.yaml", "a.yaml") == b"a: 1\n"


@needs_fifo
def test_a_fifo_is_refused_without_waiting(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "p.yaml")
    (tmp_path / "to-p.yaml").symlink_to("p.yaml")

    for name in ("p.yaml", "to-p.yaml"):
        found = limits.read_regular_file(tmp_path / name, name)
        assert isinstance(found, Diagnostic)
        assert (found.code, found.location.path) == ("special-file", name)
        assert "named pipe" in found.message


@pytest.mark.skipif(not hasattr(socket, "AF_UNIX"), reason="needs Unix sockets")
def test_a_socket_is_refused(tmp_path: Path) -> None:
    with unix_socket(tmp_path / "s.yaml"):
        found = limits.read_regular_file(tmp_path / "s.yaml", "s.yaml")
    assert isinstance(found, Diagnostic) and found.code == "special-file" and "socket" in found.message


def test_a_folder_and_a_device_are_refused(tmp_path: Path) -> None:
    (tmp_path / "d.yaml").mkdir()
    folder = limits.read_regular_file(tmp_path / "d.yaml", "d.yaml")
    assert isinstance(folder, Diagnostic) and folder.code == "special-file" and "folder" in folder.message
    if Path("/dev/zero").exists() and stat.S_ISCHR(os.stat("/dev/zero").st_mode):  # endless if ever read
        device = limits.read_regular_file(Path("/dev/zero"), "zero.yaml")
        assert isinstance(device, Diagnostic) and device.code == "special-file" and "device" in device.message


def test_missing_and_oversized_files(tmp_path: Path) -> None:
    missing = limits.read_regular_file(tmp_path / "gone.yaml", "gone.yaml")
    assert isinstance(missing, Diagnostic) and missing.code == "unreadable"
    with (tmp_path / "huge.yaml").open("wb") as handle:  # sparse: the size without the bytes
        handle.truncate(limits.MAX_FILE_BYTES + 1)
    huge = limits.read_regular_file(tmp_path / "huge.yaml", "huge.yaml")
    assert isinstance(huge, Diagnostic) and huge.code == "file-too-large"


def test_read_yaml_file_reads_and_parses_within_the_limits(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text("a: [1, 0b1, 1_000]\n")
    (tmp_path / "bomb.yaml").write_text(ALIAS_BOMB)

    document, problems = documents.read_yaml_file(tmp_path / "a.yaml", "a.yaml")
    assert document is not None and document.data == {"a": [1, "0b1", "1_000"]} and problems == []
    bomb, found = documents.read_yaml_file(tmp_path / "bomb.yaml", "bomb.yaml")
    assert bomb is None and [d.code for d in found] == ["alias-bomb"]


# --- at the command line: validate, init and import ----------------------------------------


def environments(make_repo: MakeRepo) -> Path:
    return make_repo({"environments/workspace.yaml": WORKSPACE, "environments/deployments/prod.yaml": DEPLOYMENT})


@needs_fifo
def test_validate_reports_special_files_and_never_hangs(make_repo: MakeRepo) -> None:
    root = environments(make_repo)
    os.mkfifo(root / "environments" / "pipe.yaml")
    (root / "environments" / "deployments" / "dir.yaml").mkdir()  # a folder is walked, not read
    with unix_socket(root / "environments" / "sock.yml"):
        result = run_cli("validate", cwd=root)

    assert result.code == 1, result.err
    assert "environments/pipe.yaml:1:1: error[special-file]: a named pipe (FIFO) is not read" in result.out
    assert "environments/sock.yml:1:1: error[special-file]: a socket is not read" in result.out
    assert "dir.yaml" not in result.out


@needs_fifo
def test_init_refuses_a_fifo_for_its_files(make_repo: MakeRepo) -> None:
    for name in (".pre-commit-config.yaml", ".gitignore"):
        root = make_repo({})
        os.mkfifo(root / name)

        result = run_cli("init", cwd=root)

        assert (
            result.code == 1
            and f"astro-gitops: error: cannot read {name}" in result.err
            and "a named pipe" in result.err
        )
        assert not (root / "environments").exists()


def test_init_reads_pre_commit_config_within_the_limits(make_repo: MakeRepo) -> None:
    """An alias bomb ran for 100 s, then exit 70; now it is refused at once, located."""
    root = make_repo({".pre-commit-config.yaml": ALIAS_BOMB})

    result = run_cli("init", cwd=root)

    assert result.code == 1, result.err
    assert (
        "astro-gitops: error: .pre-commit-config.yaml is not valid YAML; fix it, or add this entry under `repos:` by hand:\n.pre-commit-config.yaml:"
        in result.err
    )
    assert "error[alias-bomb]" in result.err
    assert not (root / "environments").exists()


@pytest.mark.parametrize(
    "text",
    ["%YAML 1.3\n---\nrepos: []\n", "repos:\n- repo: x\n  rev:\t1\n", "repos: !!seq x\n", "repos: [&a a, &a b]\n"],
)
def test_init_reads_pre_commit_config_with_the_same_rules(make_repo: MakeRepo, text: str) -> None:
    root = make_repo({".pre-commit-config.yaml": text})

    result = run_cli("init", cwd=root)

    if "&a" in text:  # a reused anchor is a warning only: the hook is added
        assert result.code == 0, result.err
        return
    assert (
        result.code == 1 and "is not valid YAML; fix it" in result.err and "\n.pre-commit-config.yaml:" in result.err
    ), result.err
    assert "Traceback" not in result.err and "Warning" not in result.err


@needs_fifo
def test_import_refuses_a_fifo_and_an_alias_bomb(make_repo: MakeRepo, tmp_path: Path) -> None:
    root = environments(make_repo)
    os.mkfifo(tmp_path / "pipe.yaml")
    (tmp_path / "bomb.yaml").write_text(ALIAS_BOMB.replace("repos: []", "airflow: {}"))

    pipe = run_cli("import", str(tmp_path / "pipe.yaml"), cwd=root)
    bomb = run_cli("import", str(tmp_path / "bomb.yaml"), cwd=root)

    assert pipe.code == 1 and "error[special-file]: a named pipe (FIFO) is not read" in pipe.err
    assert bomb.code == 1 and "error[alias-bomb]" in bomb.err
    assert not (root / "environments" / "imported").exists()
