"""Every command's values are made by model/frozen.py, not by dataclasses (issue 26).

Importing dataclasses costs ~6 ms (it imports inspect) and each class it makes ~0.4 ms; the
modules of plan, apply, render, diff and import made about seventy. Behaviour, not text: a
fresh interpreter imports the package's modules and reports whether dataclasses was loaded.
"""

from __future__ import annotations

import pkgutil
from pathlib import Path

from conftest import run_python

import compiler

# Third-party libraries that import dataclasses themselves, each loaded by one module of ours
# only when it is needed: pydantic (the JSON documents), httpcore (a request's deadline).
THIRD_PARTY = {"compiler.report.documents", "compiler.remote.deadline"}


def test_the_commands_modules_do_not_import_dataclasses() -> None:
    names = sorted(
        m.name
        for m in pkgutil.walk_packages(compiler.__path__, "compiler.")
        if m.name not in THIRD_PARTY and not m.name.endswith("__main__")
    )
    probe = f"import sys, importlib\nfor name in {names!r}:\n importlib.import_module(name)\nprint('dataclasses' in sys.modules)"
    assert len(names) > 100
    assert run_python("-c", probe, check=True).stdout.split() == ["False"]


def test_diff_imports_no_dataclasses(example_repo: Path) -> None:
    """A whole `diff` run: its stages, and the values they make, are all frozen.py's."""
    probe = (
        "import sys; from compiler.cli import main; code = main(['--root', sys.argv[1], 'diff', 'HEAD', 'HEAD']); "
        "print(code, 'dataclasses' in sys.modules)"
    )
    assert run_python("-c", probe, str(example_repo), check=True).stdout.split()[-2:] == ["0", "False"]
