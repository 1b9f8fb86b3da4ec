"""A 10 MB objects file: refused by its size, before it is read."""

from pathlib import Path


def make(root: Path) -> None:
    line = b"# " + b"x" * 1021 + b"\n"
    (root / "environments" / "huge.yaml").write_bytes(b"variables: {}\n" + line * (10 * 1024))
