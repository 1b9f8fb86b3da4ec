"""Bytes that are not UTF-8, through the installed command: Python reads them from argv, the
environment, file names and git as lone surrogates ("surrogateescape"). A branch name of such
bytes is refused with a clear message (usage, exit 2, for --branch; exit 1 from CI variables
or git); a path of such bytes works where the OS allows it; whatever is printed shows each
such byte as `\\xNN`, in every format, and never ends in a traceback or exit 70."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
from conftest import clean_env, git, installed_command
from support.astro_fake import FakeAstro

from acceptance.test_sync_apply import KEY

BAD = "feature/x\udcff"  # the bytes b"feature/x\xff"
SHOWN = "feature/x\\xff"


def run(args: list[str], cwd: Path, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    """The command's exit code and output, decoded strictly: a raw undecodable byte fails here."""
    proc = subprocess.run(
        [installed_command(), *args], cwd=cwd, env=clean_env(env), capture_output=True, timeout=120, check=False
    )
    out, err = proc.stdout.decode("utf-8"), proc.stderr.decode("utf-8")
    assert "Traceback" not in err and "internal error" not in err and proc.returncode != 70, err
    return proc.returncode, out, err


BRANCH_COMMANDS = [
    ["which"],
    ["which", "--format", "json"],
    ["render"],
    ["render", "--format", "json"],
    ["render", "--format", "github"],
    ["plan"],
    ["plan", "--format", "json"],
    ["plan", "--format", "markdown"],
    ["apply", "--auto-approve"],
]


@pytest.mark.parametrize("command", [*BRANCH_COMMANDS, ["preview", "destroy", "--auto-approve"]], ids=" ".join)
def test_a_branch_option_of_undecodable_bytes_is_bad_usage(astro: FakeAstro, repo: Path, command: list[str]) -> None:
    code, out, err = run([*command, "--branch", BAD], repo, astro.env())

    assert code == 2 and out == ""
    assert err.splitlines()[-1].endswith(f"argument --branch: '{SHOWN}' is not UTF-8 text: a branch name must be")
    assert not any(e["method"] != "GET" for e in astro.log())


@pytest.mark.parametrize("command", BRANCH_COMMANDS, ids=" ".join)
@pytest.mark.parametrize(
    "variables",
    [{"GITHUB_HEAD_REF": BAD}, {"GITHUB_REF": "refs/heads/" + BAD, "GITHUB_REF_NAME": BAD}],
    ids=["GITHUB_HEAD_REF", "GITHUB_REF_NAME"],
)
def test_a_ci_branch_of_undecodable_bytes_is_refused(
    astro: FakeAstro, repo: Path, command: list[str], variables: dict[str, str]
) -> None:
    source = next(iter(variables)) if "GITHUB_HEAD_REF" in variables else "GITHUB_REF_NAME"

    code, out, err = run(command, repo, {**astro.env(), **variables})

    assert code == 1 and out == "", (out, err)
    assert f"the branch name from {source}, '{SHOWN}', is not UTF-8 text" in err
    assert not any(e["method"] != "GET" for e in astro.log())


@pytest.mark.parametrize("command", [["which"], ["render"], ["plan"], ["init"]], ids=" ".join)
@pytest.mark.parametrize("name", [BAD, "feature/\udcff\udcfe", "\udce9t\udce9"], ids=["x-ff", "ff-fe", "latin1"])
def test_a_checked_out_branch_of_undecodable_bytes_is_refused_not_called_detached(
    astro: FakeAstro, repo: Path, command: list[str], name: str
) -> None:
    git(repo, "checkout", "-q", "-b", name)

    code, out, err = run(command, repo, astro.env())

    assert code == 1 and out == "", (out, err)
    assert "is not UTF-8 text" in err and "detached" not in err
    shown = "".join(f"\\x{ord(c) - 0xDC00:02x}" if ord(c) >= 0xDC80 else c for c in name)
    assert f"'{shown}'" in err


def test_a_checked_out_branch_of_undecodable_bytes_in_a_linked_worktree_is_refused(repo: Path, tmp_path: Path) -> None:
    # A linked worktree's HEAD is read by GitPython, not the plain reader.
    git(repo, "worktree", "add", "-q", "-b", BAD, str(tmp_path / "linked"))

    code, out, err = run(["which"], tmp_path / "linked")

    assert code == 1 and out == ""
    assert "the checked-out branch's name (in HEAD) is not UTF-8 text" in err and "detached" not in err


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_another_branch_of_undecodable_bytes_whose_preview_name_collides_is_shown_escaped(repo: Path, fmt: str) -> None:
    git(repo, "branch", "feature/x\udcff")  # its slug is feature-x, as feature/x's
    git(repo, "branch", "feature/" + "a" * 40 + "\udcff")  # long: its slug hashes its bytes

    code, out, err = run(["which", "--branch", "feature/x", "--format", fmt], repo)

    assert code == 1 and out == ""
    assert "feature/x\\xff" in err and "'feature/x'" in err


@pytest.mark.parametrize("fmt", ["text", "json", "github"])
def test_render_into_a_folder_of_undecodable_bytes_works_and_shows_it_escaped(
    repo: Path, tmp_path: Path, fmt: str
) -> None:
    out_dir = tmp_path / "o\udcff"

    code, out, err = run(["render", "--deployment", "production", "--out", str(out_dir), "--format", fmt], repo)

    assert code == 0, err
    assert (out_dir / "production" / "deployment.yaml").is_file()
    assert f"{tmp_path}/o\\xff/production/deployment.yaml" in out


@pytest.mark.parametrize("fmt", ["text", "json", "github"])
def test_a_file_of_undecodable_bytes_in_environments_is_named_escaped(repo: Path, fmt: str) -> None:
    (repo / "environments" / "x\udcff.yaml").write_text("connections:\n  bad: 1\n")

    code, out, _err = run(["validate", "--format", fmt], repo)

    assert code == 1
    if fmt == "json":
        assert json.loads(out)["diagnostics"][0]["path"] == "environments/x\\xff.yaml"
    else:
        assert "environments/x\\xff.yaml" in out


@pytest.mark.parametrize("exists", [False, True], ids=["missing", "empty"])
def test_import_of_a_file_of_undecodable_bytes_names_it_escaped(repo: Path, tmp_path: Path, exists: bool) -> None:
    source = tmp_path / "a\udcff.yaml"
    if exists:
        source.write_text("airflow:\n  connections: []\n")

    code, _out, err = run(["import", str(source)], repo)

    assert code == 1 and f"{tmp_path}/a\\xff.yaml" in err


@pytest.mark.parametrize(
    "args",
    [
        ["explain", "production\udcff", "x"],
        ["render", "--deployment", "pr\udcff"],
        ["diff", "HEAD", "--deployment", "p\udcff"],
    ],
    ids=["explain", "render", "diff"],
)
def test_another_option_of_undecodable_bytes_is_bad_usage_or_a_clear_error(repo: Path, args: list[str]) -> None:
    code, _out, err = run(args, repo)

    assert code in (1, 2) and "\\xff" in err, err


def test_the_output_encoder_never_raises_on_undecodable_bytes(repo: Path, tmp_path: Path) -> None:
    # Under an ASCII stdout too, each byte is shown as \xNN.
    env = {"PYTHONIOENCODING": "ascii"}
    out_dir = tmp_path / "\udcffo"

    code, out, _err = run(["render", "--deployment", "production", "--out", str(out_dir)], repo, env)

    assert code == 0 and "/\\xffo/production/" in out
    assert os.path.isdir(out_dir)


def test_a_root_of_undecodable_bytes_works_and_a_missing_one_is_named_escaped(repo: Path, tmp_path: Path) -> None:
    moved = tmp_path / "r\udcff"
    repo.rename(moved)

    code, out, err = run(["--root", str(moved), "render", "--all"], tmp_path)
    missing = run(["--root", str(tmp_path / "gone\udcff"), "validate"], tmp_path)

    assert code == 0 and f"{tmp_path}/r\\xff/build/production/deployment.yaml" in out, err
    assert missing[0] == 2 and missing[2].endswith(f"argument --root: '{tmp_path}/gone\\xff' does not exist\n")


def test_a_dotenv_file_of_undecodable_bytes_is_read_and_a_missing_one_named_escaped(
    repo: Path, tmp_path: Path, example_secrets: dict[str, str]
) -> None:
    dotenv = tmp_path / "s\udcff.env"
    dotenv.write_text("".join(f"{name}=value-{i}\n" for i, name in enumerate(example_secrets)))
    render = ["render", "--deployment", "production", "--out", str(tmp_path / "o")]

    code, _, err = run([*render, "--secrets", f"dotenv:{dotenv}"], repo)
    missing = run([*render, "--secrets", f"dotenv:{tmp_path}/n\udcff.env"], repo)

    assert code == 0, err
    assert "value-" in (tmp_path / "o/production/airflow_settings.yaml").read_text()
    assert missing[0] == 1 and f"{tmp_path}/n\\xff.env" in missing[2]


def test_a_remote_branch_of_undecodable_bytes_whose_preview_name_collides_is_shown_escaped(
    astro: FakeAstro, repo: Path, tmp_path: Path
) -> None:
    remote = tmp_path / "remote.git"
    git(tmp_path, "init", "-q", "--bare", str(remote))
    git(repo, "remote", "add", "origin", str(remote))
    git(repo, "push", "-q", "origin", "main", "main:refs/heads/feature/x\udcff")

    code, out, err = run(["plan", "--branch", "feature/x", "--format", "json"], repo, astro.env())

    assert code == 1 and out == ""
    assert "branches 'feature/x' and 'feature/x\\xff' both get preview name 'dev-feature-x'" in err


@pytest.mark.parametrize("fmt", ["text", "json", "markdown"])
def test_a_saved_plan_of_undecodable_bytes_is_written_shown_escaped_and_applied(
    seeded: FakeAstro, repo: Path, tmp_path: Path, example_secrets: dict[str, str], fmt: str
) -> None:
    saved = tmp_path / f"p\udcff.{fmt}.json"
    env = seeded.env(**example_secrets, ASTRO_GITOPS_FINGERPRINT_KEY=KEY)

    planned = run(["plan", "--deployment", "production", "--out", str(saved), "--format", fmt], repo, env)
    applied = run(["apply", str(saved), "--auto-approve"], repo, env)
    missing = run(["apply", str(tmp_path / "gone\udcff.json"), "--auto-approve"], repo, env)

    assert planned[0] == 0 and saved.is_file(), planned[2]
    assert applied[0] == 0, applied[2]
    assert missing[0] == 1 and f"{tmp_path}/gone\\xff.json" in missing[2]
