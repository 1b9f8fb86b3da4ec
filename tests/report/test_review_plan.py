"""compiler.report.review_plan: the text, markdown and json reporters of a review plan."""

from __future__ import annotations

import json
import re
from typing import Any

from conftest import REPO

from compiler.model.objects import Secret
from compiler.report import review_plan
from compiler.review.changes import FROM_DIFF, FieldChange, ObjectChange
from compiler.review.diff import DeploymentPlan, DiffPlan


def change(kind: str, key: str, action: Any, *fields: tuple[str, Any, Any]) -> ObjectChange:
    return ObjectChange(kind, key, FROM_DIFF[action], tuple(FieldChange(*f) for f in fields))


PRODUCTION = DeploymentPlan(
    "production",
    "changed",
    (
        change(
            "connection",
            "snowflake_default",
            "changed",
            ("extra.role", "A", "B"),
            ("password", Secret("OLD"), Secret("NEW")),
        ),
        change("pool", "backfill_pool", "added", ("slots", None, 2)),
        change("variable", "data_bucket", "changed", ("description", "x", None)),
    ),
    (FieldChange("configuration.scheduler_size", "MEDIUM", "LARGE"),),
)
SANDBOX = DeploymentPlan(
    "sandbox", "changed", (change("connection", "scratch_postgres", "removed", ("port", 5432, None)),), ()
)
PLAN = DiffPlan("origin/main", "working tree", (PRODUCTION, SANDBOX))


def test_headline_counts_each_deployment() -> None:
    assert review_plan.headline(PLAN) == "Plan: production 1 added, 3 changed; sandbox 1 removed"
    assert review_plan.headline(DiffPlan("a", "b", ())).startswith("No changes.")


def test_text_is_a_terraform_like_plan() -> None:
    assert review_plan.text(PLAN) == (
        "Plan: production 1 added, 3 changed; sandbox 1 removed\n"
        "\n"
        "production (changed: 1 added, 3 changed)\n"
        "  ~ connection snowflake_default\n"
        '      extra.role: "A" → "B"\n'
        "      password: <secret:OLD> → <secret:NEW>\n"
        "  + pool backfill_pool\n"
        "      slots: 2\n"
        "  ~ variable data_bucket\n"
        '      description: "x" → (removed)\n'
        "  ~ deployment file\n"
        '      configuration.scheduler_size: "MEDIUM" → "LARGE"\n'
        "\n"
        "sandbox (changed: 1 removed)\n"
        "  - connection scratch_postgres\n"
    )


def test_text_colors_only_on_request() -> None:
    assert "\033[" not in review_plan.text(PLAN)
    assert "\033[31m- connection scratch_postgres\033[0m" in review_plan.text(PLAN, color=True)


def test_a_removed_deployment_lists_no_fields() -> None:
    gone = DeploymentPlan(
        "sandbox",
        "removed",
        (change("pool", "p", "removed", ("slots", "1", None)),),
        (FieldChange("configuration.executor", '"CELERY"', None),),
    )
    assert review_plan.deployment_lines(gone) == ["- pool p", "- deployment file"]
    assert review_plan.headline(DiffPlan("a", "b", (gone,))) == "Plan: sandbox 2 removed"


def test_markdown_holds_a_table_and_a_block_per_deployment() -> None:
    body = review_plan.markdown(PLAN)
    assert body.startswith(
        "### astro-gitops plan: `origin/main` → `working tree`\n\n**Plan: production 1 added, 3 changed; sandbox 1 removed**\n"
    )
    assert "| production | 1 | 3 | 0 |\n| sandbox | 0 | 0 | 1 |\n" in body
    assert body.count("<details>") == 2 and body.count("```diff") == 2
    assert "Cut to fit" not in body


def test_markdown_a_value_cannot_close_the_code_block() -> None:
    dep = DeploymentPlan(
        "production", "changed", (change("variable", "v", "changed", ("value", '"a```b"', '"c"')),), ()
    )
    body = review_plan.markdown(DiffPlan("a", "b", (dep,)))
    assert body.count("```") == 2  # the diff block's own fence, opened and closed


def many_connections(name: str, count: int) -> DeploymentPlan:
    objects = tuple(
        change(
            "connection",
            f"conn_{i:05d}",
            "changed",
            ("host", f'"old-{i}.example.com"', f'"new-{i}.example.com"'),
            ("extra.role", '"R1"', '"R2"'),
        )
        for i in range(count)
    )
    return DeploymentPlan(name, "changed", objects, ())


def test_markdown_of_3000_changed_connections_is_cut_with_a_note() -> None:
    body = review_plan.markdown(DiffPlan("main", "HEAD", (many_connections("production", 3000),)))
    assert len(body) < 65_000
    kept = len(re.findall(r"^~ connection conn_", body, flags=re.MULTILINE))
    assert 0 < kept < 3000
    assert f"Cut to fit a comment:** left out {3000 - kept:,} of 3,000 changes of production." in body
    assert f"… {3000 - kept:,} more left out to fit a comment\n```" in body
    assert "conn_00000" in body and f"conn_{kept - 1:05d}" in body and f"conn_{kept:05d}" not in body
    assert body.endswith("never as values.</sub>\n")


def test_markdown_cut_names_every_deployment_left_out() -> None:
    deployments = tuple(many_connections(f"dep-{i:02d}", 400) for i in range(8))
    body = review_plan.markdown(DiffPlan("main", "HEAD", deployments))
    assert len(body) < 65_000
    note = body[body.index("Cut to fit") :]
    assert "of 400 changes of dep-" in note  # the one cut part way
    assert "all of dep-07" in note
    # Every Deployment still has its row in the table.
    assert all(f"| dep-{i:02d} | 0 | 400 | 0 |" in body for i in range(8))


def test_markdown_cut_note_stays_short_with_many_deployments() -> None:
    deployments = tuple(many_connections(f"deployment-with-a-long-name-{i:03d}", 40) for i in range(150))
    body = review_plan.markdown(DiffPlan("main", "HEAD", deployments))
    assert len(body) < 65_000
    assert re.search(r"; and \d+ more Deployment\(s\)\. Run `astro-gitops diff` locally", body)


def readme_diff_json() -> Any:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("### JSON outputs") :]
    block = re.search(r"```json\n(.*?)```", section, flags=re.DOTALL)
    assert block, "README documents the diff json shape in a ```json block"
    return json.loads(block.group(1))


def key_paths(value: Any, prefix: str = "") -> set[str]:
    """Every key of a json document by its path (`deployments[].objects[].kind`), over all list items."""
    if isinstance(value, dict):
        return {f"{prefix}{k}" for k in value} | {p for k, v in value.items() for p in key_paths(v, f"{prefix}{k}.")}
    if isinstance(value, list):
        return {p for item in value for p in key_paths(item, f"{prefix[:-1]}[].")}
    return set()


def test_json_matches_the_readme_shape() -> None:
    documented = readme_diff_json()
    produced = json.loads(review_plan.as_json(PLAN))
    assert key_paths(produced) == key_paths(documented)
    assert "deployments[].objects[].fields[].old" in key_paths(documented)
    fields = [f for d in produced["deployments"] for o in d["objects"] for f in o["fields"]]
    assert all(isinstance(f[side], str | None) for f in fields for side in ("old", "new"))
    assert produced["deployments"][0]["counts"] == {"added": 1, "changed": 3, "removed": 0}
    assert produced["deployments"][0]["objects"][1] == {
        "kind": "pool", "key": "backfill_pool", "action": "added",
        "fields": [{"path": "slots", "old": None, "new": "2"}],
    }  # fmt: skip
    assert json.loads(review_plan.as_json(DiffPlan("a", "b", ()))) == {
        "base": "a",
        "head": "b",
        "changes": False,
        "deployments": [],
    }
