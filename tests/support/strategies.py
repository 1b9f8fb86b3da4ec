"""Hypothesis strategies shared by the fuzz tests: documents made of the schemas' own words."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

from hypothesis import strategies as st
from ruamel.yaml import YAML

SCHEMAS = Path(__file__).resolve().parents[2] / "schemas"


def _vocabulary() -> list[str]:
    words: set[str] = set()

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            words.update(node.get("properties", {}))
            for child in node.values():
                walk(child)
        elif isinstance(node, list):
            for child in node:
                walk(child)

    for path in SCHEMAS.glob("*.schema.json"):
        walk(json.loads(path.read_text(encoding="utf-8")))
    return sorted(words | {"prod", "dev", "db", "Db", "DB", "bucket", "secret", "default"})


KEYS = st.sampled_from(_vocabulary())
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-3, 70_000),
    st.floats(allow_nan=False, allow_infinity=False, width=32),
    st.text(max_size=6),
    st.sampled_from(
        [
            "all",
            "prod",
            "dev",
            "CELERY",
            "ASTRO",
            "default",
            "A5",
            "PW",
            "lower",
            "a@b.co",
            "x..y",
            "(",
            "{{ branch.slug }}",
            "{{ nope }}",
            "{{ ''.__class__ }}",
        ]
    ),
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(KEYS, inner, max_size=4)),
    max_leaves=24,
)
DOCUMENTS = st.dictionaries(KEYS, VALUES, max_size=6)


def dump(data: Any) -> bytes:
    stream = io.StringIO()
    YAML().dump(data, stream)
    return stream.getvalue().encode("utf-8")
