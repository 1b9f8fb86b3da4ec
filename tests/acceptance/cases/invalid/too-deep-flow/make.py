"""5,000 nested flow sequences: stopped before the recursive parser sees them."""

from pathlib import Path


def make(root: Path) -> None:
    depth = 5000
    text = "variables:\n  nested:\n    value: " + "[" * depth + "]" * depth + "\n    links: all\n"
    (root / "environments" / "variables.yaml").write_text(text, encoding="utf-8")
