"""A binary file with a YAML name (NUL bytes): refused before parsing."""

from pathlib import Path


def make(root: Path) -> None:
    (root / "environments" / "logo.yaml").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
