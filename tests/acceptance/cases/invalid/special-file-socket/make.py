"""A Unix socket with a YAML name: not a file to read."""

import os
import socket
from pathlib import Path


def make(root: Path) -> None:
    here = os.getcwd()
    os.chdir(root / "environments")  # a relative name: socket paths are limited to about 100 bytes
    try:
        with socket.socket(socket.AF_UNIX) as server:
            server.bind("socket.yaml")
    finally:
        os.chdir(here)
