"""Imported entries as objects files of environments/, with every secret taken out.

Every password, every value under a secret-looking extra key (secrets.looks_secret), of
whatever type, and the value of every secret-looking variable becomes `{secret: NAME}`.
A value that is not a string (a number, a boolean, a list) is taken out as its JSON text:
the secret store holds text, so it renders as a string, and a warning says so.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from pathlib import PurePosixPath
from typing import Any

from compiler.load import documents
from compiler.model.objects import Secret
from compiler.model.secrets import SECRET_NAME, looks_secret
from compiler.onboarding.scaffold import schema_comment
from compiler.onboarding.settingsfile.settings import Entry
from compiler.render import yaml_text

YPath = documents.YPath
Retyped = Callable[[Entry, str, str], None]  # (entry, dotted path, type name): a secret that was not a string


def secret_name(*parts: str | int) -> str:
    """An environment-variable-like name: `snowflake_default`, `password` -> SNOWFLAKE_DEFAULT_PASSWORD."""
    name = re.sub(r"[^A-Z0-9]+", "_", "_".join(str(p) for p in parts).upper()).strip("_") or "SECRET"
    return "_" + name if name[0].isdigit() else name


class Secrets:
    """Derived secret names (unique, avoiding the repository's) and their values."""

    def __init__(self, taken: set[str]) -> None:
        self.taken = taken
        self.values: dict[str, str] = {}

    def add(self, value: str, *parts: str | int) -> Secret:
        base = secret_name(*parts)
        name, n = base, 2
        while name in self.taken:
            name, n = f"{base}_{n}", n + 1
        assert SECRET_NAME.fullmatch(name)
        self.taken.add(name)
        self.values[name] = value
        return Secret(name)


def connection_fields(conn: Entry, secrets: Secrets, retyped: Retyped) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    for name, value in conn.fields.items():
        if name == "password":
            fields[name] = secrets.add(value, conn.key, "PASSWORD")
        elif name == "extra":
            fields[name] = _extra_fields(value, (), _Extra(conn, secrets, retyped))
        else:
            fields[name] = _literal(value) if isinstance(value, str) else value
    return fields


def variable_fields(variable: Entry, secrets: Secrets) -> dict[str, Any]:
    value = variable.fields["value"]
    return {"value": secrets.add(value, variable.key) if looks_secret(variable.key) else _literal(value)}


class _Extra:
    """What walking one connection's extra needs."""

    def __init__(self, conn: Entry, secrets: Secrets, retyped: Retyped) -> None:
        self.conn, self.secrets, self.retyped = conn, secrets, retyped


def _extra_fields(value: Any, path: YPath, walk: _Extra, secret: bool = False) -> Any:
    """Extra with every value under a secret-looking key, whatever its type, as a reference.

    Below a secret-looking key the whole value is one secret, whatever its shape: a
    `keyfile_dict` written as a mapping is one secret holding the key file's JSON text (SPEC 2.5).
    """
    if isinstance(value, dict) and not secret:
        return {k: _extra_fields(v, (*path, k), walk, secret or looks_secret(k)) for k, v in value.items()}
    if secret and _holds_something(value):
        if not isinstance(value, str):
            walk.retyped(walk.conn, ".".join(map(str, path)), _type_name(value))
        text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
        return walk.secrets.add(text, walk.conn.key, "EXTRA", *path)
    if isinstance(value, list):
        return [_extra_fields(v, (*path, i), walk) for i, v in enumerate(value)]
    return _literal(value) if isinstance(value, str) else value


def _holds_something(value: Any) -> bool:
    """Worth taking out: anything but null and '' (an empty mapping is walked: it holds no leaf).

    An empty list is taken out too: validate's plaintext rule reads any list there as a literal.
    """
    return value is not None and value != ""


def _type_name(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    return "mapping" if isinstance(value, dict) else "list"


def _literal(text: str) -> str:
    """A string kept as it is: astro-gitops renders Jinja in values, and Airflow's `{{ ds }}` must survive."""
    if not re.search(r"\{[{%#]", text):
        return text
    if "endraw" not in text:
        return "{% raw %}" + text + "{% endraw %}"
    return re.sub(r"\{[{%#]", lambda m: "{{ '" + m.group(0) + "' }}", text)


_HEADER = """\
#
# Imported by `astro-gitops import` from {source}.
{links}
# Secret values are not in this file: put each {{secret: NAME}} in your secret store.
"""
_NOWHERE = """\
# `links: []`: linked to no Deployment yet, so local values (localhost, throwaway
# passwords) reach none by accident. Name the Deployments that should get each object
# (`links: [production]`, or `all`), and change values per Deployment under `overrides:`."""
_SOMEWHERE = """\
# `links` says which Deployments get each object (`import --link`): widen or narrow it,
# and change values per Deployment under `overrides:` of a Deployment file."""


def file_text(section: str, objects: list[tuple[str, dict[str, Any]]], source_name: str, *, linked: bool) -> str:
    """An objects file of `section` holding `objects` in order."""
    source = re.sub(r"[^\x20-\x7e]", "?", PurePosixPath(source_name.replace("\\", "/")).name) or "airflow_settings.yaml"
    body = "".join(f"\n  {yaml_text.scalar(key)}:{_yaml(fields, 4)}" for key, fields in objects)
    header = _HEADER.format(source=source, links=_SOMEWHERE if linked else _NOWHERE)
    return schema_comment("objects") + header + f"{section}:{body}\n"


def _yaml(value: Any, indent: int) -> str:
    """Block YAML after `key:`, with secret references in flow style: `{secret: NAME}`."""
    pad = " " * indent
    if isinstance(value, Secret):
        return f" {{secret: {value.name}}}"
    if isinstance(value, Mapping) and value:
        return "".join(f"\n{pad}{yaml_text.scalar(k)}:{_yaml(v, indent + 2)}" for k, v in value.items())
    if isinstance(value, list) and value:
        return "".join(f"\n{pad}-{_item(v, indent + 2)}" for v in value)
    if isinstance(value, (Mapping, list)):
        return " {}" if isinstance(value, Mapping) else " []"
    return " " + yaml_text.scalar(value)


def _item(value: Any, indent: int) -> str:
    if isinstance(value, Mapping) and value:
        return " " + _yaml(value, indent).lstrip("\n").lstrip(" ")
    return _yaml(value, indent)


def plain(value: Any) -> Any:
    """What the written YAML reads back as: a reference is the mapping `{secret: NAME}`."""
    if isinstance(value, Secret):
        return {"secret": value.name}
    if isinstance(value, Mapping):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    return value


def verify(path: str, text: str, expected: Any) -> None:
    """The written text reads back as the data meant, and passes the objects schema."""
    from compiler.validate import schema_check

    document, problems = documents.parse_document(path, text.encode("utf-8"))
    if document is None or problems or document.data != expected or schema_check.check_document(document):
        # A bug: the message names the file only, never a value.
        raise RuntimeError(f"import produced text that does not read back as intended: {path}")


def literal(text: str) -> str:
    """A string kept as it is, for Jinja (`{{ ds }}` survives rendering): the public name of `_literal`."""
    return _literal(text)


def mapping_text(data: Mapping[str, Any]) -> str:
    """`data` as top-level block YAML, secret references in flow style, ending in a newline."""
    return "".join(f"{yaml_text.scalar(key)}:{_yaml(value, 2)}\n" for key, value in data.items())
