"""The floor of `render --all`: what any tool that reads the input and writes the output must do.

    python benchmarks/floor.py ENVIRONMENTS REFERENCE OUT

Parses every YAML file under ENVIRONMENTS with ruamel's C loader (YAML(typ="safe"), which
uses ruamel.yaml.clib's parser when it is installed, as astro-gitops does), then writes the
bytes of every file under REFERENCE (an earlier `render --all --out REFERENCE`) to the same
relative path under OUT, creating folders as it goes. run.py runs it on the same interpreter
as the command it compares, in turns with it.
"""

from __future__ import annotations

import sys
from pathlib import Path

from ruamel.yaml import YAML


def parse(environments: Path) -> int:
    """Parse every *.yaml under `environments`; the number of documents read."""
    loader = YAML(typ="safe", pure=False)
    documents = 0
    for path in sorted(environments.rglob("*.yaml")):
        with path.open("rb") as handle:
            documents += sum(1 for _ in loader.load_all(handle))
    return documents


def copy_bytes(reference: Path, out: Path) -> int:
    """Write each file of `reference` (the lock file aside) under `out`; the bytes written."""
    written = 0
    for path in sorted(reference.rglob("*")):
        if path.is_file() and path.name != ".astro-gitops.lock":
            target = out / path.relative_to(reference)
            target.parent.mkdir(parents=True, exist_ok=True)
            written += target.write_bytes(path.read_bytes())
    return written


def main(argv: list[str]) -> int:
    environments, reference, out = (Path(a) for a in argv)
    parse(environments)
    copy_bytes(reference, out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
