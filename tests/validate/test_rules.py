"""The semantic rules (rules.check) on small models: each rule, its location and its message."""

from __future__ import annotations

from typing import Any

import pytest

from compiler.load.sources import SourceFile
from compiler.model import secrets
from compiler.validate import rules
from compiler.validate.project import validate

WORKSPACE = "version: 1\nworkspace: T\nbranches:\n  - branch: main\n    deployment: prod\n"
PROD = "name: prod\nastro: {executor: KUBERNETES}\n"


def found(files: dict[str, str]) -> list[tuple[str, int, str, str]]:
    """(path, line, code, message) of every semantic diagnostic, from rules.check itself."""
    merged = {"environments/workspace.yaml": WORKSPACE, "environments/deployments/prod.yaml": PROD, **files}
    project = validate([SourceFile(p, t.encode()) for p, t in sorted(merged.items())])
    return [
        (d.location.path, d.location.line, d.code, d.message) for d in rules.check(project.model, project.documents)
    ]


def codes(files: dict[str, str]) -> list[tuple[str, int, str]]:
    return [(p, line, code) for p, line, code, _ in found(files)]


def test_a_clean_model_has_no_findings() -> None:
    assert found({"environments/o.yaml": "variables:\n  v: {value: x, links: all}\n"}) == []


@pytest.mark.parametrize(
    ("section", "key", "code"),
    [
        ("connections", "a..b", "invalid-conn-id"),
        ("connections", "x" * 201, "invalid-conn-id"),
        ("connections", "with space", "invalid-conn-id"),
        ("variables", "k" * 251, "invalid-variable-key"),
        ("pools", "p" * 257, "invalid-pool-name"),
    ],
)
def test_identifiers_airflow_refuses_are_errors_at_the_key(section: str, key: str, code: str) -> None:
    body = (
        "{type: http, links: all}"
        if section == "connections"
        else "{value: 1, links: all}"
        if section == "variables"
        else "{slots: 1, links: all}"
    )
    text = f"{section}:\n  '{key}': {body}\n"

    assert codes({"environments/o.yaml": text}) == [("environments/o.yaml", 2, code)]


def test_conn_ids_equal_but_for_case_collide_across_files() -> None:
    result = found(
        {
            "environments/a.yaml": "connections:\n  my_db: {type: http, links: all}\n",
            "environments/b.yaml": "connections:\n  MY_DB: {type: http, links: all}\n",
        }
    )

    assert [(p, line, c) for p, line, c, _ in result] == [("environments/b.yaml", 2, "conn-id-case-collision")]
    assert "AIRFLOW_CONN_MY_DB" in result[0][3]


def test_a_duplicate_object_names_the_first_place() -> None:
    result = found(
        {
            "environments/a.yaml": "variables:\n  v: {value: 1, links: all}\n",
            "environments/b.yaml": "variables:\n  v: {value: 2, links: all}\n",
        }
    )

    assert [(p, c) for p, _, c, _ in result] == [("environments/b.yaml", "duplicate-object")]
    assert "environments/a.yaml:2" in result[0][3]


def test_plaintext_secrets_in_password_and_secret_looking_extra_keys() -> None:
    text = "connections:\n  c:\n    type: http\n    password: hunter2\n    extra: {api_key: k, region: eu, nested: {token: t}}\n    links: all\n"

    result = found({"environments/o.yaml": text})

    assert [c for _, _, c, _ in result] == ["plaintext-secret"] * 3
    assert sorted(m.split("'")[1] for *_, m in result) == ["extra.api_key", "extra.nested.token", "password"]


def test_allow_plaintext_allows_it() -> None:
    text = "connections:\n  c: {type: http, password: local, allow_plaintext: true, links: all}\n"

    assert found({"environments/o.yaml": text}) == []


def test_override_of_an_unlinked_object_suggests_the_linked_one() -> None:
    deployment = PROD + "overrides:\n  variables:\n    bucket: {value: y}\n"
    result = found(
        {
            "environments/deployments/prod.yaml": deployment,
            "environments/o.yaml": "variables:\n  bucket_name: {value: x, links: all}\n",
        }
    )

    assert [(p, line, c) for p, line, c, _ in result] == [
        ("environments/deployments/prod.yaml", 5, "override-unlinked")
    ]
    assert "did you mean 'bucket_name'?" in result[0][3]


def test_a_scoped_object_must_not_take_a_linked_key() -> None:
    deployment = PROD + "variables:\n  v: {value: 2}\n"

    result = codes(
        {
            "environments/deployments/prod.yaml": deployment,
            "environments/o.yaml": "variables:\n  v: {value: 1, links: all}\n",
        }
    )

    assert result == [("environments/deployments/prod.yaml", 4, "scoped-collision")]


def test_unknown_deployments_in_links_rules_and_previews() -> None:
    workspace = WORKSPACE + "  - branch: 'f/**'\n    preview: {from: prd, name: 'p-{{ branch.slug }}'}\n"

    result = codes(
        {
            "environments/workspace.yaml": workspace,
            "environments/o.yaml": "variables:\n  v: {value: 1, links: [prd], exclude: [x]}\n",
        }
    )

    assert ("environments/workspace.yaml", 7, "unknown-deployment") in result
    assert ("environments/o.yaml", 2, "unknown-deployment") in result
    assert ("environments/o.yaml", 2, "exclude-without-all") in result


def test_the_astro_cli_checks_of_a_deployment_file() -> None:
    deployment = "name: prod\nastro: {executor: celery}\nworker_queues: [{name: q}]\nalert_emails: [nope]\nenvironment_variables: {1BAD: x}\n"

    result = codes({"environments/deployments/prod.yaml": deployment})

    assert sorted(c for *_, c in result) == [
        "invalid-email",
        "invalid-env-key",
        "missing-default-queue",
        "queue-missing-field",
    ]


def test_a_template_is_rendered_once_with_a_sample_branch() -> None:
    text = "variables:\n  a: {value: '{{ nope }}', links: all}\n  b: {value: \"{{ 'x' * 10**6 }}\", links: all}\n"

    assert codes({"environments/o.yaml": text}) == [
        ("environments/o.yaml", 2, "template-undefined"),
        ("environments/o.yaml", 3, "template-too-costly"),
    ]


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        (
            {"environments/o.yaml": "pools:\n  p: {slots: 0, links: all}\n"},
            [("environments/o.yaml", 2, "astro-cli-skips")],
        ),
        (
            {"environments/o.yaml": "variables:\n  v: {value: '', links: all}\n"},
            [("environments/o.yaml", 2, "astro-cli-skips")],
        ),
        (
            {"environments/o.yaml": "connections:\n  c: {type: Postgres, links: all}\n"},
            [("environments/o.yaml", 2, "unknown-conn-type")],
        ),
        (
            {
                "environments/deployments/prod.yaml": "name: prod\nastro: {executor: CELERY}\nworker_queues: [{name: default, worker_type: a10}]\n"
            },
            [("environments/deployments/prod.yaml", 3, "worker-type-case")],
        ),
    ],
)
def test_what_the_astro_cli_or_airflow_would_drop_is_a_warning(files: dict[str, str], expected: Any) -> None:
    result = validate(
        [
            SourceFile(p, t.encode())
            for p, t in sorted(
                {"environments/workspace.yaml": WORKSPACE, "environments/deployments/prod.yaml": PROD, **files}.items()
            )
        ]
    )

    assert [(d.location.path, d.location.line, d.code) for d in result.diagnostics] == expected
    assert all(d.severity == "warning" for d in result.diagnostics) and result.ok


def test_looks_secret_and_plaintext_paths() -> None:
    assert secrets.looks_secret("AWS_SECRET_ACCESS_KEY") and secrets.looks_secret("Api_Key")
    assert not secrets.looks_secret("region")
    fields = {"password": "p", "extra": {"keyfile_dict": {"a": "b", "flag": True}, "secret": None, "token": ""}}
    assert list(secrets.plaintext_paths(fields)) == [("password",), ("extra", "keyfile_dict", "a")]


# Each warning's hint, followed literally, clears the warning (a hint must work when followed).
HINTS = [
    ("connections:\n  c: {type: SMTP, links: all}\n", r"did you mean '(\w+)'", "type: SMTP", "type: {}"),
    ("connections:\n  c: {type: postgresql, links: all}\n", r"did you mean '(\w+)'", "type: postgresql", "type: {}"),
    ("pools:\n  p: {slots: 0, links: all}\n", r"set (1) or more", "slots: 0", "slots: {}"),
    ("pools:\n  p: {slots: 0, links: all}\n", r"\((-1) is unlimited\)", "slots: 0", "slots: {}"),
]


@pytest.mark.parametrize(("text", "hint", "old", "new"), HINTS)
def test_a_warnings_hint_works_when_followed(text: str, hint: str, old: str, new: str) -> None:
    import re

    (message,) = [m for *_, m in found({"environments/o.yaml": text})]
    suggested = re.search(hint, message)
    assert suggested is not None, message

    assert found({"environments/o.yaml": text.replace(old, new.format(suggested.group(1)))}) == []


def test_the_worker_type_and_extra_case_hints_work_when_followed() -> None:
    import re

    queue = "name: prod\nastro: {executor: CELERY}\nworker_queues: [{name: default, worker_type: a5}]\n"
    (message,) = [m for *_, m in found({"environments/deployments/prod.yaml": queue})]
    written = re.search(r"write '(\w+)'", message)
    assert written is not None
    assert found({"environments/deployments/prod.yaml": queue.replace("a5", written.group(1))}) == []

    workspace = WORKSPACE + "render: {conn_extra: mapping}\n"
    objects = {"environments/o.yaml": "connections:\n  c: {type: http, extra: {Region: eu}, links: all}\n"}
    (message,) = [m for *_, m in found({"environments/workspace.yaml": workspace, **objects})]
    setting = re.search(r"use render\.conn_extra: (\w+)", message)
    assert setting is not None
    assert found({"environments/workspace.yaml": workspace.replace("mapping", setting.group(1)), **objects}) == []
