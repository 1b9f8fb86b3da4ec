"""No credential or secret value known to this process goes into a file an import writes.

An import writes environments/ files for git from what a live workspace or an Airflow holds.
Its secret fields come back masked (or are taken out as `{secret: NAME}`), but any other
field is written as read: a person may have pasted the API token or a secret's value into a
host, a login, an extra key, a variable's value, a description. The values this process
knows (compiler/redaction.py: the API token and the Airflow password from remote/, the values
of the secrets environments/ names that the environment holds, and the values an Airflow
returned in clear in secret places) are looked for in every field, in every encoding the
redactor knows:

- a field that can be a secret reference (an extra value, a variable's value, a Deployment's
  environment variable) becomes `{secret: NAME}`, its value written nowhere (not even to
  `--dotenv`: it may be the API token), and a note names the field (`held`); a secret field's
  own value (a password, a secret-looking extra key) is a reference already, and goes to
  `--dotenv` as read, as that option asks;
- anything else (a connection's host, login or schema, a description, a key, a name, a setting,
  a pool field) is refused before anything is written: `refuse_known` names each such key or
  value by file:line:column and path, never the value. What refuses is weighed (`shows`): a
  value shorter than redaction.REVEALED (8 characters once normalised) only where the whole
  key or value is it, in one of its forms; a longer one wherever it shows. A password
  `airflow` (the docker-compose default) refused every host `airflow.example.com` before.

A value of one or two characters is never looked for (it is in every `1` of a file).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from compiler.errors import OperationError
from compiler.load import documents

_LOOKED_FOR = 3  # characters: a shorter value is never looked for


def register_known(values: Iterable[str]) -> None:
    """Make `values` known to the redactor (ignoring those of fewer than 3 characters)."""
    from compiler import redaction

    redaction.register(*(v for v in values if isinstance(v, str) and len(v) >= _LOOKED_FOR))


def register_environ(root: Path, environ: Mapping[str, str]) -> None:
    """Make known the values `environ` holds for the secrets environments/ names (as `--secrets
    env` reads them). A value of one or two characters is left: it would be found in every
    `1` of a file, and refuse an import for nothing."""
    from compiler.onboarding.importer import referenced_secret_names

    register_known(environ[n] for n in sorted(referenced_secret_names(root)) if n in environ)


def held(value: Any) -> bool:
    """Whether `value` (a text, a number, or a list or mapping of them, keys too) shows a known
    credential or secret value, masked in place or once decoded."""
    redaction = sys.modules.get("compiler.redaction")
    if redaction is None or not redaction.REDACTOR:
        return False
    return any(redaction.guarded(text) != text for text in _texts(value))  # masked, or withheld


def _texts(value: Any) -> Iterator[str]:
    if isinstance(value, Mapping):
        for key, item in value.items():
            yield str(key)
            yield from _texts(item)
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from _texts(item)
    elif isinstance(value, str):
        yield value
    elif value is not None and not isinstance(value, bool):
        yield json.dumps(value) if isinstance(value, (int, float)) else str(value)


def shows(value: Any) -> bool:
    """`held`, weighed for a field that can only be refused (see the module's docstring): a known
    value shorter than REVEALED counts where a whole text is one of its forms, a longer one anywhere."""
    every = _known()
    if not every:
        return False
    long, exact = _weighed(every)
    texts = list(_texts(value))
    return any(t.strip() in exact for t in texts) or any(_guard_shows(long, t) for t in texts)


_WEIGHED: dict[frozenset[str], tuple[Any, frozenset[str]]] = {}


def _weighed(every: frozenset[str]) -> tuple[Any, frozenset[str]]:
    """A redactor of the long values, and every form of the short ones (made once per set)."""
    from compiler import redaction

    if every not in _WEIGHED:
        short = [v for v in every if len(redaction.normalised(v)) < redaction.REVEALED]
        long = redaction.Redactor()
        long.register(v for v in every if v not in short)
        _WEIGHED.clear()
        _WEIGHED[every] = (long, frozenset(f for v in short for f in redaction.forms(v)))
    return _WEIGHED[every]


def _guard_shows(redactor: Any, text: str) -> bool:
    if not redactor:
        return False
    masked = redactor.redact(text)
    return masked != text or bool(redactor.reveals(masked))


def refuse_known(files: Mapping[str, str]) -> None:
    """OperationError naming every key and value of `files` (path -> YAML text) that `shows` a
    known credential or secret value, or the file when only its text as a whole shows a long one."""
    found: list[str] = []
    for path, text in sorted(files.items()):  # `held` first: the strict check only where it may find
        if not held(text):
            continue
        document, _ = documents.parse_text(path, text)
        spots = list(_spots(document)) if document is not None else []
        if not spots and (document is None or _guard_shows(_weighed(_known())[0], text)):
            spots = [f"{path}: its text"]
        found += spots
    if found:
        raise OperationError(
            "the import would write a credential or a secret value into environments/, nothing written: "
            "take it out of each place below live (a secret field may hold it), then import again",
            [f"{spot} holds a credential or a secret value" for spot in found],
        )


def _spots(document: documents.Document) -> Iterator[str]:
    """`file:line:column: path` of each key or scalar of `document` that shows a known value."""
    for ypath, key, value in _walk(document.data, ()):
        if shows(key):
            yield f"{document.locate(ypath, at='key')}: {_dotted(ypath)} (key)"
        if value is not None and shows(value):
            yield f"{document.locate(ypath)}: {_dotted(ypath)}"


def _walk(value: Any, ypath: documents.YPath) -> Iterator[tuple[documents.YPath, str, Any]]:
    """(path, key as text, scalar value or None) of each entry of nested data."""
    children: Iterable[tuple[Any, Any]]
    if isinstance(value, Mapping):
        children = value.items()
    elif isinstance(value, list):
        children = enumerate(value)
    else:
        return
    for step, child in children:
        path = (*ypath, step)
        key = step if isinstance(step, str) else ""
        if isinstance(child, (Mapping, list)):
            yield path, key, None
            yield from _walk(child, path)
        else:
            yield path, key, child


def _dotted(ypath: documents.YPath) -> str:
    """The path, each key that shows a known value itself as `***`."""
    return ".".join("***" if shows(step) else str(step) for step in ypath)


def _known() -> frozenset[str]:
    redaction = sys.modules.get("compiler.redaction")  # none loaded: nothing known
    return frozenset() if redaction is None else redaction.REDACTOR.known()
