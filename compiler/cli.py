def main() -> int:
    from .project import validate_root
    from pathlib import Path
    p = validate_root(Path.cwd())
    for d in p.diagnostics: print(d)
    return 0 if p.ok else 1
