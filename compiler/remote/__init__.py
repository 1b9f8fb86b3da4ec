"""Clients of remote services (the Astro API, Airflow REST); the only package importing httpx.

httpx's `__init__` imports its command line (`httpx._main`, which imports click, rich and
pygments when they are installed) only to export `httpx.main`, and catches the ImportError
when they are not (httpx/__init__.py, `try: from ._main import main`). astro-gitops never runs
httpx's command line: the entry set to None below makes that import fail as it does without
them, which saves about 40 ms of CPU of every plan where they are installed (issue 26).
"""

import sys

if "httpx" not in sys.modules:
    sys.modules.setdefault("httpx._main", None)  # type: ignore[arg-type]
