"""What a server answers is input: checked here, at the remote/ boundary, before it becomes a
frozen live value (sync/astro_state.py, sync/airflow_state.py).

An answer of the wrong shape (a list where an object belongs, `objectKey: null`, a number for a
name, a page whose items are not objects) is an `UnexpectedAnswer` naming the request and what
was wrong, never a crash: the user sees exit 1 and which server said what, not exit 70.

An ID is checked here too, before it can go into a path or name an object (`identifier`): Astro's
IDs are CUIDs (25 lowercase letters and digits, ASTRO-API.md section 3); an ID of letters, digits,
`_` and `-`, at most 128 characters, is accepted (the organization ID's rule), anything else
(`../deployments/X`, `a/b`, `..`, a space) is an UnexpectedAnswer. An enum field (`scope`,
`objectType`) must hold one of the API's values (`enum`).
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from compiler.errors import OperationError

ID = re.compile(r"[A-Za-z0-9_-]{1,128}")


class UnexpectedAnswer(OperationError):
    """A server's answer does not have the shape its API documents."""

    def __init__(self, where: str, what: str) -> None:
        super().__init__(f"{where}: unexpected answer from the server: {what}")


def mapping(body: Any, where: str, what: str = "the answer") -> Mapping[str, Any]:
    """`body` when it is a JSON object; else UnexpectedAnswer."""
    if not isinstance(body, Mapping):
        raise UnexpectedAnswer(where, f"{what} is {_kind(body)}, not an object")
    return body


def page_items(page: Any, name: str, where: str) -> list[Mapping[str, Any]]:
    """The items of one page of a list (`name`: `deployments`, `connections`, ...), each an object."""
    items = mapping(page, where, "the page").get(name)
    if items is None:
        return []
    if not isinstance(items, list):
        raise UnexpectedAnswer(where, f"'{name}' is {_kind(items)}, not a list")
    for item in items:
        mapping(item, where, f"an item of '{name}'")
    return items


def count(page: Mapping[str, Any], name: str, where: str) -> int | None:
    """A page's total (`totalCount`, `total_entries`): a whole number, or None when absent."""
    value = page.get(name)
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise UnexpectedAnswer(where, f"'{name}' is {_kind(value)}, not a count")
    return value


def text(item: Mapping[str, Any], name: str, where: str) -> str:
    """A required text field of an item (an ID, a key, a name)."""
    value = item.get(name)
    if not isinstance(value, str) or not value:
        raise UnexpectedAnswer(where, f"'{name}' is {_kind(value)}, not a text")
    return value


def identifier(item: Mapping[str, Any], name: str, where: str, of: str = "") -> str:
    """A required ID field of an item (`id`, `workspaceId`, `scopeEntityId`): a text of the ID's
    shape (ID above); `of` says whose ID it is (`Deployment 'development'`)."""
    value = text(item, name, where)
    if not ID.fullmatch(value):
        whose = f" of {of}" if of else ""
        raise UnexpectedAnswer(
            where, f"'{name}'{whose} is not an ID (letters, digits, '_' or '-', at most 128): {_shown(value)}"
        )
    return value


def enum(item: Mapping[str, Any], name: str, where: str, values: Collection[str], of: str = "") -> str:
    """A required enum field of an item: one of the API's `values` (api.gen.go's enum type)."""
    value = text(item, name, where)
    if value not in values:
        whose = f" of {of}" if of else ""
        raise UnexpectedAnswer(where, f"'{name}'{whose} is {_shown(value)}, not one of {', '.join(sorted(values))}")
    return value


def _shown(value: str) -> str:
    """A server's value as a message quotes it: escaped, and cut (masked when printed: compiler/redaction.py)."""
    shown = ascii(value)
    return shown if len(shown) <= 80 else shown[:77] + "..."


@contextmanager
def shaped(where: str) -> Iterator[None]:
    """Turn a shape error raised while an answer is read into values into UnexpectedAnswer."""
    try:
        yield
    except (KeyError, TypeError, AttributeError, ValueError, RecursionError) as exc:
        raise UnexpectedAnswer(where, f"a field is missing or of the wrong type ({type(exc).__name__})") from None


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    names = {bool: "a boolean", int: "a number", float: "a number", str: "a text", list: "a list", dict: "an object"}
    return names.get(type(value), type(value).__name__)
