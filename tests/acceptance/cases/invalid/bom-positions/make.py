"""A UTF-8 byte order mark is not a column: the key on line 1 is at column 1."""

from pathlib import Path


def make(root: Path) -> None:
    text = "varaibles:\n  bucket: {value: s3://x, links: all}\n"
    (root / "environments" / "variables.yaml").write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
