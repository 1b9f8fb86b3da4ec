"""Stage 1: the files of environments/ (working tree or a git ref) -> YAML documents with positions, within limits."""
