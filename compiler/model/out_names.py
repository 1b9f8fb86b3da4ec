"""Names that become paths inside --out: one safe, portable segment each, and distinct where
a file system ignores case or normalises Unicode (Deployment names become folders)."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable

OBJECTS_FILE = "environment-objects.json"  # the workspace view, at the top of --out
MANIFEST = ".astro-gitops-manifest.json"  # what render wrote (it never deletes anything else)
LOCK = ".astro-gitops.lock"  # one render at a time into one folder
BOOKKEEPING = frozenset({MANIFEST, LOCK})  # render's own files in --out, beside the outputs
# The names render itself uses at the top of --out: a Deployment folder may not take them.
TOP_LEVEL_FILES = frozenset({OBJECTS_FILE, *BOOKKEEPING})

MAX_SEGMENT = 100  # characters of one name used as a folder (bytes: at most 255, any file system)
# Names Windows reserves for devices, with or without an extension (`con.yaml` too).
_RESERVED = {"con", "prn", "aux", "nul", *(f"{p}{i}" for p in ("com", "lpt") for i in range(1, 10))}
_SEPARATORS = set("/\\")  # POSIX and Windows


def segment_problem(name: str) -> str | None:
    """Why `name` cannot be one folder or file name inside --out; None when it can.

    Deployment names become folders, so they must be a single, portable path segment:
    not empty, `.` or `..`, no separator (`/` or `\\`), no control or invisible format
    character, not a Windows device name, no leading dot (hidden, and
    the manifest's place) and no trailing dot or space (Windows drops them).
    """
    if name in ("", ".", ".."):
        return "is not a folder name"
    if any(c in _SEPARATORS for c in name):
        return "holds a path separator"
    if any(unicodedata.category(c) in ("Cc", "Cf", "Cs", "Zl", "Zp") for c in name):
        return "holds a control or invisible character"
    if len(name) > MAX_SEGMENT or len(name.encode("utf-8", "surrogatepass")) > 255:
        return f"is longer than {MAX_SEGMENT} characters"
    if name.startswith(".") or name[0].isspace() or name[-1] in ". " or name[-1].isspace():
        return "starts with a dot or a space, or ends with one"
    if name.split(".")[0].rstrip().casefold() in _RESERVED:
        return "is a device name on Windows"
    return None


def fold(relative: str) -> str:
    """The form under which two paths are one file on a case-insensitive or normalising file system."""
    return unicodedata.normalize("NFC", relative).casefold()


def collisions(names: Iterable[str]) -> list[tuple[str, str]]:
    """Pairs of distinct names that are one path after `fold`, each pair once."""
    seen: dict[str, str] = {}
    found = []
    for name in sorted(set(names)):
        other = seen.setdefault(fold(name), name)
        if other != name:
            found.append((other, name))
    return found
