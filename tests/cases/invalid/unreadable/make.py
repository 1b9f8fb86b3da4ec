"""A dangling symbolic link inside environments/: the file cannot be read."""

from pathlib import Path


def make(root: Path) -> None:
    (root / "environments" / "gone.yaml").symlink_to(root / "environments" / "deleted.yaml")
