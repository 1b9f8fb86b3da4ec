"""Integrity of what render leaves on disk (SPEC 5): killed, failed, reordered, or facing files it did not write.

A render killed with SIGKILL leaves every output file either absent or whole (byte-identical
to a render that finished). Render stages the changed texts in a folder of its own inside
--out (`.astro-gitops-staging-XXXXXXXX`, whole files and at most one temporary file) and
renames them into place once all are staged: a kill may leave that folder, which the next
render removes (it is render's own, under the folder's lock); a temporary file beside an
output (`.NAME.XXXXXXXX.tmp`, the manifest's) is left where it is. The next render completes
the outputs, and `--check` finds no drift in either.

Not repeated here (tests/render/test_write.py): a write that fails half-way (a full disk), a
second run writing nothing, hash seeds over one folder, a foreign file at an output path,
a foreign file beside the outputs.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import ModuleType

import pytest
from conftest import EXAMPLE, REPO, Run, clean_env, edit_file, example_secret_names, installed_command, run_cli

from compiler import cli, limits
from compiler.load import sources
from compiler.model import out_names

TEMPORARY = re.compile(r"\.(?P<target>.+)\.[A-Za-z0-9_]{8}\.tmp")
STAGING = ".astro-gitops-staging-"  # render's staging folder in --out (compiler.render.write)
VARIABLES = "environments/variables.yaml"
PRODUCTION = "environments/deployments/production.yaml"
# 200 Deployments of 10 connections: ~400 files; about a second of work before the first
# write, then a few hundred milliseconds of writes (one fsync per file).
CONNECTIONS, DEPLOYMENTS = 10, 200


def tree(folder: Path) -> dict[str, bytes]:
    """Every file under `folder` but the lock file (empty; render holds it while it writes)."""
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and p.relative_to(folder).as_posix() != out_names.LOCK
    }


def snapshot(folder: Path) -> dict[str, tuple[bytes, int]]:
    return {
        p.relative_to(folder).as_posix(): (p.read_bytes(), p.stat().st_mtime_ns)
        for p in folder.rglob("*")
        if p.is_file()
    }


def aged(folder: Path) -> dict[str, tuple[bytes, int]]:
    """Every file's mtime set far in the past (a rewrite shows even on a coarse clock); the snapshot."""
    for path in folder.rglob("*"):
        if path.is_file():
            os.utime(path, ns=(1_000_000_000, 1_000_000_000))
    return snapshot(folder)


def _benchmarks() -> ModuleType:
    spec = importlib.util.spec_from_file_location("benchmark_generate", REPO / "benchmarks" / "generate.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# --- SIGKILL mid-render --------------------------------------------------------------------


def _start(root: Path, out: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [installed_command(), "--root", str(root), "render", "--all", "--out", str(out)],
        env=clean_env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _kill(root: Path, out: Path, *, after: float, from_first_write: bool) -> int:
    """Start a render and SIGKILL it `after` seconds (counted from its first write, if asked); its exit code."""
    proc = _start(root, out)
    if from_first_write:
        deadline = time.monotonic() + 60
        while not (out / out_names.MANIFEST).exists() and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.0005)  # render claims its files in the manifest before writing any
    time.sleep(after)
    proc.send_signal(signal.SIGKILL)
    return proc.wait(timeout=60)


def _whole_or_absent(out: Path, reference: dict[str, bytes]) -> tuple[int, list[str]]:
    """Check every file under `out`; how many outputs are there, and the temporary files left."""
    outputs, left = 0, []
    for relative, content in tree(out).items():
        folder, _, name = relative.rpartition("/")
        temporary = TEMPORARY.fullmatch(name)
        if relative.startswith(STAGING):  # a staged text, whole, or its temporary file
            left.append(relative)
        elif temporary:
            target = f"{folder}/{temporary['target']}".lstrip("/")
            assert target in reference, relative  # only ever beside a file render writes
            left.append(relative)
        elif relative == out_names.MANIFEST:
            listed = json.loads(content)  # never a partial manifest either
            assert set(listed["files"]) == set(reference) - {out_names.MANIFEST}
        else:
            assert content == reference[relative], f"{relative} is partial or wrong"
            outputs += 1
    return outputs, left


def test_a_killed_render_leaves_whole_files_and_the_next_one_finishes(tmp_path: Path) -> None:
    root = tmp_path / "large"
    _benchmarks().generate(root, CONNECTIONS, DEPLOYMENTS)
    reference_out = tmp_path / "reference"
    finished = run_cli("--root", str(root), "render", "--all", "--out", str(reference_out), cwd=tmp_path)
    assert finished.code == 0, finished.err
    reference = tree(reference_out)
    assert len(reference) == 2 * DEPLOYMENTS + 2  # two files each, the workspace view, the manifest
    stamps = [p.stat().st_mtime for p in reference_out.rglob("*") if p.is_file()]
    writing = max(stamps) - (reference_out / out_names.MANIFEST).stat().st_mtime  # the write phase, in seconds

    kills = [(0.2, False), (0.0, True), *((writing * share, True) for share in (0.25, 0.5, 0.75))]
    outs = [tmp_path / f"killed-{i}" for i in range(len(kills))]
    states = []
    for out, (after, from_first_write) in zip(outs, kills, strict=True):
        assert _kill(root, out, after=after, from_first_write=from_first_write) in (-signal.SIGKILL, 0)
        states.append(_whole_or_absent(out, reference) if out.exists() else (0, []))
    outputs = len(reference) - 1
    assert any(0 < written < outputs or left for written, left in states), f"no kill landed mid-write: {states}"

    def finish(out: Path) -> Run:
        return run_cli("--root", str(root), "render", "--all", "--out", str(out), cwd=tmp_path)

    with ThreadPoolExecutor(max_workers=2) as pool:
        finishes = list(pool.map(finish, outs))
    for out, (_, left), again in zip(outs, states, finishes, strict=True):
        assert again.code == 0, again.err
        now = tree(out)
        beside = sorted(p for p in left if not p.startswith(STAGING))
        assert sorted(p for p in now if TEMPORARY.fullmatch(p.rpartition("/")[2])) == beside  # left alone
        assert {p: c for p, c in now.items() if p not in beside} == reference  # the staging folder is gone
    # Nor does what a killed render leaves count as drift.
    leftover = outs[0] / f"{STAGING}killed"
    leftover.mkdir()
    (leftover / "0").write_bytes(next(iter(reference.values())))
    (outs[0] / "dep0000" / ".deployment.yaml.abcd1234.tmp").write_text("half")
    check = run_cli("--root", str(root), "render", "--all", "--check", "--out", str(outs[0]), cwd=tmp_path)
    assert check == Run(0, "", ""), check


# --- a failed render changes nothing ---------------------------------------------------------


def _secrets() -> dict[str, str]:
    return {name: f"value-of-{name.lower()}" for name in example_secret_names()}


Failure = tuple[tuple[str, ...], dict[str, str]]  # the render options and the environment of the failing run


def _missing_secret(root: Path) -> Failure:
    return ("--secrets", "env"), {k: v for k, v in _secrets().items() if k != "SLACK_WEBHOOK_URL"}


def _template_error(root: Path) -> Failure:
    edit_file(root, VARIABLES, '"{{ deployment.name }}"', '"{{ deployment.name ~ (1 // 0) }}"')
    return ("--secrets", "env"), _secrets()


def _unreadable_dotenv(root: Path) -> Failure:
    return (f"--secrets=dotenv:{root / 'no-such.env'}",), {}


def _foreign_file(root: Path) -> Failure:
    """A new Deployment whose output path holds a file render did not write."""
    sandbox = (root / "environments/deployments/sandbox.yaml").read_text()
    (root / "environments/deployments/staging.yaml").write_text(sandbox.replace("name: sandbox", "name: staging"))
    (root / "build/staging").mkdir()
    (root / "build/staging/deployment.yaml").write_text("someone else's\n")
    return ("--secrets", "env"), _secrets()


FAILURES: dict[str, Callable[[Path], Failure]] = {
    "a missing secret": _missing_secret,
    "a template error": _template_error,
    "an unreadable dotenv file": _unreadable_dotenv,
    "a file render did not write": _foreign_file,
}


@pytest.mark.parametrize("failure", sorted(FAILURES))
def test_a_failed_render_leaves_earlier_outputs_untouched(example_repo: Path, failure: str) -> None:
    assert run_cli("render", "--all", "--secrets", "env", cwd=example_repo, env=_secrets()).code == 0
    edit_file(example_repo, PRODUCTION, "LOG_LEVEL: INFO", "LOG_LEVEL: WARNING")  # so there is something to write
    args, env = FAILURES[failure](example_repo)
    before = aged(example_repo / "build")

    result = run_cli("render", "--all", *args, cwd=example_repo, env=env)

    assert result.code == 1, result
    assert result.out == "" and result.err and "Traceback" not in result.err
    assert snapshot(example_repo / "build") == before  # bytes and mtimes: nothing written, nothing removed


# --- byte-identical whatever the order the file system lists files in -------------------------


def _copy_in_reverse(source: Path, target: Path) -> None:
    """The same files, created in the reverse order (folders too)."""
    for path in sorted(source.rglob("*"), reverse=True):
        if path.is_file():
            (target / path.relative_to(source)).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, target / path.relative_to(source))


def _reversed_walk(real: Callable[..., Iterator[tuple[str, list[str], list[str]]]], calls: list[str]) -> object:
    def walk(top: str, *args: object, **kwargs: object) -> Iterator[tuple[str, list[str], list[str]]]:
        calls.append(str(top))
        for folder, folders, files in real(top, *args, **kwargs):
            folders.reverse()  # in place: a caller that prunes `folders` still can
            files.reverse()
            yield folder, folders, files

    return walk


def test_byte_identical_across_folders_creation_orders_listing_orders_and_hash_seeds(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """tests/render/test_write.py varies the hash seed over one folder; here the folder and the order change too."""
    first = tmp_path / "a"
    shutil.copytree(EXAMPLE, first / "environments")
    second = tmp_path / "elsewhere" / "a much longer, spaced name"
    _copy_in_reverse(EXAMPLE, second / "environments")

    runs = [
        run_cli("--root", str(first), "render", "--all", "--out", str(tmp_path / "out-1"), cwd=tmp_path,
                env={"PYTHONHASHSEED": "0"}),
        run_cli("--root", str(second), "render", "--all", "--out", str(tmp_path / "out-2"), cwd=second,
                env={"PYTHONHASHSEED": "4242"}),
    ]  # fmt: skip
    assert [r.code for r in runs] == [0, 0], runs
    # In this process: every folder listed in reverse order.
    walked: list[str] = []
    monkeypatch.setattr(os, "walk", _reversed_walk(os.walk, walked))
    assert cli.main(["--root", str(second), "render", "--all", "--out", str(tmp_path / "out-3")]) == 0
    capsys.readouterr()
    assert walked, "the loader no longer lists through os.walk: reverse its listing some other way"

    trees = [tree(tmp_path / f"out-{i}") for i in (1, 2, 3)]
    assert trees[0] == trees[1] == trees[2]
    assert str(tmp_path).encode() not in b"".join(trees[0].values())  # no path of the machine in the outputs


# --- render never overwrites or deletes what it did not write -----------------------------------


def test_a_folder_where_an_output_file_belongs(example_repo: Path) -> None:
    (example_repo / "build/production/deployment.yaml").mkdir(parents=True)
    (example_repo / "build/production/deployment.yaml/keep.txt").write_text("keep\n")
    result = run_cli("render", "--all", cwd=example_repo)
    assert result.code == 1 and result.out == ""
    assert result.err.startswith("astro-gitops: error: cannot read ") and result.err.endswith(
        "deployment.yaml: it is a folder, not a file\n"
    )
    assert tree(example_repo / "build") == {"production/deployment.yaml/keep.txt": b"keep\n"}


def test_a_file_where_an_output_folder_belongs(example_repo: Path) -> None:
    (example_repo / "build").mkdir()
    (example_repo / "build/sandbox").write_text("not a folder\n")
    result = run_cli("render", "--all", cwd=example_repo)
    assert result.code == 1 and "Traceback" not in result.err
    assert result.err.endswith("sandbox/airflow_settings.yaml: it has a file where a folder belongs in its path\n")
    assert tree(example_repo / "build") == {"sandbox": b"not a folder\n"}


def test_a_link_at_an_output_path_is_replaced_never_followed(example_repo: Path, tmp_path: Path) -> None:
    """A file render wrote, replaced by a link to a file elsewhere: render replaces the link, not its target."""
    assert run_cli("render", "--all", cwd=example_repo).code == 0
    victim = tmp_path / "victim.yaml"
    victim.write_text("someone else's file\n")
    ours = example_repo / "build/production/deployment.yaml"
    expected = ours.read_bytes()
    ours.unlink()
    ours.symlink_to(victim)

    result = run_cli("render", "--all", cwd=example_repo)

    assert result.code == 0, result.err
    assert f"wrote {ours}" in result.out.splitlines()
    assert victim.read_text() == "someone else's file\n"
    assert not ours.is_symlink() and ours.read_bytes() == expected


def test_a_link_to_a_foreign_file_is_refused(example_repo: Path, tmp_path: Path) -> None:
    victim = tmp_path / "victim.yaml"
    victim.write_text("someone else's file\n")
    link = example_repo / "build/production/deployment.yaml"
    link.parent.mkdir(parents=True)
    link.symlink_to(victim)
    result = run_cli("render", "--all", cwd=example_repo)
    assert result.code == 1 and "refusing to overwrite" in result.err
    assert link.is_symlink() and victim.read_text() == "someone else's file\n"


# --- limits ---------------------------------------------------------------------------------------


def test_the_file_count_limit_at_its_boundary(tmp_path: Path) -> None:
    """README: at most 20,000 files are read. (There is no bound on the number of objects.)"""
    assert limits.MAX_FILES == 20_000
    environments = tmp_path / "environments"
    environments.mkdir()
    (environments / "workspace.yaml").write_text("version: 1\n")
    for i in range(limits.MAX_FILES):
        (environments / f"o{i:05d}.yaml").write_bytes(b"{}\n")

    over = run_cli("--root", str(tmp_path), "validate", cwd=tmp_path)
    assert over.code == 1
    assert "environments:1:1: error[too-many-files]: more than 20000 files\n" in over.out

    (environments / "o00000.yaml").unlink()
    at_limit = sources.filesystem_sources(tmp_path)
    assert len(at_limit) == limits.MAX_FILES
    assert [s.problem for s in at_limit if s.problem is not None] == []
