"""CRLF line ends: lines and columns are counted as with LF."""

from pathlib import Path


def make(root: Path) -> None:
    text = "variables:\r\n  bucket:\r\n    value: s3://x\r\n    links: [prdo]\r\n"
    (root / "environments" / "variables.yaml").write_bytes(text.encode("utf-8"))
