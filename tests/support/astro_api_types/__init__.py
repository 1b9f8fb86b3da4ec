"""Check JSON documents against the Astro API v1 types of Astronomer's generated Go client.

``schemas.json`` is written by ``generate.py`` from astro-cli's ``astro-client-v1/api.gen.go``
(see ``SOURCE``); read that script's docstring for how each Go construct is mapped.

    check("CreateEnvironmentObjectRequest", body)  ->  [] or [{"code", "field", "message"}, ...]
    check_query("ListDeploymentsParams", {"limit": ["10"]})

The errors are shaped like the items of ``Error.fieldErrors``.  ``field`` is the path of the
offending value: object keys joined by dots, array indexes in brackets
(``workerQueues[0].name``), ``""`` for the document itself.  ``code`` is the JSON Schema
keyword that failed (``required``, ``additionalProperties``, ``type``, ``enum``, ``const``,
``format``, ``minimum``, ``maximum``, ``oneOf``), or ``discriminator`` when a union's
discriminating property is missing or unknown: the Go file does not say which codes the real
API uses.

Two rules are stricter than plain JSON Schema, to match Go's ``encoding/json``: an integer
must be written without a fraction or exponent (``1.0`` is not an ``int``), and a
``date-time`` string must be RFC 3339 as Go's ``time.Time`` parses it.
"""

from __future__ import annotations

import datetime
import json
import re
from collections.abc import Iterator, Mapping
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker, ValidationError
from jsonschema.validators import extend

__all__ = ["ROOTS", "SOURCE", "TYPES", "check", "check_query", "schema"]

_DOCUMENT = json.loads(Path(__file__).with_name("schemas.json").read_text(encoding="utf-8"))
_DEFS: dict[str, dict[str, Any]] = _DOCUMENT["$defs"]

SOURCE: dict[str, str] = {
    "repo": _DOCUMENT["x-source"]["repository"],
    "path": _DOCUMENT["x-source"]["path"],
    "commit": _DOCUMENT["x-source"]["commit"],
    "generator": f"{_DOCUMENT['x-source']['generator']} {_DOCUMENT['x-source']['generatorVersion']}",
}
TYPES: tuple[str, ...] = tuple(_DEFS)  # every definition, the roots and what they reach
ROOTS: tuple[str, ...] = tuple(_DOCUMENT["x-roots"])  # the request, response and query types

_RFC3339 = re.compile(r"(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d+)?(Z|[+-](\d{2}):(\d{2}))")
_FORMATS = FormatChecker(formats=())


@_FORMATS.checks("date-time")
def _is_go_time(value: object) -> bool:
    """What Go's time.Time accepts from JSON: RFC 3339, 'T' and 'Z' upper case, no leap second."""
    if not isinstance(value, str):
        return True
    m = _RFC3339.fullmatch(value)
    if m is None:
        return False
    year, month, day, hour, minute, second = (int(g) for g in m.groups()[:6])
    try:
        datetime.datetime(year, month, day, hour, minute, second)
    except ValueError:
        return False
    return m[9] is None or (int(m[9]) < 24 and int(m[10]) < 60)


def _is_go_integer(checker: object, instance: object) -> bool:
    return isinstance(instance, int) and not isinstance(instance, bool)


_Validator: Any = extend(  # type: ignore[no-untyped-call]
    Draft202012Validator,
    type_checker=Draft202012Validator.TYPE_CHECKER.redefine("integer", _is_go_integer),
)


def schema(type_name: str) -> dict[str, Any]:
    """A standalone schema for one type: a $ref into all the definitions."""
    if type_name not in _DEFS:
        raise KeyError(f"{type_name!r} is not an Astro API type in schemas.json")
    return {"$schema": _DOCUMENT["$schema"], "$ref": f"#/$defs/{type_name}", "$defs": _DEFS}


@cache
def _validator(type_name: str) -> Any:
    return _Validator(schema(type_name), format_checker=_FORMATS)


def check(type_name: str, document: object) -> list[dict[str, Any]]:
    """The ways document is not a valid type_name, as {"code", "field", "message"}; [] if valid."""
    errors: dict[tuple[str, str], dict[str, Any]] = {}
    for error in _validator(type_name).iter_errors(document):
        for item in _explain(error):
            errors.setdefault((item["field"], item["code"]), item)
    return [errors[key] for key in sorted(errors)]


def check_query(type_name: str, query: Mapping[str, str | list[str]]) -> list[dict[str, Any]]:
    """check() for a ...Params type given the query string as parsed (name -> value or values).

    A value is converted to the property's type first (an integer from decimal digits, a
    boolean from "true"/"false"); arrays are form-exploded, one value per repetition of the
    name; a non-array name given more than once is an error.
    """
    properties = _DEFS[type_name]["properties"]
    document: dict[str, object] = {}
    for name, given in query.items():
        values = [given] if isinstance(given, str) else list(given)
        prop = properties.get(name)
        if prop is None:
            document[name] = values  # reported as an unknown name
        elif prop.get("type") == "array":
            document[name] = [_from_query(prop["items"], v) for v in values]
        else:
            document[name] = _from_query(prop, values[0]) if len(values) == 1 else values
    return check(type_name, document)


def _from_query(prop: dict[str, Any], value: str) -> object:
    kind = _DEFS[prop["$ref"].rsplit("/", 1)[1]].get("type") if "$ref" in prop else prop.get("type")
    if kind == "integer" and re.fullmatch(r"[+-]?\d+", value):
        return int(value)
    if kind == "boolean" and value in ("true", "false"):
        return value == "true"
    return value


def _field(path: Iterator[str | int] | Any) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _join(base: str, key: str) -> str:
    return f"{base}.{key}" if base else key


def _explain(error: ValidationError) -> Iterator[dict[str, Any]]:
    """One or more field errors for a jsonschema error (one per missing or unknown key)."""
    field, keyword, instance = _field(error.absolute_path), error.validator, error.instance
    schema: Any = error.schema
    expected: Any = error.validator_value
    if keyword == "required":
        for key in expected:
            if isinstance(instance, dict) and key not in instance:
                yield {"code": "required", "field": _join(field, key), "message": "required field is missing"}
    elif keyword == "additionalProperties" and isinstance(instance, dict):
        known = schema.get("properties", {})
        for key in instance:
            if key not in known:
                yield {"code": "additionalProperties", "field": _join(field, key), "message": "unknown field"}
    elif keyword == "oneOf" and "discriminator" in schema:
        yield from _explain_union(error, field)
    else:
        yield {"code": str(keyword), "field": field, "message": _message(error)}


def _json_type(value: object) -> str:
    if value is None or isinstance(value, bool):
        return "null" if value is None else "boolean"
    if isinstance(value, (int, float)):
        return "integer" if isinstance(value, int) else "number"
    names: dict[type, str] = {str: "string", list: "array", dict: "object"}
    return names.get(type(value), type(value).__name__)


def _message(error: ValidationError) -> str:
    """The failed rule in JSON terms, without echoing the (possibly secret) value."""
    keyword, expected = error.validator, error.validator_value
    if keyword == "type":
        wanted = " or ".join(expected) if isinstance(expected, list) else expected
        return f"must be {wanted}, not {_json_type(error.instance)}"
    if keyword == "enum":
        return f"must be one of {json.dumps(expected)}"
    if keyword == "const":
        return f"must be {json.dumps(expected)}"
    if keyword == "format":
        return "must be an RFC 3339 date-time" if expected == "date-time" else f"must be a valid {expected}"
    if keyword == "minimum":
        return f"must be at least {expected}"
    if keyword == "maximum":
        return f"must be at most {expected}"
    return error.message


def _explain_union(error: ValidationError, field: str) -> Iterator[dict[str, Any]]:
    """Errors of the member the discriminator names, or an error on the discriminator itself."""
    schema: Any = error.schema
    prop, mapping = schema["discriminator"]["propertyName"], schema["discriminator"]["mapping"]
    instance = error.instance
    if not isinstance(instance, dict) or prop not in instance:
        yield {
            "code": "discriminator",
            "field": _join(field, prop),
            "message": f"required field is missing: one of {json.dumps(sorted(mapping))}",
        }
        return
    value = instance[prop]
    if not isinstance(value, str) or value not in mapping:
        yield {
            "code": "discriminator",
            "field": _join(field, prop),
            "message": f"must be one of {json.dumps(sorted(mapping))}",
        }
        return
    branch = next(i for i, b in enumerate(schema["oneOf"]) if b["properties"][prop]["const"] == value)
    for sub in error.context or ():
        if sub.relative_schema_path[0] == branch:
            yield from _explain(sub)
