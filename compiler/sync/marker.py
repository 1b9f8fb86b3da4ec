"""The ownership marker at the end of a description, its signature, and the secret fingerprints it carries.

`[astro-gitops owner=OWNER branch=BRANCH fp=PART:PATH=HEX;... sig=HEX]` (SPEC 7.3, 7.4). PART is `-` for the
object's own fields or a Deployment ID for that Deployment's link; PATH is a field path
(`password`, `extra.token`, `value`), percent-encoded. One line, no newline: whether the API
keeps newlines in a description is not established. A fingerprint is HMAC-SHA256 of the
object's identity, the part, the path and the value, keyed by ASTRO_GITOPS_FINGERPRINT_KEY,
truncated to 16 hex digits: it tells "same value" from "changed" and reveals nothing else.

The signature (`sig=`, with the key set) is HMAC-SHA256 over the owner, the object's identity
(its type, key, scope and scope entity: an `ObjectKey`) and a preview's branch, truncated to
32 hex digits (128 bits). It binds the marker to the one object it was written on: a
hand-typed marker, or one copied from another object, does not verify (SPEC 7.3). The
fingerprints are not signed: each is itself keyed, and an edited one only makes plan send the
secret again.
"""

from __future__ import annotations

import enum
import hashlib
import hmac
import re
from collections.abc import Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING
from urllib.parse import quote, unquote

from compiler.model.frozen import field, frozen

if TYPE_CHECKING:
    from compiler.review.changes import ObjectKey

OWN = "-"
OWNER = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")

Fingerprints = Mapping[tuple[str, str], str]


@frozen
class Marker:
    owner: str
    branch: str | None = None
    fingerprints: Fingerprints = field(default_factory=lambda: MappingProxyType({}))
    signature: str | None = None

    def text(self) -> str:
        parts = [f"owner={self.owner}"]
        if self.branch is not None:
            parts.append(f"branch={quote(self.branch, safe='/')}")
        if self.fingerprints:
            entries = sorted(f"{p}:{quote(path, safe='.')}={h}" for (p, path), h in self.fingerprints.items())
            parts.append("fp=" + ";".join(entries))
        if self.signature is not None:
            parts.append(f"sig={self.signature}")
        return "[astro-gitops " + " ".join(parts) + "]"


def signed(
    owner: str,
    identity: ObjectKey,
    key: bytes | None,
    *,
    branch: str | None = None,
    fingerprints: Fingerprints | None = None,
    live: str | None = None,
) -> Marker:
    """The marker `apply` writes on the object `identity` (whose description is `live`, None
    for a create): signed when the key is set. Without the key, the signature of the live
    marker of this owner and branch is kept (it still binds the same owner, object and branch),
    so a run without the key (a pull request's plan, a laptop) never strips a signature."""
    if key is not None:
        sig: str | None = signature(key, owner, identity, branch)
    else:
        _, found = split(live)
        sig = found.signature if found is not None and (found.owner, found.branch) == (owner, branch) else None
    return Marker(owner, branch, MappingProxyType(dict(fingerprints or {})), sig)


def signature(key: bytes, owner: str, identity: ObjectKey, branch: str | None) -> str:
    """HMAC-SHA256 (keyed by ASTRO_GITOPS_FINGERPRINT_KEY) over the owner, the object's type,
    key, scope and scope entity, and a preview's branch: 32 hex digits."""
    fields = (
        "astro-gitops marker 1",
        owner,
        identity.object_type,
        identity.object_key,
        identity.scope,
        identity.scope_entity_id,
        branch or "",
    )
    return hmac.new(key, "\0".join(fields).encode(), hashlib.sha256).hexdigest()[:32]


MALFORMED = "(a malformed marker)"  # the owner of a marker that breaks the rules: never a real owner
_FIELDS = frozenset({"owner", "branch", "fp", "sig"})
_SIGNATURE = re.compile(r"[0-9a-f]{32}")


def split(description: str | None) -> tuple[str, Marker | None]:
    """The user's description and the marker at its end (None when there is none).

    Strict (SPEC 7.3): a marker names one owner, once, and only the known fields, each once; any
    other marker (`owner=a owner=b`, an unknown field, an owner that is no owner name) is told
    as owned by MALFORMED, which no repository is: it is never ours."""
    text = description or ""
    found = _found(text)
    if found is None:
        return text, None
    start, fields = found
    items = [item.split("=", 1) for item in fields.split()]
    values = dict(items)
    owner = values.get("owner", "")
    sig = values.get("sig")
    if (
        len(values) != len(items)
        or not set(values) <= _FIELDS
        or not OWNER.fullmatch(owner)
        or (sig is not None and not _SIGNATURE.fullmatch(sig))
    ):
        return text[:start], Marker(MALFORMED)
    fingerprints: dict[tuple[str, str], str] = {}
    for entry in filter(None, values.get("fp", "").split(";")):
        where, _, digest = entry.rpartition("=")
        part, _, path = where.partition(":")
        if part and path and digest:
            fingerprints[(part, unquote(path))] = digest
    branch = unquote(values["branch"]) if "branch" in values else None
    return text[:start], Marker(owner, branch, MappingProxyType(fingerprints), sig)


_OPEN = "[astro-gitops"
_ITEM = re.compile(r"[a-z]+=")


def _found(text: str) -> tuple[int, str] | None:
    """Where the user's text before the marker at the end of `text` ends (the whitespace before
    the marker left out) and the marker's fields (` NAME=VALUE` each, a VALUE holding no
    whitespace and no `]`); None when `text` ends in no marker. The leftmost `[astro-gitops`
    that opens a well-formed end wins, as searching `\\s*\\[astro-gitops((?: [a-z]+=[^\\s\\]]*)*)\\]\\s*$`
    would find it.

    Linear in the length of `text`: a regular expression searched from every position took
    quadratic time on a description of many `[astro-gitops a=b` (a 140 KB one held plan 14 s)."""
    end = len(text.rstrip())
    if end == 0 or text[end - 1] != "]":
        return None
    close = end - 1
    low = close
    while low > 0 and text[low - 1] != "]" and (text[low - 1] == " " or not text[low - 1].isspace()):
        low -= 1  # the fields hold no `]` and no whitespace but the single spaces between them
    window = text[low:close]
    # Whether the fields from each space of the window to its end are all `NAME=VALUE`.
    valid_from: dict[int, bool] = {len(window): True}
    spaces = [i for i, c in enumerate(window) if c == " "]
    following = len(window)
    for space in reversed(spaces):
        token = window[space + 1 : following]
        valid_from[space] = bool(_ITEM.match(token)) and valid_from[following]
        following = space
    at = window.find(_OPEN)
    while at != -1:
        after = at + len(_OPEN)
        if after == len(window) or (window[after] == " " and valid_from.get(after, False)):
            return len(text[: low + at].rstrip()), text[low + after : close]
        at = window.find(_OPEN, at + 1)
    return None


class Standing(enum.Enum):
    """How a live object's marker stands to this repository (SPEC 7.3)."""

    OURS = "ours"  # our owner, and with the key set a signature that verifies
    UNSIGNED = "unsigned"  # our owner without a signature, while the key is set: adopt once to sign
    FORGED = "forged"  # our owner, a signature that does not verify: typed, copied or another key
    OTHER = "other"  # another owner, or a malformed marker
    NONE = "none"  # no marker


def standing(mark: Marker | None, owner: str, key: bytes | None, identity: ObjectKey) -> Standing:
    """Whether the marker `mark`, found on the live object `identity`, makes it ours. Without
    the key a marker of our owner is ours (nothing can be verified); with it only a signature
    over this owner, this object and the marker's branch is."""
    if mark is None:
        return Standing.NONE
    if mark.owner != owner or mark.owner == MALFORMED:
        return Standing.OTHER
    if key is None:
        return Standing.OURS
    if mark.signature is None:
        return Standing.UNSIGNED
    expected = signature(key, owner, identity, mark.branch)
    return Standing.OURS if hmac.compare_digest(expected, mark.signature) else Standing.FORGED


def ours(description: str | None, owner: str, key: bytes | None, identity: ObjectKey) -> bool:
    """Whether the live object `identity` with this description is ours to update or delete."""
    return standing(split(description)[1], owner, key, identity) is Standing.OURS


def told(mark: Marker | None, owner: str, key: bytes | None, identity: ObjectKey) -> str:
    """How a marker that does not make the object ours is told in a message: what was found."""
    found = standing(mark, owner, key, identity)
    if found is Standing.UNSIGNED:
        return f"an unsigned marker of owner '{owner}' (typed by hand, or written without ASTRO_GITOPS_FINGERPRINT_KEY)"
    if found is Standing.FORGED:
        return (
            f"a marker of owner '{owner}' whose signature does not verify (typed by hand, copied from "
            "another object, or signed with another ASTRO_GITOPS_FINGERPRINT_KEY)"
        )
    return f"{_whose(mark)}, not '{owner}'"


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
    _, mine = split(sent)
    _, theirs = split(found)
    return (
        mine is not None
        and theirs is not None
        and mine.owner != MALFORMED
        and (theirs.owner, theirs.branch) == (mine.owner, mine.branch)
        # A signed marker is bound to the object it was sent for: the same signature, or not ours.
        and (mine.signature is None or hmac.compare_digest(mine.signature, theirs.signature or ""))
    )


def whose(description: str | None) -> str:
    """How the owner of a description is told in a message."""
    return _whose(split(description)[1])


def _whose(mark: Marker | None) -> str:
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


def whose_preview(mark: Marker) -> str:
    """Whose our marker says a Deployment is, where a preview was wanted: a branch's, or (no
    branch) one of the repository's Deployments of deployments/, which is no preview at all."""
    if mark.branch is None:
        return "is marked as this repository's Deployment of no branch (one of deployments/, not a preview)"
    return f"belongs to branch '{mark.branch}'"
