"""Property: whatever the files say, validate returns located diagnostics and never raises.

Documents are generated from the schemas' own vocabulary, so they reach past the schema
into the model and the semantic rules instead of failing at the first unknown key; the
shipped example is also mutated byte by byte. Whatever validates must also render.

CI runs a bounded number of examples; for a longer local run:
    ASTRO_GITOPS_FUZZ_EXAMPLES=5000 pytest tests/acceptance/test_validate_fuzz.py
"""

from __future__ import annotations

import os
import re
import socket
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support.strategies import DOCUMENTS, dump

from compiler.load.sources import SourceFile, filesystem_sources
from compiler.model.secrets import SecretValues
from compiler.render.pipeline import Selection, render_files, resolve_selection, view_of
from compiler.validate.project import Project, validate

EXAMPLE = Path(__file__).resolve().parents[2] / "environments"
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
        # Lines as YAML and the parser count them (CR LF, CR or LF: load/careful_route._at_index);
        # a lone CR, which a mutation can leave, ends a line too.
        lines = len(re.split(rb"\r\n|\r|\n", files[d.location.path]))
        assert 1 <= d.location.line <= lines and d.location.column >= 1, str(d)
        assert d.severity in ("error", "warning") and d.code.replace("-", "").isalnum(), str(d)
        assert "\n" not in d.message and d.message, str(d)
    if project.ok:
        # validate resolves as render does (issue 15.16): what it passes, `render --all` renders.
        resolved = resolve_selection(project, Path("."), Selection(all=True), {})
        render_files(project.model, resolved, SecretValues(), view_of(project, resolved))


# The kinds of input the YAML reader once got wrong (tests/load/test_fast_route.py holds the rest):
# directives, tabs, YAML 1.1 line breaks and number forms, tags, anchors, JSON-like flow keys.
READER_KINDS = [
    b"%YAML 1.1\n",
    b"%YAML 1.3\n---\n",
    b"%TAG ! tag:x:\n",
    b":\t",
    b"\t# c",
    "\u2028".encode(),
    "\x85".encode(),
    "\ufeff".encode(),
    b"1_000",
    b"0x_1F",
    b"0b101",
    b"0o17",
    b"+.inf",
    b"1:20",
    b"yes",
    b"2024-01-01",
    b"!!bool ",
    b"!!int ",
    b"!!map ",
    b"! ",
    b"&a ",
    b"&x:y ",
    b"? ",
    b"'x':",
    b'"x":1',
    b"['x':, 1]",
    b"- - - - ",
]
EXAMPLE_FILES = {
    f"environments/{p.relative_to(EXAMPLE).as_posix()}": p.read_bytes() for p in sorted(EXAMPLE.rglob("*.yaml"))
}
EDITS = st.lists(
    st.tuples(
        st.sampled_from(sorted(EXAMPLE_FILES)),
        st.sampled_from(["flip", "insert", "delete"]),
        st.floats(0, 1, exclude_max=True),
        st.binary(min_size=1, max_size=4)
        | st.sampled_from([b":", b"-", b"  ", b"\n", b"{", b"[", b"&a", b"*a", b"'", b"\t", b"{{"])
        | st.sampled_from(READER_KINDS),
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


# --- templates: whatever a template says, validate ends with a located diagnostic ---------

# Pieces of costly templates: loops over big sequences, huge powers and products, string
# growth by every operator, filter and method, macros calling themselves, deep nesting.
_BIG = ["'x' * 10000", "'ab' * 5000", "[1, 2, 3] * 3000", "(10 ** 64)", "('9' * 3000) | int", "9 ** 9"]
_GROWTH = [
    "{a} * {b}", "{a} ** {b}", "{a} ** {a}", "{a} + {a}", "{a} ~ {a} ~ {a}", "{a} | replace('x', {a})",
    "[{a}, {a}] | join({a})", "{a}.replace('x', 'xx')", "' '.join([{a}, {a}])", "'%0*d' % ({b}, 1)",
    "{a}.ljust({b})", "{a} | upper | lower | title", "({a})[::-1]", "{a} | truncate({b})",
]  # fmt: skip


@st.composite
def _costly_template(draw: st.DrawFn) -> str:
    expression = draw(st.sampled_from(_BIG))
    for _ in range(draw(st.integers(0, 4))):
        other = draw(st.sampled_from(_BIG))
        expression = draw(st.sampled_from(_GROWTH)).format(a=f"({expression})", b=f"({other})")
    body = "{{ " + expression + " }}"
    for i in range(draw(st.integers(0, 4))):
        body = f"{{% for v{i} in {draw(st.sampled_from(_BIG))} %}}{body}{{% endfor %}}"
    shape = draw(st.sampled_from(["plain", "macro", "set", "nest"]))
    if shape == "macro":
        body = f"{{% macro m(n) %}}{body}{{{{ m(n) }}}}{{{{ m(n) }}}}{{% endmacro %}}{{{{ m(1) }}}}"
    elif shape == "set":
        body = f"{{% set s %}}{body}{body}{{% endset %}}{{{{ s ~ s }}}}"
    elif shape == "nest":
        depth = draw(st.integers(1, 3000))
        body = draw(st.sampled_from(["{{ " + "(" * depth + "1" + ")" * depth + " }}", "{{ " + "-" * depth + "1 }}",
                                     "{{ " + "1 + " * depth + "1 }}", "{% if 1 %}" * depth + "x" + "{% endif %}" * depth]))  # fmt: skip
    return body


@settings(max_examples=EXAMPLES, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(template=_costly_template())
def test_every_template_ends_with_a_result_or_a_located_diagnostic(template: str) -> None:
    objects = {"variables": {"v": {"value": template, "links": "all"}}}
    files = {
        "environments/workspace.yaml": dump(WORKSPACE),
        "environments/deployments/prod.yaml": dump({"name": "prod", "astro": {"executor": "KUBERNETES"}}),
        "environments/objects.yaml": dump(objects),
    }

    project = validate([SourceFile(path, data) for path, data in sorted(files.items())])

    _check(project, files)
    problems = [d for d in project.diagnostics if d.code.startswith("template-")]
    assert all(d.location.path == "environments/objects.yaml" and d.location.line == 3 for d in problems)


# --- special files: whatever sits under environments/, validate finishes, located ----------

ENTRY_KINDS = ["yaml", "garbage", "fifo", "socket", "folder", "link-to-fifo", "dangling-link", "link-to-folder"]
ENTRIES = st.dictionaries(
    st.sampled_from(["a.yaml", "b.yml", "deployments/c.yaml", "d.yaml", "deployments/e.yml"]),
    st.sampled_from(ENTRY_KINDS),
    max_size=5,
)


@pytest.mark.skipif(not hasattr(os, "mkfifo") or not hasattr(socket, "AF_UNIX"), reason="needs FIFOs and sockets")
@settings(max_examples=min(EXAMPLES, 40), deadline=None, database=None, suppress_health_check=list(HealthCheck))
@given(entries=ENTRIES)
def test_special_files_never_hang_and_are_located(
    tmp_path_factory: pytest.TempPathFactory, entries: dict[str, str]
) -> None:
    root = tmp_path_factory.mktemp("root")
    env = root / "environments"
    (env / "deployments").mkdir(parents=True)
    (env / "workspace.yaml").write_text(dump(WORKSPACE).decode())
    (env / "deployments" / "prod.yaml").write_text("name: prod\nastro:\n  executor: KUBERNETES\n")
    sockets = [_make_entry(env, name, kind) for name, kind in entries.items()]
    try:
        found = filesystem_sources(root)
        project = validate(found)
    finally:
        for server in sockets:
            if server is not None:
                server.close()

    by_path = {d.location.path: d for d in project.diagnostics}
    for name, kind in entries.items():
        path = f"environments/{name}"
        if kind in ("fifo", "socket", "link-to-fifo"):
            assert by_path[path].code == "special-file", (path, kind)
        elif kind == "dangling-link":
            assert by_path[path].code == "unreadable", (path, kind)
        elif kind in ("folder", "link-to-folder"):
            assert path not in by_path, (path, kind)  # a folder is walked (a linked one is not), never read
    files = {s.path: s.data for s in found if s.data is not None}
    for d in project.diagnostics:
        assert d.location.line >= 1 and d.location.column >= 1, str(d)
        if d.location.path in files:
            assert d.location.line <= (files[d.location.path] or b"").count(b"\n") + 1, str(d)


def _make_entry(env: Path, name: str, kind: str) -> socket.socket | None:
    path = env / name
    if kind == "yaml":
        path.write_text("variables:\n  v: {value: x, links: all}\n")
    elif kind == "garbage":
        path.write_bytes(b"a: [26, 'x':, 3]\nkey:\tvalue\n%YAML 1.3\n")
    elif kind == "fifo":
        os.mkfifo(path)
    elif kind == "folder":
        path.mkdir()
    elif kind == "link-to-fifo":
        os.mkfifo(path.parent / f".{path.name}.fifo")
        path.symlink_to(f".{path.name}.fifo")
    elif kind == "dangling-link":
        path.symlink_to("nowhere.yaml")
    elif kind == "link-to-folder":
        (path.parent / f".{path.name}.d").mkdir()
        path.symlink_to(f".{path.name}.d")
    elif kind == "socket":
        here = os.getcwd()
        os.chdir(path.parent)  # a relative name: socket paths are limited to about 100 bytes
        try:
            server = socket.socket(socket.AF_UNIX)
            server.bind(path.name)
        finally:
            os.chdir(here)
        return server
    return None
