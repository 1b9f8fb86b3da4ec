"""How a user's string is made safe for each output: one place, used by every reporter.

Names, keys, values and paths come from files a pull request can change. Printed raw, a
newline forges a diagnostic or a plan line, and `<!--` in a Deployment name hides the rest
of a markdown plan. Each function here makes a string inert in one output context.
"""

from __future__ import annotations

_SHORT = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
# Line and paragraph separators, and the bidirectional controls that reorder what a reader
# sees ("Trojan Source"), are escaped with the C0/C1 control characters.
_INVISIBLE = (0x2028, 0x2029, 0x061C, 0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A))
_CONTROLS = (*range(0x20), 0x7F, *range(0x80, 0xA0))


def _escape(code: int) -> str:
    char = chr(code)
    if char in _SHORT:
        return _SHORT[char]
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


_ONE_LINE = str.maketrans({code: _escape(code) for code in (*_CONTROLS, *_INVISIBLE)})

# Python reads bytes that are not UTF-8 (in argv, the environment, file names, git's answers)
# as lone surrogates U+DC80..U+DCFF ("surrogateescape"). No encoder writes a lone surrogate,
# so each is shown as the byte it stands for (`\xff`), and any other lone surrogate as `\udXXX`.
_SURROGATES = range(0xD800, 0xE000)


def _undecodable(code: int) -> str:
    return f"\\x{code - 0xDC00:02x}" if 0xDC80 <= code <= 0xDCFF else f"\\u{code:04x}"


# The two tables of the 2,048 surrogates are made when a text first holds one (building them
# was 2 ms of every cold start, issue 26; most runs never see such a byte).
_TABLES: dict[str, dict[int, str]] = {}


def _surrogates(kind: str) -> dict[int, str]:
    table = _TABLES.get(kind)
    if table is None:
        shown = {code: _undecodable(code) for code in _SURROGATES}
        if kind == "json":
            shown = {code: text.replace("\\", "\\\\") for code, text in shown.items()}
        table = _TABLES[kind] = str.maketrans(shown)
    return table


def has_undecodable(text: str) -> bool:
    """Whether `text` holds a lone surrogate: bytes that were not UTF-8, or an escape of one."""
    if text.isascii():  # most texts: no surrogate, and nothing copied to learn it
        return False
    try:
        text.encode("utf-8")  # in C: the only characters UTF-8 refuses are lone surrogates
    except UnicodeEncodeError:
        return True
    return False


def undecodable_json(text: str) -> str:
    """JSON text made with `ensure_ascii=False`, each lone surrogate (only ever inside a string)
    written as the JSON string escape of `undecodable`'s text (`\\\\xff` in the JSON text): valid UTF-8 JSON."""
    return text.translate(_surrogates("json")) if has_undecodable(text) else text


def undecodable(text: str) -> str:
    """`text` with each lone surrogate escaped (`\\xff` for an undecodable byte): text any
    encoder writes. Nothing else changes, so it suits JSON and file contents."""
    return text.translate(_surrogates("text")) if has_undecodable(text) else text


# Markdown punctuation that can open an inline construct where our strings go (table
# cells, bold text, notes): code spans, emphasis, links and images, raw HTML and comments,
# entities, table cell breaks, strikethrough, GitHub math.
_MARKDOWN = str.maketrans({char: "\\" + char for char in "\\`*_[]<>&|~$"})
_HTML = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#x27;"})


def one_line(text: str) -> str:
    """`text` as one line of plain output: control characters, line breaks and lone surrogates escaped."""
    return undecodable(text).translate(_ONE_LINE)


def markdown_text(text: str) -> str:
    """`text` as literal inline markdown (CommonMark and GitHub), on one line."""
    return one_line(text).translate(_MARKDOWN)


def markdown_code(text: str) -> str:
    """`text` as a markdown code span that no backtick inside it can close."""
    text = one_line(text)
    longest = run = 0
    for char in text:
        run = run + 1 if char == "`" else 0
        longest = max(longest, run)
    fence = "`" * (longest + 1)
    # CommonMark strips one space from each end of a span that is not only spaces: pad for it.
    pad = " " if text.strip(" ") and (text[:1] in ("`", " ") or text[-1:] in ("`", " ")) else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def html_text(text: str) -> str:
    """`text` as literal text inside an HTML element of a markdown document, on one line."""
    return one_line(text).translate(_HTML)


def workflow_data(text: str) -> str:
    """The message of a GitHub workflow command (`::error ...::MESSAGE`, `::add-mask::VALUE`)."""
    # The escaping of actions/toolkit's command.ts (escapeData).
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def workflow_property(text: str) -> str:
    """A property value of a GitHub workflow command (`file=...,title=...`)."""
    return workflow_data(text).replace(":", "%3A").replace(",", "%2C")
