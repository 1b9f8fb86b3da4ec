"""A Latin-1 file: not UTF-8, reported at the first byte that is not."""

from pathlib import Path


def make(root: Path) -> None:
    text = "variables:\n  greeting:\n    value: café\n    links: all\n"
    (root / "environments" / "variables.yaml").write_bytes(text.encode("latin-1"))
