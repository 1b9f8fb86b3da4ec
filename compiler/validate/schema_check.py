"""JSON Schema checks of loaded documents -> located diagnostics.

One compiled validator per document kind, built on first use and reused. Errors of
`anyOf`/`oneOf` are narrowed to the most relevant branch (as jsonschema's best_match
does), so the user reads one precise message per problem.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from compiler.diagnostics import Diagnostic, did_you_mean, error
from compiler.load.documents import Document, Kind

if TYPE_CHECKING:
    from jsonschema.exceptions import ValidationError

SCHEMA_FILES: dict[str, str] = {
    "workspace": "workspace.schema.json",
    "objects": "objects.schema.json",
    "deployment": "deployment.schema.json",
}
_KIND_SCHEMA: dict[Kind, str] = {"workspace": "workspace", "objects": "objects", "deployment": "deployment"}
SECRET_NAME_MESSAGE = "a secret name must match ^[A-Z_][A-Z0-9_]*$ (the text is not shown: it may be a value)"
_VALUE_VALIDATORS = {
    "pattern",
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "enum",
    "const",
    "minLength",
    "maxLength",
    "not",
}


def schema_text(name: str) -> str:
    """The JSON text of a shipped schema (`workspace`, `objects` or `deployment`)."""
    # compiler/schemas is the package's copy of schemas/ (a link in a checkout); a plain path
    # read avoids importlib.resources, which costs a cold start ~6 ms.
    return (Path(__file__).parent.parent / "schemas" / SCHEMA_FILES[name]).read_text(encoding="utf-8")


@cache
def schema(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(schema_text(name))
    return loaded


@cache
def validator_class() -> Any:
    """Draft 2020-12 with one change: an integer is an int, never a float like 443.0.

    JSON Schema counts 443.0 as an integer, but the Astro CLI and Airflow read such a value
    as a float (`conn_port: 443.0`), so every `type: integer` here (ports, slots, worker
    counts, ...) refuses it as `wrong-type`. quickschema judges integers the same way.
    """
    from jsonschema import Draft202012Validator, validators

    def is_integer(_: Any, instance: Any) -> bool:
        return isinstance(instance, int) and not isinstance(instance, bool)

    checker = Draft202012Validator.TYPE_CHECKER.redefine("integer", is_integer)
    return validators.extend(Draft202012Validator, type_checker=checker)


@cache
def _validator(name: str) -> Any:
    return validator_class()(inlined_schema(name))


@cache
def inlined_schema(name: str) -> dict[str, Any]:
    inlined: dict[str, Any] = _inlined(schema(name), schema(name).get("$defs", {}))
    return inlined


@cache
def _quick_check(name: str) -> Callable[[Any], bool]:
    """The yes/no check that lets a valid document skip jsonschema (see quickschema)."""
    from compiler.validate.quick_schema import compile_schema

    # The schema as written: its `$ref`s are compiled once each, where the inlined copy
    # (for jsonschema) repeats every definition at each use.
    return compile_schema(schema(name)) or (lambda _: False)


_ANNOTATIONS = {"title", "description"}


def _inlined(node: Any, defs: dict[str, Any], seen: tuple[str, ...] = ()) -> Any:
    """The schema with local `$ref`s replaced by their targets (recursive ones kept).

    The same validation, a third faster: jsonschema resolves every `$ref` through its
    registry each time it descends, which was the largest cost of checking a big repository.
    Only references with nothing but annotations beside them are replaced.
    """
    if isinstance(node, list):
        return [_inlined(v, defs, seen) for v in node]
    if not isinstance(node, dict):
        return node
    ref = node.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/$defs/") and set(node) - {"$ref"} <= _ANNOTATIONS:
        name = ref.removeprefix("#/$defs/")
        if name in defs and name not in seen:
            target = _inlined(defs[name], defs, (*seen, name))
            return {**target, **{k: v for k, v in node.items() if k != "$ref"}} if isinstance(target, dict) else target
    return {k: _inlined(v, defs, seen) for k, v in node.items()}


def check_document(document: Document) -> list[tuple[tuple[Any, ...], Diagnostic]]:
    """Every schema problem of a document, each with the YAML path it is about."""
    name = _KIND_SCHEMA[document.kind]
    if _quick_check(name)(document.data):
        return []
    validator = _validator(name)
    found: list[tuple[tuple[Any, ...], Diagnostic]] = []
    for err in validator.iter_errors(document.data):
        ypath = tuple(err.absolute_path)
        found.extend((ypath, d) for d in _diagnostics(document, _narrow(err)))
    return _without_shadowed(found)


def _without_shadowed(found: list[tuple[tuple[Any, ...], Diagnostic]]) -> list[tuple[tuple[Any, ...], Diagnostic]]:
    """Only the type error where a value has the wrong type.

    Other keywords still judge such a value (`required` passes for null, so a null branch
    rule also fails both of its `oneOf`s; `const: 1` fails for `true`): noise beside the
    one message that says what is wrong.
    """
    mistyped = {ypath for ypath, d in found if d.code == "wrong-type"}
    return [(ypath, d) for ypath, d in found if d.code == "wrong-type" or ypath not in mistyped]


def _narrow(err: ValidationError) -> ValidationError:
    """The most specific error below a combinator error (jsonschema's best_match descends)."""
    from jsonschema.exceptions import best_match

    if not err.context or _all_type_errors(err) or _explained_choice(err):
        return err
    narrowed: ValidationError = best_match([err])
    return narrowed


def _explained_choice(err: ValidationError) -> bool:
    """A `oneOf` over `required` sets with its own description ("exactly one of ...")."""
    return err.validator == "oneOf" and isinstance(err.schema, dict) and "description" in err.schema


def _all_type_errors(err: ValidationError) -> bool:
    """True for `anyOf: [string, secret]` and the like given a value of another type."""
    return bool(err.context) and all(sub.validator == "type" and not sub.relative_path for sub in err.context)


def _diagnostics(document: Document, err: ValidationError) -> list[Diagnostic]:
    ypath = tuple(err.absolute_path)
    if err.validator == "additionalProperties":
        return _unknown_keys(document, err, ypath)
    if err.validator == "required":
        where = document.locate(ypath, at="key") if ypath else document.locate(())
        missing = err.message.split(" is a required property")[0]
        return [error(where, "missing-key", f"missing required key {missing}{_under(ypath)}")]
    if err.validator == "oneOf" and _explained_choice(err):
        return [
            error(
                document.locate(ypath, at="key") if ypath else document.locate(()),
                "invalid-value",
                err.schema["description"],
            )
        ]
    if err.validator == "type" or (err.context and _all_type_errors(err)):
        return [error(document.locate(ypath), "wrong-type", _type_message(err, ypath))]
    code = err.schema.get("x-code") if isinstance(err.schema, dict) else None
    if err.validator not in _VALUE_VALIDATORS or not code:
        code = "invalid-value"
    if code == "invalid-secret-name":
        # Not quoted: what stands there may be the secret value itself, pasted by mistake.
        field = f"'{_dotted(ypath)}'" if ypath else "the document"
        return [error(document.locate(ypath), code, f"{field}: {SECRET_NAME_MESSAGE}")]
    return [error(document.locate(ypath), code, _value_message(err, ypath))]


def _unknown_keys(document: Document, err: ValidationError, ypath: tuple[Any, ...]) -> list[Diagnostic]:
    allowed = set(err.schema.get("properties", {}))
    patterns = [re.compile(p) for p in err.schema.get("patternProperties", {})]
    instance = err.instance if isinstance(err.instance, dict) else {}
    return [
        error(
            document.locate((*ypath, key), at="key"),
            "unknown-key",
            f"unknown key '{key}'{_under(ypath)}{did_you_mean(key, allowed)}",
        )
        for key in instance
        if key not in allowed and not (isinstance(key, str) and any(p.search(key) for p in patterns))
    ]


def _under(ypath: tuple[Any, ...]) -> str:
    return f" in '{_dotted(ypath)}'" if ypath else ""


def _dotted(ypath: tuple[Any, ...]) -> str:
    return "".join(f"[{p}]" if isinstance(p, int) else (f".{p}" if i else str(p)) for i, p in enumerate(ypath))


_JSON_TYPE = {
    dict: "mapping",
    list: "list",
    str: "string",
    bool: "boolean",
    int: "integer",
    float: "number",
    type(None): "null",
}


def _type_message(err: ValidationError, ypath: tuple[Any, ...]) -> str:
    if err.context:
        expected = sorted({_expected_name(sub.schema) for sub in err.context})
    else:
        expected = [_expected_name(err.schema)]
    got = _JSON_TYPE.get(type(err.instance), type(err.instance).__name__)
    where = f"'{_dotted(ypath)}'" if ypath else "the document"
    return f"{where} must be {' or '.join(expected)}, not {got}"


def _expected_name(subschema: Any) -> str:
    if not isinstance(subschema, dict):
        return "a value"
    if "secret" in subschema.get("properties", {}):
        return "{secret: NAME}"
    kind = subschema.get("type", "value")
    names = {
        "object": "a mapping",
        "array": "a list",
        "string": "a string",
        "integer": "an integer",
        "boolean": "a boolean (true or false)",
        "number": "a number",
        "null": "null",
    }
    if isinstance(kind, list):
        return " or ".join(names.get(k, str(k)) for k in kind)
    return names.get(kind, str(kind))


def _value_message(err: ValidationError, ypath: tuple[Any, ...]) -> str:
    shown = repr(err.instance)
    if len(shown) > 60:
        shown = shown[:57] + "..."
    where = f"'{_dotted(ypath)}'" if ypath else "the document"
    if err.validator == "enum":
        options = ", ".join(str(o) for o in err.validator_value)
        return f"{where} is {shown}; expected one of: {options}"
    if err.validator == "pattern" and "x-any-case" in err.schema:
        options = ", ".join(err.schema["x-any-case"])
        return f"{where} is {shown}; expected one of (in any letter case): {options}"
    if err.validator == "pattern":
        return f"{where} is {shown}, which does not match {err.validator_value}"
    if err.validator in ("minimum", "maximum"):
        bound = "at least" if err.validator == "minimum" else "at most"
        return f"{where} is {shown}; it must be {bound} {err.validator_value}"
    if err.validator == "const":
        return f"{where} is {shown}; expected {err.validator_value!r}"
    return f"{where}: {err.message if len(err.message) < 200 else err.message[:197] + '...'}"
