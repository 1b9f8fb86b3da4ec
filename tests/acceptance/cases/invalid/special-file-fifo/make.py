"""A named pipe with a YAML name: reading it would wait forever for a writer."""

import os
from pathlib import Path


def make(root: Path) -> None:
    os.mkfifo(root / "environments" / "pipe.yaml")
    # A link inside environments/ to a pipe is the same: only regular files are read.
    (root / "environments" / "linked.yaml").symlink_to("pipe.yaml")
