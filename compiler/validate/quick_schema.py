"""A yes/no JSON Schema check that spares a cold start the import of jsonschema.

Why it exists: importing jsonschema (with referencing, attrs and its bundled
meta-schemas) costs a cold process ~65 ms, half of `validate` on a typical repository,
and nearly every pre-commit run checks files that are valid. So each shipped schema is
compiled here into a predicate answering one question: is this document valid?

Only "valid" is final. "Invalid" sends the document to jsonschema, which finds the
errors and their paths (`schema.check_document`); so does data that is not plain JSON
(dates, tagged values, non-string keys), which this module does not judge. A schema
using a keyword not implemented here compiles to None, and jsonschema does all the work.
The predicates follow jsonschema's Draft 2020-12 semantics for the keywords below (bool
is not a number; unlike Draft 2020-12, 1.0 is not an integer (schema.validator_class); `enum`/`const` tell `true` from `1`); the tests hold
both to the same verdict over the case corpus and fuzzed documents.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

Check = Callable[[Any], bool]

_ANNOTATIONS = frozenset(
    {"$schema", "$id", "$defs", "$comment", "title", "description", "examples", "default", "x-code", "x-any-case"}
)
_TYPES: dict[str, Check] = {
    "object": lambda v: type(v) is dict,
    "array": lambda v: type(v) is list,
    "string": lambda v: type(v) is str,
    "boolean": lambda v: type(v) is bool,
    "null": lambda v: v is None,
    "integer": lambda v: type(v) is int,  # never 443.0: schema.validator_class judges the same
    "number": lambda v: type(v) is int or type(v) is float,
}
_SCALARS = (str, int, float, bool, type(None))


class _Unsupported(Exception):
    """The schema uses something this module does not implement."""


def compile_schema(root: Mapping[str, Any]) -> Check | None:
    """A predicate telling whether plain JSON data is valid against `root`, or None."""
    try:
        check = _Compiler(root).compile(root)
    except _Unsupported:
        return None
    return lambda data: _plain(data) and check(data)


def _plain(value: Any) -> bool:
    """Only dicts with string keys, lists and JSON scalars (exact types, no subclasses)."""
    kind = type(value)
    if kind is dict:
        for k, v in value.items():  # noqa: SIM110 (a loop, not a generator per value)
            if type(k) is not str or (type(v) not in _SCALARS and not _plain(v)):
                return False
        return True
    if kind is list:
        for v in value:  # noqa: SIM110 (a loop, not a generator per value)
            if type(v) not in _SCALARS and not _plain(v):
                return False
        return True
    return kind in _SCALARS


class _Compiler:
    def __init__(self, root: Mapping[str, Any]) -> None:
        self.defs: Mapping[str, Any] = root.get("$defs", {})
        self.compiled: dict[str, Check] = {}

    def compile(self, schema: Any) -> Check:
        if schema is True or schema == {}:
            return _always
        if schema is False:
            return _never
        if type(schema) is not dict and not isinstance(schema, Mapping):  # json.loads makes dicts
            raise _Unsupported(repr(schema))
        checks = [self._keyword(schema, key, value) for key, value in schema.items() if key not in _ANNOTATIONS]
        checks = [c for c in checks if c is not _always]
        if not checks:
            return _always
        if len(checks) == 1:
            return checks[0]
        return _all_of(checks)

    def _keyword(self, schema: Mapping[str, Any], key: str, value: Any) -> Check:
        if key in ("then", "else"):
            return _always  # judged with their `if`
        method = getattr(self, "_k_" + key.lstrip("$"), None)
        if method is None:
            raise _Unsupported(key)
        check: Check = method(value, schema)
        return check

    def _k_ref(self, ref: Any, _: Mapping[str, Any]) -> Check:
        name = ref.removeprefix("#/$defs/") if isinstance(ref, str) and ref.startswith("#/$defs/") else ""
        if name not in self.defs:
            raise _Unsupported(f"$ref {ref!r}")
        if name not in self.compiled:
            # Looked up when called, so a definition may refer to itself (jsonValue does).
            self.compiled[name] = _never
            self.compiled[name] = self.compile(self.defs[name])
        compiled = self.compiled
        return lambda v: compiled[name](v)

    def _k_type(self, types: Any, _: Mapping[str, Any]) -> Check:
        if type(types) is str and types in _TYPES:  # the common case, answered at once
            return _TYPES[types]
        names = [types] if isinstance(types, str) else list(types)
        if any(n not in _TYPES for n in names):
            raise _Unsupported(f"type {types!r}")
        if len(names) == 1:
            return _TYPES[names[0]]
        each = [_TYPES[n] for n in names]
        return lambda v: any(t(v) for t in each)

    def _k_properties(self, properties: Mapping[str, Any], _: Mapping[str, Any]) -> Check:
        checks = [(key, self.compile(sub)) for key, sub in properties.items()]
        checks = [(key, c) for key, c in checks if c is not _always]

        def properties_hold(v: Any) -> bool:
            if type(v) is not dict:
                return True
            for k, c in checks:  # noqa: SIM110 (a loop, not a generator per value)
                if k in v and not c(v[k]):
                    return False
            return True

        return properties_hold

    def _k_additionalProperties(self, extra: Any, schema: Mapping[str, Any]) -> Check:
        known = frozenset(schema.get("properties", {}))
        patterns = [_searcher(p) for p in schema.get("patternProperties", {})]

        def additional(key: Any) -> bool:
            return key not in known and not (type(key) is str and any(p(key) for p in patterns))

        if extra is False and not patterns:
            return lambda v: type(v) is not dict or known.issuperset(v)
        if extra is False:
            return lambda v: type(v) is not dict or not any(additional(k) for k in v)
        check = self.compile(extra)

        def additional_hold(v: Any) -> bool:
            if type(v) is not dict:
                return True
            for k, x in v.items():  # noqa: SIM110 (a loop, not a generator per value)
                if additional(k) and not check(x):
                    return False
            return True

        return additional_hold

    def _k_patternProperties(self, properties: Mapping[str, Any], _: Mapping[str, Any]) -> Check:
        checks = [(_searcher(p), self.compile(sub)) for p, sub in properties.items()]
        checks = [(p, c) for p, c in checks if c is not _always]

        def patterned_hold(v: Any) -> bool:
            if type(v) is not dict:
                return True
            for k, x in v.items():
                if type(k) is str:
                    for p, c in checks:
                        if p(k) and not c(x):
                            return False
            return True

        return patterned_hold

    def _k_required(self, names: list[str], _: Mapping[str, Any]) -> Check:
        return lambda v: type(v) is not dict or all(n in v for n in names)

    def _k_items(self, items: Any, schema: Mapping[str, Any]) -> Check:
        if "prefixItems" in schema:
            raise _Unsupported("prefixItems")
        check = self.compile(items)

        def items_hold(v: Any) -> bool:
            if type(v) is not list:
                return True
            for x in v:  # noqa: SIM110 (a loop, not a generator per value)
                if not check(x):
                    return False
            return True

        return items_hold

    def _k_minItems(self, least: int, _: Mapping[str, Any]) -> Check:
        return lambda v: type(v) is not list or len(v) >= least

    def _k_uniqueItems(self, unique: bool, _: Mapping[str, Any]) -> Check:
        if not unique:
            return _always
        return lambda v: type(v) is not list or not any(_equal(a, b) for i, a in enumerate(v) for b in v[i + 1 :])

    def _k_minLength(self, least: int, _: Mapping[str, Any]) -> Check:
        return lambda v: type(v) is not str or len(v) >= least

    def _k_pattern(self, pattern: str, schema: Mapping[str, Any]) -> Check:
        search = _searcher(pattern)
        options = _any_case_options(pattern, schema.get("x-any-case"))
        if options is None:
            return lambda v: type(v) is not str or search(v)
        # An option in another letter case matches: answered without compiling the pattern
        # (these were half the patterns' compiling at a cold start), anything else by it.
        return lambda v: type(v) is not str or (v.isascii() and v.lower() in options) or search(v)

    def _k_minimum(self, bound: float, _: Mapping[str, Any]) -> Check:
        return lambda v: not _TYPES["number"](v) or not v < bound

    def _k_maximum(self, bound: float, _: Mapping[str, Any]) -> Check:
        return lambda v: not _TYPES["number"](v) or not v > bound

    def _k_const(self, expected: Any, _: Mapping[str, Any]) -> Check:
        return lambda v: _equal(v, expected)

    def _k_enum(self, options: list[Any], _: Mapping[str, Any]) -> Check:
        return lambda v: any(_equal(v, o) for o in options)

    def _k_allOf(self, subs: list[Any], _: Mapping[str, Any]) -> Check:
        return _all_of([self.compile(s) for s in subs])

    def _k_anyOf(self, subs: list[Any], _: Mapping[str, Any]) -> Check:
        checks = [self.compile(s) for s in subs]
        return lambda v: any(c(v) for c in checks)

    def _k_oneOf(self, subs: list[Any], _: Mapping[str, Any]) -> Check:
        checks = [self.compile(s) for s in subs]
        return lambda v: sum(1 for c in checks if c(v)) == 1

    def _k_if(self, condition: Any, schema: Mapping[str, Any]) -> Check:
        test = self.compile(condition)
        then = self.compile(schema.get("then", True))
        otherwise = self.compile(schema.get("else", True))
        return lambda v: then(v) if test(v) else otherwise(v)


def _all_of(checks: list[Check]) -> Check:
    """Whether every check holds: a loop, not a generator per value (issue 26: a large workspace's
    files are checked value by value)."""

    def all_hold(v: Any) -> bool:
        for check in checks:  # noqa: SIM110 (a loop, not a generator per value)
            if not check(v):
                return False
        return True

    return all_hold


def _searcher(pattern: str) -> Check:
    """Whether a string contains a match of `pattern`, compiled on the first string it is asked about.

    A small repository touches a few of the schemas' patterns; compiling all of them cost
    every cold start milliseconds (issue 26).
    """
    compiled: re.Pattern[str] | None = None

    def search(text: str) -> bool:
        nonlocal compiled
        if compiled is None:
            compiled = re.compile(pattern)
        return compiled.search(text) is not None

    return search


def any_case_pattern(options: list[str]) -> str:
    """The pattern matching exactly `options` in any letter case, as the schemas write it."""
    return (
        "^(?:" + "|".join("".join(f"[{c.upper()}{c.lower()}]" if c.isalpha() else c for c in o) for o in options) + ")$"
    )


def _any_case_options(pattern: str, options: Any) -> frozenset[str] | None:
    """The lower-case options of an `x-any-case` pattern written as `any_case_pattern` writes it, else None."""
    if not isinstance(options, list) or not all(
        isinstance(o, str) and o.isascii() and o.isidentifier() for o in options
    ):
        return None
    return frozenset(o.lower() for o in options) if pattern == any_case_pattern(options) else None


def _always(_: Any) -> bool:
    return True


def _never(_: Any) -> bool:
    return False


def _equal(a: Any, b: Any) -> bool:
    """JSON equality as jsonschema has it: `true` is not `1`, `1` is `1.0`."""
    if type(a) is bool or type(b) is bool:
        return a is b
    if type(a) is list and type(b) is list:
        return len(a) == len(b) and all(map(_equal, a, b))
    if type(a) is dict and type(b) is dict:
        return a.keys() == b.keys() and all(_equal(a[k], b[k]) for k in a)
    return bool(a == b)
