"""Secret references and where their values come from (SPEC 2.5).

`redact` never reads a value. `env` reads the process environment. `dotenv:PATH` reads
the file, and the environment fills in names the file lacks. Values only ever flow
into rendered files: never into diagnostics, diffs or logs.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import OperationError, UsageError
from .model import MAPPINGS, Secret


@dataclass(frozen=True)
class SecretValues:
    """The values for one render: a placeholder per name when `redacted`."""

    redacted: bool = True
    values: Mapping[str, str] = field(default_factory=dict, repr=False)

    def value(self, secret: Secret) -> str:
        return str(secret) if self.redacted else self.values[secret.name]

    def reveal(self, value: Any) -> Any:
        """The value with every `Secret` inside replaced by its value or placeholder."""
        if isinstance(value, Secret):
            return self.value(value)
        if isinstance(value, MAPPINGS):
            return {k: self.reveal(v) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [self.reveal(v) for v in value]
        return value

    def known_values(self) -> list[str]:
        """Every real value in play, longest first (for masking)."""
        return sorted({v for v in self.values.values() if v}, key=len, reverse=True)


def parse_mode(mode: str) -> tuple[str, Path | None]:
    if mode in ("redact", "env"):
        return mode, None
    if mode.startswith("dotenv:") and len(mode) > len("dotenv:"):
        return "dotenv", Path(mode.removeprefix("dotenv:"))
    raise UsageError(f"--secrets must be redact, env or dotenv:PATH, not '{mode}'")


def load(mode: str, names: Iterable[str], environ: Mapping[str, str] | None = None) -> SecretValues:
    """The values of `names` from the source `mode`; every missing name in one error."""
    kind, path = parse_mode(mode)
    if kind == "redact":
        return SecretValues()
    environ = os.environ if environ is None else environ
    available = dict(environ)
    if path is not None:
        available = {**environ, **read_dotenv(path)}
    wanted = sorted(set(names))
    missing = [name for name in wanted if name not in available]
    if missing:
        source = "the environment" if path is None else f"{path} or the environment"
        raise OperationError(f"missing secret(s) in {source}: {', '.join(missing)}")
    return SecretValues(redacted=False, values={name: available[name] for name in wanted})


_LINE = re.compile(r"\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*?)\s*")


def read_dotenv(path: Path) -> dict[str, str]:
    """KEY=VALUE lines; `export`, comments, and single or double quotes as docker/dotenv read them."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise OperationError(f"cannot read dotenv file {path}: {type(exc).__name__}") from None
    values: dict[str, str] = {}
    for line in text.splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        matched = _LINE.fullmatch(line)
        if matched:
            values[matched.group(1)] = _unquote(matched.group(2))
    return values


_ESCAPE = re.compile(r'\\([n"\\])')
_ESCAPED = {"n": "\n", '"': '"', "\\": "\\"}


def _unquote(raw: str) -> str:
    if len(raw) >= 2 and raw[0] == raw[-1] == "'":
        return raw[1:-1]
    if len(raw) >= 2 and raw[0] == raw[-1] == '"':
        # One pass, left to right: `\\n` is a backslash and an n, not a backslash and a newline.
        return _ESCAPE.sub(lambda m: _ESCAPED[m.group(1)], raw[1:-1])
    return raw.split(" #", 1)[0].rstrip()


def referenced(value: Any) -> Iterator[Secret]:
    """Every secret reference inside a value."""
    if isinstance(value, Secret):
        yield value
    elif isinstance(value, MAPPINGS):
        for child in value.values():
            yield from referenced(child)
    elif isinstance(value, (list, tuple)):
        for child in value:
            yield from referenced(child)


def mask(text: str, values: SecretValues) -> str:
    """Text with every known secret value (raw or JSON-escaped) replaced by '***'."""
    import json

    for value in values.known_values():
        text = text.replace(value, "***").replace(json.dumps(value)[1:-1], "***")
    return text
