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

The registry is process-wide (a command is one process); it only grows.
"""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Iterable
from urllib.parse import quote, quote_plus

MASK = "***"
MIN_LENGTH = 3  # shorter values would mask ordinary words; credentials and secrets are longer
_GO_HTML = str.maketrans({"&": "\\u0026", "<": "\\u003c", ">": "\\u003e"})


def _json_inner(value: str, ascii_only: bool) -> str:
    return json.dumps(value, ensure_ascii=ascii_only)[1:-1]


def forms(value: str) -> set[str]:
    """Every encoding of `value` a server might echo (see the module's docstring)."""
    escaped = {_json_inner(value, True), _json_inner(value, False)}
    escaped |= {text.translate(_GO_HTML) for text in escaped}
    nested = {_json_inner(text, flag) for text in escaped for flag in (True, False)}
    encoded = value.encode("utf-8", "surrogatepass")
    found = {
        value,
        *escaped,
        *nested,
        repr(value)[1:-1],
        ascii(value)[1:-1],
        quote(value, safe=""),
        quote(value),
        quote_plus(value),
        base64.b64encode(encoded).decode().rstrip("="),
        base64.urlsafe_b64encode(encoded).decode().rstrip("="),
    }
    return {text for text in found if len(text) >= MIN_LENGTH}


class Redactor:
    """The sensitive strings of this process and the function that masks them (thread-safe)."""

    def __init__(self) -> None:
        self._forms: list[str] = []
        self._values: set[str] = set()
        self._lock = threading.Lock()

    def register(self, values: Iterable[str]) -> None:
        """Remember each value (empty and very short ones are ignored) in all its forms."""
        with self._lock:
            fresh = {v for v in values if isinstance(v, str) and len(v) >= MIN_LENGTH} - self._values
            if not fresh:
                return
            self._values |= fresh
            every = set(self._forms)
            for value in fresh:
                every |= forms(value)
            self._forms = sorted(every, key=lambda text: (-len(text), text))

    def redact(self, text: str) -> str:
        """`text` with every form of every registered value replaced by `***`."""
        for form in self._forms:
            if form in text:
                text = text.replace(form, MASK)
        return text


REDACTOR = Redactor()


def register(*values: str) -> None:
    """Register credentials or secret values with the process's redactor."""
    REDACTOR.register(values)


def redact(text: str) -> str:
    """`text` with every registered value masked, in every form (see the module's docstring)."""
    return REDACTOR.redact(text)


def cut(text: str, limit: int) -> str:
    """`text` masked, then cut to `limit` characters (never cut before masking)."""
    masked = redact(text)
    return masked if len(masked) <= limit else masked[:limit] + "…"
