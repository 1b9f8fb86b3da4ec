"""Ownership markers as SPEC 7.3 describes them, written independently of compiler/sync/marker.py.

Tests seed live objects "as after an apply" with these: a signature here is computed from the
documented fields (HMAC-SHA256, keyed by ASTRO_GITOPS_FINGERPRINT_KEY, over the owner, the
object's type, key, scope and scope entity, and a preview's branch; 32 hex digits), so a change
of the format in the compiler that the documentation does not follow makes the tests fail.
"""

from __future__ import annotations

import hashlib
import hmac
from urllib.parse import quote

SEED_KEY = "fingerprint-key-for-tests"  # the key seeded markers are signed with


def marker(
    owner: str,
    object_type: str,
    object_key: str,
    scope: str,
    scope_entity_id: str,
    *,
    branch: str | None = None,
    key: str | None = SEED_KEY,
) -> str:
    """`[astro-gitops owner=OWNER branch=BRANCH sig=HEX]` (branch and sig only when given)."""
    parts = [f"owner={owner}"]
    if branch is not None:
        parts.append(f"branch={quote(branch, safe='/')}")
    if key is not None:
        fields = ("astro-gitops marker 1", owner, object_type, object_key, scope, scope_entity_id, branch or "")
        digest = hmac.new(key.encode(), "\0".join(fields).encode(), hashlib.sha256).hexdigest()[:32]
        parts.append(f"sig={digest}")
    return "[astro-gitops " + " ".join(parts) + "]"


def deployment_marker(
    owner: str, name: str, workspace_id: str, *, branch: str | None = None, key: str | None = SEED_KEY
) -> str:
    """The marker of the Deployment `name` of workspace `workspace_id` (a preview's with `branch`)."""
    return marker(owner, "DEPLOYMENT", name, "WORKSPACE", workspace_id, branch=branch, key=key)


def workspace_id(name: str) -> str:
    """The ID seeds give the workspace `name`: the server's format (a prefix and digits, 25 characters)."""
    return "ws" + str(int(hashlib.sha256(name.encode()).hexdigest()[:16], 16)).zfill(23)[-23:]
