"""Every file we write where a user points us (`plan --out`, `render --out`'s files, `import`'s
output and dotenv file, `init`'s scaffolding) refuses to replace what is not a regular file: a
FIFO, a socket, a folder where a file belongs, a device (apply PLAN refuses to read one). A
symbolic link there is replaced by the rename, never followed. Through the installed command.

No test touches /dev: the specials are made in a temporary folder (a device only as the
target of a link there, which must be left as it is)."""

from __future__ import annotations

import os
import socket
import stat
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from conftest import run_cli
from support.astro_fake import FakeAstro

from acceptance.test_sync_apply import KEY


def _fifo(path: Path) -> None:
    os.mkfifo(path)


def _folder(path: Path) -> None:
    path.mkdir()
    (path / "keep").write_text("x")


@pytest.fixture
def sockets() -> Iterator[list[socket.socket]]:
    held: list[socket.socket] = []
    yield held
    for each in held:
        each.close()


SPECIALS: dict[str, str] = {"fifo": "a named pipe (FIFO)", "socket": "a socket", "folder": "a folder"}


def make_special(kind: str, path: Path, sockets: list[socket.socket]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if kind == "fifo":
        _fifo(path)
    elif kind == "folder":
        _folder(path)
    else:
        held = socket.socket(socket.AF_UNIX)
        sockets.append(held)
        here = os.getcwd()
        os.chdir(path.parent)  # a relative name: a temporary folder's path may be longer than an address
        try:
            held.bind(path.name)
        finally:
            os.chdir(here)


def still_there(kind: str, path: Path) -> bool:
    mode = os.lstat(path).st_mode
    return {"fifo": stat.S_ISFIFO, "socket": stat.S_ISSOCK, "folder": stat.S_ISDIR}[kind](mode)


WRITERS: dict[str, Callable[[Path, Path], tuple[list[str], Path]]] = {
    # name: (repo, scratch) -> (argv, the target path that is made special)
    "plan --out": lambda repo, d: (
        ["plan", "--deployment", "production", "--out", str(d / "plan.json")],
        d / "plan.json",
    ),
    "render --out file": lambda repo, d: (
        ["render", "--deployment", "production", "--out", str(d / "out")],
        d / "out" / "production" / "deployment.yaml",
    ),
    "render --out manifest": lambda repo, d: (
        ["render", "--deployment", "production", "--out", str(d / "out")],
        d / "out" / ".astro-gitops-manifest.json",
    ),
    "import output": lambda repo, d: (
        ["import", str(d / "settings.yaml")],
        repo / "environments" / "imported" / "variables.yaml",
    ),
    "import --force output": lambda repo, d: (
        ["import", str(d / "settings.yaml"), "--force"],
        repo / "environments" / "imported" / "variables.yaml",
    ),
    "import dotenv": lambda repo, d: (
        ["import", str(d / "settings.yaml"), "--dotenv", str(d / "secrets.env")],
        d / "secrets.env",
    ),
    "init --force scaffolding": lambda repo, d: (
        ["init", "--force"],
        repo / ".github" / "workflows" / "astro-gitops.yml",
    ),
}

SETTINGS = (
    "airflow:\n  variables:\n    - variable_name: v1\n      variable_value: one\n"
    "  connections:\n    - conn_id: db1\n      conn_type: postgres\n      conn_password: pw-value-1\n"
)


@pytest.mark.parametrize("kind", sorted(SPECIALS))
@pytest.mark.parametrize("writer", sorted(WRITERS))
def test_a_special_file_where_we_write_is_refused_not_replaced(
    seeded: FakeAstro,
    repo: Path,
    tmp_path: Path,
    example_secrets: dict[str, str],
    sockets: list[socket.socket],
    writer: str,
    kind: str,
) -> None:
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    (scratch / "settings.yaml").write_text(SETTINGS)
    args, target = WRITERS[writer](repo, scratch)
    make_special(kind, target, sockets)
    env = seeded.env(**example_secrets, ASTRO_GITOPS_FINGERPRINT_KEY=KEY)

    result = run_cli(*args, cwd=repo, env=env)

    assert result.code in (1, 2), (result.code, result.out, result.err)
    assert "Traceback" not in result.err and "internal error" not in result.err
    assert still_there(kind, target), "the special file was replaced"
    assert str(target) in result.err or "refusing to overwrite existing file" in result.err, result.err


@pytest.mark.parametrize("writer", ["plan --out", "render --out file", "import --force output"])
def test_a_link_to_a_device_where_we_write_is_replaced_never_written_through(
    seeded: FakeAstro, repo: Path, tmp_path: Path, example_secrets: dict[str, str], writer: str
) -> None:
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    (scratch / "settings.yaml").write_text(SETTINGS)
    args, target = WRITERS[writer](repo, scratch)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.symlink_to(os.devnull)
    env = seeded.env(**example_secrets, ASTRO_GITOPS_FINGERPRINT_KEY=KEY)

    result = run_cli(*args, cwd=repo, env=env)

    assert "Traceback" not in result.err and result.code != 70, result.err
    assert stat.S_ISCHR(os.stat(os.devnull).st_mode)  # the device is still a device
    if result.code == 0:
        assert not target.is_symlink() and target.is_file()  # the link itself was replaced


@pytest.mark.parametrize(
    ("args", "linked"),
    [
        (["import", "SETTINGS"], "environments/imported"),
        (["import", "SETTINGS", "--force"], "environments/imported"),
        (["init", "--force"], ".github"),
        (["init", "--force"], ".github/workflows"),
    ],
    ids=["import", "import --force", "init .github", "init .github/workflows"],
)
def test_a_folder_on_the_way_that_links_outside_is_refused(
    repo: Path, tmp_path: Path, args: list[str], linked: str
) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    settings = tmp_path / "settings.yaml"
    settings.write_text(SETTINGS)
    link = repo / linked
    link.parent.mkdir(parents=True, exist_ok=True)
    link.symlink_to(outside)

    result = run_cli(*[str(settings) if a == "SETTINGS" else a for a in args], cwd=repo)

    assert result.code == 1 and f"{link} is a symbolic link" in result.err, result.err
    assert list(outside.iterdir()) == []
