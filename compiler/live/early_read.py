"""The live read of one Astro plan, started before the repository is validated.

Why: a plan's wall time is mostly its reads waiting on the API's 25 GET/s limit (a workspace
of 1,000 objects and 50 Deployments is about 60 GETs, at least 2 s) and its own CPU
(validation, the desired state, the comparison: about as long). The read needs only the
workspace's name to begin (its ID, Deployments and workspace-scoped objects), then the names of
the Deployments in scope (one list each). So the first half starts at once, on the name
`workspace.yaml` gives (`workspace:`), read alone by the fast YAML route, and runs while the repository is
validated; the second half starts when the scope is known, while the desired state is built.

The early start is only a guess: it is used when the validated workspace's name is the one
guessed, and otherwise the read starts again with the right name. It starts only when it
needs no request to connect (the organization is in `ASTRO_ORGANIZATION_ID` or the token),
and it runs on a daemon thread, so a repository that fails validation is reported at once,
as without it. Errors of the read are raised where the read's result is used, as before.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future
from pathlib import Path
from typing import Any, TypeVar

from compiler.load.sources import WORKSPACE_FILE
from compiler.sync.astro_state import LiveState

T = TypeVar("T")


def _in_background(work: Callable[[], T]) -> Future[T]:
    """`work()` on a daemon thread: a process that ends early does not wait for it."""
    future: Future[T] = Future()

    def run() -> None:
        try:
            future.set_result(work())
        except BaseException as exc:  # raised again by future.result(), where the read is used
            future.set_exception(exc)

    threading.Thread(target=run, name="astro-read", daemon=True).start()
    return future


class LiveRead:
    """One plan's read of live Astro through `api` (remote/astro.AstroApi): `start` it early,
    ask for the `state` of a scope once it is known, `close` it when done."""

    def __init__(self, api: Any, guessed: str | None = None) -> None:
        self.api = api
        self._guess: tuple[str, Future[LiveState]] | None = None
        if guessed is not None:
            self._guess = (guessed, _in_background(lambda: api.read_workspace(guessed)))

    @classmethod
    def start(cls, root: Path, environ: Mapping[str, str]) -> LiveRead | None:
        """A read already under way for the workspace `workspace.yaml` names, or None when it
        cannot start without a request or a guess (then the caller reads after validating)."""
        from compiler.remote.astro import connect, token_organization

        token = environ.get("ASTRO_API_TOKEN", "")
        if not token or not (environ.get("ASTRO_ORGANIZATION_ID") or token_organization(token)):
            return None
        guessed = workspace_name(root)
        if guessed is None:
            return None
        try:
            api = connect(environ)
        except Exception:  # a guess never fails the run: connecting again after validation says why
            return None
        return cls(api, guessed)

    def state(self, workspace: str, deployment_names: Sequence[str]) -> Future[LiveState]:
        """The live state of `workspace` and the named Deployments, being read."""
        names = tuple(deployment_names)
        if self._guess is None:
            return _in_background(lambda: self.api.read(workspace, names))
        guessed, first = self._guess
        if guessed == workspace:
            return _in_background(lambda: self.api.read_deployments(first.result(), names))

        def again() -> LiveState:
            first.exception()  # the wrong guess's read ends first: one thread uses the client at a time
            state: LiveState = self.api.read(workspace, names)
            return state

        return _in_background(again)

    def close(self) -> None:
        self.api.close()


def workspace_name(root: Path) -> str | None:
    """The `workspace:` of environments/workspace.yaml as written, or None: a file that is not a
    small regular file (a symbolic link is not followed: validation may refuse where it
    points), is not plain YAML for the fast route, or has a templated or missing name. Reads
    that one file only, as validation does (never blocks, bounded in size)."""
    from compiler.limits import read_regular_file
    from compiler.load.fast_route import plain_data

    path = root / WORKSPACE_FILE
    if path.is_symlink() or any(p.is_symlink() for p in (path.parent, root)):
        return None
    data = read_regular_file(path, WORKSPACE_FILE)
    if not isinstance(data, bytes):
        return None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    document = plain_data(text)
    name = document.get("workspace") if isinstance(document, dict) else None
    sync = document.get("sync") if isinstance(document, dict) else None
    if not isinstance(sync, dict) or not sync.get("owner"):
        return None  # plan refuses a workspace without sync.owner: no request is sent for it
    return name if isinstance(name, str) and name and "{" not in name else None
