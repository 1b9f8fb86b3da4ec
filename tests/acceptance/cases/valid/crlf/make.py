"""Every file has CRLF line ends (a checkout with core.autocrlf=true)."""

from pathlib import Path


def make(root: Path) -> None:
    for path in (root / "environments").rglob("*.yaml"):
        path.write_bytes(path.read_bytes().replace(b"\n", b"\r\n"))
