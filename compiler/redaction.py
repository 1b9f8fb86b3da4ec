"""The one place that masks credentials and secret values in text from outside (SPEC 7.1, 7.4).

A server may echo what it was sent: a 401 quoting the `Authorization` header, a 400 quoting a
secret value as Go's `encoding/json` escapes it, a URL with a token in its query. Every
sensitive string is registered here when it is read (the API tokens and the Airflow password by
remote/, the fingerprint key and each secret value by model/secrets.py), and every text that
came from outside goes through `redact` before it is printed: API error messages
(remote/http.py), Airflow's error details, the CLI's error lines and the apply reporters.

A value is masked in every encoding a server is known to use (`forms`): raw; JSON-escaped with
and without `ensure_ascii`, also with Go's HTML-safe escapes (`\\u0026` `\\u003c` `\\u003e`)
and once more nested (a JSON text quoted inside a JSON string); Python's repr and ascii;
URL-encoded (`quote`, `quote_plus`, nothing kept safe); base64 (standard and URL-safe). Longest
forms are replaced first, so a form inside a longer one never leaves the rest readable.
Masking happens before any cut: cutting first could leave a prefix of a value in the text.

A value of one or two characters (`SHORT`) cannot be masked wherever it occurs: a secret `a`
would turn every `a` of a message into `***`. Such a value is masked, in each of its forms but
base64, where it stands alone: not touching a letter, a digit or `_` on either side (`"ab"`,
`'ab'`, `=ab&`, `password ab.`, a whole message `ab`), after the longer values. Inside a word
(`fab`, `ab_1`) it stays: a reader cannot tell it from the letters around it. A form made only
of `*` is left, being what the mask itself looks like.

The body of a request is never printed either (SPEC 7.1), not even its parts that are no
secret, and a server's message about a request may quote it: `without_sent` masks, in such a
message, the body as a whole (as JSON, compact or spaced, keys sorted or not, non-ASCII kept or
escaped; as Python's repr) and each text and number it holds, as a value is masked above (a
number, like a SHORT value, only where it stands alone). Booleans and nulls stay: they tell
nothing. The field names stay, so a message may still say which field it refuses.

The registry is process-wide (a command is one process); it only grows.
"""

from __future__ import annotations

import base64
import json
import re
import threading
from collections.abc import Iterable
from typing import Any
from urllib.parse import quote, quote_plus

MASK = "***"
MIN_LENGTH = 3  # a value this long is masked wherever it occurs; a SHORT one only where it stands alone
SHORT = range(1, MIN_LENGTH)  # lengths masked only as whole tokens
_GO_HTML = str.maketrans({"&": "\\u0026", "<": "\\u003c", ">": "\\u003e"})


def _json_inner(value: str, ascii_only: bool) -> str:
    return json.dumps(value, ensure_ascii=ascii_only)[1:-1]


def forms(value: str) -> set[str]:
    """Every encoding of `value` a server might echo (see the module's docstring); for a SHORT
    value all but base64 (a value that short is never sent alone in base64)."""
    escaped = {_json_inner(value, True), _json_inner(value, False)}
    escaped |= {text.translate(_GO_HTML) for text in escaped}
    nested = {_json_inner(text, flag) for text in escaped for flag in (True, False)}
    found = {value, *escaped, *nested, repr(value)[1:-1], ascii(value)[1:-1]}
    # A lone surrogate (an environment's bytes that are not UTF-8) is encoded as is: never a crash.
    encoded = value.encode("utf-8", "surrogatepass")
    found |= {quote(encoded, safe=""), quote(encoded), quote_plus(encoded)}
    if len(value) >= MIN_LENGTH:
        found |= {
            base64.b64encode(encoded).decode().rstrip("="),
            base64.urlsafe_b64encode(encoded).decode().rstrip("="),
        }
    return {text for text in found if text}


def _alone(short_forms: Iterable[str]) -> re.Pattern[str] | None:
    """One pattern for the forms of the SHORT values, each where it stands alone, longest first."""
    kept = sorted((f for f in short_forms if f.strip("*")), key=lambda text: (-len(text), text))
    if not kept:
        return None
    return re.compile(r"(?<!\w)(?:" + "|".join(re.escape(f) for f in kept) + r")(?!\w)")


class Redactor:
    """The sensitive strings of this process and the function that masks them (thread-safe)."""

    def __init__(self) -> None:
        self._forms: list[str] = []  # of the values of MIN_LENGTH or more, longest first
        self._short_forms: set[str] = set()  # of the SHORT values
        self._alone: re.Pattern[str] | None = None
        self._values: set[str] = set()
        self._lock = threading.Lock()

    def register(self, values: Iterable[str]) -> None:
        """Remember each value (an empty one is ignored) in all its forms."""
        with self._lock:
            fresh = {v for v in values if isinstance(v, str) and v} - self._values
            if not fresh:
                return
            self._values |= fresh
            every = set(self._forms)
            for value in fresh:
                if len(value) in SHORT:
                    self._short_forms |= forms(value)
                else:
                    every |= {text for text in forms(value) if len(text) >= MIN_LENGTH}
            self._forms = sorted(every, key=lambda text: (-len(text), text))
            self._alone = _alone(self._short_forms)

    def redact(self, text: str) -> str:
        """`text` with every form of every registered value replaced by `***` (a SHORT value's
        only where it stands alone). Every occurrence is found in `text` as given and the union
        of them masked: two values that overlap in it (`alpha-1234` and `1234-omega` as
        `alpha-1234-omega`) are masked whole, where replacing one first left the other's rest."""
        spans: list[tuple[int, int]] = []
        for form in self._forms:
            at = text.find(form)
            while at != -1:
                spans.append((at, at + len(form)))
                at = text.find(form, at + 1)
        if spans:
            text = _masked(text, spans)
        return text if self._alone is None else self._alone.sub(MASK, text)


def _masked(text: str, spans: list[tuple[int, int]]) -> str:
    """`text` with each run of overlapping spans ((start, end) character offsets) made one `***`."""
    spans.sort()
    pieces: list[str] = []
    kept = 0  # the offset up to which `text` is accounted for
    start, end = spans[0]
    for begin, stop in spans[1:]:
        if begin < end:
            end = max(end, stop)
            continue
        pieces += [text[kept:start], MASK]
        kept, start, end = end, begin, stop
    pieces += [text[kept:start], MASK, text[end:]]
    return "".join(pieces)


REDACTOR = Redactor()


def register(*values: str) -> None:
    """Register credentials or secret values with the process's redactor."""
    REDACTOR.register(values)


def redact(text: str) -> str:
    """`text` with every registered value masked, in every form (see the module's docstring)."""
    return REDACTOR.redact(text)


def cut(text: str, limit: int, sent: Any = None) -> str:
    """`text` masked, then cut to `limit` characters (never cut before masking); `sent`: the
    body of the request `text` is about, masked in it too (`without_sent`)."""
    masked = redact(without_sent(text, sent) if sent is not None else text)
    return masked if len(masked) <= limit else masked[:limit] + "…"


def without_sent(text: str, body: Any) -> str:
    """`text` (a server's message about a request) without the request's `body` (a JSON value):
    the whole in its usual serializations and each text and number in it masked (see the
    module's docstring)."""
    texts: set[str] = set()
    numbers: set[str] = set()
    _scalars(body, texts, numbers)
    once = Redactor()
    once.register([*_serializations(body), *texts])
    masked = once.redact(text)
    if not numbers:
        return masked
    ordered = sorted(numbers, key=lambda n: (-len(n), n))
    return re.sub(r"(?<![\w.])(?:" + "|".join(map(re.escape, ordered)) + r")(?![\w.])", MASK, masked)


def _scalars(value: Any, texts: set[str], numbers: set[str], depth: int = 0) -> None:
    """The texts and numbers (as JSON writes them) of a JSON value, at most 100 levels deep."""
    if depth > 100:
        return
    if isinstance(value, str):
        texts.add(value)
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        numbers.add(json.dumps(value))
    elif isinstance(value, dict):
        for item in value.values():
            _scalars(item, texts, numbers, depth + 1)
    elif isinstance(value, (list, tuple)):
        for item in value:
            _scalars(item, texts, numbers, depth + 1)


def _serializations(body: Any) -> set[str]:
    """The texts a client or a server may make of `body` (httpx writes compact JSON with
    non-ASCII kept; older httpx and most servers, spaced JSON)."""
    if isinstance(body, (str, int, float, bool)) or body is None:
        return set()
    found = {repr(body)}
    for separators in ((",", ":"), (", ", ": ")):
        for sort_keys in (False, True):
            for ascii_only in (False, True):
                try:
                    found.add(json.dumps(body, separators=separators, sort_keys=sort_keys, ensure_ascii=ascii_only))
                except (TypeError, ValueError, RecursionError):
                    continue
    return found
