"""Plain values compared and inspected the way every stage does: as JSON would see them.

Two values are the same when their JSON texts are (so 1, 1.0 and true differ; secret
references by name); `same` reaches that answer without writing JSON for plain data.
"""

from __future__ import annotations

import json
from typing import Any

from compiler.model.objects import MAPPINGS, Secret, thaw


def identity(value: Any) -> str:
    """What makes two values equal: their JSON text (so 1, 1.0 and true differ), secrets by name.

    Values are compared before they are displayed: a literal password that changes shows
    as a change, although both sides display as the same `(sensitive value)`.
    """
    return json.dumps(thaw(value), sort_keys=True, default=_secret_as_json)


_SCALARS = (str, int, float, bool, type(None))


def same(a: Any, b: Any) -> bool:
    """`identity(a) == identity(b)`, without JSON text for plain data (a plan compares tens of
    thousands of fields): values of one scalar type compare with ==, mappings and sequences
    member by member; anything else (a secret reference, mixed types such as 1 and 1.0) by
    identity."""
    kind = type(a)
    if kind is type(b):
        if kind in _SCALARS:
            return repr(a) == repr(b) if kind is float else bool(a == b)  # 0.0 and -0.0 differ as JSON
        if kind is Secret:
            return bool(a.name == b.name)
    elif kind in _SCALARS and type(b) in _SCALARS:
        return False  # 1, 1.0, true and "1" are four JSON texts
    if isinstance(a, MAPPINGS) and isinstance(b, MAPPINGS):
        return a.keys() == b.keys() and all(same(v, b[k]) for k, v in a.items())
    if isinstance(a, list | tuple) and isinstance(b, list | tuple):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    return identity(a) == identity(b)


def _secret_as_json(value: Any) -> Any:
    return {"secret": value.name} if isinstance(value, Secret) else str(value)


def holds_secret(value: Any) -> bool:
    """Whether a value is, or holds at any depth, a secret reference."""
    if isinstance(value, Secret):
        return True
    if isinstance(value, MAPPINGS):
        return any(holds_secret(v) for v in value.values())
    if isinstance(value, (list, tuple)):
        return any(holds_secret(v) for v in value)
    return False
