"""How the running astro-gitops was installed, as what CI and pre-commit should install.

PEP 610: pip records a direct URL install in the distribution's `direct_url.json`, with
a VCS URL and commit, or a local path (`dir_info`), or an archive; an install from a
package index has no such file and its version is the one to pin. `init` writes the
result into the workflow and the pre-commit config, so the first push installs what is
known to exist, not a release that may not.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from importlib import metadata
from typing import Any

DISTRIBUTION = "astro-gitops"
PROJECT_REPOSITORY = "https://github.com/astro-gitops/astro-gitops"
_GITHUB = re.compile(r"^(?:https://|ssh://git@|git@)github\.com[/:]([\w.-]+)/([\w.-]+?)(?:\.git)?/?$")


@dataclass(frozen=True)
class InstallSpec:
    """What to install astro-gitops from, for pip (CI) and for pre-commit."""

    pip: str  # a pip requirement: `astro-gitops==1.2.0`, `astro-gitops @ git+URL@COMMIT`, or a path
    kind: str  # "vcs", "index", "local" (a path CI cannot reach), or "archive"
    vcs_url: str = ""  # the git URL, for "vcs"
    commit: str = ""  # the commit, for "vcs"
    comment: str = ""  # a line for a YAML comment: why this value, what to change

    @property
    def github(self) -> str | None:
        """`owner/name` of a VCS install from GitHub (where the reusable workflow lives)."""
        found = _GITHUB.match(self.vcs_url) if self.kind == "vcs" else None
        return f"{found.group(1)}/{found.group(2)}" if found else None


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
