"""The JSON outputs match the schemas published by `astro-gitops schema <name>-report`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import git, run_cli
from jsonschema import Draft202012Validator


def published(name: str, cwd: Path) -> Draft202012Validator:
    result = run_cli("schema", name, cwd=cwd)
    assert result.code == 0, result.err
    schema = json.loads(result.out)
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


def assert_valid(validator: Draft202012Validator, document: object) -> None:
    errors = [e.message for e in validator.iter_errors(document)]
    assert errors == []


def test_validate_json_matches_its_schema(example_repo: Path) -> None:
    (example_repo / "environments" / "pools.yaml").write_text("pools:\n  p: {slots: -7, links: all}\n")
    result = run_cli("validate", "--format", "json", cwd=example_repo)
    document = json.loads(result.out)
    assert result.code == 1 and document["ok"] is False and document["diagnostics"]
    assert_valid(published("validate-report", example_repo), document)


@pytest.mark.parametrize("branch", ["main", "feature/x"])
def test_which_json_matches_its_schema(example_repo: Path, branch: str) -> None:
    result = run_cli("which", "--branch", branch, "--format", "json", cwd=example_repo)
    assert result.code == 0, result.err
    document = json.loads(result.out)
    assert set(document) == {"deployment", "preview", "from", "template", "branch", "slug"}
    assert_valid(published("which-report", example_repo), document)


def test_matrix_and_diff_json_match_their_schemas(example_repo: Path) -> None:
    production = example_repo / "environments" / "deployments" / "production.yaml"
    production.write_text(production.read_text().replace("svc_prod", "svc_prod_2"))
    git(example_repo, "commit", "-qam", "rename the production login")

    matrix = run_cli("matrix", "--since", "HEAD~1", cwd=example_repo)
    assert matrix.code == 0, matrix.err
    assert json.loads(matrix.out)["include"][0]["deployment"] == "production"
    assert "\n" not in matrix.out.rstrip("\n")  # one line, for $GITHUB_OUTPUT
    assert_valid(published("matrix-report", example_repo), json.loads(matrix.out))

    diff = run_cli("diff", "HEAD~1", "HEAD", "--format", "json", cwd=example_repo)
    assert diff.code == 0, diff.err
    assert_valid(published("diff-report", example_repo), json.loads(diff.out))


def test_a_wrong_document_fails_the_published_schema(example_repo: Path) -> None:
    validator = published("which-report", example_repo)
    assert list(validator.iter_errors({"deployment": "x", "preview": "yes"}))
