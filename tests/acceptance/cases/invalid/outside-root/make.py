"""Symbolic links that leave environments/: a file and a folder, neither read.

A linked folder that stays inside environments/ is silently not followed (it would
read the same files twice).
"""

from pathlib import Path


def make(root: Path) -> None:
    outside = root / "outside"
    (outside / "shared").mkdir(parents=True)
    (outside / "secrets.yaml").write_text("variables: {leak: {value: x, links: all}}\n", encoding="utf-8")
    (outside / "shared" / "pools.yaml").write_text("pools: {p: {slots: 1, links: all}}\n", encoding="utf-8")
    environments = root / "environments"
    (environments / "secrets.yaml").symlink_to(outside / "secrets.yaml")
    (environments / "shared").symlink_to(outside / "shared", target_is_directory=True)
    (environments / "again").symlink_to(environments / "deployments", target_is_directory=True)
