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


def split(description: str | None) -> tuple[str, Marker | None]:
    """The user's description and the marker at its end (None when there is none)."""
    text = description or ""
    found = _MARKER.search(text)
    if not found:
        return text, None
    values = dict(item.split("=", 1) for item in found.group(1).split())
    owner = values.get("owner", "")
    fingerprints: dict[tuple[str, str], str] = {}
    for entry in filter(None, values.get("fp", "").split(";")):
        where, _, digest = entry.rpartition("=")
        part, _, path = where.partition(":")
        if part and path and digest:
            fingerprints[(part, unquote(path))] = digest
    branch = unquote(values["branch"]) if "branch" in values else None
    return text[: found.start()], Marker(owner, branch, MappingProxyType(fingerprints))


def join(description: str | None, marker: Marker) -> str:
    """The user's description (if any), a space, the marker."""
    return f"{description} {marker.text()}" if description else marker.text()


def fingerprint(key: bytes, identity: str, part: str, path: str, value: str) -> str:
    message = "\0".join((identity, part, path, value)).encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()[:16]
