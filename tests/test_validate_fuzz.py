"""Property: whatever the files say, validate returns located diagnostics and never raises.

Documents are generated from the schemas' own vocabulary, so they reach past the schema
into the model and the semantic rules instead of failing at the first unknown key; the
shipped example is also mutated byte by byte. Whatever validates must also render.

CI runs a bounded number of examples; for a longer local run:
    ASTRO_GITOPS_FUZZ_EXAMPLES=5000 pytest tests/test_validate_fuzz.py
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from strategies import DOCUMENTS, dump

from compiler.pipeline import Selection, render_files, resolve_selection, view_of
from compiler.project import Project, validate
from compiler.secrets import SecretValues
from compiler.sources import SourceFile

EXAMPLE = Path(__file__).resolve().parent.parent / "environments"
EXAMPLES = int(os.environ.get("ASTRO_GITOPS_FUZZ_EXAMPLES", "150"))

WORKSPACE = {"version": 1, "workspace": "T", "branches": [{"branch": "main", "deployment": "prod"}]}


@settings(max_examples=EXAMPLES, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(workspace_extra=DOCUMENTS, deployment=DOCUMENTS, objects=DOCUMENTS, objects2=DOCUMENTS)
def test_validate_never_raises_and_locates_inside_the_files(
    workspace_extra: dict[str, Any], deployment: dict[str, Any], objects: dict[str, Any], objects2: dict[str, Any]
) -> None:
    files = {
        "environments/workspace.yaml": dump({**WORKSPACE, **workspace_extra}),
        "environments/deployments/prod.yaml": dump({"name": "prod", **deployment}),
        "environments/a.yaml": dump(objects),
        "environments/b.yaml": dump(objects2),
    }
    sources = [SourceFile(path, data) for path, data in sorted(files.items())]

    project = validate(sources)

    assert validate(sources).diagnostics == project.diagnostics  # deterministic
    _check(project, files)


def _check(project: Project, files: dict[str, bytes]) -> None:
    """Located, well-formed diagnostics; a valid project renders every Deployment."""
    for d in project.diagnostics:
        lines = files[d.location.path].count(b"\n") + 1
        assert 1 <= d.location.line <= lines and d.location.column >= 1, str(d)
        assert d.severity in ("error", "warning") and d.code.replace("-", "").isalnum(), str(d)
        assert "\n" not in d.message and d.message, str(d)
    if project.ok:
        # validate resolves as render does (issue 15.16): what it passes, `render --all` renders.
        resolved = resolve_selection(project, Path("."), Selection(all=True), {})
        render_files(project.model, resolved, SecretValues(), view_of(project, resolved))


EXAMPLE_FILES = {
    f"environments/{p.relative_to(EXAMPLE).as_posix()}": p.read_bytes() for p in sorted(EXAMPLE.rglob("*.yaml"))
}
EDITS = st.lists(
    st.tuples(
        st.sampled_from(sorted(EXAMPLE_FILES)),
        st.sampled_from(["flip", "insert", "delete"]),
        st.floats(0, 1, exclude_max=True),
        st.binary(min_size=1, max_size=4)
        | st.sampled_from([b":", b"-", b"  ", b"\n", b"{", b"[", b"&a", b"*a", b"'", b"\t", b"{{"]),
    ),
    min_size=1,
    max_size=4,
)


@settings(max_examples=EXAMPLES, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(edits=EDITS)
def test_mutated_example_never_crashes(edits: list[tuple[str, str, float, bytes]]) -> None:
    files = dict(EXAMPLE_FILES)
    for path, how, where, data in edits:
        text = files[path]
        at = int(where * len(text))
        if how == "flip":
            files[path] = text[:at] + data + text[at + len(data) :]
        elif how == "insert":
            files[path] = text[:at] + data + text[at:]
        else:
            files[path] = text[:at] + text[at + len(data) :]
    sources = [SourceFile(path, data) for path, data in sorted(files.items())]
    _check(validate(sources), files)
