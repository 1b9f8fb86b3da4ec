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
import contextlib
import json
import re
import threading
from collections import Counter
from collections.abc import Iterable
from itertools import product
from typing import Any
from urllib.parse import quote, quote_plus

MASK = "***"
MIN_LENGTH = 3  # a value this long is masked wherever it occurs; a SHORT one only where it stands alone
REVEALED = 8  # a value this long (normalised) is also looked for decoded (`reveals`)
PREFIX = 12  # a longer value is also found by its start (`needle`)
WITHHELD = "(withheld: it held a credential or secret value)"
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
        # Made when first needed after a registration (a plan registers 1,000 values in bulk):
        # the forms and the needles `reveals` looks for (`views`), each found in one pass.
        self._words = Words(())
        self._needles = Words(())
        self._stale = False

    def __bool__(self) -> bool:
        return bool(self._values)

    def known(self) -> frozenset[str]:
        """The values registered so far (for a caller that weighs each: onboarding/known_values.py)."""
        with self._lock:
            return frozenset(self._values)

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
            self._stale = True

    def _compiled(self) -> tuple[Words, Words]:
        with self._lock:
            if self._stale:
                self._words = Words(self._forms)
                # A value that holds another (`user:password`, registered beside `password`)
                # is looked for whole: its start may be no secret at all (the user name).
                held = (v for v in self._values if any(span != (0, len(v)) for span in self._words.spans(v)))
                whole = set(held)
                self._needles = Words(n for v in self._values if (n := needle(v, whole=v in whole)))
                self._stale = False
            return self._words, self._needles

    def redact(self, text: str) -> str:
        """`text` with every form of every registered value replaced by `***` (a SHORT value's
        only where it stands alone). Every occurrence is found in `text` as given and the union
        of them masked: two values that overlap in it (`alpha-1234` and `1234-omega` as
        `alpha-1234-omega`) are masked whole, where replacing one first left the other's rest."""
        spans = self._compiled()[0].spans(text)
        if spans:
            text = _masked(text, spans)
        return text if self._alone is None else self._alone.sub(MASK, text)

    def reveals(self, text: str) -> bool:
        """Whether `text` shows a registered value (or enough of its start) once decoded and
        normalised (`views`): what masking in place cannot be trusted with."""
        needles = self._compiled()[1]
        return needles.search(views(text))


def needle(value: str, *, whole: bool = False) -> str:
    """What `reveals` looks for of `value`: its normalised text (lowercased, no whitespace), all
    of it up to PREFIX characters (or when `whole`), else its start: the first half or PREFIX
    characters, whichever is more (a server that cuts what it echoes still gives that away). A
    value shorter than REVEALED once normalised has none: it is still masked in its exact forms.

    Why not less: a needle is looked for case-blind in every decoded view of every printed
    line, so a short one is found in ordinary text. A secret such as `postgres-pass` with an
    8-character needle withheld every `type: "postgres"` line of a plan."""
    text = normalised(value)
    if len(text) < REVEALED:
        return ""
    return text if whole or len(text) <= PREFIX else text[: max(PREFIX, (len(text) + 1) // 2)]


class Words:
    """Finds any of many words (each MIN_LENGTH or longer) in a text in one pass: a pattern of
    their distinct starts (a trie of MIN_LENGTH characters: small to compile, read once), then at
    each hit a slice and a set lookup per distinct length of the words with that start, longest
    first (trying each such word cost a hit their number: 2,000 `postgresql://` secrets)."""

    def __init__(self, words: Iterable[str]) -> None:
        by_start: dict[str, dict[int, set[str]]] = {}
        for word in set(words):
            by_start.setdefault(word[:MIN_LENGTH], {}).setdefault(len(word), set()).add(word)
        self._by_start = {start: sorted(lengths.items(), reverse=True) for start, lengths in by_start.items()}
        self._starts = _trie(self._by_start)
        self._every = re.compile(f"(?=({self._starts.pattern}))") if self._starts else None

    def _hits(self, text: str) -> Iterable[tuple[int, int]]:
        """(offset, length of the longest word there: 0 for none) at each start found."""
        if self._every is None or self._starts is None or not self._starts.search(text):
            return
        for match in self._every.finditer(text):
            at = match.start()
            lengths = self._by_start[match.group(1)]
            yield at, next((n for n, words in lengths if text[at : at + n] in words), 0)

    def spans(self, text: str) -> list[tuple[int, int]]:
        """Where the words are in `text`, the longest at each offset (overlapping ones too)."""
        return [(at, at + length) for at, length in self._hits(text) if length]

    def search(self, text: str) -> bool:
        return any(length for _, length in self._hits(text))


def _trie(words: Iterable[str]) -> re.Pattern[str] | None:
    """One pattern matching any of `words` (none a prefix of another): a trie."""
    root: dict[str, Any] = {}
    for word in words:
        node = root
        for char in word:
            node = node.setdefault(char, {})

    def build(node: dict[str, Any]) -> str:
        branches = [re.escape(char) + build(child) for char, child in sorted(node.items())]
        return "".join(branches) if len(branches) <= 1 else "(?:" + "|".join(branches) + ")"

    return re.compile(build(root)) if root else None


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


def guarded(text: str) -> str:
    """`text` (a server's, or any text holding one's) masked; `WITHHELD` instead when it still
    shows a value once decoded (`views`): such a text is not printed at all."""
    if not REDACTOR:
        return text
    masked = REDACTOR.redact(text)
    return WITHHELD if REDACTOR.reveals(masked) else masked


def guarded_lines(text: str) -> str:
    """Output `text` as `guarded` would have each line: masked, and a line that still shows a
    value once decoded replaced by `WITHHELD` (its indent kept); two lines that show one only
    together (a value broken over them) both; the whole text when no line or pair explains it."""
    if not REDACTOR:
        return text
    masked = REDACTOR.redact(text)
    if not REDACTOR.reveals(masked):
        return masked
    lines = masked.split("\n")
    flagged = {i for i, line in enumerate(lines) if REDACTOR.reveals(line)}
    shown = _withheld(lines, flagged)
    if REDACTOR.reveals(shown):  # a value broken over two lines still shown (beside one withheld or not)
        pairs = (
            i
            for i in range(len(lines) - 1)
            if i not in flagged and i + 1 not in flagged and REDACTOR.reveals(f"{lines[i]}\n{lines[i + 1]}")
        )
        flagged |= {j for i in pairs for j in (i, i + 1)}
        shown = _withheld(lines, flagged)
    return WITHHELD + "\n" if REDACTOR.reveals(shown) else shown


def _withheld(lines: list[str], flagged: set[int]) -> str:
    """`lines` joined, each flagged one replaced by `WITHHELD` at its indent."""
    return "\n".join(
        line[: len(line) - len(line.lstrip())] + WITHHELD if i in flagged else line for i, line in enumerate(lines)
    )


def guarded_data(data: Any) -> Any:
    """A JSON value with each text in it (keys too) `guarded`; `data` itself when none changes.
    The check reads the value as JSON text (one C pass; every form `forms` lists includes the
    JSON-escaped one, and `views` undoes JSON's escapes); only a hit walks the value. A number,
    boolean or null is guarded as the text JSON writes (a PIN `83920417` read as a number), a
    JSON string if it shows a value. Keys that read the same once guarded are numbered in order,
    `*** (1)`, `*** (2)`: none overwrites another; the numbers tell only the order shown anyway."""
    if not REDACTOR:
        return data
    whole = json.dumps(data, ensure_ascii=False, default=str)
    if REDACTOR.redact(whole) == whole and not REDACTOR.reveals(whole):
        return data
    return _mapped(data)


def _mapped(value: Any) -> Any:
    if isinstance(value, dict):
        return _keyed([(k, _mapped(v)) for k, v in value.items()])
    if isinstance(value, (list, tuple)):
        return [_mapped(item) for item in value]
    text = value if isinstance(value, str) else json.dumps(value, default=str)
    shown = guarded(text)
    return value if shown == text else shown


def _keyed(pairs: list[tuple[Any, Any]]) -> dict[str, Any]:
    """The pairs as a JSON object, each key as JSON writes it, guarded; a key the guard changed
    (or that was no text) and that then reads like another is numbered, skipping taken texts."""
    texts = [k if isinstance(k, str) else json.dumps(k, default=str).strip('"') for k, _ in pairs]
    shown = [guarded(t) for t in texts]
    counts, taken, out = Counter(shown), set(shown), {}
    for (key, value), text, name in zip(pairs, texts, shown, strict=True):
        if (name != text or not isinstance(key, str)) and counts[name] > 1:
            number, base = 0, name
            while name in taken:
                number += 1
                name = f"{base} ({number})"
            taken.add(name)
        out[name] = value
    return out


def cut(text: str, limit: int, sent: Any = None) -> str:
    """`text` masked (or withheld: `guarded`), then cut to `limit` characters (never cut before
    masking); `sent`: the body of the request `text` is about, masked in it too (`without_sent`)."""
    masked = guarded(without_sent(text, sent) if sent is not None else text)
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
    for separators, sort_keys, ascii_only in product(((",", ":"), (", ", ": ")), (False, True), (False, True)):
        with contextlib.suppress(TypeError, ValueError, RecursionError):
            found.add(json.dumps(body, separators=separators, sort_keys=sort_keys, ensure_ascii=ascii_only))
    return found


# --- decoded views: a value in an encoding no list of forms foresees ------------------------
#
# A server or a proxy may change the case of what it echoes, escape each character (`\\u0053`,
# `&#83;`, `%53`, twice), hex- or base64-encode a larger text holding it (`user:secret` in a
# Basic header: the value at any byte offset), break it over lines or cut it. A text is looked
# at in each of its decoded views, each normalised (lowercased, without whitespace or NULs,
# the way UTF-16 shows), and a value found there (`needle`) withholds the whole text
# (`guarded`): masking in place cannot be trusted where the encoding is not known.

# `\u0050`, then any text (hex digits too): exactly four digits without braces, one to six in them.
_BACKSLASH = re.compile(
    r"\\+(?:u\{([0-9a-fA-F]{1,6})\}|u([0-9a-fA-F]{4})|U([0-9a-fA-F]{8})|x([0-9a-fA-F]{2})|([nrt])|([^\w\s]))"
)
_HEX = re.compile(r"[0-9a-fA-F]{8,}")
_BASE64 = re.compile(r"[A-Za-z0-9+/_-]{8,}")
_ESCAPES = {"n": "\n", "r": "\r", "t": "\t"}
ROUNDS = 4  # decodings of decodings at most (%2553: %53: S)


def normalised(text: str) -> str:
    """Lowercased, without whitespace, NULs or `+` (a space in a URL's query)."""
    return "".join(text.replace("\x00", "").replace("+", "").split()).lower()


def _unbackslash(match: re.Match[str]) -> str:
    code = match.group(1) or match.group(2) or match.group(3) or match.group(4)
    if code:
        number = int(code, 16)
        return chr(number) if number < 0x110000 else match.group(0)
    return _ESCAPES.get(match.group(5) or "", match.group(6) or "")


def _decoded_once(text: str) -> str:
    import html
    from urllib.parse import unquote

    if "\\" in text:
        text = _BACKSLASH.sub(_unbackslash, text)
    if "&" in text:
        text = html.unescape(text)
    if "%" in text:
        text = unquote(text, errors="surrogateescape")
    return text


def _binary(text: str) -> Iterable[str]:
    """The texts the hex and base64 runs of `text` decode to, at each alignment. A run in one
    case only is an identifier (`dep0001`, `LOG_LEVEL`), not base64 of a text."""
    every = set(_BASE64.findall(text))
    runs = {run for run in every if not (run.islower() or run.isupper())}
    for digits in {hex_run for run in every for hex_run in _HEX.findall(run)}:
        for skip in (0, 1):
            usable = digits[skip:][: (len(digits) - skip) // 2 * 2]
            yield bytes.fromhex(usable).decode("latin-1")
    for run in runs:
        standard = run.replace("-", "+").replace("_", "/")
        for skip in range(4):
            usable = standard[skip:]
            # The tail too: a run's last 2 or 3 characters are 1 or 2 bytes (padding given back);
            # a single one left over holds no whole byte.
            usable = usable[: len(usable) // 4 * 4] if len(usable) % 4 == 1 else usable + "=" * (-len(usable) % 4)
            try:
                yield base64.b64decode(usable).decode("utf-8", "replace")
            except ValueError:
                continue


def views(text: str) -> str:
    """`text` and each text it decodes to (escapes of every kind, up to ROUNDS deep, then hex
    and base64), each normalised, joined by NULs (which no normalised text holds): one search
    looks at all of them."""
    found = [text]
    for _ in range(ROUNDS):
        decoded = _decoded_once(found[-1])
        if decoded == found[-1]:
            break
        found.append(decoded)
    found += [piece for view in found for piece in _binary(view)]
    return "\x00".join(normalised(view) for view in found)
