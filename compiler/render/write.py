"""Writing rendered files: atomic, only when changed, only inside --out, never over a file we did not write.

A manifest in the output folder lists what render wrote; a file at an output path that
is not in it and differs is someone else's, and render refuses to replace it. The
manifest holds file names only: nothing about secrets, so nothing a crash can leave
stale matters to what `--check` shows (see `drift`).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import tempfile
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path

from compiler.atomic import atomic_write, linked_folder, reason, refuse_special, write_staged
from compiler.errors import OperationError, UsageError
from compiler.limits import os_problem
from compiler.model.frozen import field, frozen
from compiler.model.out_names import BOOKKEEPING, LOCK, MANIFEST, TOP_LEVEL_FILES, collisions, fold, segment_problem
from compiler.render import drift_lines

LOCK_TIMEOUT = 60.0  # seconds a render waits for another render into the same folder


@frozen
class WriteResult:
    written: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)


@frozen
class Manifest:
    files: frozenset[str] = frozenset()

    def text(self) -> str:
        return json.dumps({"files": sorted(self.files)}, indent=2) + "\n"


def lines(text: str) -> list[str]:
    """The lines of a text with their ends; only '\\n' ends a line (as in the files we write)."""
    return re.findall(r"[^\n]*\n|[^\n]+$", text)


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
        linked = linked_folder(out, relative)
        if linked is not None:
            raise OperationError(
                f"refusing to use {linked}: it is a symbolic link (render reads and writes only inside --out)"
            )


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


# --- the output folder --------------------------------------------------------------------


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
        raise OperationError(f"cannot create the output folder {out}: {reason(exc)}") from None


# --- reading what is there ---------------------------------------------------------------


def _current(out: Path, relative: str) -> str | None:
    """The text at an output path; a link there reads as "" (something, never its target's text)."""
    path = out / relative
    if path.is_symlink():
        return ""
    if not path.is_dir():  # a folder is said below, as one that cannot be read
        refuse_special(path)  # a FIFO would block the read, a device be read and then replaced
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except UnicodeDecodeError:
        raise OperationError(f"cannot read {out / relative}: it is not UTF-8 text") from None
    except OSError as exc:
        raise OperationError(f"cannot read {out / relative}: it {os_problem(exc, path)}") from None


def read_manifest(out: Path) -> Manifest:
    """What render wrote into `out`; a missing or unreadable manifest lists nothing (a special
    file there is refused: a FIFO would block the read)."""
    refuse_special(out / MANIFEST)
    try:
        listed = json.loads((out / MANIFEST).read_text(encoding="utf-8"))
        return Manifest(frozenset(str(p) for p in listed.get("files", [])))
    except (OSError, ValueError, AttributeError, TypeError):
        return Manifest()


# --- writing -----------------------------------------------------------------------------


def write(
    out: Path,
    files: Mapping[str, str],
    *,
    lock_timeout: float = LOCK_TIMEOUT,
    on_wait: Callable[[Path], None] | None = None,
) -> WriteResult:
    """`write_streamed` of texts already in memory."""
    names = sorted(files)
    return write_streamed(out, names, ((n, files[n]) for n in names), lock_timeout=lock_timeout, on_wait=on_wait)


STAGING_PREFIX = ".astro-gitops-staging-"  # a folder in --out for one run's changed files; never a Deployment's


Text = str | Iterable[str]  # a file's text, whole or in pieces (joined, they are the text)


def write_streamed(
    out: Path,
    names: Sequence[str],
    texts: Iterable[tuple[str, Text]],
    *,
    lock_timeout: float = LOCK_TIMEOUT,
    on_wait: Callable[[Path], None] | None = None,
) -> WriteResult:
    """Write what changed, under the folder's lock, taking the texts one at a time.

    `names` are every path `texts` will give ({relative path: text} pairs, each name once),
    known before the first text is made; `texts` may render each one as it is asked for,
    so the memory held is one text, not all of them (a text given in pieces, one piece). A changed text goes to a staging
    folder inside `out`; only when every text is staged and none would replace a file
    render did not write is the manifest claimed and each staged file renamed into place.
    Nothing is replaced before that point (a refusal or a failure while rendering leaves
    `out` as it was); a failure while renaming (a full disk) is an OperationError, and the
    files renamed before it are whole and listed in the manifest, as the next run expects.
    """
    _check_relative(names)
    created = not out.exists() and not out.is_symlink()
    prepare(out)
    try:
        return _write_locked(out, names, texts, lock_timeout, on_wait)
    except BaseException:
        # A folder this run made, into which nothing was renamed: leave no trace of it.
        with contextlib.suppress(OSError):
            if created and {p.name for p in out.iterdir()} <= {LOCK}:
                (out / LOCK).unlink(missing_ok=True)
                out.rmdir()
        raise


def _write_locked(
    out: Path,
    names: Sequence[str],
    texts: Iterable[tuple[str, Text]],
    lock_timeout: float,
    on_wait: Callable[[Path], None] | None,
) -> WriteResult:
    for name in sorted(BOOKKEEPING):  # an older filelock would truncate a lock file's link target
        if (out / name).is_symlink():
            raise OperationError(
                f"refusing to use {out / name}: it is a symbolic link (render writes only inside --out)"
            )
    with locked(out, lock_timeout, on_wait):
        _check_no_links(out, names)
        for stale in out.glob(STAGING_PREFIX + "*"):  # left by a killed run; the lock says none is running
            shutil.rmtree(stale, ignore_errors=True)
        try:
            staging = Path(tempfile.mkdtemp(prefix=STAGING_PREFIX, dir=out))
        except OSError as exc:
            raise OperationError(f"cannot write into {out}: {reason(exc)}") from None
        try:
            pending = _stage(out, staging, texts)
            _swap(out, staging, pending, names)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    written = sorted(pending)
    return WriteResult(written=written, unchanged=sorted(set(names) - set(written)))


def _stage(out: Path, staging: Path, texts: Iterable[tuple[str, Text]]) -> dict[str, bool]:
    """Each changed text written whole under `staging` (as its index); {path: a file is there now}."""
    pending: dict[str, bool] = {}
    for relative, text in texts:
        if not isinstance(text, str):
            _stage_pieces(out, relative, staging / str(len(pending)), text, pending)
            continue
        current = _current(out, relative)
        if current != text:
            write_staged(staging / str(len(pending)), text)
            pending[relative] = current is not None
    return pending


def _stage_pieces(out: Path, relative: str, staged: Path, pieces: Iterable[str], pending: dict[str, bool]) -> None:
    """`_stage` of a text given in pieces (environment-objects.json, 50 MB at 5000x200): each piece
    is written and compared with the file there as it comes, so no whole text is held. The file
    there is read as `_current` reads it (UTF-8, universal newlines, read to its end, with the
    same errors); the staged copy is dropped when the two are the same text."""
    path = out / relative
    if not path.is_dir():
        refuse_special(path)
    if path.is_symlink() or not path.exists():
        write_staged(staged, pieces)
        pending[relative] = path.is_symlink()
        return
    try:
        with path.open(encoding="utf-8") as current:
            same = [True]

            def compared() -> Iterator[str]:
                for piece in pieces:
                    same[0] = same[0] and current.read(len(piece)) == piece
                    yield piece

            write_staged(staged, compared())
            same[0] = current.read(1) == "" and same[0]
            while current.read(1 << 20):  # the rest, read as _current reads it (a bad byte is an error)
                pass
    except UnicodeDecodeError:
        raise OperationError(f"cannot read {path}: it is not UTF-8 text") from None
    except OSError as exc:
        raise OperationError(f"cannot read {path}: it {os_problem(exc, path)}") from None
    if same[0]:
        staged.unlink()
    else:
        pending[relative] = True


def _swap(out: Path, staging: Path, pending: Mapping[str, bool], names: Sequence[str]) -> None:
    """The manifest claimed, then each staged file renamed into place (see write_streamed)."""
    manifest = read_manifest(out)
    owned = {fold(p) for p in manifest.files}
    foreign = sorted(p for p, exists in pending.items() if exists and fold(p) not in owned)
    if foreign:
        raise OperationError(
            "refusing to overwrite file(s) astro-gitops did not write: "
            + ", ".join(str(out / p) for p in foreign)
            + " (move them away or choose another --out)"
        )
    # The manifest claims the files before they are written: a run that fails half-way
    # leaves files that the next run still knows as its own. It holds names only, so a
    # claim that runs ahead of the files can never make a later run show their content.
    claimed = Manifest(manifest.files | set(names))
    if claimed != manifest or _current(out, MANIFEST) != claimed.text():
        atomic_write(out / MANIFEST, claimed.text())
    staged = {relative: staging / str(index) for index, relative in enumerate(pending)}
    for relative in sorted(pending):
        target = out / relative
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(staged[relative], target)
        except OSError as exc:
            raise OperationError(f"cannot write {target}: {reason(exc)}") from None


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
        raise OperationError(f"cannot lock the output folder {out}: {reason(exc)}") from None
    try:
        yield
    finally:
        lock.release()


# --- --check -------------------------------------------------------------------------------


def drift(out: Path, files: Mapping[str, str], label: str, redacted: Mapping[str, str] | None = None) -> str:
    """A unified diff of what `render` would change under `out` (empty: no drift).

    `files` is what render would write (with secret values in env/dotenv mode) and decides
    *whether* a file drifted; `redacted` is the same render with placeholders. Why no
    secret value can reach the diff, whatever the output folder holds (files of an env
    render, a stale or missing manifest, a half-finished write, someone else's file):

    - the lines are aligned on what they hold (disk against the real render), then shown:
      an unchanged secret line is no difference, a changed one a changed line, both masked;
    - the new side is the real render with every line that differs from the redacted
      render masked (a field the redacted render leaves out keeps its key, never a value);
      the real render's leading comment lines (the template's header) are shown as they are;
    - a file on disk is shown as it is only when its header carries REDACTED_NOTE, which
      render writes in the same atomic write as a content without values;
    - any other file on disk shows a line only when it equals a line shown on the new
      side (or a real secret line, shown as that line masked); every other line becomes
      its indentation, its key when the new side shows the same key, and `***`.

    The diff is line_diff's: linear-ish in the lines, cut after line_diff.SHOWN lines a file.
    Nothing comes from bookkeeping, so nothing stale can unmask a line.
    """
    names = sorted(files)
    shown = files if redacted is None else redacted
    return drift_streamed(out, names, ((n, files[n], shown[n]) for n in names), label)


def drift_streamed(out: Path, names: Sequence[str], texts: Iterable[tuple[str, str, str]], label: str) -> str:
    """`drift`, taking (path, real text, marked text: drift_lines.diff) one at a time, in any order, so that only
    one file's texts are held; `names` lists every path first. The diff is in path order."""
    _check_relative(names)
    _check_no_links(out, names)
    parts: dict[str, list[str]] = {}  # what differs, by path
    for relative, real, marked in texts:
        current = _current(out, relative)
        if current == real:
            continue
        before = f"{label}/{relative}" if current is not None else "/dev/null"
        names_shown = (before, f"{label}/{relative}")
        hunks = drift_lines.diff(lines(current or ""), lines(real), lines(marked), names_shown)
        parts[relative] = hunks or [f"{label}/{relative}: secret values differ (not shown)\n"]
    return "".join(p if p.endswith("\n") else p + "\n" for relative in sorted(parts) for p in parts[relative])
