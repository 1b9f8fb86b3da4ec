"""Writing rendered files: atomic, only when changed, never over a file we did not write.

A manifest in the output folder lists what render wrote; a file at an output path that
is not in it and differs is someone else's, and render refuses to replace it.
"""

from __future__ import annotations

import difflib
import json
import os
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from .errors import OperationError

MANIFEST = ".astro-gitops-manifest.json"


@dataclass(frozen=True)
class WriteResult:
    written: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)


def _current(out: Path, relative: str) -> str | None:
    try:
        return (out / relative).read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        raise OperationError(f"cannot read {out / relative}: {type(exc).__name__}") from None


def _manifest(out: Path) -> set[str]:
    try:
        listed = json.loads((out / MANIFEST).read_text(encoding="utf-8"))
        return {str(p) for p in listed.get("files", [])}
    except (FileNotFoundError, ValueError, AttributeError):
        return set()


def changes(out: Path, files: Mapping[str, str]) -> dict[str, str | None]:
    """The files whose content differs from what is on disk, with their current text."""
    result = {}
    for relative, text in files.items():
        current = _current(out, relative)
        if current != text:
            result[relative] = current
    return result


def write(out: Path, files: Mapping[str, str]) -> WriteResult:
    """Write what changed, each file through a temporary file and a rename."""
    pending = changes(out, files)
    ours = _manifest(out)
    foreign = sorted(p for p, current in pending.items() if current is not None and p not in ours)
    if foreign:
        raise OperationError(
            "refusing to overwrite file(s) astro-gitops did not write: "
            + ", ".join(str(out / p) for p in foreign)
            + " (move them away or choose another --out)"
        )
    for relative in sorted(pending):
        _atomic_write(out / relative, files[relative])
    if pending or not (out / MANIFEST).exists():
        _atomic_write(out / MANIFEST, json.dumps({"files": sorted(ours | set(files))}, indent=2) + "\n")
    unchanged = sorted(set(files) - set(pending))
    return WriteResult(written=sorted(pending), unchanged=unchanged)


def _atomic_write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def drift(out: Path, files: Mapping[str, str], label: str) -> str:
    """A unified diff of what `render` would change under `out` (empty: no drift)."""
    parts: list[str] = []
    for relative, current in sorted(changes(out, files).items()):
        old = (current or "").splitlines(keepends=True)
        new = files[relative].splitlines(keepends=True)
        before = f"{label}/{relative}" if current is not None else "/dev/null"
        parts.extend(difflib.unified_diff(old, new, before, f"{label}/{relative}"))
    return "".join(p if p.endswith("\n") else p + "\n" for p in parts)
