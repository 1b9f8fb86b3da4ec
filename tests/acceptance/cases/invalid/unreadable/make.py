"""Symbolic links inside environments/ that lead to no file: a dangling one, and a loop."""

from pathlib import Path


def make(root: Path) -> None:
    (root / "environments" / "gone.yaml").symlink_to(root / "environments" / "deleted.yaml")
    (root / "environments" / "loop.yaml").symlink_to("loop.yaml")
