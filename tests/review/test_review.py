"""diff, explain and matrix on real git repositories: the plan between refs, explain, the CI matrix.

Each test starts from the shipped example (`example_repo`: branch main, one commit),
commits a change, and calls the core directly; tests/acceptance/test_review_cli.py checks the wiring.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pytest
from conftest import EXAMPLE, commit_files, edit_file, git

from compiler.errors import InvalidEnvironments, OperationError, UsageError
from compiler.model.objects import Secret
from compiler.report.documents import matrix_report
from compiler.review import changes
from compiler.review import diff as review_diff
from compiler.review import explain as review_explain
from compiler.review import matrix as review_matrix
from compiler.review.changes import ObjectChange
from compiler.review.diff import DeploymentPlan, DiffPlan

WORKSPACE = "environments/workspace.yaml"
SNOWFLAKE = "environments/connections/snowflake.yaml"
HTTP = "environments/connections/http.yaml"
AWS = "environments/connections/aws.yaml"
POOLS = "environments/pools.yaml"
VARIABLES = "environments/variables.yaml"
PRODUCTION = "environments/deployments/production.yaml"
DEVELOPMENT = "environments/deployments/development.yaml"
SANDBOX = "environments/deployments/sandbox.yaml"


def deployment(plan: DiffPlan, name: str) -> DeploymentPlan:
    found = [d for d in plan.deployments if d.name == name]
    assert found, f"{name} is not in the plan: {[d.name for d in plan.deployments]}"
    return found[0]


def obj(dep: DeploymentPlan, kind: str, key: str) -> ObjectChange:
    found = [o for o in dep.objects if (o.kind, o.key) == (kind, key)]
    assert found, f"{kind} {key} is not in the plan of {dep.name}"
    return found[0]


def fields(changes: Any) -> dict[str, tuple[str | None, str | None]]:
    return {f.path: (f.old, f.new) for f in changes}


def names(plan: DiffPlan) -> list[str]:
    return [d.name for d in plan.deployments]


def line_of(root: Path, relative: str, text: str) -> str:
    """`relative:N` of the one line holding `text` (so tests survive edits of the example)."""
    lines = (root / relative).read_text(encoding="utf-8").splitlines()
    hits = [i for i, line in enumerate(lines, start=1) if text in line]
    assert len(hits) == 1, f"{text!r} is on lines {hits} of {relative}"
    return f"{relative}:{hits[0]}"


def changed(root: Path, edits: list[tuple[str, str, str]], files: Mapping[str, str] | None = None) -> DiffPlan:
    """Commit `edits` (and `files`) on top of HEAD; the plan HEAD~1 -> HEAD."""
    for relative, old, new in edits:
        edit_file(root, relative, old, new)
    commit_files(root, files or {})
    return review_diff.diff(root, "HEAD~1", "HEAD")


# --- display: what a value looks like in a plan -------------------------------------------


def test_a_secret_reference_is_shown_by_name() -> None:
    assert changes.display(("password",), Secret("SNOWFLAKE_PROD_PASSWORD")) == "<secret:SNOWFLAKE_PROD_PASSWORD>"


@pytest.mark.parametrize(
    ("path", "value"),
    [
        (("password",), "hunter2"),
        (("extra", "api_key"), 123456789),
        (("extra", "credentials"), ["hunter2"]),
        (("extra", "keyfile_dict", "private_key"), "-----BEGIN"),
        (("environment_variables", "PARTNER_TOKEN"), "hunter2"),
        (("value", "db_password"), 4.5),
    ],
)
def test_a_literal_in_a_secret_looking_field_is_never_shown(path: tuple[str, ...], value: object) -> None:
    assert changes.display(path, value) == changes.SENSITIVE


@pytest.mark.parametrize(
    ("path", "value", "shown"),
    [
        (("extra", "role"), "TRANSFORMER", '"TRANSFORMER"'),
        (("port",), 443, "443"),
        (("extra", "use_token"), True, "true"),  # a flag, not a secret
        (("value",), {"b": 1, "a": [1, 2]}, '{"a": [1, 2], "b": 1}'),
    ],
)
def test_plain_values_are_shown_as_json(path: tuple[str, ...], value: object, shown: str) -> None:
    assert changes.display(path, value) == shown


# --- diff between commits -----------------------------------------------------------------


def test_field_and_nested_extra_changes(example_repo: Path) -> None:
    plan = changed(
        example_repo,
        [
            (SNOWFLAKE, "schema: ANALYTICS", "schema: ANALYTICS_V2"),
            (SNOWFLAKE, "warehouse: TRANSFORM_WH", "warehouse: TRANSFORM_WH_L"),
            (PRODUCTION, "role: TRANSFORMER_PROD", "role: TRANSFORMER_PROD_V2"),
        ],
    )
    assert names(plan) == ["development", "production"]  # sandbox excludes snowflake_default
    prod = obj(deployment(plan, "production"), "connection", "snowflake_default")
    assert prod.action == "changed"
    assert fields(prod.fields) == {
        "schema": ('"ANALYTICS"', '"ANALYTICS_V2"'),
        "extra.warehouse": ('"TRANSFORM_WH"', '"TRANSFORM_WH_L"'),
        "extra.role": ('"TRANSFORMER_PROD"', '"TRANSFORMER_PROD_V2"'),
    }
    dev = obj(deployment(plan, "development"), "connection", "snowflake_default")
    assert set(fields(dev.fields)) == {"schema", "extra.warehouse"}  # the override is production's


def test_nested_mapping_variable_value_changes_leaf_by_leaf(example_repo: Path) -> None:
    plan = changed(
        example_repo, [(VARIABLES, "sources: [orders, customers, events]", "sources: [orders]\n      retries: 3")]
    )
    for name in ("development", "production", "sandbox"):
        change = obj(deployment(plan, name), "variable", "ingest_config")
        assert fields(change.fields) == {
            "value.sources": ('["orders", "customers", "events"]', '["orders"]'),
            "value.retries": (None, "3"),
        }


def test_added_and_removed_objects(example_repo: Path) -> None:
    edit_file(example_repo, POOLS, "  snowflake_pool:\n    slots: 8\n", "  old_pool:\n    slots: 8\n")
    plan = changed(
        example_repo,
        [(POOLS, "    links: [production]\n", "")],
        {
            "environments/feature_flags.yaml": "variables:\n  feature_flags:\n    value: {beta: true}\n    links: [production]\n"
        },
    )
    assert names(plan) == ["production"]
    prod = deployment(plan, "production")
    assert [(o.kind, o.key, o.action) for o in prod.objects] == [
        ("pool", "snowflake_pool", "removed"),
        ("variable", "feature_flags", "added"),
    ]
    assert fields(obj(prod, "variable", "feature_flags").fields) == {"value.beta": (None, "true")}
    assert (prod.count("added"), prod.count("changed"), prod.count("removed")) == (1, 0, 1)


def test_a_link_list_change_adds_and_removes_an_object(example_repo: Path) -> None:
    plan = changed(example_repo, [(HTTP, "links: [production, development]", "links: [production, sandbox]")])
    assert names(plan) == ["development", "sandbox"]  # production keeps it, unchanged
    removed = obj(deployment(plan, "development"), "connection", "partner_api")
    assert removed.action == "removed"
    added = obj(deployment(plan, "sandbox"), "connection", "partner_api")
    assert added.action == "added"
    assert fields(added.fields)["host"] == (None, '"sandbox.api.partner.example.com"')
    assert fields(added.fields)["password"] == (None, "<secret:PARTNER_API_DEV_TOKEN>")


def test_links_all_with_a_new_exclude_removes_the_object_there_only(example_repo: Path) -> None:
    plan = changed(example_repo, [(AWS, "    links: all\n", "    links: all\n    exclude: [development]\n")])
    assert names(plan) == ["development"]
    assert obj(deployment(plan, "development"), "connection", "aws_default").action == "removed"


def test_a_secret_rotation_shows_the_renamed_reference(example_repo: Path) -> None:
    plan = changed(
        example_repo, [(PRODUCTION, "{secret: SNOWFLAKE_PROD_PASSWORD}", "{secret: SNOWFLAKE_PROD_PASSWORD_2025}")]
    )
    assert names(plan) == ["production"]
    change = obj(deployment(plan, "production"), "connection", "snowflake_default")
    assert fields(change.fields) == {
        "password": ("<secret:SNOWFLAKE_PROD_PASSWORD>", "<secret:SNOWFLAKE_PROD_PASSWORD_2025>")
    }


def test_deployment_file_changes(example_repo: Path) -> None:
    plan = changed(
        example_repo,
        [
            (PRODUCTION, "scheduler_size: MEDIUM", "scheduler_size: LARGE"),
            (PRODUCTION, "max_worker_count: 4", "max_worker_count: 8"),
            (PRODUCTION, "LOG_LEVEL: INFO", "LOG_LEVEL: WARNING\n  PARTNER_TOKEN: {secret: PARTNER_TOKEN}"),
            (PRODUCTION, "  - data-platform@example.com\n", ""),
            (PRODUCTION, "description: Production Deployment of the Data Platform team\n", ""),
        ],
    )
    assert names(plan) == ["production"]
    prod = deployment(plan, "production")
    assert prod.objects == ()
    assert fields(prod.settings) == {
        "configuration.scheduler_size": ('"MEDIUM"', '"LARGE"'),
        "worker_queues.heavy.max_worker_count": ("4", "8"),
        "environment_variables.LOG_LEVEL": ('"INFO"', '"WARNING"'),
        "environment_variables.PARTNER_TOKEN": (None, "<secret:PARTNER_TOKEN>"),
        "alert_emails": ('["data-oncall@example.com", "data-platform@example.com"]', '["data-oncall@example.com"]'),
        "configuration.description": ('"Production Deployment of the Data Platform team"', None),
    }
    assert (prod.count("added"), prod.count("changed"), prod.count("removed")) == (0, 1, 0)


def test_an_added_and_a_removed_deployment(example_repo: Path) -> None:
    staging = (example_repo / DEVELOPMENT).read_text(encoding="utf-8").replace("name: development", "name: staging")
    edit_file(
        example_repo,
        WORKSPACE,
        '  - regex: "(spike|sandbox)/.+"\n    deployment: sandbox\n',
        "  - regex: never\n    deployment: production\n",
    )
    edit_file(example_repo, SNOWFLAKE, "    exclude: [sandbox]           # experiments never touch the warehouse\n", "")
    commit_files(example_repo, {"environments/deployments/staging.yaml": staging}, remove=(SANDBOX,))
    plan = review_diff.diff(example_repo, "HEAD~1", "HEAD")
    assert names(plan) == ["sandbox", "staging"]
    gone, new = deployment(plan, "sandbox"), deployment(plan, "staging")
    assert gone.action == "removed" and {o.action for o in gone.objects} == {"removed"}
    assert new.action == "added" and {o.action for o in new.objects} == {"added"}
    # The Deployment file counts once, under what happened to the Deployment.
    assert new.count("added") == len(new.objects) + 1 and new.count("changed") == 0
    assert gone.count("removed") == len(gone.objects) + 1 and gone.count("changed") == 0


def test_values_are_compared_before_they_are_hidden(make_repo: Callable[..., Path]) -> None:
    objects = (
        "connections:\n  db:\n    type: postgres\n    password: literal-one\n"
        "    extra: {api_token: tok-one, retries: 1, verify: 1}\n    allow_plaintext: true\n    links: all\n"
    )
    root = make_repo(
        {
            "environments/workspace.yaml": "version: 1\nworkspace: W\nbranches:\n  - {branch: main, deployment: local}\n",
            "environments/deployments/local.yaml": "name: local\nastro: {executor: KUBERNETES}\n",
            "environments/db.yaml": objects,
        }
    )
    edit_file(root, "environments/db.yaml", "literal-one", "literal-two")
    edit_file(root, "environments/db.yaml", "tok-one, retries: 1, verify: 1", "tok-two, retries: 1.0, verify: true")
    plan = review_diff.diff(root, "HEAD", None)
    assert fields(obj(deployment(plan, "local"), "connection", "db").fields) == {
        "password": (changes.SENSITIVE, changes.SENSITIVE),  # changed, and still not shown
        "extra.api_token": (changes.SENSITIVE, changes.SENSITIVE),
        "extra.retries": ("1", "1.0"),
        "extra.verify": ("1", "true"),
    }
    assert "literal" not in repr(plan) and "tok-" not in repr(plan)


def test_a_ref_from_before_environments_existed_has_no_deployments(make_repo: Callable[..., Path]) -> None:
    root = make_repo({"README.md": "before astro-gitops\n"})
    shutil.copytree(EXAMPLE, root / "environments")
    plan = review_diff.diff(root, "HEAD", None)
    assert [(d.name, d.action) for d in plan.deployments] == [
        ("development", "added"),
        ("production", "added"),
        ("sandbox", "added"),
    ]
    assert matrix_names(root, "HEAD") == ["development", "production", "sandbox"]
    shutil.rmtree(root / "environments")
    assert not review_diff.diff(root, "HEAD", None).has_changes
    with pytest.raises(InvalidEnvironments):
        review_matrix.matrix(root, None, {})  # the current side must exist


def test_identical_refs_have_no_changes(example_repo: Path) -> None:
    commit_files(example_repo, {"README.md": "not under environments/\n"})
    plan = review_diff.diff(example_repo, "HEAD~1", "HEAD")
    assert plan == DiffPlan("HEAD~1", "HEAD", ())
    assert not plan.has_changes


def test_a_change_that_renders_the_same_is_no_change(example_repo: Path) -> None:
    plan = changed(example_repo, [(SNOWFLAKE, "    type: snowflake\n", "    type: snowflake   # a comment\n")])
    assert not plan.has_changes


def test_the_working_tree_includes_uncommitted_and_untracked_files(example_repo: Path) -> None:
    edit_file(example_repo, PRODUCTION, "scheduler_size: MEDIUM", "scheduler_size: LARGE")
    (example_repo / "environments/extra.yaml").write_text("pools:\n  new_pool: {slots: 3, links: [sandbox]}\n")
    plan = review_diff.diff(example_repo, "HEAD", None)
    assert plan.head == "working tree"
    assert names(plan) == ["production", "sandbox"]
    assert obj(deployment(plan, "sandbox"), "pool", "new_pool").action == "added"
    assert review_diff.diff(example_repo, "HEAD", "HEAD") == DiffPlan("HEAD", "HEAD", ())


def test_deployment_limits_the_plan(example_repo: Path) -> None:
    edit_file(example_repo, SNOWFLAKE, "warehouse: TRANSFORM_WH", "warehouse: BIG_WH")
    assert names(review_diff.diff(example_repo, "HEAD", None)) == ["development", "production"]
    assert names(review_diff.diff(example_repo, "HEAD", None, "production")) == ["production"]
    assert names(review_diff.diff(example_repo, "HEAD", None, "sandbox")) == []
    with pytest.raises(OperationError, match="did you mean 'production'"):
        review_diff.diff(example_repo, "HEAD", None, "prodution")


def test_an_unknown_ref_is_an_operation_error(example_repo: Path) -> None:
    with pytest.raises(OperationError, match="unknown git ref 'no-such-branch'"):
        review_diff.diff(example_repo, "no-such-branch", None)


def test_a_side_that_does_not_validate_is_named(example_repo: Path) -> None:
    edit_file(example_repo, POOLS, "slots: 8", "slots: -5")
    commit_files(example_repo, {})
    edit_file(example_repo, POOLS, "slots: -5", "slots: 8")
    commit_files(example_repo, {})
    with pytest.raises(InvalidEnvironments) as base_error:
        review_diff.diff(example_repo, "HEAD~1", "HEAD")
    assert [d.code for d in base_error.value.diagnostics] == ["invalid-slots"]
    assert base_error.value.diagnostics[0].message.endswith("(at HEAD~1)")
    assert str(base_error.value.diagnostics[0].location).startswith(f"{POOLS}:")

    edit_file(example_repo, PRODUCTION, "executor: CELERY", "executor: SEQUENTIAL")
    with pytest.raises(InvalidEnvironments) as tree_error:
        review_diff.diff(example_repo, "HEAD", None)
    assert all(d.message.endswith("(at the working tree)") for d in tree_error.value.diagnostics)


def test_environments_below_the_git_top_level(make_repo: Callable[..., Path]) -> None:
    workspace = "version: 1\nworkspace: W\nbranches:\n  - {branch: main, deployment: prod}\n"
    deployment_file = "name: prod\nastro: {executor: KUBERNETES}\n"
    pool = "pools:\n  p: {slots: 1, links: all}\n"
    top = make_repo(
        {
            "config/environments/workspace.yaml": workspace,
            "config/environments/deployments/prod.yaml": deployment_file,
            "config/environments/pools.yaml": pool,
        }
    )
    edit_file(top / "config", "environments/pools.yaml", "slots: 1", "slots: 2")
    commit_files(top, {})
    plan = review_diff.diff(top / "config", "HEAD~1", "HEAD")
    assert fields(obj(deployment(plan, "prod"), "pool", "p").fields) == {"slots": ("1", "2")}


# --- explain -------------------------------------------------------------------------------


def explained_fields(found: review_explain.Explained) -> dict[str, tuple[str, list[tuple[str, str, str]]]]:
    return {path: (value, [(s.location, s.layer, s.value) for s in steps]) for path, value, steps in found.fields}


def test_explain_shows_every_field_and_the_chain_of_layers(example_repo: Path) -> None:
    found = review_explain.explain(example_repo, "production", "snowflake_default", None)
    assert (found.deployment, found.kind, found.key, found.scope) == (
        "production",
        "connection",
        "snowflake_default",
        "workspace",
    )
    shown = explained_fields(found)
    assert list(shown) == [
        "type", "description", "schema", "login", "password",
        "extra.account", "extra.warehouse", "extra.database", "extra.role",
    ]  # fmt: skip
    r = example_repo
    assert shown["login"] == (
        '"svc_prod"',
        [
            (line_of(r, SNOWFLAKE, "login: svc_dev"), "object", '"svc_dev"'),
            (line_of(r, PRODUCTION, "login: svc_prod"), "override", '"svc_prod"'),
        ],
    )
    assert shown["password"] == (
        "<secret:SNOWFLAKE_PROD_PASSWORD>",
        [
            (line_of(r, SNOWFLAKE, "SNOWFLAKE_DEV_PASSWORD"), "object", "<secret:SNOWFLAKE_DEV_PASSWORD>"),
            (line_of(r, PRODUCTION, "SNOWFLAKE_PROD_PASSWORD"), "override", "<secret:SNOWFLAKE_PROD_PASSWORD>"),
        ],
    )
    assert shown["extra.database"][1][-1] == (line_of(r, PRODUCTION, "database: PROD"), "override", '"PROD"')
    assert shown["extra.account"] == (
        '"ab12345.us-east-1"',
        [(line_of(r, SNOWFLAKE, "account:"), "object", '"ab12345.us-east-1"')],
    )
    assert found.removed == ()


def test_explain_a_field_removed_by_null(example_repo: Path) -> None:
    edit_file(example_repo, PRODUCTION, "role: TRANSFORMER_PROD", "role: null")
    found = review_explain.explain(example_repo, "production", "snowflake_default", None)
    assert "extra.role" not in explained_fields(found)
    assert found.removed == (("extra.role", line_of(example_repo, PRODUCTION, "role: null")),)
    # A null over a whole mapping removes each leaf; each points at that null.
    edit_file(example_repo, PRODUCTION, "      extra:                     # merged", "      extra: null  # merged")
    edit_file(example_repo, PRODUCTION, "        database: PROD\n        role: null\n", "")
    found = review_explain.explain(example_repo, "production", "snowflake_default", None)
    where = line_of(example_repo, PRODUCTION, "extra: null")
    assert found.removed == tuple((f"extra.{k}", where) for k in ("account", "warehouse", "database", "role"))


def test_explain_a_deployment_scoped_object(example_repo: Path) -> None:
    found = review_explain.explain(example_repo, "sandbox", "scratch_postgres", "connection")
    assert found.scope == "deployment"
    assert explained_fields(found)["port"] == (
        "5432",
        [(line_of(example_repo, SANDBOX, "port: 5432"), "deployment", "5432")],
    )


def test_explain_shows_a_rendered_template_and_its_source(example_repo: Path) -> None:
    found = review_explain.explain(example_repo, "sandbox", "environment_name", None)
    assert explained_fields(found)["value"] == (
        '"sandbox"',
        [(line_of(example_repo, VARIABLES, "{{ deployment.name }}"), "object", '"{{ deployment.name }}"')],
    )


def test_explain_an_excluded_object_says_so(example_repo: Path) -> None:
    with pytest.raises(OperationError) as error:
        review_explain.explain(example_repo, "sandbox", "snowflake_default", None)
    assert "excludes 'sandbox'" in str(error.value)
    assert line_of(example_repo, SNOWFLAKE, "exclude:") in str(error.value)


def test_explain_an_object_linked_elsewhere_names_its_links(example_repo: Path) -> None:
    with pytest.raises(OperationError) as error:
        review_explain.explain(example_repo, "sandbox", "partner_api", None)
    assert "linked only to production, development" in str(error.value)
    assert line_of(example_repo, HTTP, "links:") in str(error.value)


def test_explain_an_unlinked_object_says_add_links(example_repo: Path) -> None:
    (example_repo / "environments/orphan.yaml").write_text("connections:\n  orphan: {type: http}\n")
    with pytest.raises(OperationError, match=r"linked to no Deployment.*orphan\.yaml:2.*add 'links'"):
        review_explain.explain(example_repo, "production", "orphan", None)


@pytest.mark.parametrize(
    ("dep", "key", "message"),
    [
        ("production", "snowflake_defualt", "is not an object of 'production' (did you mean 'snowflake_default'?)"),
        ("prodution", "snowflake_default", "no Deployment named 'prodution' (did you mean 'production'?)"),
    ],
)
def test_explain_unknown_names_suggest_the_near_miss(example_repo: Path, dep: str, key: str, message: str) -> None:
    with pytest.raises(OperationError) as error:
        review_explain.explain(example_repo, dep, key, None)
    assert message in str(error.value)


def test_explain_kind_disambiguates_a_key_of_two_kinds(example_repo: Path) -> None:
    (example_repo / "environments/aws_variable.yaml").write_text("variables:\n  aws_default: {value: x, links: all}\n")
    with pytest.raises(UsageError, match="pass --kind"):
        review_explain.explain(example_repo, "production", "aws_default", None)
    assert review_explain.explain(example_repo, "production", "aws_default", "variable").kind == "variable"
    assert review_explain.explain(example_repo, "production", "aws_default", "connection").kind == "connection"
    with pytest.raises(OperationError, match="not an object"):
        review_explain.explain(example_repo, "production", "aws_default", "pool")


def test_explain_never_shows_a_literal_password(example_repo: Path) -> None:
    edit_file(
        example_repo,
        SANDBOX,
        "password: {secret: SCRATCH_DB_PASSWORD}",
        "password: hunter2-literal\n    allow_plaintext: true",
    )
    found = review_explain.explain(example_repo, "sandbox", "scratch_postgres", None)
    value, steps = explained_fields(found)["password"]
    assert value == changes.SENSITIVE and [s[2] for s in steps] == [changes.SENSITIVE]
    assert "hunter2" not in repr(found)


# --- matrix --------------------------------------------------------------------------------


def matrix_names(root: Path, since: str | None = None, environ: Mapping[str, str] | None = None) -> list[str]:
    return [
        row["deployment"]
        for row in matrix_report(review_matrix.matrix(root, since, environ or {})).model_dump(by_alias=True)["include"]
    ]


def test_matrix_lists_every_deployment(example_repo: Path) -> None:
    assert matrix_report(review_matrix.matrix(example_repo, None, {})).model_dump(by_alias=True) == {
        "include": [
            {"deployment": name, "preview": False, "from": name, "branch": None}
            for name in ("development", "production", "sandbox")
        ]
    }


def test_matrix_since_a_production_override_is_production_only(example_repo: Path) -> None:
    edit_file(example_repo, PRODUCTION, "role: TRANSFORMER_PROD", "role: TRANSFORMER_PROD_V2")
    commit_files(example_repo, {})
    assert matrix_names(example_repo, "HEAD~1") == ["production"]


def test_matrix_since_a_links_all_change_is_every_linked_deployment(example_repo: Path) -> None:
    edit_file(example_repo, AWS, "region_name: us-east-1", "region_name: eu-west-1")
    assert matrix_names(example_repo, "HEAD") == ["development", "production", "sandbox"]
    git(example_repo, "checkout", "-q", "--", ".")
    edit_file(example_repo, SNOWFLAKE, "warehouse: TRANSFORM_WH", "warehouse: BIG_WH")  # excludes sandbox
    assert matrix_names(example_repo, "HEAD") == ["development", "production"]


def test_matrix_since_without_a_rendered_change_is_empty(example_repo: Path) -> None:
    commit_files(example_repo, {"dags/example.py": "print('hi')\n"})
    assert matrix_report(review_matrix.matrix(example_repo, "HEAD~1", {})).model_dump(by_alias=True) == {"include": []}
    # A description that no output renders is no change to deploy either.
    edit_file(example_repo, VARIABLES, "description: Landing bucket", "description: The landing bucket")
    assert matrix_report(review_matrix.matrix(example_repo, "HEAD", {})).model_dump(by_alias=True) == {"include": []}


def test_matrix_adds_the_preview_of_the_checked_out_branch(example_repo: Path) -> None:
    git(example_repo, "checkout", "-q", "-b", "feature/x")
    rows = matrix_report(review_matrix.matrix(example_repo, None, {})).model_dump(by_alias=True)["include"]
    assert {"deployment": "dev-feature-x", "preview": True, "from": "development", "branch": "feature/x"} in rows
    assert [r["deployment"] for r in rows] == ["dev-feature-x", "development", "production", "sandbox"]
    # CI names the branch through the environment, not the checkout.
    assert "dev-feature-y" in matrix_names(example_repo, None, {"GITHUB_HEAD_REF": "feature/y"})


def test_matrix_since_on_a_preview_branch(example_repo: Path) -> None:
    git(example_repo, "checkout", "-q", "-b", "feature/x")
    assert matrix_names(example_repo, "main") == []
    edit_file(example_repo, DEVELOPMENT, "LOG_LEVEL: DEBUG", "LOG_LEVEL: INFO")
    assert matrix_names(example_repo, "main") == ["dev-feature-x", "development"]
    git(example_repo, "checkout", "-q", "--", ".")
    edit_file(example_repo, WORKSPACE, '/previews/{{ branch.slug }}"', '/preview/{{ branch.slug }}"')
    assert matrix_names(example_repo, "main") == ["dev-feature-x"]  # the preview's own overrides
