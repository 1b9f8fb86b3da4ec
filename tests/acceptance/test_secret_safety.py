"""Secret safety (SPEC 2.5, 4, 6): no command, on a success or an error path, shows a secret value.

Every command runs as a user runs it: the installed command, on a copy of the example in a
real git repository with two commits (the second rotates a secret by renaming its
reference), with a distinctive value in the environment for every secret name, and the
same values in a dotenv file for `dotenv:` mode. No form of a value (raw, JSON-escaped,
shell- or YAML-quoted, or its alphanumeric core, which every escaping keeps) may reach
stdout or stderr (but the `::add-mask::` lines under GitHub Actions), and no file in the
repository may hold one, but the rendered files of `env`/`dotenv` mode in their ignored
`--out`. Positive controls show that the values did reach the processes.

Not repeated here: drift diffs of rotated values and multi-line masks (tests/render/test_write.py);
plans of literal passwords (tests/acceptance/test_review_cli.py).
"""

from __future__ import annotations

import base64
import json
import re
import shlex
import subprocess
import urllib.parse
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from conftest import (
    FULL_DISK,
    Run,
    clean_env,
    commit_files,
    edit_file,
    example_secret_names,
    git,
    installed_command,
    run_cli,
    run_python,
    set_sync_owner,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from compiler.model import out_names, secrets
from compiler.onboarding import importer

PRODUCTION = "environments/deployments/production.yaml"
SNOWFLAKE = "environments/connections/snowflake.yaml"
HTTP = "environments/connections/http.yaml"
ROTATED_NAME = "SNOWFLAKE_PROD_PASSWORD_2025"
NAMES = sorted({*example_secret_names(), ROTATED_NAME})
REPORT_LINE = re.compile(r"astro-gitops: internal error \((\w+)\); please report it at https://\S+\n")


def _values(prefix: str) -> dict[str, str]:
    """A value per name around an alphanumeric core; quotes, '#', '\\', '$', '%', a non-ASCII letter."""
    # `%25` and `%0A`: a workflow command unescapes them, so ::add-mask:: must escape the `%`.
    values = {name: f"{prefix}{i:02d}kv7w-'q' \"dq\" #: \\ é $HOME `id` 100%25 %0A" for i, name in enumerate(NAMES)}
    # One multi-line value (a PEM key): GitHub masks it line by line.
    values[ROTATED_NAME] = f"-----BEGIN PRIVATE KEY-----\n{prefix}99kv7w/+=\n-----END PRIVATE KEY-----"
    return values


SECRETS = _values("Zq")
ROTATED = _values("Zr")  # every value rotated, for drift checks
EVERY_VALUE = [*SECRETS.values(), *ROTATED.values()]


def core(value: str) -> str:
    found = re.search(r"Z[qr]\d\dkv7w", value)
    assert found
    return found.group(0)


def forms(value: str) -> set[str]:
    return {
        value,
        json.dumps(value)[1:-1],
        json.dumps(value, ensure_ascii=False)[1:-1],
        shlex.quote(value),
        value.replace("'", "''"),
        core(value),
    }


def leaked(text: str, values: Iterable[str] = EVERY_VALUE) -> list[str]:
    return sorted(core(v) for v in values if any(f in text for f in forms(v)))


def unescape_command_data(data: str) -> str:
    """What the GitHub runner reads from a workflow command's data (toolkit's escapeData, reversed)."""
    return re.sub("%(25|0D|0A)", lambda m: {"25": "%", "0D": "\r", "0A": "\n"}[m.group(1)], data)


def without_masks(stdout: str, values: Iterable[str] = EVERY_VALUE) -> str:
    """stdout without its `::add-mask::` lines, each of which must mask a value or a line of one."""
    masked = {line for v in values for line in (v, *v.splitlines())}
    kept = []
    for line in stdout.splitlines(keepends=True):
        if line.startswith("::add-mask::"):
            data = line.removeprefix("::add-mask::").rstrip("\n")
            assert "\r" not in data and unescape_command_data(data) in masked, line
        else:
            kept.append(line)
    return "".join(kept)


@dataclass(frozen=True)
class Case:
    args: tuple[str, ...]
    code: int
    env: Mapping[str, str] = field(default_factory=lambda: SECRETS)


def run_cases(root: Path, cases: Sequence[Case]) -> list[Run]:
    """Run every case (two at a time: they are separate processes) and check its exit code and its output."""
    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(lambda c: run_cli(*c.args, cwd=root, env=c.env), cases))
    for case, result in zip(cases, results, strict=True):
        assert result.code == case.code, (case.args, result)
        assert "Traceback" not in result.out + result.err, case.args
        shown = without_masks(result.out) if case.env.get("GITHUB_ACTIONS") == "true" else result.out
        assert leaked(shown + result.err) == [], (case.args, result)
    return results


def files_holding_values(root: Path, skip: set[Path], values: Iterable[str] = EVERY_VALUE) -> list[str]:
    values = list(values)
    found = []
    for path in sorted(p for p in root.rglob("*") if p.is_file() and p not in skip):
        text = path.read_bytes().decode("utf-8", errors="replace")
        if leaked(text, values):
            found.append(str(path.relative_to(root)))
    return found


def rendered_files(out: Path) -> set[Path]:
    """What render wrote into `out`, per its manifest (the manifest itself is not one of them)."""
    return {out / p for p in json.loads((out / out_names.MANIFEST).read_text())["files"]}


@pytest.fixture
def history(example_repo: Path) -> Path:
    """The example, then a commit that rotates a secret (a renamed reference) and changes a field."""
    edit_file(example_repo, PRODUCTION, "{secret: SNOWFLAKE_PROD_PASSWORD}", f"{{secret: {ROTATED_NAME}}}")
    edit_file(example_repo, PRODUCTION, "LOG_LEVEL: INFO", "LOG_LEVEL: WARNING")
    commit_files(example_repo, {".gitignore": "build/\nsecret-out/\n"}, "rotate the production password")
    return example_repo


@pytest.fixture
def dotenv_file(tmp_path: Path) -> Callable[[Mapping[str, str]], str]:
    """A dotenv file outside the repository, written as `import` writes one; the `--secrets` value."""
    counter = iter(range(100))

    def make(values: Mapping[str, str]) -> str:
        path = tmp_path / f"secrets-{next(counter)}.env"
        path.write_text(importer.dotenv_text(values), encoding="utf-8")
        assert secrets.read_dotenv(path) == values
        return f"dotenv:{path}"

    return make


# --- every command, success and error paths -------------------------------------------------


def test_no_command_shows_a_secret_value(history: Path, dotenv_file: Callable[[Mapping[str, str]], str]) -> None:
    dotenv = dotenv_file(SECRETS)
    github = {**SECRETS, "GITHUB_ACTIONS": "true"}
    github_dotenv = {"GITHUB_ACTIONS": "true"}
    no_values: dict[str, str] = {}
    env_out, dotenv_out, github_out = "secret-out/env", "secret-out/dotenv", "secret-out/github"

    first = run_cases(
        history,
        [
            Case(("validate",), 0),
            Case(("validate", "--format", "json"), 0),
            Case(("validate", "--format", "github"), 0),
            Case(("which",), 0),
            Case(("which", "--format", "json"), 0),
            Case(("which", "--branch", "feature/leak-check", "--format", "json"), 0),
            Case(("render", "--all"), 0),  # redact, into build/
            Case(("render", "--all", "--secrets", "env", "--out", env_out), 0),
            Case(("render", "--all", "--secrets", dotenv, "--out", dotenv_out), 0, no_values),
            Case(("render", "--secrets", "env", "--out", github_out), 0, github),  # the branch's Deployment
            Case(("diff", "HEAD~1", "HEAD"), 0),
            Case(("diff", "HEAD~1", "HEAD", "--format", "markdown"), 0),
            Case(("diff", "HEAD~1", "--format", "json", "--exit-code"), 3),
            Case(("explain", "production", "snowflake_default"), 0),
            Case(("explain", "development", "partner_api"), 0),
            Case(("matrix",), 0),
            Case(("matrix", "--since", "HEAD~1"), 0),
            Case(("schema",), 0),
        ],
    )
    # The plan shows the rotation as a change of reference, and nothing else of it.
    assert f"<secret:SNOWFLAKE_PROD_PASSWORD> → <secret:{ROTATED_NAME}>" in first[10].out
    assert json.loads(first[16].out)["include"] == [
        {"deployment": "production", "preview": False, "from": "production", "branch": None}
    ]
    # Under GitHub Actions every line of every value in play is masked first, once.
    masks = [line for line in first[9].out.splitlines() if line.startswith("::add-mask::")]
    assert first[9].out.startswith("::add-mask::")
    assert len(masks) == len(set(masks)) and f"::add-mask::{core(SECRETS[ROTATED_NAME])}/+=" in masks

    run_cases(
        history,
        [
            Case(("render", "--all", "--check"), 0),
            Case(("render", "--all", "--check", "--secrets", "env", "--out", env_out), 0),
            Case(("render", "--all", "--check", "--secrets", dotenv, "--out", dotenv_out), 0, no_values),
            Case(("render", "--all", "--check", "--secrets", "env", "--out", env_out), 0, github),
            Case(("render", "--all", "--check", "--secrets", dotenv, "--out", dotenv_out), 0, github_dotenv),
            Case(("render", "--check", "--secrets", "env", "--out", github_out), 0, github),
            # Drift over files that hold real values: redacted, and with every value rotated.
            Case(("render", "--all", "--check", "--out", env_out), 3),
            Case(("render", "--all", "--check", "--secrets", "env", "--out", env_out), 3, ROTATED),
            Case(
                ("render", "--all", "--check", "--secrets", "env", "--out", env_out),
                3,
                {**ROTATED, "GITHUB_ACTIONS": "true"},
            ),
            Case(("validate",), 0, github),
        ],
    )

    one_missing = {k: v for k, v in SECRETS.items() if k != "SNOWFLAKE_DEV_PASSWORD"}
    errors = run_cases(
        history,
        [
            Case(("render", "--all", "--secrets", "env", "--out", "secret-out/missing"), 1, one_missing),
            Case(
                ("render", "--all", "--secrets", dotenv_file(one_missing), "--out", "secret-out/missing"), 1, no_values
            ),
            Case(("render", "--all", "--secrets", f"dotenv:{history.parent / 'absent.env'}"), 1),
            Case(("render", "--deployment", "prod", "--secrets", "env", "--out", "secret-out/missing"), 1),
            Case(("render", "--branch", "no/rule", "--secrets", "env", "--out", "secret-out/missing"), 1),
            Case(("which", "--branch", "no/rule", "--format", "json"), 1),
            Case(("explain", "prod", "snowflake_default"), 1),
            Case(("explain", "production", "snowflake_defualt"), 1),
            Case(("diff", "HEAD~1", "HEAD", "--deployment", "prod"), 1),
            Case(("diff", "no-such-ref"), 1),
            Case(("matrix", "--since", "no-such-ref"), 1),
            Case(("render", "--all", "--secrets", "bogus"), 2),
            Case(("render", "--all", "--deployment", "production", "--secrets", "env"), 2),
            Case(("explain", "production", "snowflake_default", "--kind", "secret"), 2),
            Case(("diff",), 2),
            Case(("--no-such-option", "validate"), 2),
        ],
    )
    assert "missing secret(s) in the environment: SNOWFLAKE_DEV_PASSWORD\n" in errors[0].err
    assert errors[1].err.endswith("or the environment: SNOWFLAKE_DEV_PASSWORD\n")
    assert "cannot read dotenv file" in errors[2].err and "error[unreadable]: file does not exist" in errors[2].err
    assert "no Deployment named 'prod'" in errors[3].err
    assert "no-matching-branch" in errors[4].err
    assert not (history / "secret-out/missing").exists()

    # Positive control: the values did reach the renders, into the ignored outputs only.
    secret_out = history / "secret-out"
    intended = rendered_files(secret_out / "env") | rendered_files(secret_out / "dotenv")
    intended |= rendered_files(secret_out / "github")
    for out in ("env", "dotenv"):
        text = "".join(p.read_text() for p in rendered_files(secret_out / out))
        referenced = set(example_secret_names()) - {"SNOWFLAKE_PROD_PASSWORD"} | {ROTATED_NAME}
        assert leaked(text, SECRETS.values()) == sorted(core(SECRETS[n]) for n in referenced)
    assert files_holding_values(history, skip=intended) == []
    assert [p for p in history.rglob("*.tmp")] == []
    assert git(history, "status", "--porcelain") == ""  # nothing that git would pick up


def test_check_over_files_that_lost_their_manifest(example_repo: Path) -> None:
    """Files rendered with values, without the manifest that says which lines hold them (an
    artifact upload drops dotfiles): --check may not know the lines, and still shows no value."""
    assert run_cli("render", "--all", "--secrets", "env", cwd=example_repo, env=SECRETS).code == 0
    (example_repo / "build" / out_names.MANIFEST).unlink()
    redacted, rotated, written = run_cases(
        example_repo,
        [
            Case(("render", "--all", "--check"), 3),
            Case(("render", "--all", "--check", "--secrets", "env"), 3, ROTATED),
            Case(("render", "--all", "--secrets", "env"), 1, ROTATED),  # the files are no longer render's
        ],
    )
    assert "\n-      conn_password: ***\n+      conn_password: '<secret:SNOWFLAKE_DEV_PASSWORD>'\n" in redacted.out
    # A rotated value is a changed field, its value masked on both sides (no value: run_cases).
    assert "production/deployment.yaml" in rotated.out
    assert "\n-      conn_password: ***\n+      conn_password: ***\n" in rotated.out
    assert "refusing to overwrite" in written.err


def test_invalid_files_quoting_a_secret_value(example_repo: Path) -> None:
    """Values pasted where a reference belongs: the diagnostics locate them, never quote them."""
    literal = {k: v for k, v in SECRETS.items() if k in ("SNOWFLAKE_DEV_PASSWORD", "PARTNER_API_DEV_TOKEN")}
    edit_file(
        example_repo,
        SNOWFLAKE,
        "password: {secret: SNOWFLAKE_DEV_PASSWORD}",
        f"password: {json.dumps(literal['SNOWFLAKE_DEV_PASSWORD'])}",
    )
    edit_file(
        example_repo,
        HTTP,
        "Content-Type: application/json",
        f"Content-Type: application/json\n      api_token: {json.dumps(literal['PARTNER_API_DEV_TOKEN'])}",
    )
    unterminated = json.dumps(SECRETS["SLACK_WEBHOOK_URL"])[:-1]
    (example_repo / "environments/broken.yaml").write_text(
        f"connections:\n  broken:\n    type: http\n    password: {unterminated}\n    links: all\n"
    )
    results = run_cases(
        example_repo,
        [
            Case(("validate",), 1),
            Case(("validate", "--format", "json"), 1),
            Case(("validate", "--format", "github"), 1),
            Case(("validate",), 1, {**SECRETS, "GITHUB_ACTIONS": "true"}),
            Case(("render", "--all", "--secrets", "env"), 1),
            Case(("which",), 1),
            Case(("explain", "production", "snowflake_default"), 1),
            Case(("matrix",), 1),
            Case(("diff", "HEAD", "--format", "json"), 1),
        ],
    )
    report = results[0].out
    assert re.search(rf"^{SNOWFLAKE}:\d+:\d+: error\[plaintext-secret\]: 'password' ", report, re.MULTILINE)
    assert re.search(rf"^{HTTP}:\d+:\d+: error\[plaintext-secret\]: 'extra.api_token' ", report, re.MULTILINE)
    assert re.search(r"^environments/broken\.yaml:\d+:\d+: error\[yaml-syntax\]: ", report, re.MULTILINE)
    assert all("plaintext-secret" in r.out + r.err for r in results)
    assert not (example_repo / "build").exists()


def test_a_value_pasted_as_a_secret_name_is_not_quoted(example_repo: Path) -> None:
    edit_file(example_repo, SNOWFLAKE, "{secret: SNOWFLAKE_DEV_PASSWORD}", "{secret: hunter2-Zq42kv7w}")
    result = run_cli("validate", cwd=example_repo)
    assert result.code == 1 and "invalid-secret-name" in result.out
    assert "Zq42kv7w" not in result.out


# --- import: the values leave the settings file once, on stderr -------------------------------

IMPORTED = {
    "WAREHOUSE_PASSWORD": 'Ip00kv7w-it\'s C:\\new\\table "dq" #: é',  # a backslash before an n, and a quote
    "WAREHOUSE_EXTRA_API_KEY": "Ip01kv7w-'q' $HOME",
    "PARTNER_PASSWORD": "Ip02kv7w@x",
    "CLOUD_EXTRA_KEYFILE_DICT": "Ip03kv7w-line one\nline two",
    "PARTNER_API_TOKEN": "Ip04kv7w-token",
}


def _settings_file(path: Path) -> Path:
    def q(name: str) -> str:
        return json.dumps(IMPORTED[name])

    extra = json.dumps(json.dumps({"sslmode": "require", "api_key": IMPORTED["WAREHOUSE_EXTRA_API_KEY"]}))
    path.write_text(
        "airflow:\n  connections:\n"
        "    - {conn_id: warehouse, conn_type: postgres, conn_host: db.example.com, conn_login: etl,\n"
        f"       conn_password: {q('WAREHOUSE_PASSWORD')}, conn_port: 5432, conn_extra: {extra}}}\n"
        "    - {conn_id: partner, conn_uri: 'http://user:Ip02kv7w%40x@api.example.com:443/v1'}\n"
        f"    - {{conn_id: cloud, conn_type: google_cloud_platform, conn_extra: {{keyfile_dict: {q('CLOUD_EXTRA_KEYFILE_DICT')}}}}}\n"
        f"  variables:\n    - {{variable_name: partner_api_token, variable_value: {q('PARTNER_API_TOKEN')}}}\n",
        encoding="utf-8",
    )
    return path


def _cores(text: str) -> list[str]:
    return re.findall(r"Ip\d\dkv7w", text)


def test_import_shows_each_value_once_on_stderr_and_writes_none(make_repo: Callable[..., Path], tmp_path: Path) -> None:
    root = make_repo({})
    settings = _settings_file(tmp_path / "airflow_settings.yaml")
    first = run_cases(root, [Case(("init", "--workspace", "Data Platform"), 0), Case(("schema", "objects"), 0)])
    assert first[0].out

    imported = run_cli("import", str(settings), "--link", "all", cwd=root, env=SECRETS)
    assert imported.code == 0, imported.err
    assert _cores(imported.out) == []
    assert sorted(_cores(imported.err)) == sorted(core_ for v in IMPORTED.values() for core_ in _cores(v))
    # The NAME='value' block on stderr reads back, through the dotenv source, to the exact values.
    block = tmp_path / "from-stderr.env"
    block.write_text(imported.err)
    assert secrets.read_dotenv(block) == IMPORTED
    assert [str(p.relative_to(root)) for p in root.rglob("*") if p.is_file() and _cores(p.read_text("latin-1"))] == []

    # The imported files render with the values from that block, into an ignored folder only.
    assert run_cases(root, [Case(("validate",), 0)])[0].out == ""
    scaffolded = {"EXAMPLE_DB_PROD_PASSWORD": "scaffolded-db-password"}  # the secret of `init`'s example
    again = run_cases(
        root,
        [
            Case(("import", str(settings)), 1),  # the files exist: refused, nothing shown
            Case(("render", "--deployment", "production", "--secrets", f"dotenv:{block}"), 0, scaffolded),
        ],
    )
    assert "--force" in again[0].err
    assert all(_cores(r.out + r.err) == [] for r in again)
    rendered = (root / "build/production/airflow_settings.yaml").read_text()
    assert set(_cores(rendered)) == {"Ip00kv7w", "Ip01kv7w", "Ip02kv7w", "Ip03kv7w", "Ip04kv7w"}
    assert "build/" in (root / ".gitignore").read_text().splitlines()


def test_a_failed_import_shows_no_value(make_repo: Callable[..., Path], tmp_path: Path) -> None:
    root = make_repo({})
    settings = _settings_file(tmp_path / "airflow_settings.yaml")
    text = settings.read_text().replace("conn_port: 5432", "conn_port: not-a-port")
    settings.write_text(text.replace('\\"sslmode\\"', "sslmode"))  # and the extra is no longer JSON
    result = run_cli("import", str(settings), cwd=root)
    assert result.code == 1
    assert "wrong-type" in result.err and "invalid-extra" in result.err
    assert _cores(result.out + result.err) == []
    assert git(root, "status", "--porcelain") == ""


# --- render --secrets env|dotenv never writes into a file git tracks ----------------------------


def snapshot(folder: Path) -> dict[str, tuple[bytes, int]]:
    return {
        p.relative_to(folder).as_posix(): (p.read_bytes(), p.stat().st_mtime_ns)
        for p in folder.rglob("*")
        if p.is_file()
    }


@pytest.mark.parametrize("how", ["committed", "staged", "one file committed"])
def test_dotenv_secrets_are_never_written_into_a_tracked_file(
    example_repo: Path, dotenv_file: Callable[[Mapping[str, str]], str], how: str
) -> None:
    """tests/render/test_write.py covers committed files in env mode; here: dotenv, the index, one file."""
    assert run_cli("render", "--all", "--out", "rendered", cwd=example_repo).code == 0
    git(example_repo, "add", "rendered/production/deployment.yaml" if how == "one file committed" else "rendered")
    if how != "staged":
        git(example_repo, "commit", "-q", "-m", "rendered outputs, redacted")
    before = snapshot(example_repo / "rendered")
    edit_file(example_repo, PRODUCTION, "LOG_LEVEL: INFO", "LOG_LEVEL: WARNING")

    result = run_cli("render", "--all", "--out", "rendered", "--secrets", dotenv_file(SECRETS), cwd=example_repo)

    assert result.code == 1
    assert result.err.startswith("astro-gitops: error: refusing to write resolved secrets into file(s) tracked by git")
    assert "rendered/production/deployment.yaml" in result.err and "--secrets redact or an ignored --out" in result.err
    assert leaked(result.out + result.err) == []
    assert snapshot(example_repo / "rendered") == before  # nothing written, not even files git does not track


# --- internal errors: one line, the type, never the message ----------------------------------

CRASH = """
import sys, importlib
module, name = sys.argv[1].rsplit(".", 1)

def crash(*args, **kwargs):
    import os
    try:
        raise KeyError(os.environ["SNOWFLAKE_DEV_PASSWORD"])
    except KeyError as cause:
        raise RuntimeError("failed on " + os.environ["SLACK_WEBHOOK_URL"]) from cause

setattr(importlib.import_module(module), name, crash)
from compiler.cli import main
sys.exit(main(sys.argv[2:]))
"""


@pytest.mark.parametrize(
    ("target", "args"),
    [
        ("compiler.render.texts.airflow_settings", ("render", "--all", "--secrets", "env")),
        ("compiler.render.write.write_streamed", ("render", "--deployment", "production", "--secrets", "env")),
        ("compiler.report.review_plan.markdown", ("diff", "HEAD~1", "--format", "markdown")),
        ("compiler.review.explain.explain", ("explain", "production", "snowflake_default")),
    ],
)
def test_an_internal_error_is_one_line_without_the_secret(history: Path, target: str, args: tuple[str, ...]) -> None:
    proc = run_python("-c", CRASH, target, *args, cwd=history, env=SECRETS)
    assert proc.returncode == 70
    assert REPORT_LINE.fullmatch(proc.stderr), proc.stderr
    assert REPORT_LINE.fullmatch(proc.stderr).group(1) == "RuntimeError"  # type: ignore[union-attr]
    assert "Traceback" not in proc.stderr and proc.stdout == ""
    assert leaked(proc.stdout + proc.stderr) == []
    assert not (history / "build").exists()


def test_a_deleted_current_folder_is_an_error_not_a_traceback(example_repo: Path) -> None:
    # The child makes a folder, enters it, removes it, and then runs the command there.
    code = "import os, sys, tempfile; os.chdir(tempfile.mkdtemp()); os.rmdir(os.getcwd()); os.execv(sys.argv[1], sys.argv[1:])"
    relative, absolute = (
        run_python("-c", code, installed_command(), *root_args, "validate")
        for root_args in ((), ("--root", str(example_repo)))
    )
    assert (relative.returncode, relative.stdout) == (1, "")
    assert relative.stderr.startswith("astro-gitops: error: cannot use the current folder (FileNotFoundError)")
    assert "Traceback" not in relative.stderr
    assert (absolute.returncode, absolute.stderr) == (0, ""), absolute.stderr


def test_a_reader_that_goes_away_is_not_an_internal_error(example_repo: Path) -> None:
    """`astro-gitops diff ... | head -1`: the closed pipe is no bug to report (and no traceback)."""
    for args in (("schema",), ("which",)):
        with subprocess.Popen(
            [installed_command(), *args],
            cwd=example_repo,
            env=clean_env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        ) as proc:
            assert proc.stdout is not None and proc.stderr is not None
            proc.stdout.close()  # before the command writes anything
            err = proc.stderr.read()
            assert proc.wait(timeout=120) == 1, err
        assert "internal error" not in err and "Traceback" not in err and "Exception ignored" not in err


# --- --check shows nothing of a file's values, whatever the output folder holds ----------------

FIRST_CONNECTION = (
    "connections:\n  aaa_first:\n    type: postgres\n    host: db.example.com\n"
    "    password: {secret: SNOWFLAKE_DEV_PASSWORD}\n    links: all\n"
)


def test_a_failed_write_cannot_make_check_show_a_value(example_repo: Path) -> None:
    """Issue 15 item 1: an env render, a connection that sorts first, a second env render that
    fails while writing; `--check` (redacted, and with values) then showed a real password."""
    assert run_cli("render", "--deployment", "production", "--secrets", "env", cwd=example_repo, env=SECRETS).code == 0
    (example_repo / "environments/first.yaml").write_text(FIRST_CONNECTION)
    failed = run_python(
        "-c", FULL_DISK, "production", "render", "--deployment", "production", "--secrets", "env",
        cwd=example_repo, env=SECRETS,
    )  # fmt: skip
    assert failed.returncode == 1 and "cannot write" in failed.stderr and leaked(failed.stderr) == []
    checks = run_cases(
        example_repo,
        [
            Case(("render", "--deployment", "production", "--check"), 3),
            Case(("render", "--deployment", "production", "--check", "--secrets", "env"), 3),
            Case(("render", "--deployment", "production", "--check", "--secrets", "env"), 3, ROTATED),
        ],
    )
    assert "+      conn_password: '<secret:SNOWFLAKE_DEV_PASSWORD>'" in checks[0].out
    assert "conn_id: aaa_first" in checks[1].out  # the new connection is shown, its password masked
    # Whatever the manifest says (gone, or claiming every file), --check shows no value.
    manifest = example_repo / "build" / out_names.MANIFEST
    for text in (None, '{"files": ["production/airflow_settings.yaml"], "secret_lines": {}}\n', "garbage"):
        if text is None:
            manifest.unlink(missing_ok=True)
        else:
            manifest.write_text(text)
        run_cases(example_repo, [Case(("render", "--deployment", "production", "--check"), 3)])
    assert files_holding_values(example_repo, skip=set((example_repo / "build").rglob("*.yaml"))) == []


def test_check_shows_a_redacted_file_as_it_is(example_repo: Path) -> None:
    """A file render wrote under redact says so in its header: its changed lines show in full."""
    assert run_cli("render", "--all", cwd=example_repo).code == 0
    edit_file(example_repo, SNOWFLAKE, "login: svc_dev", "login: svc_dev2")
    check = run_cli("render", "--all", "--check", cwd=example_repo)
    assert check.code == 3
    assert "\n-      conn_login: svc_dev\n+      conn_login: svc_dev2\n" in check.out


def test_check_over_a_file_with_values_masks_what_it_cannot_prove_redacted(example_repo: Path) -> None:
    """Files of an env render (or someone else's): a line is shown only as the redacted render has it."""
    build = example_repo / "build" / "production"
    build.mkdir(parents=True)
    value = SECRETS["SNOWFLAKE_PROD_PASSWORD"]
    (build / "airflow_settings.yaml").write_text(
        f"# a file render did not write\nairflow:\n  connections:\n    - conn_id: x\n      conn_password: {value}\n"
        f"      {core(value)}: {value}\n{value}\n  variables: []\n"
    )
    result = run_cases(example_repo, [Case(("render", "--deployment", "production", "--check"), 3)])[0]
    assert "\n-      conn_password: ***\n" in result.out and "\n-      ***\n-***\n" in result.out


# --- redacted outputs hold no placeholder a tool would apply as a value (issue 16 item 1) --------


def test_a_redacted_deployment_file_keeps_the_stored_secret_values(example_repo: Path) -> None:
    from ruamel.yaml import YAML

    assert run_cli("render", "--all", cwd=example_repo).code == 0
    assert run_cli("render", "--all", "--secrets", "env", "--out", "build-env", cwd=example_repo, env=SECRETS).code == 0
    for deployment in ("production", "development", "sandbox"):
        redacted = YAML(typ="safe").load((example_repo / "build" / deployment / "deployment.yaml").read_text())
        resolved = YAML(typ="safe").load((example_repo / "build-env" / deployment / "deployment.yaml").read_text())
        for plain, real in zip(
            redacted["deployment"]["environment_variables"],
            resolved["deployment"]["environment_variables"],
            strict=True,
        ):
            assert plain["key"] == real["key"] and plain["is_secret"] == real["is_secret"]
            if real["is_secret"]:
                assert set(plain) == {"key", "is_secret"} and real["value"] in SECRETS.values()
            else:
                assert plain == real
        assert "<secret:" not in (example_repo / "build" / deployment / "deployment.yaml").read_text()
    settings = (example_repo / "build" / "production" / "airflow_settings.yaml").read_text()
    assert settings.splitlines()[2].startswith(
        "# Secrets: redacted (--secrets redact): secret values are <secret:NAME>"
    )


# --- dotenv files: python-dotenv's syntax, errors that never quote a line (issue 15 item 22) ------


def test_dotenv_files_are_read_as_python_dotenv_reads_them(tmp_path: Path) -> None:
    path = tmp_path / "x.env"
    path.write_text(
        "# comment\nA='v' # comment\nexport B=\"x\\ny\"\nC=plain # c\nD='it\\'s'\nE=\"multi\nline\"\n"
        "F=${HOME}$X\nG=\nH='a\\\\b'\n",
        encoding="utf-8",
    )
    assert secrets.read_dotenv(path) == {
        "A": "v",
        "B": "x\ny",
        "C": "plain",
        "D": "it's",
        "E": "multi\nline",
        "F": "${HOME}$X",  # never expanded
        "G": "",
        "H": "a\\b",
    }


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("A=1\nZq77kv7w-pasted value\n", 2),
        ("A=1\n\nZq77kv7w\n", 3),  # a bare word: a name without a value, or a pasted value
        ("A='Zq77kv7w\n", 1),  # an unterminated quote swallows the rest
        ('A=1\n\n# c\n\nB="Zq77kv7w\n', 5),
    ],
)
def test_a_dotenv_line_it_cannot_read_is_an_error_naming_its_number_only(
    example_repo: Path, tmp_path: Path, text: str, line: int
) -> None:
    path = tmp_path / "bad.env"
    path.write_text(text, encoding="utf-8")
    result = run_cli("render", "--all", "--secrets", f"dotenv:{path}", cwd=example_repo)
    assert result.code == 1, result
    assert result.err.startswith(f"astro-gitops: error: {path}:{line}: ")
    assert "Zq77kv7w" not in result.out + result.err and "Traceback" not in result.err
    assert not (example_repo / "build").exists()


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    values=st.dictionaries(
        st.from_regex(r"[A-Z_][A-Z0-9_]{0,10}", fullmatch=True),
        st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00")),
        max_size=5,
    )
)
def test_dotenv_text_reads_back_unchanged(tmp_path: Path, values: dict[str, str]) -> None:
    path = tmp_path / "round.env"
    path.write_text(secrets.dotenv_text(values), encoding="utf-8", newline="")
    assert secrets.read_dotenv(path) == values


# --- ::add-mask:: (issue 15 item 3) ----------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    ["100%25 done", "a%0Ab", "line one\r\nline two\r\n", "-----BEGIN KEY-----\nMIIE%\n-----END KEY-----", "%"],
)
def test_every_mask_command_reads_back_as_the_value_or_one_of_its_lines(value: str) -> None:
    commands = secrets.workflow_masks([value])
    data = [unescape_command_data(c.removeprefix("::add-mask::").removesuffix("\n")) for c in commands]
    assert all(c.startswith("::add-mask::") and c.count("\n") == 1 and "\r" not in c for c in commands)
    assert value in data  # the whole value
    assert {line for line in value.splitlines() if line.strip()} <= set(data)  # GitHub masks line by line
    assert set(data) <= {value, *value.splitlines()}


# --- plan / apply against the local Astro API server ------------------------------------------


def test_plan_and_apply_show_no_secret_value_and_no_token(
    example_repo: Path, tmp_path: Path, dotenv_file: Callable[[Mapping[str, str]], str]
) -> None:
    from support.astro_fake import DEPLOYMENTS, TOKEN, FakeAstro

    set_sync_owner(example_repo, "leak-check")
    with FakeAstro() as server:
        server.seed("Data Platform", DEPLOYMENTS, owner="leak-check", key="k-Zq77kv7w-fingerprint")
        keyed = {**server.env(**SECRETS), "ASTRO_GITOPS_FINGERPRINT_KEY": "k-Zq77kv7w-fingerprint"}
        rotated = {**server.env(**ROTATED), "ASTRO_GITOPS_FINGERPRINT_KEY": "k-Zq77kv7w-fingerprint"}
        plan_file = tmp_path / "plan.json"
        steps = [
            (("plan",), 0, keyed),
            (("plan", "--format", "markdown"), 0, keyed),
            (("plan", "--format", "json", "--out", str(plan_file)), 0, keyed),
            (("apply", str(plan_file)), 0, keyed),
            (("plan", "--exit-code"), 3, rotated),  # every value rotated: "(secret changed)"
            (("plan", "--format", "json", "--out", str(plan_file)), 0, server.env(**ROTATED)),  # no key
            (("apply", "--auto-approve", "--secrets", dotenv_file(ROTATED)), 0, server.env()),
            (("apply", "--auto-approve", "--branch", "dev"), 0, rotated),
            (("apply", "--auto-approve"), 0, keyed),
        ]
        for args, code, env in steps:
            result = run_cli(*args, cwd=example_repo, env=env)
            assert result.code == code, (args, result)
            assert leaked(result.out + result.err) == [], args
            assert TOKEN not in result.out + result.err and "k-Zq77kv7w-fingerprint" not in result.out + result.err
        assert "(secret changed)" in run_cli("plan", cwd=example_repo, env=rotated).out
        # A failed write: the API's message and requestId, no value, no token.
        server.admin("fault", {"method": "POST", "path": "environment-objects/", "status": 400, "count": 5})
        failed = run_cli("apply", "--auto-approve", cwd=example_repo, env=rotated)
        assert failed.code == 1 and "requestId req-fault" in failed.out
        assert leaked(failed.out + failed.err) == [] and TOKEN not in failed.out + failed.err
        text = plan_file.read_text()
        assert leaked(text) == [] and TOKEN not in text and "<secret:" in text
        # Positive control: the values did reach the server.
        assert leaked(json.dumps(server.state()["objects"]), SECRETS.values())
    assert files_holding_values(example_repo, skip=set()) == []


def test_a_preview_lifecycle_shows_no_secret_value_and_no_token(example_repo: Path) -> None:
    """Create (secret env vars copied from --secrets), update, destroy: no value in any output."""
    from support.astro_fake import DEPLOYMENTS, TOKEN, FakeAstro

    set_sync_owner(example_repo, "leak-check")
    git(example_repo, "checkout", "-q", "-b", "feature/leak")
    with FakeAstro() as server:
        server.seed("Data Platform", DEPLOYMENTS, owner="leak-check", key="k-Zq77kv7w-fingerprint")
        keyed = {**server.env(**SECRETS), "ASTRO_GITOPS_FINGERPRINT_KEY": "k-Zq77kv7w-fingerprint"}
        rotated = {**server.env(**ROTATED), "ASTRO_GITOPS_FINGERPRINT_KEY": "k-Zq77kv7w-fingerprint"}
        steps = [
            (("plan", "--format", "markdown"), keyed),
            (("apply", "--auto-approve"), keyed),
            (("plan", "--format", "json"), rotated),
            (("apply", "--auto-approve"), rotated),
            (("apply", "--auto-approve"), server.env(**SECRETS)),  # no key: every secret sent
            (("preview", "destroy", "--branch", "feature/leak", "--auto-approve"), keyed),
        ]
        for args, env in steps:
            result = run_cli(*args, cwd=example_repo, env=env)
            assert result.code == 0, (args, result)
            assert leaked(result.out + result.err) == [], args
            assert TOKEN not in result.out + result.err and "k-Zq77kv7w-fingerprint" not in result.out + result.err
        # Positive control: the preview's secret environment variable reached the server.
        sent = json.dumps([e["body"] for e in server.log() if "/deployments" in e["path"]])
        assert leaked(sent, SECRETS.values())


# --- the sensitive-key kind: names Airflow's secrets masker masks (SPEC 2.5) -----------------------

SENSITIVE_LITERALS = {
    "Authorization": "Bearer Zq7abc123def",
    "passphrase": "Zq7hunter2",
    "service_account": "Zq7svc@proj.iam.gserviceaccount.com",
    "app_key": "Zq7datadog-app-key",  # not Airflow's: the workspace adds it
}
SENSITIVE_CHANGED = {k: v.replace("Zq7", "Zr8") for k, v in SENSITIVE_LITERALS.items()}
SENSITIVE_WORKSPACE_ADDS = "secrets: {sensitive_keys: [app_key]}\n"


def _http_api(extra: Mapping[str, str], *, allow: bool) -> str:
    body = ", ".join(f"{k}: {json.dumps(v)}" for k, v in extra.items())
    plain = ", allow_plaintext: true" if allow else ""
    # A variable and an environment variable whose names Airflow masks: literals are allowed
    # there (SPEC 2.5 names password and extra), but never shown.
    variable = f"variables:\n  partner_api_token: {{value: {json.dumps(extra['Authorization'])}, links: all}}\n"
    return (
        f"connections:\n  http_api: {{type: http, host: api.example.com, extra: {{{body}}}, links: all{plain}}}\n"
        + variable
    )


def _with_env_var(root: Path, value: str) -> None:
    production = root / PRODUCTION
    text = re.sub(r"\n  PARTNER_ACCESS_TOKEN: .*", "", production.read_text())
    production.write_text(
        text.replace("  LOG_LEVEL: INFO\n", f"  LOG_LEVEL: INFO\n  PARTNER_ACCESS_TOKEN: {json.dumps(value)}\n")
    )


def _sensitive_leaks(text: str) -> list[str]:
    values = [*SENSITIVE_LITERALS.values(), *SENSITIVE_CHANGED.values()]
    # The alphanumeric core of each value, which every escaping keeps.
    cores = {v: re.search(r"Z(q7|r8)[0-9A-Za-z]+", v).group(0) for v in values}  # type: ignore[union-attr]
    return [v for v in values if cores[v] in re.sub(r"[^0-9A-Za-z]", "", text)]


def test_sensitive_keys_are_errors_as_literals_and_never_shown(example_repo: Path) -> None:
    """validate: each literal under a name Airflow masks (and one the workspace adds) is a located
    plaintext-secret; with allow_plaintext, plan/diff/explain show none of the values."""
    from support.astro_fake import DEPLOYMENTS, FakeAstro

    set_sync_owner(example_repo)
    workspace = example_repo / "environments/workspace.yaml"
    workspace.write_text(workspace.read_text() + SENSITIVE_WORKSPACE_ADDS)
    commit_files(example_repo, {"environments/connections/api.yaml": _http_api(SENSITIVE_LITERALS, allow=False)})
    invalid = run_cli("validate", cwd=example_repo)
    assert invalid.code == 1 and _sensitive_leaks(invalid.out + invalid.err) == []
    for key in SENSITIVE_LITERALS:
        assert f"error[plaintext-secret]: 'extra.{key}' holds a literal secret" in invalid.out, key
    assert "environments/connections/api.yaml:2:" in invalid.out
    as_json = run_cli("validate", "--format", "json", cwd=example_repo)
    assert _sensitive_leaks(as_json.out + as_json.err) == []

    _with_env_var(example_repo, SENSITIVE_LITERALS["passphrase"])
    commit_files(example_repo, {"environments/connections/api.yaml": _http_api(SENSITIVE_LITERALS, allow=True)})
    with FakeAstro() as server:
        server.seed("Data Platform", DEPLOYMENTS, key="k-sensitive-keys-test")
        env = {**server.env(**example_secrets_env()), "ASTRO_GITOPS_FINGERPRINT_KEY": "k-sensitive-keys-test"}
        created = run_cli("plan", cwd=example_repo, env=env)
        assert created.code == 0 and "      + extra.Authorization: (sensitive value)\n" in created.out
        assert "      + extra.app_key: (sensitive value)\n" in created.out
        assert run_cli("apply", "--auto-approve", cwd=example_repo, env=env).code == 0
        _with_env_var(example_repo, SENSITIVE_CHANGED["passphrase"])
        commit_files(example_repo, {"environments/connections/api.yaml": _http_api(SENSITIVE_CHANGED, allow=True)})
        outputs = {}
        for fmt in ("text", "markdown", "json"):
            result = run_cli("plan", "--format", fmt, cwd=example_repo, env=env)
            assert result.code == 0, result.err
            outputs[f"plan {fmt}"] = result.out + result.err
        assert "~ extra.Authorization: (secret changed)" in outputs["plan text"]
        assert "~ extra.passphrase: (secret changed)" in outputs["plan markdown"]
        assert '"note": "secret changed"' in outputs["plan json"]
        assert "~ value: (secret changed)" in outputs["plan text"]  # the variable partner_api_token
        assert (
            "~ environment_variables.PARTNER_ACCESS_TOKEN: (sensitive value) -> (sensitive value)"
            in outputs["plan text"]
        )
    for fmt in ("text", "markdown", "json"):
        result = run_cli("diff", "HEAD~1", "HEAD", "--format", fmt, cwd=example_repo)
        assert result.code == 0, result.err
        outputs[f"diff {fmt}"] = result.out + result.err
    assert "extra.Authorization: (sensitive value) → (sensitive value)" in outputs["diff text"]
    assert "value: (sensitive value) → (sensitive value)" in outputs["diff text"]
    for key in ("http_api", "partner_api_token"):
        explained = run_cli("explain", "production", key, cwd=example_repo)
        assert explained.code == 0 and "(sensitive value)" in explained.out, key
        outputs[f"explain {key}"] = explained.out + explained.err
    for name, text in outputs.items():
        assert _sensitive_leaks(text) == [], name
    # Positive control: the values are in git, where allow_plaintext keeps them.
    assert _sensitive_leaks((example_repo / "environments/connections/api.yaml").read_text())


def example_secrets_env() -> dict[str, str]:
    return {name: f"v-{name.lower()}" for name in example_secret_names()}


def test_import_takes_sensitive_keys_and_a_keyfile_dict_out_as_secrets(make_repo: Callable[..., Path]) -> None:
    root = make_repo({})
    assert run_cli("init", "--workspace", "Data Platform", cwd=root).code == 0
    workspace = root / "environments/workspace.yaml"
    workspace.write_text(workspace.read_text() + SENSITIVE_WORKSPACE_ADDS)
    extra = json.dumps(SENSITIVE_LITERALS)
    keyfile = {
        "type": "service_account",
        "project_id": "my-proj",
        "private_key": "-----BEGIN-----\nZq7MIIB\n-----END-----\n",
    }
    (root / "settings.yaml").write_text(
        "airflow:\n  connections:\n"
        f"    - {{conn_id: http_api, conn_type: http, conn_host: api.example.com, conn_extra: {extra}}}\n"
        f"    - {{conn_id: google_cloud_default, conn_type: google_cloud_platform,"
        f" conn_extra: {{project: my-proj, keyfile_dict: {json.dumps(keyfile)}}}}}\n"
    )
    result = run_cli("import", "settings.yaml", "--link", "all", cwd=root)
    assert result.code == 0, result.err
    written = (root / "environments/imported/connections.yaml").read_text()
    assert _sensitive_leaks(written) == [] and "Zq7MIIB" not in written
    for key in SENSITIVE_LITERALS:
        assert f"{key}: {{secret: HTTP_API_EXTRA_{key.upper()}}}" in written, key
    assert "keyfile_dict: {secret: GOOGLE_CLOUD_DEFAULT_EXTRA_KEYFILE_DICT}" in written
    names = re.findall(r"^([A-Z_]+)=", result.err, re.MULTILINE)
    assert names.count("GOOGLE_CLOUD_DEFAULT_EXTRA_KEYFILE_DICT") == 1 and len(names) == 5
    dotenv = root / "imported.env"
    lines = [line + "\n" for line in result.err.splitlines() if re.match(r"^[A-Z_]+=", line)]
    dotenv.write_text("".join(lines) + "EXAMPLE_DB_PROD_PASSWORD=init-example\n")  # init's example connection
    assert run_cli("validate", cwd=root).code == 0
    rendered = run_cli(
        "render", "--deployment", "production", "--secrets", f"dotenv:{dotenv}", "--out", "out", cwd=root
    )
    assert rendered.code == 0, rendered.err
    settings_text = next((root / "out").rglob("airflow_settings.yaml")).read_text()
    gcp = next(
        c for c in safe_load_yaml(settings_text)["airflow"]["connections"] if c["conn_id"] == "google_cloud_default"
    )
    assert json.loads(json.loads(gcp["conn_extra"])["keyfile_dict"]) == keyfile  # one secret: the whole document


def safe_load_yaml(text: str) -> dict[str, object]:
    from ruamel.yaml import YAML

    return YAML(typ="safe").load(text)  # type: ignore[no-any-return]


# --- what servers echo (issue 21, K2): credentials and values in every encoding, cut after masking ---

CREDENTIALS = {
    "ASTRO_GITOPS_FINGERPRINT_KEY": 'fpkey-Zq88kv7w-&<>"é-long-enough',
    "AIRFLOW_API_TOKEN": 'aftok-Zq89kv7w-&<>"/+=',  # a header carries printable ASCII only
    "AIRFLOW_PASSWORD": "afpass-Zq90kv7w-&<>'é",
}


def _go(text: str) -> str:
    """Go's encoding/json: HTML-safe escapes."""
    return text.replace("&", "\\u0026").replace("<", "\\u003c").replace(">", "\\u003e")


ENCODINGS: dict[str, Callable[[str], str]] = {
    "raw": lambda v: v,
    "json": lambda v: json.dumps(v)[1:-1],
    "json-non-ascii-kept": lambda v: json.dumps(v, ensure_ascii=False)[1:-1],
    "go": lambda v: _go(json.dumps(v)[1:-1]),
    "go-non-ascii-kept": lambda v: _go(json.dumps(v, ensure_ascii=False)[1:-1]),
    "json-in-json": lambda v: json.dumps(json.dumps(v)[1:-1])[1:-1],
    "repr": lambda v: repr(v)[1:-1],
    "ascii": lambda v: ascii(v)[1:-1],
    "quote": lambda v: urllib.parse.quote(v, safe=""),
    "quote-path": lambda v: urllib.parse.quote(v),
    "quote_plus": lambda v: urllib.parse.quote_plus(v),
    "base64": lambda v: base64.b64encode(v.encode()).decode(),
}


def _no_trace(text: str, values: Iterable[str]) -> None:
    for value in values:
        shown = {encode(value) for encode in ENCODINGS.values()}
        assert not [s for s in shown if s.rstrip("=") in text], value
        assert re.search(r"Z[qr]\d\dkv7w", text) is None, text


@pytest.mark.parametrize("encoding", sorted(ENCODINGS))
def test_an_echoed_value_or_credential_is_masked_in_every_encoding_after_the_cut(
    example_repo: Path, encoding: str
) -> None:
    from support.astro_fake import DEPLOYMENTS, TOKEN, FakeAstro

    set_sync_owner(example_repo, "leak-check")
    encode = ENCODINGS[encoding]
    in_play = [v for name, v in SECRETS.items() if name != ROTATED_NAME]  # the example names no ROTATED_NAME
    every = [*in_play, TOKEN, CREDENTIALS["ASTRO_GITOPS_FINGERPRINT_KEY"]]
    # The first value starts just before the 500th character: cutting before masking would leave its prefix.
    echo = "x" * 490 + " ".join(encode(v) for v in every)
    with FakeAstro() as server:
        server.seed("Data Platform", DEPLOYMENTS, owner="leak-check", key=CREDENTIALS["ASTRO_GITOPS_FINGERPRINT_KEY"])
        env = {**server.env(**SECRETS), "ASTRO_GITOPS_FINGERPRINT_KEY": CREDENTIALS["ASTRO_GITOPS_FINGERPRINT_KEY"]}
        server.admin("fault", {"method": "POST", "path": "environment-objects$", "echo": echo})
        failed = run_cli("apply", "--auto-approve", cwd=example_repo, env=env)
        assert failed.code == 1 and "requestId req-echo" in failed.out, failed
        _no_trace(failed.out + failed.err, every)
        whole = " ".join(encode(v) for v in every)  # no padding: every value within the shown part
        server.admin("fault", {"method": "GET", "path": "/workspaces$", "echo": whole})
        read = run_cli("plan", cwd=example_repo, env=env)
        assert read.code == 1 and "req-echo" in read.err, read
        _no_trace(read.out + read.err, every)


def test_a_401_quoting_the_authorization_header_shows_no_token(example_repo: Path) -> None:
    from support.astro_fake import DEPLOYMENTS, TOKEN, FakeAstro

    set_sync_owner(example_repo, "leak-check")
    with FakeAstro() as server:
        server.seed("Data Platform", DEPLOYMENTS, owner="leak-check")
        server.admin("fault", {"method": "GET", "path": "/workspaces$", "echo_auth": True})
        result = run_cli("plan", cwd=example_repo, env=server.env(**SECRETS))
        assert result.code == 1 and "token rejected: Bearer ***" in result.err, result
        assert TOKEN not in result.out + result.err


def test_a_token_pasted_into_a_url_is_never_echoed(example_repo: Path) -> None:
    from support.astro_fake import TOKEN

    set_sync_owner(example_repo, "leak-check")
    for url in (f"ftp://127.0.0.1/v1?token={TOKEN}", f"http://example.com/v1?token={TOKEN}#{TOKEN}"):
        env = {"ASTRO_API_TOKEN": TOKEN, "ASTRO_API_URL": url, "ASTRO_ORGANIZATION_ID": "org1", **SECRETS}
        result = run_cli("plan", cwd=example_repo, env=env)
        assert result.code in (1, 2) and TOKEN not in result.out + result.err, result
    other = "pasted-Zq91kv7w-token"
    env = {**SECRETS, "AIRFLOW_API_TOKEN": CREDENTIALS["AIRFLOW_API_TOKEN"]}
    for url in (f"ftp://127.0.0.1/?token={other}", f"http://example.com/?t={CREDENTIALS['AIRFLOW_API_TOKEN']}"):
        result = run_cli("plan", "--deployment", "development", "--airflow", url, cwd=example_repo, env=env)
        assert result.code in (1, 2), result
        _no_trace(result.out + result.err, [other, CREDENTIALS["AIRFLOW_API_TOKEN"]])


def test_airflow_credentials_echoed_by_the_server_are_masked(example_repo: Path) -> None:
    """The local server stands in for an Airflow 3 that quotes the bearer token and the password."""
    from support.astro_fake import FakeAstro

    set_sync_owner(example_repo, "leak-check")
    with FakeAstro() as server:
        server.admin("fault", {"method": "GET", "path": "^/api/v2/version$", "count": 100,
                               "reply": {"body": {"version": "3.0.2"}}})  # fmt: skip
        server.admin("fault", {"method": "GET", "path": "^/api/v2/", "echo_auth": True, "count": 100})
        args = ("plan", "--deployment", "development", "--airflow", server.base)
        token = run_cli(*args, cwd=example_repo, env={**SECRETS, "AIRFLOW_API_TOKEN": CREDENTIALS["AIRFLOW_API_TOKEN"]})
        assert token.code == 1 and "token rejected" in token.err, token
        _no_trace(token.out + token.err, [CREDENTIALS["AIRFLOW_API_TOKEN"]])
        password = CREDENTIALS["AIRFLOW_PASSWORD"]
        echo = " ".join(encode(password) for encode in ENCODINGS.values())
        server.admin("fault", {"method": "POST", "path": "^/auth/token$", "echo": f"bad login {echo}"})
        login = run_cli(
            *args, cwd=example_repo, env={**SECRETS, "AIRFLOW_USERNAME": "me", "AIRFLOW_PASSWORD": password}
        )
        assert login.code == 1 and "bad login" in login.err, login
        _no_trace(login.out + login.err, [password])
