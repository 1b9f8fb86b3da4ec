"""100 nested block mappings (indentation, no brackets): deeper than the limit of 64."""

from pathlib import Path


def make(root: Path) -> None:
    lines = ["variables:", "  nested:", "    links: all", "    value:"]
    lines += ["  " * (level + 3) + f"k{level}:" for level in range(100)]
    lines[-1] += " leaf"
    (root / "environments" / "variables.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
