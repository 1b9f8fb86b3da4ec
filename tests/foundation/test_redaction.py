"""compiler/redaction.py: a registered value never survives, in any encoding a server uses."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from urllib.parse import quote, quote_plus

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from compiler.redaction import MASK, Redactor, Words, cut, guarded, guarded_data, register, without_sent

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


@given(st.text(alphabet="abcXYZ019&é", min_size=1, max_size=2))
def test_a_short_value_is_masked_where_it_stands_alone_and_left_inside_a_word(value: str) -> None:
    redactor = Redactor()
    redactor.register([value])
    for form in (value, json.dumps(value)[1:-1], quote(value, safe="")):
        for around in ('"{}"', "'{}'", "={};", " {}.", "{}", "({})"):
            assert redactor.redact(around.format(form)) == around.format(MASK), (form, around)
    assert redactor.redact(f"w{value}w w{value} {value}_") == f"w{value}w w{value} {value}_"  # inside a word


def test_a_value_made_of_the_mask_character_leaves_the_mask_alone() -> None:
    redactor = Redactor()
    redactor.register(["*", "long-Zq43kv7w-secret"])
    assert redactor.redact("long-Zq43kv7w-secret and *") == f"{MASK} and *"


JSON_LEAVES = st.recursive(
    st.text(st.characters(blacklist_characters="§"), min_size=1, max_size=12)
    | st.integers(min_value=0, max_value=10**6),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=8,
)


def _leaves(value: object) -> list[str]:
    if isinstance(value, dict):
        return [leaf for item in value.values() for leaf in _leaves(item)]
    if isinstance(value, list):
        return [leaf for item in value for leaf in _leaves(item)]
    return [value if isinstance(value, str) else json.dumps(value)]


@given(st.dictionaries(st.text(max_size=5), JSON_LEAVES, min_size=1, max_size=4))
@example(body={"": "\ud800"})  # a lone surrogate: URL-quoting it raised UnicodeEncodeError
def test_a_sent_body_quoted_whole_is_masked_whole(body: dict[str, object]) -> None:
    for text in (json.dumps(body), json.dumps(body, separators=(",", ":"), ensure_ascii=False), repr(body)):
        assert without_sent(f"§{text}§", body) == f"§{MASK}§"  # § is in no value


@given(st.lists(st.from_regex(r"[a-z0-9.-]{1,12}", fullmatch=True), min_size=1, max_size=5))
def test_each_part_of_a_sent_body_quoted_alone_is_masked(parts: list[str]) -> None:
    body = {f"field{i}": part for i, part in enumerate(parts)}
    shown = without_sent("values: " + " ".join(parts), body)
    assert shown == "values: " + " ".join([MASK] * len(parts)) or not [
        p for p in parts if p in shown.removeprefix("values: ").replace(MASK, " ").split()
    ]


@pytest.mark.parametrize(
    ("value", "line"),
    [
        ("postgres-pass", '      + type: "postgres"'),
        ("snowflake2024", '      + host: "acct.snowflakecomputing.com"'),
        ("Summer2024!", "  ~ variable summer2024_flag"),
        ("hunter22", "  + connection hunter_db  (workspace; linked: all)"),
        ("production-token-1", 'astro-gitops plan: workspace "Data Platform", scope production (branch main)'),
    ],
)
def test_a_value_that_begins_like_ordinary_text_does_not_withhold_it(value: str, line: str) -> None:
    """A value is found decoded by its start only when that start is long enough to be its own
    (redaction.needle): a human-chosen secret must not withhold plan lines that share a word."""
    redactor = Redactor()
    redactor.register([value])
    assert not redactor.reveals(redactor.redact(line))
    assert redactor.reveals(f"echo: {value.upper()}")  # the value itself, in another case, still is
    assert redactor.reveals(f"echo: {base64.b64encode(('u:' + value).encode()).decode()}")
    if len(value) > 12:
        assert redactor.reveals(f"echo: {value[:12]}…")  # cut short by a server, to its first 12


def test_a_value_that_holds_another_is_found_whole_not_by_its_start() -> None:
    """`user:password` is registered beside `password` (Airflow's basic auth): its start is the
    user name, which a message may name; only the whole pair, or the password, gives it away."""
    redactor = Redactor()
    redactor.register(["nope-pw-42", "gitops-admin:nope-pw-42"])
    assert not redactor.reveals("Airflow refused the login of 'gitops-admin' (HTTP 401)")
    assert redactor.reveals("echo: GITOPS-ADMIN:NOPE-PW-42")
    assert redactor.reveals(f"echo: {base64.b64encode(b'x:gitops-admin:nope-pw-42').decode()}")
    assert redactor.reveals("echo: NOPE-PW-42")


@pytest.mark.parametrize(
    "shown",
    [
        "\\u0050assw0rd!x",  # a hex letter right after a four-digit escape
        "Zebra-\\u0043\\u0061fe-42",
        "\\u{50}assw0rd!x",
        "\\x50assw0rd!x",
    ],
)
def test_an_escape_followed_by_hex_letters_is_decoded_as_four_digits(shown: str) -> None:
    redactor = Redactor()
    redactor.register(["Passw0rd!x", "Zebra-Cafe-42"])
    assert redactor.reveals(shown), shown


def test_a_value_split_over_two_lines_beside_a_withheld_one_is_withheld_too() -> None:
    import compiler.redaction as redaction

    before = redaction.REDACTOR
    redaction.REDACTOR = Redactor()
    try:
        redaction.REDACTOR.register(["Passw0rd!x", "Zebra-Cafe-42"])
        shown = redaction.guarded_lines("a: PASSW0RD!X\nb: ZEBRA-CAFE\n-42 tail\nc: ok\n")
    finally:
        redaction.REDACTOR = before
    assert "ZEBRA" not in shown.upper() and "PASSW0RD" not in shown.upper(), shown
    assert shown.endswith("c: ok\n"), shown


@pytest.fixture
def fresh_redactor() -> Iterator[Redactor]:
    """The process's redactor replaced by an empty one for the test (guarded_data reads it)."""
    import compiler.redaction as redaction

    before = redaction.REDACTOR
    redaction.REDACTOR = Redactor()
    try:
        yield redaction.REDACTOR
    finally:
        redaction.REDACTOR = before


def _texts(value: object) -> list[str]:
    """Every key and scalar of a JSON value as JSON writes it."""
    if isinstance(value, dict):
        return [t for k, v in value.items() for t in (str(k), *_texts(v))]
    if isinstance(value, list):
        return [t for item in value for t in _texts(item)]
    return [value if isinstance(value, str) else json.dumps(value)]


@pytest.mark.parametrize(
    ("secret", "scalar"),
    [
        ("83920417", 83920417),  # a PIN read as a number
        ("83920417", 183920417),  # inside a longer number
        ("4471.25", 4471.25),
        ("83920417", 83920417.0),
        ("true", True),  # a value JSON writes as a boolean or a null
        ("false", False),
        ("null", None),
        ("12", 12),  # a SHORT value, standing alone
    ],
)
def test_a_number_boolean_or_null_showing_a_secret_is_guarded_as_text(
    fresh_redactor: Redactor, secret: str, scalar: object
) -> None:
    fresh_redactor.register([secret])
    data = {"extra": {"pin": scalar, "nested": [1000, {"deep": [scalar]}]}, "port": scalar}
    shown = guarded_data(data)
    text = json.dumps(shown)
    assert secret not in _texts(json.loads(text)) and secret not in text.replace(MASK, ""), text
    assert json.loads(text)["extra"]["nested"][0] == 1000  # what shows nothing is kept as it was
    assert shown["port"] == guarded(json.dumps(scalar))


def test_withheld_keys_stay_distinct_and_numbered_in_order(fresh_redactor: Redactor) -> None:
    fresh_redactor.register(["first-Zq43kv7w", "second-Zq43kv7w", "83920417"])
    data = {
        "first-Zq43kv7w": 1,
        "kept": 2,
        "second-Zq43kv7w": 3,
        f"{MASK} (1)": 4,  # a key already written like a numbered one
        MASK: 5,
        "x-83920417": 6,
        "x-first-Zq43kv7w": 7,
        83920417: 8,  # a key JSON writes as text
    }
    shown = guarded_data(data)
    assert list(shown.values()) == [1, 2, 3, 4, 5, 6, 7, 8]  # no entry lost
    assert list(shown) == [
        f"{MASK} (2)",
        "kept",
        f"{MASK} (3)",
        f"{MASK} (1)",
        MASK,
        "x-*** (1)",
        "x-*** (2)",
        f"{MASK} (4)",
    ]
    assert guarded_data(data) == shown  # the same every time
    assert not [k for k in shown if "Zq43" in k or "8392" in k]


@given(
    st.lists(st.from_regex(r"pos[a-z:/]{0,4}[0-9]{0,3}", fullmatch=True), min_size=1, max_size=40),
    st.lists(st.sampled_from(["pos", "postgres", "://", "1", "x", " "]), max_size=12),
)
def test_the_word_index_finds_the_longest_word_at_each_offset(words: list[str], noise: list[str]) -> None:
    """Many words sharing a start (redaction.Words) are found as a search for each finds them."""
    text = "".join(n + w for n, w in zip(noise + [""] * len(words), words, strict=False)) + "".join(noise)
    expected = []
    for at in range(len(text)):
        found = [w for w in words if text.startswith(w, at)]
        if found:
            expected.append((at, at + max(map(len, found))))
    index = Words(words)
    assert index.spans(text) == expected
    assert index.search(text) == bool(expected)
