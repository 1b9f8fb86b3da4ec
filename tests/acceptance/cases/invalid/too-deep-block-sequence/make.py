"""5,000 nested block sequences on one line (`- - - ... x`): the parser's recursion is bounded."""

from pathlib import Path


def make(root: Path) -> None:
    (root / "environments" / "variables.yaml").write_text("- " * 5000 + "x\n", encoding="utf-8")
