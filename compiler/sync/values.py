"""Desired values three ways: as sent (secrets put in), as shown (`<secret:NAME>`), as fingerprinted."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any

from compiler.model import equality
from compiler.model.objects import MAPPINGS, Secret
from compiler.model.secrets import SecretValues, looks_secret
from compiler.sync.desired import JsonText, has_secret

_SHOWN = SecretValues()  # no values: each secret as its placeholder


def _json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


def concrete(value: Any, values: SecretValues) -> Any:
    """The value as the API receives it: every secret put in, JSON text for non-string variables."""
    if isinstance(value, Secret):
        return values.value(value)
    if isinstance(value, JsonText):
        return _json(concrete(value.value, values))
    if isinstance(value, MAPPINGS):
        return {k: concrete(v, values) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [concrete(v, values) for v in value]
    return value


def shown(value: Any) -> Any:
    """The value as a plan shows it: secrets as `<secret:NAME>`, never a value."""
    if isinstance(value, str):  # most values: shown as they are
        return value
    return concrete(value, _SHOWN)


def leaves(fields: Mapping[str, Any]) -> Iterator[tuple[str, Any]]:
    """(path, value) per field of a typed member, one per `extra` key (`extra.KEY`)."""
    for name, value in fields.items():
        if name == "extra" and isinstance(value, MAPPINGS):
            for key, child in value.items():
                yield f"extra.{key}", child
        else:
            yield name, value


def hidden(path: str, value: Any, *, secret_variable: bool = False) -> bool:
    """A field compared by fingerprint: a secret reference, a variable marked secret, or a field
    the API masks on read (a connection password, an extra key whose name says secret)."""
    if secret_variable or hidden_path(path):
        return True
    return has_secret(value)


def hidden_path(path: str) -> bool:
    """Whether the API masks the field at `path` whatever its value (`hidden`'s part that reads
    only the path: a caller asking of the same few paths many times may keep the answers)."""
    return path == "password" or (path.startswith("extra.") and looks_secret(path[len("extra.") :]))


def same(live: Any, desired: Any) -> bool:
    """Equal as data: mappings compared parsed, whatever their key order (a JSON-text extra too)."""
    if isinstance(live, str) and isinstance(desired, (dict, list)):
        try:
            live = json.loads(live)
        except ValueError:
            return False
    return equality.same(live, desired)
