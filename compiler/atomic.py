"""Files written whole or not at all: a temporary file beside the target, then a rename."""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from pathlib import Path

from compiler.errors import OperationError


def reason(exc: OSError | UnicodeEncodeError) -> str:
    """Why a write failed; text holding bytes that are not UTF-8 (a lone surrogate) is refused,
    never written half or with the bytes guessed."""
    if isinstance(exc, UnicodeEncodeError):
        return "its text holds bytes that are not UTF-8 (shown as \\xNN), which no file of ours holds"
    return exc.strerror or type(exc).__name__


def refuse_special(path: Path) -> None:
    """OperationError when `path` is anything but absent, a regular file, or a symbolic link
    (which a rename replaces, never follows): a write given a device, a FIFO, a socket or a
    folder refuses it, as `apply PLAN` refuses to read one, rather than replace it."""
    import stat

    from compiler.limits import file_kind

    try:
        mode = os.lstat(path).st_mode
    except (FileNotFoundError, NotADirectoryError):
        return
    except OSError as exc:
        raise OperationError(f"cannot write {path}: {reason(exc)}") from None
    if not (stat.S_ISREG(mode) or stat.S_ISLNK(mode)):
        raise OperationError(f"refusing to replace {path}: it is {file_kind(mode)}, not a regular file")


def atomic_write(path: Path, text: str | Iterable[str]) -> None:
    """Write `text` (or its pieces, in turn) to `path` through a temporary file beside it and a
    rename; OperationError on failure, or when `path` is a special file (refuse_special)."""
    import tempfile

    refuse_special(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as exc:
        raise OperationError(f"cannot write {path}: {reason(exc)}") from None
    try:
        os.chmod(temporary, 0o666 & ~_umask())  # mkstemp makes 0600; a rendered file is an ordinary file
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            for piece in [text] if isinstance(text, str) else text:
                handle.write(piece)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except (OSError, UnicodeEncodeError) as exc:
        Path(temporary).unlink(missing_ok=True)
        raise OperationError(f"cannot write {path}: {reason(exc)}") from None
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def write_staged(path: Path, text: str | Iterable[str]) -> None:
    """Write `text` (or its pieces, in turn) to a new file in a private staging folder, which
    is later renamed into place whole or removed (render/write.py): no temporary file of its
    own, and no fsync. What is staged is build output, rendered again from git after a power
    loss; a killed run leaves the folder's files as they were, since a rename is atomic
    whether or not it was synced. OperationError on failure."""
    try:
        handle = open(path, "x", encoding="utf-8", newline="\n")  # noqa: SIM115 (closed below)
    except OSError as exc:
        raise OperationError(f"cannot write {path}: {reason(exc)}") from None
    try:
        with handle:
            for piece in [text] if isinstance(text, str) else text:
                handle.write(piece)
    except (OSError, UnicodeEncodeError) as exc:
        path.unlink(missing_ok=True)
        raise OperationError(f"cannot write {path}: {reason(exc)}") from None


def write_new(root: Path, texts: Mapping[str, str], *, force: bool = False) -> list[str]:
    """Write each file atomically; without `force`, first refuse (writing nothing) if any of them
    exists. A folder on the way that is a symbolic link is refused too (nothing is written
    through a link to outside `root`), as render refuses one below --out."""
    for relative in sorted(texts):
        _refuse_linked_folders(root, relative)
    refuse_existing(root, texts, force=force)
    for relative in sorted(texts):
        try:
            atomic_write(root / relative, texts[relative])
        except OSError as exc:
            raise OperationError(f"cannot write {relative}: {exc.strerror or type(exc).__name__}") from None
    return sorted(texts)


def _refuse_linked_folders(root: Path, relative: str) -> None:
    linked = linked_folder(root, relative)
    if linked is not None:
        raise OperationError(
            f"refusing to write {relative}: {linked} is a symbolic link (files are written only inside {root})"
        )


def linked_folder(root: Path, relative: str) -> Path | None:
    """The first folder on the way from `root` to the file `relative` that is a symbolic link
    (a write through it could land anywhere), or None; folders not made yet are no link."""
    path = root
    for segment in Path(relative).parts[:-1]:
        path = path / segment
        if path.is_symlink():
            return path
        if not path.exists():
            return None
    return None


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
