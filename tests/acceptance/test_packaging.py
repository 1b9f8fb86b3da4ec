"""What the wheel ships: every package of compiler/ (a clean `pip install .` had no compiler.sync)."""

from __future__ import annotations

import re

from conftest import REPO


def listed_packages() -> set[str]:
    text = (REPO / "pyproject.toml").read_text(encoding="utf-8")
    block = re.search(r"^packages = \[(.*?)\]", text, re.MULTILINE | re.DOTALL)
    assert block, "pyproject.toml lists no packages under [tool.setuptools]"
    return set(re.findall(r'"([\w.]+)"', block.group(1)))


def test_every_package_of_compiler_is_in_the_wheel() -> None:
    found = {
        ".".join(init.parent.relative_to(REPO).parts)
        for init in (REPO / "compiler").rglob("__init__.py")
        if "__pycache__" not in init.parts
    }
    assert found - listed_packages() == set()
