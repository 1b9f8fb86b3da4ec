"""Jinja in string values: a sandbox with no globals, strict undefined names, a fixed filter set.

Every cost of a template is bounded (resolve/template_sandbox.py, resolve/template_cost.py); passing a bound is `template-too-costly`.

jinja2 is imported only when a value actually contains a template, so `validate` of
plain files never pays for it.
"""

from __future__ import annotations

import re
from typing import Any

from compiler.model.frozen import frozen

_MARKERS = ("{{", "{%", "{#")
MAX_RESULT = 10_000  # characters a template may produce (templatecost.MAX_RESULT for Jinja's route)


@frozen
class TemplateProblem(Exception):
    """Why a template could not be rendered: a diagnostic code and a message."""

    code: str
    message: str


def has_template(value: str) -> bool:
    # Every marker starts with "{": most values have none, and are answered by one search.
    return "{" in value and any(marker in value for marker in _MARKERS)


def context(branch: str, slug: str, deployment: str, workspace: str) -> dict[str, Any]:
    return {"branch": {"name": branch, "slug": slug}, "deployment": {"name": deployment}, "workspace": workspace}


# `{{ branch.slug }}`-style references, the common case, are substituted without loading
# Jinja (it is a fifth of a cold `validate`); anything else goes through the sandbox.
_REFERENCE = re.compile(r"\{\{\s*([A-Za-z_]+)(?:\.([A-Za-z_]+))?\s*\}\}")


def _substituted(source: str, variables: dict[str, Any]) -> str | None:
    """The result Jinja would give for a text of plain references only; None for anything else."""
    rest = _REFERENCE.sub("", source)
    if "\r" in source or "{" in rest or "}" in rest:
        return None  # other Jinja, or braces next to a reference: Jinja decides
    missing = False

    def value(match: re.Match[str]) -> str:
        nonlocal missing
        found: Any = variables.get(match.group(1))
        if match.group(2) is not None:
            found = found.get(match.group(2)) if isinstance(found, dict) else None
        if not isinstance(found, str):
            missing = True  # let Jinja report the undefined name
            return ""
        return found

    result = _REFERENCE.sub(value, source)
    return None if missing else result


def render_string(source: str, variables: dict[str, Any]) -> str:
    """Render one templated value, or raise TemplateProblem."""
    if not has_template(source):
        return source
    simple = _substituted(source, variables)
    if simple is not None:
        return _bounded(simple)
    from jinja2 import TemplateSyntaxError, UndefinedError
    from jinja2.exceptions import SecurityError

    from compiler.resolve.template_cost import TooCostly
    from compiler.resolve.template_sandbox import render
    from compiler.resolve.template_tree import Unsupported

    try:
        return render(source, variables)
    except TooCostly as exc:
        raise TemplateProblem("template-too-costly", f"template too costly: {exc}") from None
    except Unsupported as exc:
        raise TemplateProblem("template-unsupported", f"template not supported: {exc}") from None
    except MemoryError:
        raise TemplateProblem("template-too-costly", "template too costly: out of memory") from None
    except TemplateSyntaxError as exc:
        raise TemplateProblem("template-syntax", f"template syntax error: {exc.message}") from None
    except SecurityError as exc:
        raise TemplateProblem("template-unsafe", f"template not allowed: {exc}") from None
    except UndefinedError as exc:
        raise TemplateProblem("template-undefined", f"template uses an undefined name: {exc.message}") from None
    except (TypeError, ValueError, ArithmeticError, LookupError) as exc:
        raise TemplateProblem("template-error", f"template failed: {type(exc).__name__}") from None


def _bounded(result: str) -> str:
    if len(result) > MAX_RESULT:
        raise TemplateProblem("template-too-costly", f"template output longer than {MAX_RESULT} characters")
    return result
