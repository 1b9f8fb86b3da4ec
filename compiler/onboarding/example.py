"""`init`'s example connection, retired by `import`.

`init` writes one example connection (`example_db`, two secrets) and its production
override so that a new repository validates and renders. Once `import` brings real objects
in, the example only gets in the way (its secrets make `render --secrets dotenv:.env`
fail). `import` removes it when it is exactly as `init` wrote it, and otherwise says where
it is and what to remove: a file the user edited is never changed.
"""

from __future__ import annotations

from pathlib import Path

from compiler.atomic import atomic_write, reason
from compiler.errors import OperationError
from compiler.model.frozen import frozen
from compiler.onboarding.starter_files import starter

EXAMPLE_FILE = "environments/connections/example.yaml"
PRODUCTION_FILE = "environments/deployments/production.yaml"
# The production override init writes for the example, as text (production.yaml's end).
OVERRIDE = (
    "\n# Production values of the objects linked to it.\n"
    "overrides:\n"
    "  connections:\n"
    "    example_db:\n"
    "      host: prod-db.example.com\n"
    "      password: {secret: EXAMPLE_DB_PROD_PASSWORD}\n"
)


@frozen
class Retired:
    """What happened to the example: `removed` files/blocks, or a `note` on what to remove by hand."""

    removed: tuple[str, ...] = ()
    note: str = ""


def retire_example(root: Path) -> Retired:
    """Remove init's example connection and its override when both are as init wrote them."""
    from compiler.onboarding.scaffold import SCHEMA_BASE

    example = root / EXAMPLE_FILE
    if not example.is_file() or example.is_symlink():
        return Retired()
    production = root / PRODUCTION_FILE
    production_text = _text(production)
    if _text(example) != starter("example.yaml", {"SCHEMA_BASE": SCHEMA_BASE}) or (
        production_text is not None and "example_db" in production_text and OVERRIDE not in production_text
    ):
        return Retired(
            note=f"{EXAMPLE_FILE} still holds init's example connection `example_db` (secrets EXAMPLE_DB_PASSWORD, "
            f"EXAMPLE_DB_PROD_PASSWORD): delete that file and the `example_db` override in {PRODUCTION_FILE}"
        )
    removed = []
    if production_text is not None and OVERRIDE in production_text:
        atomic_write(production, production_text.replace(OVERRIDE, "", 1))
        removed.append(f"the example_db override in {PRODUCTION_FILE}")
    try:
        example.unlink()
    except OSError as exc:
        raise OperationError(f"cannot remove {EXAMPLE_FILE}: {reason(exc)}") from None
    return Retired(removed=(EXAMPLE_FILE, *removed))


def _text(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8") if path.is_file() else None
    except (OSError, UnicodeDecodeError):
        return None
