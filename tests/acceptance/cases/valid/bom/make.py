"""Every file starts with a UTF-8 byte order mark (as Windows editors write them)."""

from pathlib import Path


def make(root: Path) -> None:
    for path in (root / "environments").rglob("*.yaml"):
        path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
