"""Writing rendered files: atomic, only when changed, only inside --out, never over a file we did not write.

A manifest in the output folder lists what render wrote; a file at an output path that
is not in it and differs is someone else's, and render refuses to replace it. The
manifest holds file names only: nothing about secrets, so nothing a crash can leave
stale matters to what `--check` shows (see `drift`).
"""

from __future__ import annotations

import json
import os
import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from .errors import OperationError, UsageError
from .limits import os_problem

MANIFEST = ".astro-gitops-manifest.json"
LOCK = ".astro-gitops.lock"
MASK = "***"
# The start of the note a file rendered under `--secrets redact` carries in its header.
REDACTED_NOTE = "# Secrets: redacted (--secrets redact)"
LOCK_TIMEOUT = 60.0  # seconds a render waits for another render into the same folder
MAX_SEGMENT = 100  # characters of one name used as a folder (bytes: at most 255, any file system)
# Names Windows reserves for devices, with or without an extension (`con.yaml` too).
_RESERVED = {"con", "prn", "aux", "nul", *(f"{p}{i}" for p in ("com", "lpt") for i in range(1, 10))}
_SEPARATORS = set("/\\")  # POSIX and Windows
BOOKKEEPING = frozenset({MANIFEST, LOCK})  # render's own files in --out, beside the outputs
# The names render itself uses at the top of --out: a Deployment folder may not take them.
TOP_LEVEL_FILES = frozenset({"environment-objects.json", *BOOKKEEPING})


@dataclass(frozen=True)
class WriteResult:
    written: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Manifest:
    files: frozenset[str] = frozenset()

    def text(self) -> str:
        return json.dumps({"files": sorted(self.files)}, indent=2) + "\n"


def lines(text: str) -> list[str]:
    """The lines of a text with their ends; only '\\n' ends a line (as in the files we write)."""
    return re.findall(r"[^\n]*\n|[^\n]+$", text)


# --- names that become paths -----------------------------------------------------------


def segment_problem(name: str) -> str | None:
    """Why `name` cannot be one folder or file name inside --out; None when it can.

    Deployment names become folders, so they must be a single, portable path segment:
    not empty, `.` or `..`, no separator (`/` or `\\`), no control or invisible format
    character, not a Windows device name, no leading dot (hidden, and
    the manifest's place) and no trailing dot or space (Windows drops them).
    """
    if name in ("", ".", ".."):
        return "is not a folder name"
    if any(c in _SEPARATORS for c in name):
        return "holds a path separator"
    if any(unicodedata.category(c) in ("Cc", "Cf", "Cs", "Zl", "Zp") for c in name):
        return "holds a control or invisible character"
    if len(name) > MAX_SEGMENT or len(name.encode("utf-8", "surrogatepass")) > 255:
        return f"is longer than {MAX_SEGMENT} characters"
    if name.startswith(".") or name[0].isspace() or name[-1] in ". " or name[-1].isspace():
        return "starts with a dot or a space, or ends with one"
    if name.split(".")[0].rstrip().casefold() in _RESERVED:
        return "is a device name on Windows"
    return None


def fold(relative: str) -> str:
    """The form under which two paths are one file on a case-insensitive or normalising file system."""
    return unicodedata.normalize("NFC", relative).casefold()


def collisions(names: Iterable[str]) -> list[tuple[str, str]]:
    """Pairs of distinct names that are one path after `fold`, each pair once."""
    seen: dict[str, str] = {}
    found = []
    for name in sorted(set(names)):
        other = seen.setdefault(fold(name), name)
        if other != name:
            found.append((other, name))
    return found


def _check_relative(files: Iterable[str]) -> None:
    """Every path render writes is made of safe segments, and no two of them are one file."""
    for relative in files:
        for segment in relative.split("/"):
            problem = segment_problem(segment)
            if problem:
                raise OperationError(f"refusing to write {relative!r}: the name {segment!r} {problem}")
        if relative.split("/")[0].casefold() in TOP_LEVEL_FILES and "/" in relative:
            raise OperationError(f"refusing to write {relative!r}: its folder has the name of an output file")
    for first, second in collisions(files):
        raise OperationError(
            f"refusing to write both {first!r} and {second!r}: they are one file where case is ignored"
        )


def _check_no_links(out: Path, files: Iterable[str]) -> None:
    """No folder below --out is a symbolic link: a link could lead a write anywhere.

    A link in place of a file is no such risk: it is never read through (`_current`), and
    a write replaces the link itself (a rename), never its target.
    """
    for relative in files:
        path = out
        for segment in relative.split("/")[:-1]:
            path = path / segment
            if path.is_symlink():
                raise OperationError(
                    f"refusing to use {path}: it is a symbolic link (render reads and writes only inside --out)"
                )
            if not path.exists():
                break


def check_location(out: Path, forbidden: Path, files: Iterable[str] = ()) -> None:
    """Refuse an output folder that is `forbidden` or inside it (also through links or case),
    and any file that would land there (a Deployment named `environments` with `--out .`)."""
    if not forbidden.exists():
        return
    target = Path(os.path.realpath(out))  # Path.resolve raises RuntimeError on a link loop
    if _inside(target, forbidden):
        raise UsageError(
            f"--out {out} is inside {forbidden.name}/, which holds the input files: "
            f"choose an output folder outside {forbidden.name}/ (the default is build/)"
        )
    for first in sorted({f.split("/")[0] for f in files}):  # below the folder itself: the same answer
        if _inside(target / first, forbidden):
            raise OperationError(f"refusing to write into {out / first}: it is {forbidden.name}/, the input files")


def _inside(path: Path, folder: Path) -> bool:
    real = Path(os.path.realpath(folder))
    for candidate in (path, *path.parents):
        if fold(str(candidate)) == fold(str(real)):
            return True
        try:
            if candidate.exists() and os.path.samefile(candidate, real):
                return True
        except OSError:
            continue
    return False


def prepare(out: Path) -> None:
    """The output folder exists, and is a folder (a dangling link is an error, not a crash)."""
    if out.is_symlink():
        try:
            os.stat(out)
        except OSError as exc:  # a dangling link, a loop
            raise OperationError(
                f"the output folder {out} {os_problem(exc, out)}; remove the link or choose another --out"
            ) from None
    if out.exists() and not out.is_dir():
        raise OperationError(f"the output folder {out} exists and is not a folder; choose another --out")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OperationError(f"cannot create the output folder {out}: {_reason(exc)}") from None


def _reason(exc: OSError) -> str:
    return exc.strerror or type(exc).__name__


# --- reading what is there ---------------------------------------------------------------


def _current(out: Path, relative: str) -> str | None:
    """The text at an output path; a link there reads as "" (something, never its target's text)."""
    path = out / relative
    if path.is_symlink():
        return ""
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except UnicodeDecodeError:
        raise OperationError(f"cannot read {out / relative}: it is not UTF-8 text") from None
    except OSError as exc:
        raise OperationError(f"cannot read {out / relative}: it {os_problem(exc, path)}") from None


def read_manifest(out: Path) -> Manifest:
    """What render wrote into `out`; a missing or unreadable manifest lists nothing."""
    try:
        listed = json.loads((out / MANIFEST).read_text(encoding="utf-8"))
        return Manifest(frozenset(str(p) for p in listed.get("files", [])))
    except (OSError, ValueError, AttributeError, TypeError):
        return Manifest()


def changes(out: Path, files: Mapping[str, str]) -> dict[str, str | None]:
    """The files whose content differs from what is on disk, with their current text."""
    _check_relative(files)
    _check_no_links(out, files)
    result = {}
    for relative, text in files.items():
        current = _current(out, relative)
        if current != text:
            result[relative] = current
    return result


# --- writing -----------------------------------------------------------------------------


def write(
    out: Path,
    files: Mapping[str, str],
    *,
    lock_timeout: float = LOCK_TIMEOUT,
    on_wait: Callable[[Path], None] | None = None,
) -> WriteResult:
    """Write what changed, each file through a temporary file and a rename, under the folder's lock.

    A failure (a full disk, an unwritable folder) is an OperationError; the files written
    before it are whole, and the manifest already lists every file this run could touch.
    """
    _check_relative(files)
    prepare(out)
    for name in sorted(BOOKKEEPING):  # an older filelock would truncate a lock file's link target
        if (out / name).is_symlink():
            raise OperationError(
                f"refusing to use {out / name}: it is a symbolic link (render writes only inside --out)"
            )
    with locked(out, lock_timeout, on_wait):
        pending = changes(out, files)
        manifest = read_manifest(out)
        owned = {fold(p) for p in manifest.files}
        foreign = sorted(p for p, current in pending.items() if current is not None and fold(p) not in owned)
        if foreign:
            raise OperationError(
                "refusing to overwrite file(s) astro-gitops did not write: "
                + ", ".join(str(out / p) for p in foreign)
                + " (move them away or choose another --out)"
            )
        # The manifest claims the files before they are written: a run that fails half-way
        # leaves files that the next run still knows as its own. It holds names only, so a
        # claim that runs ahead of the files can never make a later run show their content.
        claimed = Manifest(manifest.files | set(files))
        if claimed != manifest or _current(out, MANIFEST) != claimed.text():
            atomic_write(out / MANIFEST, claimed.text())
        for relative in sorted(pending):
            atomic_write(out / relative, files[relative])
    return WriteResult(written=sorted(pending), unchanged=sorted(set(files) - set(pending)))


@contextmanager
def locked(out: Path, timeout: float = LOCK_TIMEOUT, on_wait: Callable[[Path], None] | None = None) -> Iterator[None]:
    """Hold the output folder's lock: two renders into one folder would lose manifest entries.

    The lock is the kernel's (flock through filelock): it dies with its process, so a
    killed render never leaves a stale lock. The lock file stays, empty, in the folder.
    """
    from filelock import FileLock, Timeout

    path = out / LOCK
    lock = FileLock(str(path))
    try:
        try:
            lock.acquire(timeout=0)
        except Timeout:
            if on_wait is not None:
                on_wait(path)
            lock.acquire(timeout=timeout)
    except Timeout:
        raise OperationError(
            f"another astro-gitops render is writing into {out} (it holds {path}); "
            f"waited {timeout:g} s for it to finish. Run again when it is done."
        ) from None
    except OSError as exc:
        raise OperationError(f"cannot lock the output folder {out}: {_reason(exc)}") from None
    try:
        yield
    finally:
        lock.release()


def atomic_write(path: Path, text: str) -> None:
    """Write `text` to `path` through a temporary file beside it and a rename; OperationError on failure."""
    import tempfile

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as exc:
        raise OperationError(f"cannot write {path}: {_reason(exc)}") from None
    try:
        os.chmod(temporary, 0o666 & ~_umask())  # mkstemp makes 0600; a rendered file is an ordinary file
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except OSError as exc:
        Path(temporary).unlink(missing_ok=True)
        raise OperationError(f"cannot write {path}: {_reason(exc)}") from None
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def write_new(root: Path, texts: Mapping[str, str], *, force: bool = False) -> list[str]:
    """Write each file atomically; without `force`, first refuse (writing nothing) if any of them exists."""
    refuse_existing(root, texts, force=force)
    for relative in sorted(texts):
        try:
            atomic_write(root / relative, texts[relative])
        except OSError as exc:
            raise OperationError(f"cannot write {relative}: {exc.strerror or type(exc).__name__}") from None
    return sorted(texts)


def refuse_existing(root: Path, paths: Iterable[str], *, force: bool) -> list[str]:
    """The paths that exist (a dangling symbolic link too); without `force`, an error naming each."""
    existing = sorted(p for p in paths if (root / p).exists() or (root / p).is_symlink())
    if existing and not force:
        raise OperationError(
            f"refusing to overwrite existing file(s): {', '.join(existing)} "
            "(move them away, or pass --force to replace them)"
        )
    return existing


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


# --- --check -------------------------------------------------------------------------------


def drift(out: Path, files: Mapping[str, str], label: str, redacted: Mapping[str, str] | None = None) -> str:
    """A unified diff of what `render` would change under `out` (empty: no drift).

    `files` is what render would write (with secret values in env/dotenv mode) and decides
    *whether* a file drifted; `redacted` is the same render with placeholders. Why no
    secret value can reach the diff, whatever the output folder holds (files of an env
    render, a stale or missing manifest, a half-finished write, someone else's file):

    - the new side is the redacted render, its secret lines masked where they differ
      from the real render; only the real render's leading comment lines (the template's
      header, which precedes every value) are taken from it;
    - a file on disk is shown as it is only when its header carries REDACTED_NOTE, which
      render writes in the same atomic write as a content without values;
    - any other file on disk shows a line only when it equals a line shown on the new
      side (or a real secret line, shown as that line masked); every other line becomes
      its indentation, its key when the redacted render has the same key, and `***`.

    Nothing comes from bookkeeping, so nothing stale can unmask a line.
    """
    import difflib

    shown = files if redacted is None else redacted
    parts = []
    for relative, current in sorted(changes(out, files).items()):
        new, real_to_shown = _shown_lines(lines(files[relative]), lines(shown[relative]))
        old = lines(current or "")
        if not _holds_no_values(old):
            heads = {_head(line) for line in lines(shown[relative])} - {None}
            known = set(new) | set(lines(shown[relative]))
            old = [_old_line(line, real_to_shown, known, heads) for line in old]
        before = f"{label}/{relative}" if current is not None else "/dev/null"
        hunks = list(difflib.unified_diff(old, new, before, f"{label}/{relative}"))
        parts.extend(hunks or [f"{label}/{relative}: secret values differ (not shown)\n"])
    return "".join(p if p.endswith("\n") else p + "\n" for p in parts)


def _holds_no_values(text: list[str]) -> bool:
    """A file render wrote under `--secrets redact` (its header says so)."""
    return any(line.startswith(REDACTED_NOTE) for line in _header(text))


def _header(text: list[str]) -> list[str]:
    """The leading comment lines: the template's, before any value."""
    count = next((i for i, line in enumerate(text) if not line.startswith("#")), len(text))
    return text[:count]


def _shown_lines(real: list[str], redacted: list[str]) -> tuple[list[str], dict[str, str]]:
    """The new side as shown (secret lines masked), and each real line's shown form."""
    if real == redacted:
        return redacted, {}
    import difflib

    header = _header(real)
    real_body, redacted_body = real[len(header) :], redacted[len(_header(redacted)) :]
    shown = list(redacted_body)
    mapping = {line: line for line in header}
    matcher = difflib.SequenceMatcher(None, real_body, redacted_body, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        for j in range(j1, j2):
            shown[j] = _mask_line(redacted_body[j], {_head(redacted_body[j])})
        if i2 - i1 == j2 - j1:
            for i, j in zip(range(i1, i2), range(j1, j2), strict=True):
                mapping.setdefault(real_body[i], shown[j])
    return header + shown, mapping


def _old_line(line: str, real_to_shown: Mapping[str, str], known: set[str], heads: set[str | None]) -> str:
    if line in real_to_shown:
        return real_to_shown[line]
    if line in known:
        return line
    return _mask_line(line, heads)


_HEAD = re.compile(r'( *(?:- )?(?:[A-Za-z0-9_.-]+|"[A-Za-z0-9_.-]+")):(?: |\n|$)')


def _head(line: str) -> str | None:
    """`  key: value` -> `  key` (the indentation, a list dash and a plain key), else None."""
    matched = _HEAD.match(line)
    return matched.group(1) if matched else None


def _mask_line(line: str, heads: set[str | None]) -> str:
    """A line reduced to its indentation, its key when `heads` knows it, and `***`."""
    head = _head(line)
    if head is not None and head in heads:
        return f"{head}: {MASK}\n"
    return " " * (len(line) - len(line.lstrip(" "))) + MASK + "\n"
