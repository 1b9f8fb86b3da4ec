"""The ownership marker at the end of a description, and the secret fingerprints it carries.

`[astro-gitops owner=OWNER fp=PART:PATH=HEX;...]` (SPEC 7.3, 7.4). PART is `-` for the
object's own fields or a Deployment ID for that Deployment's link; PATH is a field path
(`password`, `extra.token`, `value`), percent-encoded. One line, no newline: whether the API
keeps newlines in a description is not established. A fingerprint is HMAC-SHA256 of the
object's identity, the part, the path and the value, keyed by ASTRO_GITOPS_FINGERPRINT_KEY,
truncated to 16 hex digits: it tells "same value" from "changed" and reveals nothing else.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from urllib.parse import quote, unquote

OWN = "-"
_MARKER = re.compile(r"\s*\[astro-gitops((?: [a-z]+=[^\s\]]*)*)\]\s*$")
OWNER = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")

Fingerprints = Mapping[tuple[str, str], str]


@dataclass(frozen=True)
class Marker:
    owner: str
    branch: str | None = None
    fingerprints: Fingerprints = field(default_factory=lambda: MappingProxyType({}))

    def text(self) -> str:
        parts = [f"owner={self.owner}"]
        if self.branch is not None:
            parts.append(f"branch={quote(self.branch, safe='/')}")
        if self.fingerprints:
            entries = sorted(f"{p}:{quote(path, safe='.')}={h}" for (p, path), h in self.fingerprints.items())
            parts.append("fp=" + ";".join(entries))
        return "[astro-gitops " + " ".join(parts) + "]"


MALFORMED = "(a malformed marker)"  # the owner of a marker that breaks the rules: never a real owner
_FIELDS = frozenset({"owner", "branch", "fp"})


def split(description: str | None) -> tuple[str, Marker | None]:
    """The user's description and the marker at its end (None when there is none).

    Strict (SPEC 7.3): a marker names one owner, once, and only the known fields, each once; any
    other marker (`owner=a owner=b`, an unknown field, an owner that is no owner name) is told
    as owned by MALFORMED, which no repository is: it is never ours."""
    text = description or ""
    found = _MARKER.search(text)
    if not found:
        return text, None
    items = [item.split("=", 1) for item in found.group(1).split()]
    values = dict(items)
    owner = values.get("owner", "")
    if len(values) != len(items) or not set(values) <= _FIELDS or not OWNER.fullmatch(owner):
        return text[: found.start()], Marker(MALFORMED)
    fingerprints: dict[tuple[str, str], str] = {}
    for entry in filter(None, values.get("fp", "").split(";")):
        where, _, digest = entry.rpartition("=")
        part, _, path = where.partition(":")
        if part and path and digest:
            fingerprints[(part, unquote(path))] = digest
    branch = unquote(values["branch"]) if "branch" in values else None
    return text[: found.start()], Marker(owner, branch, MappingProxyType(fingerprints))


def join(description: str | None, marker: Marker) -> str:
    """The user's description (if any, normalized), a space, the marker."""
    text = normal(description)
    return f"{text} {marker.text()}" if text else marker.text()


def normal(description: str | None) -> str:
    """A user's description as it is sent and compared: runs of whitespace (spaces, tabs, line
    breaks) made one space, none at either end. The marker sits after it on the same line and
    `split` drops the whitespace before a marker, so only a normalized text reads back as sent:
    any other would be rewritten by every apply (issue 21, K5)."""
    return " ".join((description or "").split())


def claims(sent: str | None, found: str | None) -> bool:
    """Whether the description `found` on a server carries the marker of the description we
    `sent`: the same owner and the same preview branch (the ownership rule of an ambiguous or
    conflicting create, SPEC 7.3)."""
    _, ours = split(sent)
    _, theirs = split(found)
    return (
        ours is not None
        and theirs is not None
        and ours.owner != MALFORMED
        and (theirs.owner, theirs.branch) == (ours.owner, ours.branch)
    )


def whose(description: str | None) -> str:
    """How the owner of a description is told in a message."""
    _, mark = split(description)
    if mark is None:
        return "no astro-gitops marker"
    return (
        MALFORMED
        if mark.owner == MALFORMED
        else f"owner '{mark.owner}'" + (f" (branch {mark.branch})" if mark.branch else "")
    )


def fingerprint(key: bytes, identity: str, part: str, path: str, value: str) -> str:
    message = "\0".join((identity, part, path, value)).encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()[:16]
