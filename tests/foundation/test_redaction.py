"""compiler/redaction.py: a registered value never survives, in any encoding a server uses."""

from __future__ import annotations

import base64
import json
from urllib.parse import quote, quote_plus

from hypothesis import given
from hypothesis import strategies as st

from compiler.redaction import MASK, Redactor, cut, register

ENCODINGS = (
    lambda v: v,
    lambda v: json.dumps(v)[1:-1],
    lambda v: json.dumps(v, ensure_ascii=False)[1:-1],
    lambda v: json.dumps(v)[1:-1].replace("&", "\\u0026").replace("<", "\\u003c").replace(">", "\\u003e"),
    lambda v: json.dumps(json.dumps(v)[1:-1])[1:-1],
    lambda v: repr(v)[1:-1],
    lambda v: quote(v, safe=""),
    lambda v: quote_plus(v),
    lambda v: base64.b64encode(v.encode("utf-8", "surrogatepass")).decode().rstrip("="),
)


@given(st.text(min_size=3, max_size=40).filter(lambda v: v.strip() == v and len(set(v)) > 2))
def test_every_encoding_of_a_registered_value_is_masked(value: str) -> None:
    redactor = Redactor()
    redactor.register([value])
    for encode in ENCODINGS:
        shown = redactor.redact(f"before {encode(value)} after")
        assert encode(value) not in shown and MASK in shown


def test_the_cut_comes_after_the_mask() -> None:
    secret = "cut-Zq42kv7w-secret"
    register(secret)
    shown = cut("x" * 495 + secret, 500)
    assert "cut-Z" not in shown and shown.endswith(MASK)
