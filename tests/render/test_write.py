"""Writing the outputs (SPEC 5): atomic, only when changed, --check, ownership, secrets kept out of logs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

import pytest
from conftest import (
    FULL_DISK,
    Run,
    clean_env,
    edit_file,
    git,
    imports_of_validate,
    installed_command,
    run_cli,
    run_python,
)

from compiler.errors import OperationError
from compiler.model import out_names
from compiler.render import write

PROD_DEPLOYMENT = "production/deployment.yaml"
PROD_FILE = "environments/deployments/production.yaml"


def render(root: Path, *args: str, env: dict[str, str] | None = None) -> Run:
    return run_cli("render", "--all", *args, cwd=root, env=env)


def tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def age(folder: Path) -> dict[str, int]:
    """Set every file's mtime far in the past; the mtimes, to compare after another run."""
    for path in folder.rglob("*"):
        if path.is_file():
            os.utime(path, ns=(1_000_000_000, 1_000_000_000))
    return mtimes(folder)


def mtimes(folder: Path) -> dict[str, int]:
    """The mtime of every file but the lock's (taking a lock may touch its file)."""
    return {
        p.relative_to(folder).as_posix(): p.stat().st_mtime_ns
        for p in folder.rglob("*")
        if p.is_file() and p.name != out_names.LOCK
    }


def temporary_files(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if p.name.endswith(".tmp")]


# --- atomic, write-if-changed ----------------------------------------------------------


def test_render_writes_every_file_and_no_temporary_file(example_repo: Path) -> None:
    result = render(example_repo)
    assert result.code == 0, result.err
    build = example_repo / "build"
    rendered = set(tree(build)) - out_names.BOOKKEEPING
    assert rendered == {
        "environment-objects.json",
        *(
            f"{d}/{f}"
            for d in ("development", "production", "sandbox")
            for f in ("airflow_settings.yaml", "deployment.yaml")
        ),
    }
    assert sorted(result.out.splitlines()) == sorted(f"wrote {build / p}" for p in rendered)
    assert temporary_files(build) == []
    assert json.loads((build / out_names.MANIFEST).read_text())["files"] == sorted(rendered)


def test_a_second_run_writes_nothing(example_repo: Path) -> None:
    assert render(example_repo).code == 0
    before = age(example_repo / "build")
    again = render(example_repo)
    assert again.code == 0, again.err
    assert again.out.splitlines() and all(line.startswith("unchanged ") for line in again.out.splitlines())
    assert mtimes(example_repo / "build") == before


def test_only_changed_files_are_rewritten(example_repo: Path) -> None:
    assert render(example_repo).code == 0
    before = age(example_repo / "build")
    edit_file(example_repo, PROD_FILE, "LOG_LEVEL: INFO", "LOG_LEVEL: WARNING")
    result = render(example_repo)
    assert result.code == 0, result.err
    wrote = [line.split(" ", 1)[1] for line in result.out.splitlines() if line.startswith("wrote ")]
    assert wrote == [str(example_repo / "build" / PROD_DEPLOYMENT)]
    after = mtimes(example_repo / "build")
    assert {p for p in before if after[p] != before[p]} == {PROD_DEPLOYMENT}


def _fail_on(monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    """Make the rename onto a file called `name` fail, as a full disk or a crash would."""
    real = os.replace

    def replace(source: str | os.PathLike[str], target: str | os.PathLike[str]) -> None:
        if Path(target).name == name:
            raise OSError(28, "No space left on device")
        real(source, target)

    monkeypatch.setattr(os, "replace", replace)


def test_a_failure_half_way_leaves_only_whole_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "out"
    write.write(out, {"a/x.yaml": "old a\n", "b/y.yaml": "old b\n", "c/z.yaml": "old c\n"})
    _fail_on(monkeypatch, "y.yaml")
    with pytest.raises(OperationError, match="No space"):
        write.write(out, {"a/x.yaml": "new a\n", "b/y.yaml": "new b\n", "c/z.yaml": "new c\n"})
    assert (out / "a/x.yaml").read_text() == "new a\n"  # renamed into place before the failure
    assert (out / "b/y.yaml").read_text() == "old b\n"  # the failed file: untouched, not partial
    assert (out / "c/z.yaml").read_text() == "old c\n"  # never reached
    assert temporary_files(out) == []


def test_files_of_a_failed_first_run_stay_ours(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "out"
    with monkeypatch.context() as patch:
        _fail_on(patch, "y.yaml")
        with pytest.raises(OperationError):
            write.write(out, {"a/x.yaml": "1\n", "b/y.yaml": "2\n"})
    assert (out / "a/x.yaml").exists()
    result = write.write(out, {"a/x.yaml": "1 changed\n", "b/y.yaml": "2\n"})
    assert result.written == ["a/x.yaml", "b/y.yaml"]


def test_write_reports_written_and_unchanged(tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert write.write(out, {"a": "1\n", "b": "2\n"}).written == ["a", "b"]
    result = write.write(out, {"a": "1\n", "b": "3\n"})
    assert (result.written, result.unchanged) == (["b"], ["a"])


def test_a_text_in_pieces_is_written_and_compared_as_its_whole(tmp_path: Path) -> None:
    """environment-objects.json comes in pieces (one request each): the file holds them joined,
    and the file there is compared as render reads it (UTF-8, universal newlines)."""
    out = tmp_path / "out"
    first = write.write_streamed(out, ["a", "b"], [("a", iter(["[\n", "  1", "\n]\n"])), ("b", "2\n")])
    assert first.written == ["a", "b"]
    assert (out / "a").read_bytes() == b"[\n  1\n]\n"
    same = write.write_streamed(out, ["a"], [("a", iter(["[\n  1\n", "]\n"]))])
    assert (same.written, same.unchanged) == ([], ["a"])
    (out / "a").write_bytes(b"[\r\n  1\r\n]\r\n")  # the same text, as read
    assert write.write_streamed(out, ["a"], [("a", iter(["[\n  1\n]\n"]))]).unchanged == ["a"]
    for changed in (["[\n  2\n]\n"], ["[\n  1\n]\n", "x"], ["[\n  1\n"]):
        assert write.write_streamed(out, ["a"], [("a", iter(changed))]).written == ["a"]
        assert (out / "a").read_text(encoding="utf-8") == "".join(changed)
    assert not list(out.glob(write.STAGING_PREFIX + "*"))


def test_a_text_in_pieces_over_a_file_that_is_not_utf8_is_refused(tmp_path: Path) -> None:
    out = tmp_path / "out"
    write.write_streamed(out, ["a"], [("a", iter(["one\n", "two\n"]))])
    (out / "a").write_bytes(b"one\ntwo\n\xff")
    with pytest.raises(OperationError, match="it is not UTF-8 text"):
        write.write_streamed(out, ["a"], [("a", iter(["one\n", "two\n"]))])
    assert (out / "a").read_bytes() == b"one\ntwo\n\xff"
    assert not list(out.glob(write.STAGING_PREFIX + "*"))


# --- --check ---------------------------------------------------------------------------


def test_check_reports_drift_as_a_diff_and_writes_nothing(example_repo: Path) -> None:
    assert render(example_repo).code == 0
    build = example_repo / "build"
    age(build)
    before, before_times = tree(build), mtimes(build)
    edit_file(example_repo, PROD_FILE, "LOG_LEVEL: INFO", "LOG_LEVEL: WARNING")
    result = render(example_repo, "--check")
    assert result.code == 3, result.err
    assert f"--- build/{PROD_DEPLOYMENT}\n+++ build/{PROD_DEPLOYMENT}\n" in result.out
    assert "\n-      value: INFO\n+      value: WARNING\n" in result.out
    assert "airflow_settings.yaml" not in result.out
    assert (tree(build), mtimes(build)) == (before, before_times)


def test_check_is_silent_when_in_sync(example_repo: Path) -> None:
    assert render(example_repo).code == 0
    assert render(example_repo, "--check") == Run(0, "", "")


def test_check_before_any_render_writes_nothing(example_repo: Path) -> None:
    result = render(example_repo, "--check")
    assert result.code == 3
    assert f"--- /dev/null\n+++ build/{PROD_DEPLOYMENT}\n" in result.out
    assert not (example_repo / "build").exists()


# --- ownership ---------------------------------------------------------------------------


def test_refuses_to_overwrite_a_file_it_did_not_write(example_repo: Path) -> None:
    mine = example_repo / "build" / PROD_DEPLOYMENT
    mine.parent.mkdir(parents=True)
    mine.write_text("hand-written\n")
    result = render(example_repo)
    assert result.code == 1
    assert "refusing to overwrite" in result.err
    assert str(mine) in result.err
    assert mine.read_text() == "hand-written\n"
    assert set(tree(example_repo / "build")) - {out_names.LOCK} == {PROD_DEPLOYMENT}  # nothing else written either


def test_never_deletes_a_file_it_did_not_write(example_repo: Path) -> None:
    notes = example_repo / "build" / "production" / "NOTES.md"
    notes.parent.mkdir(parents=True)
    notes.write_text("keep me\n")
    assert render(example_repo).code == 0
    assert run_cli("render", "--deployment", "sandbox", cwd=example_repo).code == 0
    assert notes.read_text() == "keep me\n"
    assert (example_repo / "build" / PROD_DEPLOYMENT).exists()


# --- determinism ------------------------------------------------------------------------


def test_byte_identical_across_hash_seeds(example_repo: Path, tmp_path: Path) -> None:
    trees = []
    for seed in ("0", "1", "random"):
        out = tmp_path / f"out-{seed}"
        result = render(example_repo, "--out", str(out), env={"PYTHONHASHSEED": seed})
        assert result.code == 0, result.err
        trees.append(tree(out))
    assert trees[0] == trees[1] == trees[2]


# --- secrets ---------------------------------------------------------------------------


def test_env_secrets_are_never_written_into_a_tracked_file(example_repo: Path, example_secrets: dict[str, str]) -> None:
    rendered = example_repo / "rendered"
    assert render(example_repo, "--out", "rendered").code == 0
    git(example_repo, "add", "rendered")
    git(example_repo, "commit", "-q", "-m", "rendered outputs, redacted")
    before = tree(rendered)
    edit_file(example_repo, PROD_FILE, "LOG_LEVEL: INFO", "LOG_LEVEL: WARNING")
    result = render(example_repo, "--out", "rendered", "--secrets", "env", env=example_secrets)
    assert result.code == 1
    assert "tracked by git" in result.err
    assert tree(rendered) == before
    assert render(example_repo, "--secrets", "env", env=example_secrets).code == 0  # build/ is ignored


def _assert_no_secret(result: Run, secrets: dict[str, str]) -> None:
    for value in secrets.values():
        for shown in (value, json.dumps(value)[1:-1], value.replace("'", "''")):
            assert shown not in result.out
            assert shown not in result.err


def _check_after_rotating(root: Path, secrets: dict[str, str], name: str, value: str) -> Run:
    """`render --check --secrets env` with secret `name` rotated to `value`: drift (exit 3),
    shown with neither the old values nor the new."""
    rotated = {**secrets, name: value}
    check = render(root, "--check", "--secrets", "env", env=rotated)
    assert check.code == 3
    _assert_no_secret(check, rotated)
    _assert_no_secret(check, secrets)
    return check


def test_secret_values_never_reach_the_terminal(example_repo: Path, example_secrets: dict[str, str]) -> None:
    written = render(example_repo, "--secrets", "env", env=example_secrets)
    assert written.code == 0, written.err
    _assert_no_secret(written, example_secrets)
    assert "fake-snowflake_prod_password" in (example_repo / "build/production/airflow_settings.yaml").read_text()

    # Drift in env mode: a changed field and a rotated secret; the diff shows neither value.
    edit_file(example_repo, PROD_FILE, "login: svc_prod", "login: svc_production")
    check = _check_after_rotating(example_repo, example_secrets, "SNOWFLAKE_PROD_PASSWORD", "rotated-value-8d2f")
    assert "+      conn_login: svc_production" in check.out

    # Redact mode over files rendered with real values: the old values stay hidden.
    redacted = render(example_repo, "--check")
    assert redacted.code == 3
    assert "<secret:SNOWFLAKE_PROD_PASSWORD>" not in redacted.out or "conn_password: ***" in redacted.out
    _assert_no_secret(redacted, example_secrets)


def test_drift_only_in_a_secret_value_is_reported_without_it(
    example_repo: Path, example_secrets: dict[str, str]
) -> None:
    assert render(example_repo, "--secrets", "env", env=example_secrets).code == 0
    check = _check_after_rotating(
        example_repo, example_secrets, "SLACK_WEBHOOK_URL", "https://hooks.example/rotated-5e1a"
    )
    assert "production/deployment.yaml" in check.out


def test_dotenv_values_stay_out_of_diagnostics(
    example_repo: Path, tmp_path: Path, example_secrets: dict[str, str]
) -> None:
    dotenv = tmp_path / "local.env"
    known = dict(list(example_secrets.items())[:3])
    dotenv.write_text("".join(f"{k}={json.dumps(v)}\n" for k, v in known.items()))
    result = render(example_repo, "--secrets", f"dotenv:{dotenv}")
    assert result.code == 1
    assert "missing secret(s)" in result.err
    _assert_no_secret(result, known)
    assert not (example_repo / "build").exists()


def test_github_masks_every_line_of_a_multi_line_secret(example_repo: Path, example_secrets: dict[str, str]) -> None:
    secrets = {**example_secrets, "SNOWFLAKE_PROD_PASSWORD": "-----BEGIN KEY-----\nMIIEsecretline\n-----END KEY-----"}
    result = render(example_repo, "--secrets", "env", env={**secrets, "GITHUB_ACTIONS": "true"})
    assert result.code == 0, result.err
    printed = [line for line in result.out.splitlines() if "MIIEsecretline" in line]
    assert printed and all(line.startswith("::add-mask::") for line in printed)


# --- names that become paths (issue 15 item 4) ----------------------------------------------

WORKSPACE = "version: 1\nworkspace: W\nbranches:\n  - {branch: main, deployment: ok}\n"


def _named(root: Path, *names: str) -> None:
    files = {"environments/workspace.yaml": WORKSPACE}
    for i, name in enumerate(("ok", *names)):
        files[f"environments/deployments/d{i}.yaml"] = f"name: {json.dumps(name)}\nastro: {{executor: KUBERNETES}}\n"
    for relative, text in files.items():
        (root / relative).parent.mkdir(parents=True, exist_ok=True)
        (root / relative).write_text(text, encoding="utf-8")


@pytest.mark.parametrize(
    "name",
    [
        "../outside-build",
        "a/b",
        "a\\b",
        "..",
        ".",
        ".hidden",
        "con",
        "LPT1.txt",
        "tab\there",
        "bell\x07",
        "rtl\u202eoverride",
        "trailing.",
        "trailing ",
        " leading",
        "x" * 101,
        "environment-objects.json",
    ],
)
def test_a_deployment_name_that_is_not_one_safe_folder_name_is_invalid(tmp_path: Path, name: str) -> None:
    _named(tmp_path, name)
    out = tmp_path / "deep" / "build"
    validated = run_cli("validate", cwd=tmp_path)
    assert validated.code == 1
    assert "environments/deployments/d1.yaml:1:7: error[invalid-deployment-name]: " in validated.out
    rendered = run_cli("render", "--all", "--out", str(out), cwd=tmp_path)
    assert rendered.code == 1 and "invalid-deployment-name" in rendered.err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["environments"]  # nothing written, anywhere


def test_names_equal_but_for_case_are_one_folder(tmp_path: Path) -> None:
    _named(tmp_path, "Prod", "prod", "Cafe\u0301", "caf\u00e9")
    result = run_cli("validate", cwd=tmp_path)
    assert result.code == 1
    collisions = [line for line in result.out.splitlines() if "error[duplicate-deployment]" in line]
    assert len(collisions) == 2 and "'prod' is also defined as 'Prod'" in collisions[0], result.out


@pytest.mark.parametrize(
    "files",
    [
        {"../x/a.yaml": "1\n"},
        {"a/../../x.yaml": "1\n"},
        {"/etc/x.yaml": "1\n"},
        {"a\\..\\..\\x": "1\n"},
        {"A/x.yaml": "1\n", "a/x.yaml": "2\n"},
        {".astro-gitops-manifest.json/x": "1\n"},
    ],
)
def test_write_refuses_any_path_that_is_not_safe_segments(tmp_path: Path, files: dict[str, str]) -> None:
    out = tmp_path / "out"
    with pytest.raises(OperationError, match="refusing to write"):
        write.write(out, files)
    with pytest.raises(OperationError, match="refusing to write"):
        write.drift(out, files, "out")
    assert sorted(p.name for p in tmp_path.rglob("*") if p.is_file()) == []


def test_render_never_writes_through_a_link_inside_the_output_folder(example_repo: Path, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (example_repo / "build").mkdir()
    (example_repo / "build" / "production").symlink_to(elsewhere)
    for args in (("render", "--all"), ("render", "--all", "--check"), ("render", "--deployment", "production")):
        result = run_cli(*args, cwd=example_repo)
        assert result.code == 1, (args, result)
        assert "is a symbolic link" in result.err and str(example_repo / "build" / "production") in result.err
    assert list(elsewhere.iterdir()) == []


# --- the output folder itself (issue 15 items 5 and 13) -------------------------------------


@pytest.mark.parametrize("out", ["environments", "environments/gen", "environments/deployments/x", "env-link/gen"])
def test_an_output_folder_inside_environments_is_refused(example_repo: Path, out: str) -> None:
    (example_repo / "env-link").symlink_to(example_repo / "environments")
    before = tree(example_repo / "environments")
    for args in (("render", "--all", "--out", out), ("render", "--all", "--check", "--out", out)):
        result = run_cli(*args, cwd=example_repo)
        assert result.code == 2, (args, result)
        assert result.err.startswith(f"astro-gitops: error: --out {out} is inside environments/")
    assert tree(example_repo / "environments") == before
    assert run_cli("validate", cwd=example_repo).code == 0


def test_a_deployment_folder_may_not_land_in_environments(make_repo: Callable[..., Path]) -> None:
    root = make_repo(
        {
            "environments/workspace.yaml": WORKSPACE.replace("ok", "environments"),
            "environments/deployments/d0.yaml": "name: environments\nastro: {executor: KUBERNETES}\n",
        }
    )
    result = run_cli("render", "--all", "--out", ".", cwd=root)
    assert result.code == 1 and "is environments/" in result.err
    assert sorted(p.name for p in (root / "environments").iterdir()) == ["deployments", "workspace.yaml"]


def test_a_dangling_link_or_a_file_as_the_output_folder(example_repo: Path) -> None:
    (example_repo / "build").symlink_to(example_repo / "gone")
    dangling = run_cli("render", "--all", cwd=example_repo)
    assert dangling.code == 1
    assert "is a symbolic link to" in dangling.err and "which does not exist" in dangling.err
    (example_repo / "build").unlink()
    (example_repo / "build").write_text("a file\n")
    a_file = run_cli("render", "--all", cwd=example_repo)
    assert a_file.code == 1 and "is not a folder" in a_file.err


def test_a_write_failure_is_exit_1_and_keeps_earlier_files_whole(example_repo: Path) -> None:
    """A full disk half-way: one line, exit 1; the next render finishes the job as its own."""
    result = run_python("-c", FULL_DISK, "production", "render", "--all", cwd=example_repo)
    assert result.returncode == 1, result.stderr
    assert result.stderr.startswith("astro-gitops: error: cannot write ") and "No space left on device" in result.stderr
    build = example_repo / "build"
    assert temporary_files(build) == []
    again = render(example_repo)
    assert again.code == 0, again.err
    assert (
        set(json.loads((build / out_names.MANIFEST).read_text())["files"]) == set(tree(build)) - out_names.BOOKKEEPING
    )


# --- one render at a time per folder (issue 15 item 6) ---------------------------------------

HOLD_LOCK = """
import sys, filelock
lock = filelock.FileLock(sys.argv[1])
lock.acquire()
print("held", flush=True)
sys.stdin.read()
"""


def test_concurrent_renders_into_one_folder_keep_every_manifest_entry(make_repo: Callable[..., Path]) -> None:
    names = [f"d{i}" for i in range(8)]
    files = {"environments/workspace.yaml": WORKSPACE.replace("ok", "d0"), ".gitignore": "build/\n"}
    for name in names:
        files[f"environments/deployments/{name}.yaml"] = f"name: {name}\nastro: {{executor: KUBERNETES}}\n"
    root = make_repo(files)
    procs = [
        subprocess.Popen(
            [installed_command(), "render", "--deployment", name],
            cwd=root,
            env=clean_env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for name in names
    ]
    for proc in procs:
        _, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
    listed = json.loads((root / "build" / out_names.MANIFEST).read_text())["files"]
    assert listed == sorted(f"{n}/{f}" for n in names for f in ("airflow_settings.yaml", "deployment.yaml"))
    assert run_cli("render", "--deployment", "d3", cwd=root).out.startswith("unchanged ")


@contextmanager
def held_lock(lock: Path) -> Iterator[IO[str]]:
    """Another process holding the output folder's lock until the yielded stdin is closed."""
    with subprocess.Popen(
        [sys.executable, "-c", HOLD_LOCK, str(lock)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    ) as holder:
        assert holder.stdout is not None and holder.stdin is not None
        assert holder.stdout.readline() == "held\n"
        yield holder.stdin


def test_a_render_waits_for_the_one_holding_the_folder_and_says_so(example_repo: Path) -> None:
    build = example_repo / "build"
    build.mkdir()
    with held_lock(build / out_names.LOCK) as holder:
        waiting = subprocess.Popen(
            [installed_command(), "render", "--all"],
            cwd=example_repo,
            env=clean_env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert waiting.stderr is not None
        line = waiting.stderr.readline()
        assert line.startswith("astro-gitops: another render is writing into this folder; waiting for it")
        assert not (build / out_names.MANIFEST).exists()  # nothing written while the other one holds it
        holder.close()  # the holder ends, and its lock with it
        out, err = waiting.communicate(timeout=120)
    assert waiting.returncode == 0, err
    assert (build / out_names.MANIFEST).exists() and "wrote " in out


def test_a_lock_held_past_the_wait_is_an_error_naming_the_folder(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    with held_lock(out / out_names.LOCK) as holder:
        waited: list[Path] = []
        with pytest.raises(OperationError, match=r"another astro-gitops render is writing into .*waited 0 s"):
            write.write(out, {"a.yaml": "1\n"}, lock_timeout=0, on_wait=waited.append)
        holder.close()
    assert waited == [out / out_names.LOCK]
    assert not (out / "a.yaml").exists()
    assert write.write(out, {"a.yaml": "1\n"}, lock_timeout=0).written == ["a.yaml"]


@pytest.mark.parametrize("name", [out_names.LOCK, out_names.MANIFEST])
def test_a_link_in_place_of_renders_own_files_is_refused(example_repo: Path, tmp_path: Path, name: str) -> None:
    target = tmp_path / "precious.txt"
    target.write_text("keep\n")
    (example_repo / "build").mkdir()
    (example_repo / "build" / name).symlink_to(target)
    result = render(example_repo)
    assert result.code == 1 and "is a symbolic link" in result.err
    assert target.read_text() == "keep\n"


def test_validate_imports_neither_filelock_nor_dotenv(example_repo: Path) -> None:
    """The hook runs on every commit: the libraries of writing and of dotenv files load only in render."""
    imported, _ = imports_of_validate(example_repo, ("filelock", "dotenv", "tempfile", "difflib"))
    assert imported == ["0", "False", "False", "False", "False"]


# --- streamed: one text at a time, staged, then swapped (issue 26) ----------------------------


def test_a_streamed_write_replaces_nothing_when_a_later_file_is_refused(tmp_path: Path) -> None:
    """Texts are staged as they come; a foreign file found late stops the run before any rename."""
    out = tmp_path / "out"
    write.write(out, {"a/x.yaml": "old a\n"})
    (out / "b").mkdir()
    (out / "b" / "y.yaml").write_text("someone else's\n")
    made: list[str] = []

    def texts() -> Iterator[tuple[str, str]]:
        for path in ("a/x.yaml", "b/y.yaml"):
            made.append(path)
            yield path, f"new {path}\n"

    with pytest.raises(OperationError, match="did not write"):
        write.write_streamed(out, ["a/x.yaml", "b/y.yaml"], texts())
    assert made == ["a/x.yaml", "b/y.yaml"]
    assert (out / "a/x.yaml").read_text() == "old a\n"
    assert sorted(p.name for p in out.iterdir()) == sorted([*out_names.BOOKKEEPING, "a", "b"])  # no staging left


def test_a_failure_while_rendering_leaves_no_new_output_folder(tmp_path: Path) -> None:
    out = tmp_path / "new"

    def texts() -> Iterator[tuple[str, str]]:
        yield "a/x.yaml", "1\n"
        raise OperationError("a render problem")

    with pytest.raises(OperationError, match="a render problem"):
        write.write_streamed(out, ["a/x.yaml", "b/y.yaml"], texts())
    assert not out.exists()


def test_a_staging_folder_left_by_a_killed_run_is_removed(tmp_path: Path) -> None:
    out = tmp_path / "out"
    (out / f"{write.STAGING_PREFIX}killed" / "0").parent.mkdir(parents=True)
    (out / f"{write.STAGING_PREFIX}killed" / "0").write_text("half\n")
    assert write.write(out, {"a/x.yaml": "1\n"}).written == ["a/x.yaml"]
    assert sorted(p.name for p in out.iterdir()) == sorted([*out_names.BOOKKEEPING, "a"])
