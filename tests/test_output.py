"""Writing the outputs (SPEC 5): atomic, only when changed, --check, ownership, secrets kept out of logs."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from conftest import Run, edit_file, git, run_cli

from compiler import output
from compiler.errors import OperationError

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
        if p.is_file() and p.name != output.LOCK
    }


def temporary_files(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if p.name.endswith(".tmp")]


# --- atomic, write-if-changed ----------------------------------------------------------


def test_render_writes_every_file_and_no_temporary_file(example_repo: Path) -> None:
    result = render(example_repo)
    assert result.code == 0, result.err
    build = example_repo / "build"
    rendered = set(tree(build)) - output.BOOKKEEPING
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
    assert json.loads((build / output.MANIFEST).read_text())["files"] == sorted(rendered)


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
    output.write(out, {"a/x.yaml": "old a\n", "b/y.yaml": "old b\n", "c/z.yaml": "old c\n"})
    _fail_on(monkeypatch, "y.yaml")
    with pytest.raises(OperationError, match="No space"):
        output.write(out, {"a/x.yaml": "new a\n", "b/y.yaml": "new b\n", "c/z.yaml": "new c\n"})
    assert (out / "a/x.yaml").read_text() == "new a\n"  # renamed into place before the failure
    assert (out / "b/y.yaml").read_text() == "old b\n"  # the failed file: untouched, not partial
    assert (out / "c/z.yaml").read_text() == "old c\n"  # never reached
    assert temporary_files(out) == []


def test_files_of_a_failed_first_run_stay_ours(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "out"
    with monkeypatch.context() as patch:
        _fail_on(patch, "y.yaml")
        with pytest.raises(OperationError):
            output.write(out, {"a/x.yaml": "1\n", "b/y.yaml": "2\n"})
    assert (out / "a/x.yaml").exists()
    result = output.write(out, {"a/x.yaml": "1 changed\n", "b/y.yaml": "2\n"})
    assert result.written == ["a/x.yaml", "b/y.yaml"]


def test_write_reports_written_and_unchanged(tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert output.write(out, {"a": "1\n", "b": "2\n"}).written == ["a", "b"]
    result = output.write(out, {"a": "1\n", "b": "3\n"})
    assert (result.written, result.unchanged) == (["b"], ["a"])


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
    assert set(tree(example_repo / "build")) - {output.LOCK} == {PROD_DEPLOYMENT}  # nothing else written either


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


def test_secret_values_never_reach_the_terminal(example_repo: Path, example_secrets: dict[str, str]) -> None:
    written = render(example_repo, "--secrets", "env", env=example_secrets)
    assert written.code == 0, written.err
    _assert_no_secret(written, example_secrets)
    assert "fake-snowflake_prod_password" in (example_repo / "build/production/airflow_settings.yaml").read_text()

    # Drift in env mode: a changed field and a rotated secret; the diff shows neither value.
    edit_file(example_repo, PROD_FILE, "login: svc_prod", "login: svc_production")
    rotated = {**example_secrets, "SNOWFLAKE_PROD_PASSWORD": "rotated-value-8d2f"}
    check = render(example_repo, "--check", "--secrets", "env", env=rotated)
    assert check.code == 3
    assert "+      conn_login: svc_production" in check.out
    _assert_no_secret(check, rotated)
    _assert_no_secret(check, example_secrets)

    # Redact mode over files rendered with real values: the old values stay hidden.
    redacted = render(example_repo, "--check")
    assert redacted.code == 3
    assert "<secret:SNOWFLAKE_PROD_PASSWORD>" not in redacted.out or "conn_password: ***" in redacted.out
    _assert_no_secret(redacted, example_secrets)


def test_drift_only_in_a_secret_value_is_reported_without_it(
    example_repo: Path, example_secrets: dict[str, str]
) -> None:
    assert render(example_repo, "--secrets", "env", env=example_secrets).code == 0
    rotated = {**example_secrets, "SLACK_WEBHOOK_URL": "https://hooks.example/rotated-5e1a"}
    check = render(example_repo, "--check", "--secrets", "env", env=rotated)
    assert check.code == 3
    assert "production/deployment.yaml" in check.out
    _assert_no_secret(check, rotated)
    _assert_no_secret(check, example_secrets)


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
