"""A cold `validate` of a valid repository imports only what validate needs (issue 26).

Behaviour, not time: a fresh interpreter runs validate and reports which modules it loaded.
Every module below belongs to another command, or to an error path a valid repository
never takes (the schema errors of jsonschema, the masking of an error line).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import imports_of_validate, run_python

NOT_FOR_A_VALID_REPOSITORY = (
    # third-party: templates, HTTP, git, schema errors, settings files, locks, .env files
    "jinja2",
    "httpx",
    "git",
    "jsonschema",
    "pydantic",
    "filelock",
    "dotenv",
    # standard library modules only other commands use
    "subprocess",
    "tempfile",
    "difflib",
    "threading",
    # the dataclasses module imports inspect (ast, dis, tokenize): values on validate's path are
    # made by compiler/model/frozen.py instead
    "dataclasses",
    "inspect",
    # our stages validate does not run, and the error paths of a valid run
    "compiler.render",
    "compiler.review",
    "compiler.sync",
    "compiler.remote",
    "compiler.live",
    "compiler.onboarding",
    "compiler.report.documents",
    "compiler.resolve.workspace_view",
    "compiler.load.careful_route",
    "compiler.redaction",
)


def test_validating_the_example_imports_none_of_the_other_commands_modules(example_repo: Path) -> None:
    verdict, printed = imports_of_validate(example_repo, NOT_FOR_A_VALID_REPOSITORY)

    assert verdict[0] == "0", printed
    imported = [m for m, flag in zip(NOT_FOR_A_VALID_REPOSITORY, verdict[1:], strict=True) if flag == "True"]
    assert imported == []


@pytest.mark.parametrize("module", ["compiler.validate.quick_schema", "compiler.load.fast_route", "ruamel.yaml"])
def test_the_probe_sees_what_validate_does_import(example_repo: Path, module: str) -> None:
    """The check above is not vacuous: the modules validate needs are reported as imported."""
    assert imports_of_validate(example_repo, (module,))[0] == ["0", "True"]


def test_validate_leaves_what_it_made_out_of_the_collectors_last_scans(example_repo: Path) -> None:
    """At exit the interpreter's last full collection scans every object tracked (3.5 to 5.5 ms of
    a cold validate of the example, issue 26); validate freezes what it made, as the other
    commands freeze their model."""
    probe = "import gc, sys; from compiler.cli import main; main(['--root', sys.argv[1], 'validate']); print(gc.get_freeze_count())"
    proc = run_python("-c", probe, str(example_repo), check=True)
    assert int(proc.stdout.splitlines()[-1]) > 10_000
