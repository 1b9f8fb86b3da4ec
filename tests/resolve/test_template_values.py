"""Plain references are substituted without Jinja, with exactly Jinja's result."""

from __future__ import annotations

import subprocess
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from compiler.resolve import template_sandbox, template_values
from compiler.resolve.template_values import TemplateProblem, _substituted, context

CONTEXT = context("feature/Add-X", "feature-add-x", "dev-feature-add-x", "Data Platform")
PIECES = st.sampled_from(
    ["{{ branch.slug }}", "{{branch.name}}", "{{  deployment.name  }}", "{{ workspace }}", "{{ branch.nope }}",
     "{{ nope }}", "{{ branch }}", "{{- branch.slug }}", "{% if 1 %}x{% endif %}", "{# c #}", "{{", "}}", "{", "}",
     "\r\n", "\n", "s3://b/", "-", " ", "é"]
)  # fmt: skip


def jinja(source: str) -> str | TemplateProblem:
    try:
        return template_sandbox.render(source, CONTEXT)
    except Exception as exc:
        return TemplateProblem("jinja", type(exc).__name__)


@settings(max_examples=300, deadline=None)
@given(st.lists(PIECES, max_size=6).map("".join))
def test_substitution_agrees_with_jinja(source: str) -> None:
    fast = _substituted(source, CONTEXT)
    if fast is not None:
        assert fast == jinja(source)


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("dev-{{ branch.slug }}", "dev-feature-add-x"),
        ("{{workspace}}/{{ deployment.name }}", "Data Platform/dev-feature-add-x"),
    ],
)
def test_plain_references(source: str, expected: str) -> None:
    assert _substituted(source, CONTEXT) == expected
    assert template_values.render_string(source, CONTEXT) == expected


def test_anything_else_is_left_to_jinja() -> None:
    for source in ("{{ branch.slug | upper }}", "{{ nope }}", "{% if 1 %}x{% endif %}", "{{- branch.slug }}"):
        assert _substituted(source, CONTEXT) is None
    with pytest.raises(TemplateProblem) as problem:
        template_values.render_string("{{ branch.nope }}", CONTEXT)
    assert problem.value.code == "template-undefined"


def test_plain_references_do_not_load_jinja() -> None:
    probe = (
        "import sys; from compiler.resolve.template_values import render_string, context; "
        "render_string('dev-{{ branch.slug }}', context('b', 'b', 'd', 'w')); print('jinja2' in sys.modules)"
    )
    assert (
        subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout.strip()
        == "False"
    )
