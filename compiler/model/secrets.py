"""Secret references, the policy of what is secret, and where values come from (SPEC 2.5).

The policy lives here, in one place: how a reference is written (`{secret: NAME}`), which
names are valid, which keys say "secret" (`looks_secret`) and where a literal is a
plaintext secret (`plaintext_paths`). The sources: `redact` never reads a value; `env`
reads the process environment; `dotenv:PATH` reads the file (python-dotenv's syntax), and
the environment fills in names the file lacks. Values only ever flow into rendered files:
never into diagnostics, diffs or logs.
"""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Iterable, Iterator, Mapping
from contextvars import ContextVar
from pathlib import Path
from types import MappingProxyType
from typing import Any

from compiler.errors import OperationError, UsageError
from compiler.load.documents import SCALARS
from compiler.model.frozen import field, frozen

_MAPPINGS = (dict, MappingProxyType)
SECRET_NAME = re.compile(r"[A-Z_][A-Z0-9_]*")
# A key whose name holds one of these words holds a secret (any case, anywhere in the name).
# Airflow's secrets masker masks a key whose lower-cased name contains one of its
# DEFAULT_SENSITIVE_FIELDS (apache-airflow 3.1.8, airflow/sdk/execution_time/secrets_masker.py,
# read in the installed Airflow); the project adds key_content and credentials.
AIRFLOW_SENSITIVE_FIELDS = (
    "access_key",
    "access_token",
    "api_key",
    "apikey",
    "authorization",
    "connection_string",
    "keyfile_dict",
    "passphrase",
    "passwd",
    "password",
    "private_key",
    "proxies",
    "proxy",
    "secret",
    "service_account",
    "token",
)
SECRET_WORDS = (*AIRFLOW_SENSITIVE_FIELDS, "key_content", "credentials")
# Names a workspace adds (`secrets: {sensitive_keys: [...]}` in workspace.yaml), for this run:
# set once where workspace.yaml is read (model.objects.build_model, onboarding's import).
_WORKSPACE_WORDS: ContextVar[frozenset[str]] = ContextVar("sensitive_keys", default=frozenset())


def add_sensitive_keys(names: Iterable[str]) -> None:
    """Make `names` (any case; matched as substrings, as Airflow does) secret-looking for this run."""
    words = frozenset(n.lower() for n in names if n)
    if words - _WORKSPACE_WORDS.get():
        _WORKSPACE_WORDS.set(_WORKSPACE_WORDS.get() | words)


@frozen(order=True)
class Secret:
    """A reference `{secret: NAME}`; the value lives outside the repository."""

    name: str

    def __str__(self) -> str:
        return f"<secret:{self.name}>"


def reference_name(value: Any) -> str | None:
    """NAME when `value` is written as a reference `{secret: NAME}` (the one recognition rule)."""
    if isinstance(value, _MAPPINGS) and len(value) == 1 and isinstance(value.get("secret"), str):
        return str(value["secret"])
    return None


def looks_secret(key: str) -> bool:
    """True for a key whose name says it holds a secret."""
    return _looks_secret(key, _WORKSPACE_WORDS.get())


@functools.lru_cache(maxsize=4096)
def _looks_secret(key: str, workspace_words: frozenset[str]) -> bool:
    """`looks_secret`, remembered: a plan asks it of the same few keys tens of thousands of times (issue 26)."""
    lowered = key.lower()
    return any(word in lowered for word in SECRET_WORDS) or any(word in lowered for word in workspace_words)


def plaintext_paths(fields: Mapping[str, Any]) -> Iterator[tuple[str, ...]]:
    """Paths of literals where a secret reference belongs (password, secret-looking extras)."""
    password = fields.get("password")
    if isinstance(password, str) and password:
        yield ("password",)
    extra = fields.get("extra")
    if isinstance(extra, Mapping):
        yield from _secret_leaves(extra, ("extra",))


def _secret_leaves(
    value: Mapping[str, Any], ypath: tuple[str, ...], inherited: bool = False
) -> Iterator[tuple[str, ...]]:
    """Literal leaves under a secret-looking key (a whole `keyfile_dict` is secret, not just its keys)."""
    for key, child in value.items():
        secret = inherited or looks_secret(key)
        if isinstance(child, Mapping):
            yield from _secret_leaves(child, (*ypath, key), secret)
        elif secret and is_literal(child):
            yield (*ypath, key)


def is_literal(value: Any) -> bool:
    """A value that would hold the secret itself: not a reference, not empty, not a flag."""
    return not isinstance(value, (Secret, bool)) and value not in (None, "", ())


@frozen
class SecretValues:
    """The values for one render: a placeholder per name when `redacted`."""

    redacted: bool = True
    values: Mapping[str, str] = field(default_factory=dict, repr=False)

    def value(self, secret: Secret) -> str:
        return str(secret) if self.redacted else self.values[secret.name]

    def reveal(self, value: Any) -> Any:
        """The value with every `Secret` inside replaced by its value or placeholder."""
        if type(value) in SCALARS:  # most values: answered without a walk
            return value
        if isinstance(value, Secret):
            return self.value(value)
        if isinstance(value, _MAPPINGS):
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
    found = {name: available[name] for name in wanted}
    unreadable = [name for name, value in found.items() if not _is_text(value)]
    if unreadable:  # an environment variable's bytes that are not UTF-8: no value to send or write
        raise OperationError(f"secret(s) that are not UTF-8 text: {', '.join(unreadable)} (the values are not shown)")
    from compiler.redaction import register

    register(*found.values())  # masked wherever outside text is printed from now on
    return SecretValues(redacted=False, values=found)


def _is_text(value: str) -> bool:
    """Whether `value` is Unicode text (Python reads an environment's non-UTF-8 bytes as lone surrogates)."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def read_dotenv(path: Path) -> dict[str, str]:
    """The values of a dotenv file, read with python-dotenv's parser (README: "Secrets").

    Accepted: `NAME=value`, `export NAME=value`, comments, blank lines, single quotes
    (literal but for `\\'` and `\\\\`), double quotes (with `\\n`, `\\"`, `\\\\` ... escapes,
    and line breaks inside), and `# comments` after an unquoted or quoted value. No `${VAR}`
    expansion: a `$` is a character of the value. A line the parser cannot read, or a name
    with no `=`, is an error naming the line number, never the line: it may be a value.
    """
    import io

    from dotenv.parser import parse_stream  # the parser dotenv_values uses; it also says where it failed

    from compiler.diagnostics import Diagnostic
    from compiler.limits import read_regular_file

    data = read_regular_file(path, str(path))  # never a FIFO that blocks, a folder, a loop
    if isinstance(data, Diagnostic):
        raise OperationError(f"cannot read dotenv file {path}", [str(data)])
    try:
        text = data.decode("utf-8-sig")  # bytes as they are: a \r in quotes stays
    except UnicodeDecodeError:
        raise OperationError(f"cannot read dotenv file {path}: it is not UTF-8 text") from None
    values: dict[str, str] = {}
    for binding in parse_stream(io.StringIO(text)):
        # The parser counts from the end of the previous statement; blank lines come first.
        string = binding.original.string
        line = binding.original.line + string[: len(string) - len(string.lstrip())].count("\n")
        if binding.error:
            raise OperationError(f"{path}:{line}: this line is not NAME=value dotenv syntax (the line is not shown)")
        if binding.key is None:
            continue  # a blank or comment line
        if binding.value is None:
            raise OperationError(f"{path}:{line}: a name without '=' and a value (the line is not shown)")
        values[binding.key] = binding.value
    return values


def dotenv_text(values: Mapping[str, str]) -> str:
    """`NAME=value` lines that `read_dotenv` reads back unchanged, sorted by name."""
    return "".join(f"{name}={_dotenv_value(values[name])}\n" for name in sorted(values))


def _dotenv_value(value: str) -> str:
    if not any(c in value for c in "'\\\n\r"):
        return f"'{value}'"  # single quotes: nothing inside is special
    escaped = value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r")
    return f'"{escaped}"'


def workflow_masks(values: Iterable[str]) -> list[str]:
    """`::add-mask::` commands for GitHub Actions, one per value and one per line of each.

    GitHub masks log lines one by one, so a multi-line value (a PEM key) needs each line
    masked; and a command's data must be escaped (`%` `\\r` `\\n` as `%25` `%0D` `%0A`), or
    the runner unescapes it into a different string than the secret.
    """
    wanted: set[str] = set()
    for value in values:
        wanted.update(part for part in (value, *value.splitlines()) if part.strip())
    from compiler.escaping import workflow_data

    return [f"::add-mask::{workflow_data(v)}\n" for v in sorted(wanted)]


def referenced(value: Any) -> Iterator[Secret]:
    """Every secret reference inside a value."""
    if isinstance(value, Secret):
        yield value
    elif isinstance(value, _MAPPINGS):
        for child in value.values():
            yield from referenced(child)
    elif isinstance(value, (list, tuple)):
        for child in value:
            yield from referenced(child)
