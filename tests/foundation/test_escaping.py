"""Output integrity: a user's string cannot forge a line, hide a change, or open markup.

The markdown plan is parsed with a CommonMark parser (markdown-it-py, with GitHub's tables
and strikethrough) and every user string must come back as the same literal text.
"""

from __future__ import annotations

import html
import json
import unicodedata
from pathlib import Path

import markdown_it
import pytest
from conftest import commit_files, git, run_cli
from hypothesis import given
from hypothesis import strategies as st

from compiler.diagnostics import Diagnostic, Location, report_github, report_text
from compiler.escaping import markdown_code, markdown_text, one_line, workflow_data, workflow_property
from compiler.report import review_plan
from compiler.review.changes import FieldChange, ObjectChange
from compiler.review.diff import DeploymentPlan, DiffPlan

# Anything a YAML file, a file name or a git ref can hold, with the troublemakers made likely.
NASTY = st.lists(
    st.one_of(
        st.sampled_from(list("<>!-`*_[]()|&#~$\\:;,%\"' \t\n\r\x00\x1b\x7f\x85\u2028\u2029\u202e\u2066")),
        st.sampled_from(["<!--", "-->", "```", "](http://x)", "<script>", "&lt;", "::error ", "\n## h", "| x |"]),
        st.characters(codec="utf-8", exclude_categories=("Cs",)),
    ),
    min_size=1,
    max_size=12,
).map("".join)


def _is_line_breaking(char: str) -> bool:
    return (
        unicodedata.category(char) in ("Cc", "Zl", "Zp")
        or char in "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
    )


@given(NASTY)
def test_one_line_leaves_no_control_or_line_break(text: str) -> None:
    escaped = one_line(text)
    assert not any(_is_line_breaking(c) for c in escaped)
    assert len(escaped.splitlines()) <= 1
    assert one_line("plain-name_1.x") == "plain-name_1.x"


def _parse(markdown: str) -> list[object]:
    md = markdown_it.MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])
    return md.parse(markdown)  # type: ignore[no-any-return]


def _inline_children(tokens: list[object]) -> list[object]:
    return [child for t in tokens for child in (getattr(t, "children", None) or [])]


@given(NASTY)
def test_markdown_text_is_literal_text(text: str) -> None:
    children = _inline_children(_parse(f"**a {markdown_text(text)} b**\n"))
    assert [c.type for c in children if c.type != "text"] == ["strong_open", "strong_close"]  # type: ignore[attr-defined]
    assert "".join(c.content for c in children if c.type == "text") == f"a {one_line(text)} b"  # type: ignore[attr-defined]


@given(NASTY)
def test_markdown_code_is_one_code_span(text: str) -> None:
    children = _inline_children(_parse(f"x {markdown_code(text)} y\n"))
    spans = [c for c in children if c.type == "code_inline"]  # type: ignore[attr-defined]
    assert len(spans) == 1 and spans[0].content == one_line(text)  # type: ignore[attr-defined]


NAMES = st.lists(NASTY, min_size=1, max_size=3, unique=True)


@given(NAMES, NASTY, NASTY, NASTY)
def test_a_markdown_plan_shows_every_user_string_as_literal_text(
    names: list[str], key: str, path: str, value: str
) -> None:
    field = FieldChange(path, value, None)
    deployments = tuple(
        DeploymentPlan(name, "changed", (ObjectChange("connection", key, "update", (field,)),), ()) for name in names
    )
    plan = DiffPlan(f"base {key}", f"{path} head", deployments)
    tokens = _parse(review_plan.markdown(plan))
    children = _inline_children(tokens)

    # No markup of the user's: no inline HTML, comment, link, image, emphasis or strikethrough.
    assert {c.type for c in children} <= {"text", "code_inline", "strong_open", "strong_close", "html_inline"}
    assert [c.content for c in children if c.type == "html_inline"] == ["<sub>", "</sub>"]  # the footer
    # The title: two code spans holding the refs exactly.
    assert [c.content for c in children if c.type == "code_inline"][:2] == [one_line(plan.base), one_line(plan.head)]
    # The table: one row per Deployment, its first cell the name (cells are trimmed).
    rows = [tokens[i + 2] for i, t in enumerate(tokens) if t.type == "tr_open" and tokens[i + 1].type == "td_open"]  # type: ignore[attr-defined]
    firsts = ["".join(c.content for c in row.children if c.type == "text") for row in rows]  # type: ignore[attr-defined]
    assert [f.strip() for f in firsts] == [one_line(n).strip() for n in names]
    # Our HTML blocks only, each naming its Deployment as escaped text.
    blocks = [t.content for t in tokens if t.type == "html_block"]  # type: ignore[attr-defined]
    assert len(blocks) == 2 * len(names)
    summaries = [html.unescape(b.split("<b>", 1)[1].split("</b>", 1)[0]) for b in blocks if b.startswith("<details>")]
    assert summaries == [one_line(n) for n in names]
    # One fenced block per Deployment, holding exactly the plan's lines.
    fences = [t.content for t in tokens if t.type == "fence"]  # type: ignore[attr-defined]
    assert len(fences) == len(names)
    for fence, dep in zip(fences, deployments, strict=True):
        assert fence.splitlines() == [line.replace("```", "\u02bc" * 3) for line in review_plan.deployment_lines(dep)]


@given(NAMES, NASTY, NASTY)
def test_a_text_plan_has_exactly_its_lines(names: list[str], key: str, path: str) -> None:
    field = FieldChange(path, "a", "b")
    deployments = tuple(
        DeploymentPlan(name, "changed", (ObjectChange("connection", key, "update", (field,)),), ()) for name in names
    )
    text = review_plan.text(DiffPlan("a", "b", deployments))
    # headline, blank, then per Deployment: title, object line, field line, blank
    assert len(text.splitlines()) == 2 + 4 * len(names) - 1
    assert not any(_is_line_breaking(c) for c in text.replace("\n", ""))


@given(NASTY, NASTY)
def test_a_diagnostic_is_one_line_in_text_and_github(path: str, message: str) -> None:
    found = [Diagnostic(Location(path, 3, 4), "error", "yaml-syntax", message)]
    assert len(report_text(found).splitlines()) == 1
    github = report_github(found)
    # The runner reads commands line by line, split at CR and LF (NEL is no break there).
    assert github.count("\n") == 1 and github.endswith("\n") and "\r" not in github
    props = github.split(" ", 1)[1].split("::", 1)[0]
    assert props == f"file={workflow_property(path)},line=3,col=4,title=yaml-syntax"


def test_workflow_command_escaping_follows_the_toolkit() -> None:
    assert workflow_data("a%b\r\nc:d,e") == "a%25b%0D%0Ac:d,e"
    assert workflow_property("a%b\r\nc:d,e") == "a%25b%0D%0Ac%3Ad%2Ce"


# --- the installed command --------------------------------------------------------------

HIDDEN = {
    "environments/deployments/aaa.yaml": "name: 'aaa <!--'\nastro: {executor: ASTRO}\n"
    "worker_queues: [{name: default, worker_type: A5}]\n",
    "environments/deployments/zzz.yaml": "name: 'zzz -->'\nastro: {executor: ASTRO}\n"
    "worker_queues: [{name: default, worker_type: A5}]\n",
}


def test_deployment_names_cannot_hide_a_change_in_the_markdown_plan(example_repo: Path) -> None:
    commit_files(example_repo, HIDDEN, "two oddly named Deployments")
    production = example_repo / "environments" / "deployments" / "production.yaml"
    production.write_text(production.read_text().replace("svc_prod", "svc_prod_2"))
    git(example_repo, "add", "-A")

    result = run_cli("diff", "HEAD", "--format", "markdown", cwd=example_repo)
    assert result.code == 0, result.err
    assert "<!--" not in result.out and "-->" not in result.out
    tokens = _parse(result.out)
    assert not [c for c in _inline_children(tokens) if c.type == "html_inline" and "<!--" in c.content]  # type: ignore[attr-defined]
    assert "production" in "".join(t.content for t in tokens if t.type == "fence") or "production" in result.out  # type: ignore[attr-defined]


def test_a_newline_in_a_file_name_cannot_forge_a_diagnostic(example_repo: Path) -> None:
    (example_repo / "environments" / "x\nenvironments\u202eforged.yaml:1:1: error[forged]: y.yaml").write_text("a: [")
    text = run_cli("validate", "--format", "text", cwd=example_repo)
    github = run_cli("validate", "--format", "github", cwd=example_repo)
    assert (text.code, github.code) == (1, 1)
    assert text.out.splitlines() == [text.out.rstrip("\n")]
    assert text.out.startswith("environments/x\\nenvironments\\u202eforged.yaml:1:1: error[forged]: y.yaml:1:")
    assert "error[yaml-syntax]" in text.out
    assert github.out.count("\n") == 1 and github.out.startswith("::error file=environments/x%0Aenvironments")


def test_add_mask_lines_are_escaped_as_workflow_commands(example_repo: Path, example_secrets: dict[str, str]) -> None:
    """`%25` in a secret must mask `%25`, not `%` (the runner unescapes the command's value)."""
    secrets = {**example_secrets, "SNOWFLAKE_PROD_PASSWORD": "pa%25ss:w,rd%0Ax"}
    result = run_cli("render", "--all", "--secrets", "env", cwd=example_repo, env={**secrets, "GITHUB_ACTIONS": "true"})
    assert result.code == 0, result.err
    masks = [line for line in result.out.splitlines() if line.startswith("::add-mask::")]
    assert "::add-mask::pa%2525ss:w,rd%250Ax" in masks
    assert "::add-mask::pa%25ss:w,rd%0Ax" not in masks


def test_explain_and_diff_print_a_forging_key_on_its_own_line(example_repo: Path) -> None:
    key = "x\ny = forged\x1b[2J\u2028z"
    variable = f"variables:\n  {json.dumps(key)}:\n    value: 1\n    links: all\n"
    commit_files(example_repo, {"environments/odd.yaml": variable}, "an odd key")
    (example_repo / "environments" / "odd.yaml").write_text(variable.replace("value: 1", "value: 2"))

    explain = run_cli("explain", "production", key, cwd=example_repo)
    diff = run_cli("diff", "HEAD", cwd=example_repo)
    # Such a key is refused (Airflow cannot hold it: invalid-variable-key; as an argument, bad
    # usage), and the refusals still print it escaped, on their own lines.
    assert (explain.code, diff.code) == (2, 1), explain.err + diff.err
    assert "holds a control or invisible character" in explain.err.splitlines()[-1]
    assert "environments/odd.yaml:2:3: error[invalid-variable-key]: variable key 'x\\ny = forged" in diff.err
    for out in (explain.err, diff.err):
        assert not any(_is_line_breaking(c) for c in out.replace("\n", ""))
        assert not any(line.startswith("y = forged") for line in out.splitlines())


@given(NAMES)
def test_the_cut_note_of_a_long_plan_names_deployments_as_literal_text(names: list[str]) -> None:
    many = tuple(ObjectChange("connection", f"c{i}", "create", (FieldChange("host", None, "h"),)) for i in range(100))
    plan = DiffPlan("a", "b", tuple(DeploymentPlan(name, "changed", many, ()) for name in names))
    body = review_plan.markdown(plan, limit=3_000)
    assert "Cut to fit a comment" in body
    children = _inline_children(_parse(body))
    assert {c.type for c in children} <= {"text", "code_inline", "strong_open", "strong_close", "html_inline"}
    assert [c.content for c in children if c.type == "html_inline"] == ["<sub>", "</sub>"]


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("a\udcffb", "a\\xffb"),
        ("\udc80\udcfe", "\\x80\\xfe"),
        ("x\ud800", "x\\ud800"),
        ("\udbff\udfff", "\\udbff\\udfff"),
        ("\u00e9\udcff\u00e9", "\u00e9\\xff\u00e9"),
    ],
)
def test_lone_surrogates_are_shown_as_the_bytes_they_stand_for(text: str, shown: str) -> None:
    from compiler.escaping import undecodable, undecodable_json

    assert one_line(text) == undecodable(text) == shown
    assert one_line(f"{text}\n\u2028") == f"{shown}\\n\\u2028"  # with the line breaks escaped too
    document = undecodable_json(json.dumps({"k": text}, ensure_ascii=False))
    document.encode("utf-8")  # no lone surrogate left
    assert json.loads(document) == {"k": shown}
