"""Ownership markers and their signatures (compiler/sync/marker.py, SPEC 7.3): pure functions.

The signature's format is pinned against tests/support/signed_markers.py, written from the
documentation alone; what the installed command does with markers a server holds is in
tests/acceptance/test_signed_markers.py.
"""

from __future__ import annotations

import pytest
from support.signed_markers import marker as documented

from compiler.review.changes import ObjectKey
from compiler.sync import marker as markers
from compiler.sync.marker import Standing

KEY = b"a-fingerprint-key-of-16+-bytes"
OWNER = "data-platform"
BUCKET = ObjectKey("data_bucket", "AIRFLOW_VARIABLE", "WORKSPACE", "ws0001")
OTHER = ObjectKey("other_bucket", "AIRFLOW_VARIABLE", "WORKSPACE", "ws0001")


def standing(description: str, identity: ObjectKey = BUCKET, key: bytes | None = KEY) -> Standing:
    return markers.standing(markers.split(description)[1], OWNER, key, identity)


def test_the_written_marker_is_the_documented_one() -> None:
    written = markers.signed(OWNER, BUCKET, KEY).text()
    assert written == documented(OWNER, *_fields(BUCKET), key=KEY.decode())
    preview = ObjectKey("dev-feature-x", "DEPLOYMENT", "WORKSPACE", "ws0001")
    with_branch = markers.signed(OWNER, preview, KEY, branch="feature/x").text()
    assert with_branch == documented(OWNER, *_fields(preview), branch="feature/x", key=KEY.decode())


def _fields(key: ObjectKey) -> tuple[str, str, str, str]:
    return key.object_type, key.object_key, key.scope, key.scope_entity_id


def test_a_signed_marker_reads_back_as_ours_after_a_user_description() -> None:
    description = markers.join("  the bucket\tof data ", markers.signed(OWNER, BUCKET, KEY))
    assert standing(description) is Standing.OURS
    assert markers.ours(description, OWNER, KEY, BUCKET)


@pytest.mark.parametrize(
    ("description", "expected"),
    [
        ("[astro-gitops owner=data-platform]", Standing.UNSIGNED),  # hand-typed, or written without the key
        ("[astro-gitops owner=data-platform sig=" + "0" * 32 + "]", Standing.FORGED),
        ("[astro-gitops owner=someone-else]", Standing.OTHER),
        ("[astro-gitops owner=data-platform sig=short]", Standing.OTHER),  # malformed: never ours
        ("[astro-gitops owner=data-platform sig=a sig=b]", Standing.OTHER),
        ("made by hand", Standing.NONE),
    ],
)
def test_with_the_key_only_a_verified_signature_is_ours(description: str, expected: Standing) -> None:
    assert standing(description) is expected
    assert not markers.ours(description, OWNER, KEY, BUCKET)


def test_a_marker_copied_to_another_object_or_signed_with_another_key_is_not_ours() -> None:
    ours = markers.signed(OWNER, BUCKET, KEY).text()
    assert standing(ours, OTHER) is Standing.FORGED  # copied onto another key
    assert standing(ours, BUCKET, b"another-key-of-16+-bytes") is Standing.FORGED
    moved = ObjectKey(BUCKET.object_key, BUCKET.object_type, "WORKSPACE", "ws0002")
    assert standing(ours, moved) is Standing.FORGED  # copied into another workspace
    preview = ObjectKey("dev-feature-x", "DEPLOYMENT", "WORKSPACE", "ws0001")
    signed_for_x = markers.signed(OWNER, preview, KEY, branch="feature/x").text()
    retargeted = signed_for_x.replace("branch=feature/x", "branch=feature/y")
    assert standing(retargeted, preview) is Standing.FORGED  # the branch is signed too


def test_without_the_key_a_marker_of_our_owner_is_ours_as_before() -> None:
    assert standing("[astro-gitops owner=data-platform]", key=None) is Standing.OURS
    assert standing("[astro-gitops owner=someone-else]", key=None) is Standing.OTHER


def test_a_run_without_the_key_keeps_the_live_signature_and_never_strips_it() -> None:
    live = markers.join("d", markers.signed(OWNER, BUCKET, KEY))
    rewritten = markers.signed(OWNER, BUCKET, None, live=live)
    assert rewritten.signature == markers.split(live)[1].signature  # type: ignore[union-attr]
    assert standing(rewritten.text()) is Standing.OURS
    # a live marker of another owner or branch lends nothing
    foreign = markers.join("d", markers.Marker("someone-else", None, signature="f" * 32))
    assert markers.signed(OWNER, BUCKET, None, live=foreign).signature is None


def test_an_ambiguous_create_claims_only_what_carries_the_signature_sent() -> None:
    sent = markers.join("d", markers.signed(OWNER, BUCKET, KEY))
    assert markers.claims(sent, sent)
    assert not markers.claims(sent, "[astro-gitops owner=data-platform]")  # typed by hand
    assert not markers.claims(sent, markers.signed(OWNER, OTHER, KEY).text())  # another object's


def test_a_refusal_says_what_was_found() -> None:
    assert "unsigned marker" in markers.told(markers.split("[astro-gitops owner=data-platform]")[1], OWNER, KEY, BUCKET)
    forged = markers.split("[astro-gitops owner=data-platform sig=" + "0" * 32 + "]")[1]
    assert "does not verify" in markers.told(forged, OWNER, KEY, BUCKET)
    assert markers.told(None, OWNER, KEY, BUCKET) == "no astro-gitops marker, not 'data-platform'"
