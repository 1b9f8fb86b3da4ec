"""The standard streams: closed, full, gone, or unable to encode a character.

A broken stdout (`>&-`, `> /dev/full`, a reader that went away) is no bug: the command ends
with exit 1, quietly or with one line on stderr. A character the stream's encoding cannot
hold (`PYTHONIOENCODING=ascii`, a Latin-1 locale) is printed as `\\uXXXX`, which reads well
and keeps JSON valid; a byte that was not UTF-8 where it was read is printed as `\\xNN`.
"""

from __future__ import annotations

import codecs
import contextlib
import errno
import os
import sys
from typing import TextIO

from compiler.errors import ExitCode
from compiler.escaping import has_undecodable, undecodable

_ESCAPE = "astro-gitops-escape"


class Unwritable(Exception):
    """stdout or stderr is closed, full, or gone: the output cannot be delivered."""

    def __init__(self, name: str, cause: OSError | None) -> None:
        super().__init__(name)
        self.name, self.cause = name, cause


def _escape_unencodable(exc: UnicodeError) -> tuple[str, int]:
    """Never raises for what an encoder refuses: a character the encoding lacks becomes
    `\\uXXXX` (a UTF-16 pair beyond the BMP), a byte that was not UTF-8 when read (a lone
    surrogate, compiler/escaping.py) `\\xNN`."""
    if not isinstance(exc, UnicodeEncodeError):
        raise exc
    return "".join(map(_escaped, exc.object[exc.start : exc.end])), exc.end


def _escaped(char: str) -> str:
    if has_undecodable(char):
        return undecodable(char)
    units = char.encode("utf-16-be")
    return "".join(f"\\u{int.from_bytes(units[i : i + 2], 'big'):04x}" for i in range(0, len(units), 2))


def prepare() -> None:
    """Keep closed standard descriptors from being reused by files; never fail on encoding."""
    for fd in (0, 1, 2):
        try:
            os.fstat(fd)
        except OSError:
            null = os.open(os.devnull, os.O_RDWR)  # the lowest free descriptor: often `fd` itself
            if null != fd:
                os.dup2(null, fd)
                os.close(null)
    codecs.register_error(_ESCAPE, _escape_unencodable)
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            reconfigure(errors=_ESCAPE)


def write(name: str, text: str, *, checked: bool = False) -> None:
    """Write and flush `text` to sys.stdout or sys.stderr (`name`), or raise `Unwritable`.

    Everything printed is guarded (SPEC 7.1, 7.4): once a credential or a secret value is known
    (compiler/redaction.py is loaded only then), each of its forms is masked and a line that
    still shows it once decoded is withheld, whatever put it there: a live value, a server's
    message, a name. `checked`: a JSON text whose every string was guarded already
    (`redaction.guarded_data`), which a withheld line would break."""
    if not text:
        return
    redaction = sys.modules.get("compiler.redaction")
    if redaction is not None and not checked:
        text = redaction.guarded_lines(text)
    stream: TextIO | None = getattr(sys, name)
    if stream is None:  # the descriptor was closed when the program started
        raise Unwritable(name, None)
    try:
        stream.write(text)
        stream.flush()
    except OSError as exc:
        _discard(stream)
        raise Unwritable(name, exc) from None


def _discard(stream: TextIO) -> None:
    """Point a broken stream at /dev/null, so Python's own flush at exit cannot fail again."""
    with contextlib.suppress(OSError, ValueError):
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, stream.fileno())
        os.close(null)


def unwritable_exit(exc: Unwritable) -> int:
    """Exit 1; one line on stderr when stdout failed for a reason other than a closed reader."""
    quiet = exc.cause is None or exc.cause.errno in (errno.EPIPE, errno.EBADF) or exc.name == "stderr"
    if not quiet and exc.cause is not None:
        with contextlib.suppress(Unwritable):
            write("stderr", f"astro-gitops: error: cannot write to {exc.name}: {exc.cause.strerror}\n")
    return ExitCode.INVALID
