"""`diff`, `explain` and `matrix` as a user runs them: the installed command on real git repositories.

The plan's content is tested on the core (tests/review/test_review.py); here: formats, exit codes,
golden markdown, that nothing is checked out, and that no secret value is ever printed.

`ASTRO_GITOPS_UPDATE_GOLDEN=1 pytest tests/acceptance/test_review_cli.py` rewrites tests/acceptance/golden/diff/;
read the change against SPEC 4 before keeping it.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from conftest import Run, commit_files, edit_file, example_secret_names, git, run_cli
from report.test_review_plan import key_paths, readme_diff_json

GOLDEN = Path(__file__).parent / "golden" / "diff"
UPDATE = os.environ.get("ASTRO_GITOPS_UPDATE_GOLDEN") == "1"
SNOWFLAKE = "environments/connections/snowflake.yaml"
HTTP = "environments/connections/http.yaml"
POOLS = "environments/pools.yaml"
PRODUCTION = "environments/deployments/production.yaml"


def run_many(root: Path, commands: Sequence[Sequence[str]], env: dict[str, str] | None = None) -> list[Run]:
    """Several runs of the command at once (each is a separate process; the suite stays fast)."""
    with ThreadPoolExecutor(max_workers=4) as pool:
        return list(pool.map(lambda args: run_cli(*args, cwd=root, env=env), commands))


def review_history(root: Path) -> None:
    """A second commit on the example with every kind of change, sandbox untouched."""
    edit_file(root, SNOWFLAKE, "schema: ANALYTICS", "schema: ANALYTICS_V2")  # a field
    edit_file(root, SNOWFLAKE, "warehouse: TRANSFORM_WH", "warehouse: TRANSFORM_WH_L")  # a nested extra key
    # A secret rotation: the reference is renamed.
    edit_file(root, PRODUCTION, "{secret: SNOWFLAKE_PROD_PASSWORD}", "{secret: SNOWFLAKE_PROD_PASSWORD_2025}")
    edit_file(root, HTTP, "links: [production, development]", "links: [production]")  # leaves development
    # snowflake_pool (production's only) is gone; an unlinked pool takes its place.
    edit_file(root, POOLS, "  snowflake_pool:\n    slots: 8\n", "  old_pool:\n    slots: 8\n")
    edit_file(root, POOLS, "    links: [production]\n", "")
    # The Deployment file: configuration, a worker queue, an environment variable.
    edit_file(root, PRODUCTION, "scheduler_size: MEDIUM", "scheduler_size: LARGE")
    edit_file(root, PRODUCTION, "max_worker_count: 4", "max_worker_count: 8")
    edit_file(root, PRODUCTION, "LOG_LEVEL: INFO", "LOG_LEVEL: WARNING")
    flags = (
        "variables:\n  feature_flags:\n    value: {beta: true, rollout: 0.25}\n    links: [production, development]\n"
    )
    commit_files(root, {"environments/feature_flags.yaml": flags})


def check_golden(name: str, actual: str) -> None:
    path = GOLDEN / name
    if UPDATE:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(actual, encoding="utf-8")
    assert path.exists(), f"missing golden file {path}; run with ASTRO_GITOPS_UPDATE_GOLDEN=1 and read it"
    assert actual == path.read_text(encoding="utf-8")


# --- diff ----------------------------------------------------------------------------------


def test_diff_between_two_commits_in_every_format(example_repo: Path) -> None:
    review_history(example_repo)
    markdown, text, as_json, exit_code = run_many(
        example_repo,
        [
            ("diff", "HEAD~1", "HEAD", "--format", "markdown"),
            ("diff", "HEAD~1", "HEAD"),
            ("diff", "HEAD~1", "HEAD", "--format", "json"),
            ("diff", "HEAD~1", "HEAD", "--exit-code"),
        ],
    )
    assert (markdown.code, text.code, as_json.code, exit_code.code) == (0, 0, 0, 3)
    check_golden("example.md", markdown.out)
    check_golden("example.txt", text.out)
    assert (
        text.out.splitlines()[0]
        == "Plan: development 1 added, 1 changed, 1 removed; production 1 added, 2 changed, 1 removed"
    )
    assert "sandbox" not in text.out  # unchanged Deployments are absent
    assert exit_code.out == text.out
    assert text.err == "" and "unused" not in text.out  # warnings of a side are not part of the plan

    body = json.loads(as_json.out)
    assert key_paths(body) == key_paths(readme_diff_json())
    assert [d["name"] for d in body["deployments"]] == ["development", "production"]
    assert body["deployments"][1]["counts"] == {"added": 1, "changed": 2, "removed": 1}


def test_diff_without_changes(example_repo: Path) -> None:
    commit_files(example_repo, {"dags/etl.py": "print('not under environments/')\n"})
    working_tree, between, markdown = run_many(
        example_repo,
        [
            ("diff", "HEAD", "--exit-code"),
            ("diff", "HEAD~1", "HEAD", "--exit-code", "--format", "json"),
            ("diff", "HEAD~1", "--format", "markdown"),
        ],
    )
    assert (working_tree.code, between.code, markdown.code) == (0, 0, 0)
    assert working_tree.out == "No changes. The resolved configuration of every Deployment is the same.\n"
    assert json.loads(between.out) == {"base": "HEAD~1", "head": "HEAD", "changes": False, "deployments": []}
    assert "**No changes." in markdown.out and "<details>" not in markdown.out


def snapshot(root: Path) -> dict[str, tuple[bytes, int]]:
    files = (p for p in root.rglob("*") if p.is_file() and ".git" not in p.relative_to(root).parts)
    return {str(p.relative_to(root)): (p.read_bytes(), p.stat().st_mtime_ns) for p in files}


def test_diff_reads_git_objects_and_the_working_tree_without_a_checkout(example_repo: Path) -> None:
    review_history(example_repo)
    edit_file(example_repo, PRODUCTION, "LOG_LEVEL: WARNING", "LOG_LEVEL: ERROR")  # uncommitted
    (example_repo / "environments/new.yaml").write_text("variables:\n  untracked_var: {value: 1, links: [sandbox]}\n")
    before, status, head = (
        snapshot(example_repo),
        git(example_repo, "status", "--porcelain"),
        git(example_repo, "rev-parse", "HEAD"),
    )

    committed, working_tree = run_many(example_repo, [("diff", "HEAD~1", "HEAD"), ("diff", "HEAD~1")])

    assert "LOG_LEVEL" in committed.out and '"WARNING"' in committed.out and '"ERROR"' not in committed.out
    assert "untracked_var" not in committed.out and "sandbox" not in committed.out
    assert 'environment_variables.LOG_LEVEL: "INFO" → "ERROR"' in working_tree.out
    assert "+ variable untracked_var" in working_tree.out and "sandbox 1 added" in working_tree.out
    assert snapshot(example_repo) == before
    assert git(example_repo, "status", "--porcelain") == status
    assert git(example_repo, "rev-parse", "HEAD") == head
    assert len(git(example_repo, "worktree", "list").splitlines()) == 1


def test_diff_deployment_limits_the_plan(example_repo: Path) -> None:
    review_history(example_repo)
    production, unknown = run_many(
        example_repo,
        [("diff", "HEAD~1", "HEAD", "--deployment", "production"), ("diff", "HEAD~1", "HEAD", "--deployment", "prod")],
    )
    assert production.code == 0
    assert production.out.splitlines()[0] == "Plan: production 1 added, 2 changed, 1 removed"
    assert "development" not in production.out
    assert unknown.code == 1 and "no Deployment named 'prod'" in unknown.err


def test_diff_an_unknown_ref_exits_1(example_repo: Path) -> None:
    (result,) = run_many(example_repo, [("diff", "no-such-ref", "--exit-code")])
    assert result.code == 1
    assert result.err.startswith("astro-gitops: error: unknown git ref 'no-such-ref' (check the name, or fetch it")
    assert result.err.count("\n") == 1
    assert result.out == ""


def test_diff_names_the_side_that_does_not_validate(example_repo: Path) -> None:
    edit_file(example_repo, POOLS, "slots: 8", "slots: -5")
    commit_files(example_repo, {}, "broken")
    edit_file(example_repo, POOLS, "slots: -5", "slots: 8")
    commit_files(example_repo, {}, "fixed")
    edit_file(example_repo, PRODUCTION, "executor: CELERY", "executor: SEQUENTIAL")
    base, tree = run_many(example_repo, [("diff", "HEAD~1", "HEAD", "--format", "json"), ("diff", "HEAD")])
    assert base.code == 1 and base.out == ""
    assert re.search(
        r"^environments/pools\.yaml:4:\d+: error\[invalid-slots\]: .*\(at HEAD~1\)$", base.err, flags=re.MULTILINE
    )
    assert tree.code == 1 and tree.out == ""
    assert re.search(
        r"^environments/deployments/production\.yaml:\d+:\d+: error\[invalid-executor\]: .*\(at the working tree\)$",
        tree.err,
        flags=re.MULTILINE,
    )


def test_markdown_of_3000_changed_connections_fits_a_comment(make_repo: Callable[..., Path]) -> None:
    objects = "connections:\n" + "".join(
        f"  conn_{i:04d}: {{type: http, host: old-{i}.example.com, links: all}}\n" for i in range(3000)
    )
    root = make_repo(
        {
            "environments/workspace.yaml": "version: 1\nworkspace: W\nbranches:\n  - {branch: main, deployment: production}\n",
            "environments/deployments/production.yaml": "name: production\nastro: {executor: KUBERNETES}\n",
            "environments/connections.yaml": objects,
        }
    )
    (root / "environments/connections.yaml").write_text(objects.replace("host: old-", "host: new-"))
    (result,) = run_many(root, [("diff", "HEAD", "--format", "markdown")])
    assert result.code == 0
    assert len(result.out) < 65_000
    assert "**Plan: production 3000 changed**" in result.out
    note = re.search(r"\*\*Cut to fit a comment:\*\* left out ([\d,]+) of 3,000 changes of production\.", result.out)
    assert note, result.out[-500:]
    assert result.out.count("~ connection conn_") == 3000 - int(note.group(1).replace(",", ""))


# --- secrets ---------------------------------------------------------------------------------


def test_no_secret_value_in_any_output(example_repo: Path, tmp_path: Path) -> None:
    names = set(example_secret_names()) | {"SNOWFLAKE_PROD_PASSWORD_2025"}
    assert {"SNOWFLAKE_PROD_PASSWORD", "SNOWFLAKE_DEV_PASSWORD", "SCRATCH_DB_PASSWORD"} <= names
    values = {name: f"sv-{name.lower()}-9f2c41" for name in names}  # plain: found even inside json
    review_history(example_repo)
    # And an uncommitted change, so the working tree side has secrets to show too.
    edit_file(example_repo, PRODUCTION, "{secret: PARTNER_API_PROD_TOKEN}", "{secret: SCRATCH_DB_PASSWORD}")
    commands: list[tuple[str, ...]] = [
        *(("diff", "HEAD~1", "--format", fmt) for fmt in ("text", "markdown", "json")),
        ("explain", "production", "snowflake_default"),
        ("explain", "sandbox", "partner_api"),  # an error message
        ("matrix", "--since", "HEAD~1"),
        ("which", "--branch", "feature/x", "--format", "json"),
        ("validate",),
    ]
    results = run_many(example_repo, commands, env=values)
    assert [r.code for r in results] == [0, 0, 0, 0, 1, 0, 0, 0], results
    for args, result in zip(commands, results, strict=True):
        for value in values.values():
            assert value not in result.out + result.err, args
    assert "<secret:SNOWFLAKE_PROD_PASSWORD_2025>" in results[0].out
    assert "<secret:PARTNER_API_PROD_TOKEN> → <secret:SCRATCH_DB_PASSWORD>" in results[0].out
    # The values did reach the processes: render --secrets env writes them.
    (rendered,) = run_many(
        example_repo, [("render", "--all", "--secrets", "env", "--out", str(tmp_path / "out"))], env=values
    )
    assert rendered.code == 0, rendered.err
    assert values["SNOWFLAKE_PROD_PASSWORD_2025"] in (tmp_path / "out/production/airflow_settings.yaml").read_text()


LITERAL_REPO = {
    "environments/workspace.yaml": "version: 1\nworkspace: W\nbranches:\n  - {branch: main, deployment: local}\n",
    "environments/deployments/local.yaml": "name: local\nastro: {executor: KUBERNETES}\n",
    "environments/db.yaml": (
        "connections:\n  local_db:\n    type: postgres\n    host: localhost\n    password: literal-one-3b7e\n"
        "    extra: {api_token: tok-one-3b7e, sslmode: disable}\n    allow_plaintext: true\n    links: all\n"
    ),
}


def test_a_literal_password_shows_as_sensitive(make_repo: Callable[..., Path]) -> None:
    root = make_repo(LITERAL_REPO)
    edit_file(root, "environments/db.yaml", "literal-one-3b7e", "literal-two-3b7e")
    edit_file(root, "environments/db.yaml", "tok-one-3b7e", "tok-two-3b7e")
    commit_files(root, {})
    results = run_many(
        root,
        [
            *(("diff", "HEAD~1", "HEAD", "--format", fmt) for fmt in ("text", "markdown", "json")),
            ("explain", "local", "local_db"),
        ],
    )
    for result in results:
        assert result.code == 0, result.err
        assert "3b7e" not in result.out + result.err
    assert "password: (sensitive value) → (sensitive value)" in results[0].out
    assert "extra.api_token: (sensitive value) → (sensitive value)" in results[0].out
    assert {"path": "password", "old": "(sensitive value)", "new": "(sensitive value)"} in json.loads(results[2].out)[
        "deployments"
    ][0]["objects"][0]["fields"]
    assert "  password = (sensitive value)\n" in results[3].out


# --- explain ---------------------------------------------------------------------------------


def test_explain_prints_each_field_and_its_layers(example_repo: Path) -> None:
    (result,) = run_many(example_repo, [("explain", "production", "snowflake_default")])
    assert result.code == 0, result.err
    lines = result.out.splitlines()
    assert lines[0] == "connection snowflake_default in production (workspace scope)"
    login = lines.index('  login = "svc_prod"')
    assert re.fullmatch(r" {6}environments/connections/snowflake\.yaml:\d+  object: \"svc_dev\"", lines[login + 1])
    assert re.fullmatch(r" {6}environments/deployments/production\.yaml:\d+  override: \"svc_prod\"", lines[login + 2])
    assert "  password = <secret:SNOWFLAKE_PROD_PASSWORD>" in lines
    assert any(
        re.fullmatch(r" {6}\S+production\.yaml:\d+  override: <secret:SNOWFLAKE_PROD_PASSWORD>", line) for line in lines
    )
    assert {line.split(" = ")[0].strip() for line in lines if " = " in line} == {
        "type", "description", "schema", "login", "password",
        "extra.account", "extra.warehouse", "extra.database", "extra.role",
    }  # fmt: skip


def test_explain_errors(example_repo: Path) -> None:
    (example_repo / "environments/aws_variable.yaml").write_text("variables:\n  aws_default: {value: x, links: all}\n")
    excluded, elsewhere, unknown, ambiguous, chosen, bad_kind = run_many(
        example_repo,
        [
            ("explain", "sandbox", "snowflake_default"),
            ("explain", "sandbox", "partner_api"),
            ("explain", "production", "snowflake_defualt"),
            ("explain", "production", "aws_default"),
            ("explain", "production", "aws_default", "--kind", "variable"),
            ("explain", "production", "aws_default", "--kind", "secret"),
        ],
    )
    assert excluded.code == 1 and "excludes 'sandbox'" in excluded.err and "snowflake.yaml:" in excluded.err
    assert elsewhere.code == 1 and "linked only to production, development" in elsewhere.err
    assert unknown.code == 1 and "did you mean 'snowflake_default'?" in unknown.err
    assert ambiguous.code == 2 and "pass --kind" in ambiguous.err
    assert chosen.code == 0 and chosen.out.startswith("variable aws_default in production (workspace scope)\n")
    assert bad_kind.code == 2
    assert all(r.out == "" for r in (excluded, elsewhere, unknown, ambiguous, bad_kind))


# --- matrix ----------------------------------------------------------------------------------


def matrix_of(result: Run) -> list[str]:
    assert result.code == 0, result.err
    body = json.loads(result.out)
    assert set(body) == {"include"}
    return [row["deployment"] for row in body["include"]]


def test_matrix(example_repo: Path) -> None:
    edit_file(example_repo, PRODUCTION, "role: TRANSFORMER_PROD", "role: TRANSFORMER_PROD_V2")
    commit_files(example_repo, {})
    every, override, nothing, bad_ref = run_many(
        example_repo,
        [("matrix",), ("matrix", "--since", "HEAD~1"), ("matrix", "--since", "HEAD"), ("matrix", "--since", "nope")],
    )
    assert matrix_of(every) == ["development", "production", "sandbox"]
    assert json.loads(every.out)["include"][0] == {
        "deployment": "development",
        "preview": False,
        "from": "development",
        "branch": None,
    }
    assert matrix_of(override) == ["production"]
    assert nothing.out == '{"include":[]}\n'
    assert bad_ref.code == 1 and "unknown git ref 'nope'" in bad_ref.err


def test_matrix_on_a_preview_branch(example_repo: Path) -> None:
    git(example_repo, "checkout", "-q", "-b", "feature/x")
    edit_file(
        example_repo, "environments/connections/aws.yaml", "region_name: us-east-1", "region_name: eu-west-1"
    )  # links: all
    every, since = run_many(example_repo, [("matrix",), ("matrix", "--since", "main")])
    assert {"deployment": "dev-feature-x", "preview": True, "from": "development", "branch": "feature/x"} in json.loads(
        every.out
    )["include"]
    assert matrix_of(since) == ["dev-feature-x", "development", "production", "sandbox"]


def test_matrix_and_diff_read_each_deployment_file_they_compare(example_repo: Path) -> None:
    """A Deployment's file that changed is compared (a comment alone changes nothing); one whose
    files are the same at both sides is not even resolved, and is never listed."""
    production = (example_repo / PRODUCTION).read_text(encoding="utf-8")
    commit_files(example_repo, {PRODUCTION: "# reviewed\n" + production})
    edit_file(example_repo, "environments/deployments/sandbox.yaml", "port: 5432", "port: 5433")
    commit_files(example_repo, {})
    comment, port, diff_comment, diff_port = run_many(
        example_repo,
        [
            ("matrix", "--since", "HEAD~2"),
            ("matrix", "--since", "HEAD~1"),
            ("diff", "HEAD~2", "HEAD~1", "--format", "json"),
            ("diff", "HEAD~1", "HEAD", "--format", "json"),
        ],
    )
    assert matrix_of(comment) == ["sandbox"]  # since HEAD~2: the comment and the port
    assert matrix_of(port) == ["sandbox"]
    assert json.loads(diff_comment.out)["deployments"] == []
    assert [d["name"] for d in json.loads(diff_port.out)["deployments"]] == ["sandbox"]
