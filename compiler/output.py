"""Writing rendered files: atomic, only when changed, never over a file we did not write.

A manifest in the output folder lists what render wrote; a file at an output path that
is not in it and differs is someone else's, and render refuses to replace it. The
manifest also remembers which lines of a file hold resolved secret values (never the
values), so that a later `--check` diff can hide them even after the secrets changed.
"""

from __future__ import annotations

import difflib
import json
import os
import re
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from .errors import OperationError

MANIFEST = ".astro-gitops-manifest.json"
MASK = "***"

# Line numbers (0-based) of the lines of each file that hold a resolved secret.
SecretLines = Mapping[str, Sequence[int]]


@dataclass(frozen=True)
class WriteResult:
    written: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Manifest:
    files: frozenset[str] = frozenset()
    secret_lines: Mapping[str, tuple[int, ...]] = field(default_factory=dict)

    def text(self) -> str:
        body = {"files": sorted(self.files), "secret_lines": {p: list(n) for p, n in sorted(self.secret_lines.items())}}
        return json.dumps(body, indent=2) + "\n"


def lines(text: str) -> list[str]:
    """The lines of a text with their ends; only '\\n' ends a line (as in the files we write)."""
    return re.findall(r"[^\n]*\n|[^\n]+$", text)


def secret_lines(revealed: Mapping[str, str], redacted: Mapping[str, str]) -> dict[str, tuple[int, ...]]:
    """Where two renderings, with secret values and with placeholders, differ: the secret lines."""
    found = {}
    for relative, text in revealed.items():
        real, placeholder = lines(text), lines(redacted[relative])
        if len(real) != len(placeholder):  # never expected; then every line counts as secret
            found[relative] = tuple(range(len(real)))
        else:
            found[relative] = tuple(i for i, (a, b) in enumerate(zip(real, placeholder, strict=True)) if a != b)
    return {p: n for p, n in found.items() if n}


def _current(out: Path, relative: str) -> str | None:
    try:
        return (out / relative).read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        raise OperationError(f"cannot read {out / relative}: {type(exc).__name__}") from None


def read_manifest(out: Path) -> Manifest:
    try:
        listed = json.loads((out / MANIFEST).read_text(encoding="utf-8"))
        secret = {str(p): tuple(int(i) for i in n) for p, n in (listed.get("secret_lines") or {}).items()}
        return Manifest(frozenset(str(p) for p in listed.get("files", [])), secret)
    except (OSError, ValueError, AttributeError, TypeError):
        return Manifest()


def changes(out: Path, files: Mapping[str, str]) -> dict[str, str | None]:
    """The files whose content differs from what is on disk, with their current text."""
    result = {}
    for relative, text in files.items():
        current = _current(out, relative)
        if current != text:
            result[relative] = current
    return result


def write(out: Path, files: Mapping[str, str], secret: SecretLines | None = None) -> WriteResult:
    """Write what changed, each file through a temporary file and a rename."""
    pending = changes(out, files)
    manifest = read_manifest(out)
    foreign = sorted(p for p, current in pending.items() if current is not None and p not in manifest.files)
    if foreign:
        raise OperationError(
            "refusing to overwrite file(s) astro-gitops did not write: "
            + ", ".join(str(out / p) for p in foreign)
            + " (move them away or choose another --out)"
        )
    # The manifest claims the files before they are written: a run that fails half-way
    # leaves files that the next run still knows as its own.
    _claim(out, manifest, files, secret or {})
    for relative in sorted(pending):
        _atomic_write(out / relative, files[relative])
    unchanged = sorted(set(files) - set(pending))
    return WriteResult(written=sorted(pending), unchanged=unchanged)


def _claim(out: Path, manifest: Manifest, files: Mapping[str, str], secret: SecretLines) -> None:
    kept = {p: n for p, n in manifest.secret_lines.items() if p not in files}
    updated = Manifest(manifest.files | set(files), {**kept, **{p: tuple(n) for p, n in secret.items() if n}})
    if _current(out, MANIFEST) != updated.text():
        _atomic_write(out / MANIFEST, updated.text())


def _atomic_write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.chmod(temporary, 0o666 & ~_umask())  # mkstemp makes 0600; a rendered file is an ordinary file
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


def drift(out: Path, files: Mapping[str, str], label: str, secret: SecretLines | None = None) -> str:
    """A unified diff of what `render` would change under `out` (empty: no drift).

    Lines that hold a secret value, in the new text or (per the manifest) in the file on
    disk, show only their key: a diff is printed, and secret values never are. A file on
    disk that the manifest does not list (it went missing, or someone else wrote the file)
    may hold a secret on any line: of it, only lines the new text also has are shown.
    """
    manifest = read_manifest(out)
    parts = []
    for relative, current in sorted(changes(out, files).items()):
        new = _masked(lines(files[relative]), (secret or {}).get(relative, ()))
        if relative in manifest.files:
            old = _masked(lines(current or ""), manifest.secret_lines.get(relative, ()))
        else:
            shown = set(new)
            old = [line if line in shown else _mask_line(line) for line in lines(current or "")]
        before = f"{label}/{relative}" if current is not None else "/dev/null"
        hunks = list(difflib.unified_diff(old, new, before, f"{label}/{relative}"))
        parts.extend(hunks or [f"{label}/{relative}: secret values differ (not shown)\n"])
    return "".join(p if p.endswith("\n") else p + "\n" for p in parts)


def _masked(text: list[str], secret: Sequence[int]) -> list[str]:
    hidden = set(secret)
    return [_mask_line(line) if i in hidden else line for i, line in enumerate(text)]


def _mask_line(line: str) -> str:
    """`  key: value` -> `  key: ***` (a line without a key keeps only its indentation)."""
    head, colon, _ = line.partition(": ")
    if not colon:
        head = line[: len(line) - len(line.lstrip())]
    return f"{head}{colon}{MASK}\n"
