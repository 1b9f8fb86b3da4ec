"""The starter files `init` writes and the pre-commit writer adds to: templates shipped in the package.

A template is plain text with `%NAME%` placeholders (no Jinja: `init` must not pay its import).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from importlib.resources import files


def starter(name: str, values: Mapping[str, str]) -> str:
    """The text of template `name` (a file of compiler/onboarding/templates/) with `%NAME%` put in.

    One pass: a value that happens to hold `%NAME%` is not substituted again; a placeholder
    that `values` lacks stays as it is.
    """
    text = files("compiler.onboarding").joinpath("templates").joinpath(name).read_text(encoding="utf-8")
    return re.sub(r"%([A-Z_]+)%", lambda m: values.get(m.group(1), m.group(0)), text)
