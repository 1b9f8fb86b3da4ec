"""Semantic rules of SPEC 2 and 6 over the typed model -> located diagnostics."""

from __future__ import annotations

import re
from collections.abc import Iterable

from compiler.diagnostics import Diagnostic, warning
from compiler.load.documents import Document, iter_strings
from compiler.model.airflow_ids import CONN_ID, MAX_POOL_NAME, MAX_VARIABLE_KEY  # noqa: F401  (re-exported for old importers)
from compiler.model.branches import rule_regex, slug
from compiler.model.objects import Model
from compiler.resolve import template_values
from compiler.validate import consumer_rules
from compiler.validate.checker import Checker
from compiler.validate.deployment_rules import check_deployments
from compiler.validate.object_rules import check_links, check_objects, check_overrides

SAMPLE_BRANCH = "feature/example"
# What `init` writes until the user names the workspace (warning `workspace-placeholder`).
WORKSPACE_PLACEHOLDER = "<your Astro workspace>"


def check(model: Model, documents: Iterable[Document], partially_known: set[str] | None = None) -> list[Diagnostic]:
    """Every semantic problem of the model; the documents give positions.

    `partially_known` names Deployments and objects defined in files that failed their
    schema: references to them are not reported a second time.
    """
    checker = Checker(model, documents, partially_known or set())
    _check_workspace(checker)
    check_deployments(checker)
    check_objects(checker)
    check_links(checker)
    check_overrides(checker)
    _check_templates(checker)
    checker.found.extend(
        consumer_rules.warnings(model, lambda path, ypath, at_key: checker.at(path, ypath, key=at_key))
    )
    return checker.found


def _check_workspace(c: Checker) -> None:
    workspace = c.model.workspace
    if workspace is None:
        return
    if workspace.name == WORKSPACE_PLACEHOLDER:
        message = "fill in your Astro workspace name (it becomes workspace_name in every deployment file)"
        c.found.append(warning(c.at(workspace.path, ("workspace",)), "workspace-placeholder", message))
    for rule in workspace.rules:
        key = "regex" if rule.is_regex else "branch"
        try:
            rule_regex(rule)
        except re.error as exc:
            c.error(rule.path, (*rule.ypath, key), "invalid-regex", f"invalid regular expression: {exc}")
        if rule.deployment is not None:
            c.unknown_deployment(rule.deployment, rule.path, (*rule.ypath, "deployment"), "branch rule")
        if rule.preview is not None:
            c.unknown_deployment(rule.preview.from_, rule.path, (*rule.ypath, "preview", "from"), "preview rule")


def _may_hold_template(document: Document) -> bool:
    """Whether a string of the document can hold a template marker (`{{`, `{%`, `{#`).

    A parsed string holds a marker only where its file's text does, or where an escape
    (`\\x7b`, `\\u007b`, a joined line) made it: a file without either is not walked, which
    spares validate a pass over every leaf of a large workspace (issue 26).
    """
    text = document.text
    return not text or "\\" in text or template_values.has_template(text)


def _check_templates(c: Checker) -> None:
    """Render every templated string once with a sample branch, to locate broken templates now."""
    workspace_name = c.model.workspace.name if c.model.workspace else "workspace"
    sample = template_values.context(SAMPLE_BRANCH, slug(SAMPLE_BRANCH), "example", workspace_name)
    for path, document in c.docs.items():
        if not _may_hold_template(document):
            continue
        for ypath, text in iter_strings(document.data):
            if template_values.has_template(text):
                try:
                    template_values.render_string(text, sample)
                except template_values.TemplateProblem as problem:
                    c.error(path, ypath, problem.code, problem.message)
