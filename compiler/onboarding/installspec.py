"""What CI and pre-commit should install: the release this astro-gitops is, or what `--install` says.

The default (`default_install`) is the published release of the running version,
`astro-gitops==X.Y.Z` (compiler.__version__, the one source of the version; the release
workflow publishes it on the tag vX.Y.Z), except a git install, which pins its commit. A
local path is written only when `init --install PATH` asks for it, with a comment that CI
cannot reach it.

PEP 610: pip records a direct URL install in the distribution's `direct_url.json`, with
a VCS URL and commit, or a local path (`dir_info`), or an archive; an install from a
package index has no such file and its version is the one to pin. `init` writes the
result into the workflow and the pre-commit config, so the first push installs what is
known to exist, not a release that may not.
"""

from __future__ import annotations

import json
import re
from importlib import metadata
from typing import Any

from compiler.model.frozen import frozen

DISTRIBUTION = "astro-gitops"
PROJECT_REPOSITORY = "https://github.com/astro-gitops/astro-gitops"
_GITHUB = re.compile(r"^(?:https://|ssh://git@|git@)github\.com[/:]([\w.-]+)/([\w.-]+?)(?:\.git)?/?$")


@frozen
class InstallSpec:
    """What to install astro-gitops from, for pip (CI) and for pre-commit."""

    pip: str  # a pip requirement: `astro-gitops==1.2.0`, `astro-gitops @ git+URL@COMMIT`, or a path
    kind: str  # "vcs", "index", "local" (a path CI cannot reach), or "archive"
    vcs_url: str = ""  # the git URL, for "vcs"
    commit: str = ""  # the commit, for "vcs"
    comment: str = ""  # a line for a YAML comment: why this value, what to change

    @property
    def tag(self) -> str | None:
        """The release tag (`v1.2.0`) of an exact index pin, where that release's workflow lives."""
        found = re.fullmatch(rf"{DISTRIBUTION}==([\w.+-]+)", self.pip) if self.kind == "index" else None
        return f"v{found.group(1)}" if found else None

    @property
    def github(self) -> str | None:
        """`owner/name` of a VCS install from GitHub (where the reusable workflow lives)."""
        found = _GITHUB.match(self.vcs_url) if self.kind == "vcs" else None
        return f"{found.group(1)}/{found.group(2)}" if found else None


def release(version: str | None = None) -> InstallSpec:
    """The published release of `version` (default: the running one), from the package index."""
    from compiler import __version__

    found = version or __version__
    why = "given to `init --install`" if version else "of the astro-gitops that ran `init`"
    comment = f"the release {why} ({found}), published from the tag v{found}"
    return InstallSpec(f"{DISTRIBUTION}=={found}", "index", comment=comment)


def default_install() -> InstallSpec:
    """What `init` writes without --install: a git install's commit, else the running version's release."""
    running = running_install()
    return running if running.kind == "vcs" else release()


def parse_install(text: str) -> InstallSpec:
    """The spec `init --install SPEC` names: a pip requirement, `astro-gitops @ git+URL@COMMIT`, or a path.

    Raises ValueError for an empty spec. A path (it exists, or starts with `/`, `.`, `~` or
    `file:`) is kept with the comment that CI cannot reach it.
    """
    from pathlib import Path

    spec = text.strip()
    if not spec or not spec.isprintable():
        raise ValueError("the install spec is empty or holds a control character")
    direct = re.fullmatch(rf"{DISTRIBUTION}\s*@\s*git\+(\S+)@([0-9a-f]{{7,40}})", spec)
    if direct:
        url, commit = direct.groups()
        return InstallSpec(spec, "vcs", vcs_url=url, commit=commit, comment="the git commit given to `init --install`")
    if spec.startswith(("/", ".", "~", "file:")) or Path(spec).exists():
        return InstallSpec(_file_path(spec), "local", comment=_LOCAL)
    pinned = re.fullmatch(rf"{DISTRIBUTION}\s*==\s*([\w.+-]+)", spec)
    if pinned:
        return release(pinned.group(1))
    return InstallSpec(spec, "requirement", comment="the requirement given to `init --install`")


def running_install() -> InstallSpec:
    """The install spec of the astro-gitops that is running now."""
    try:
        distribution = metadata.distribution(DISTRIBUTION)
    except metadata.PackageNotFoundError:
        return InstallSpec(DISTRIBUTION, "local", comment=_LOCAL)
    return from_direct_url(distribution.read_text("direct_url.json"), distribution.version)


_LOCAL = (
    "a local path: CI and other machines cannot reach it; replace it with a git URL and commit or a released version"
)


def from_direct_url(text: str | None, version: str) -> InstallSpec:
    """The spec for a PEP 610 direct_url.json (None: installed from an index at `version`)."""
    if not text:
        comment = f"the version installed from the package index when `init` ran ({version})"
        return InstallSpec(f"{DISTRIBUTION}=={version}", "index", comment=comment)
    try:
        record: Any = json.loads(text)
        url = str(record["url"])
    except (ValueError, KeyError, TypeError):
        return InstallSpec(DISTRIBUTION, "local", comment=_LOCAL)
    vcs = record.get("vcs_info")
    if isinstance(vcs, dict) and vcs.get("vcs") == "git" and vcs.get("commit_id"):
        commit = str(vcs["commit_id"])
        pip = f"{DISTRIBUTION} @ git+{url}@{commit}"
        return InstallSpec(pip, "vcs", vcs_url=url, commit=commit, comment="the git commit `init` ran from")
    if url.startswith("file://") or "dir_info" in record:
        path = _file_path(url)
        return InstallSpec(path, "local", comment=_LOCAL)
    return InstallSpec(f"{DISTRIBUTION} @ {url}", "archive", comment="the archive `init` was installed from")


def _file_path(url: str) -> str:
    from urllib.parse import unquote, urlsplit

    parts = urlsplit(url)
    return unquote(parts.path) if parts.scheme == "file" else url
