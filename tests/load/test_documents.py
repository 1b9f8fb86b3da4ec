"""Units of compiler.load.documents: positions, decoding, hostile-input limits."""

from __future__ import annotations

from typing import Any

import pytest

from compiler import limits
from compiler.diagnostics import Location
from compiler.errors import InvalidEnvironments
from compiler.limits import MAX_FILE_BYTES
from compiler.load import documents
from compiler.load.documents import Document, parse_document


def document(text: str, path: str = "environments/x.yaml") -> Document:
    parsed, problems = parse_document(path, text.encode("utf-8"))
    assert problems == [] and parsed is not None, problems
    return parsed


def only_problem(data: bytes | str, path: str = "environments/x.yaml") -> tuple[str, int, int, str]:
    raw = data.encode("utf-8") if isinstance(data, str) else data
    parsed, problems = parse_document(path, raw)
    assert parsed is None and len(problems) == 1, problems
    loc = problems[0].location
    return problems[0].code, loc.line, loc.column, problems[0].message


def located_message(data: bytes | str, code: str, where: tuple[int, int]) -> str:
    """The message of the one problem of `data`, which must be `code` at (line, column) `where`."""
    found, line, column, message = only_problem(data)
    assert (found, (line, column)) == (code, where)
    return message


# --- locate ----------------------------------------------------------------------------

NESTED = """\
connections:
  db:
    type: postgres
    extra: {region: eu, tags: [a, b]}
queues:
  - name: default
    worker_type: A5
  - name: heavy
"""


@pytest.mark.parametrize(
    ("ypath", "at", "expected"),
    [
        (("connections", "db", "type"), "key", (3, 5)),
        (("connections", "db", "type"), "value", (3, 11)),
        (("connections", "db"), "key", (2, 3)),
        (("connections", "db", "extra", "region"), "key", (4, 13)),
        (("connections", "db", "extra", "region"), "value", (4, 21)),
        (("connections", "db", "extra", "tags", 1), "value", (4, 35)),
        (("queues", 1), "value", (8, 5)),
        (("queues", 0, "worker_type"), "key", (7, 5)),
        (("queues", 0, "worker_type"), "value", (7, 18)),
    ],
)
def test_locate_points_at_the_key_or_the_value(ypath: documents.YPath, at: str, expected: tuple[int, int]) -> None:
    found = document(NESTED).locate(ypath, at=at)  # type: ignore[arg-type]

    assert (found.line, found.column) == expected


def test_locate_of_the_document_is_its_start() -> None:
    assert document("\n\n# comment\nvariables: {}\n").locate(()) == Location("environments/x.yaml", 4, 1)


@pytest.mark.parametrize(
    ("ypath", "expected"),
    [
        (("connections", "nope"), (1, 1)),  # missing key: the nearest ancestor's key
        (("connections", "db", "extra", "missing", "deeper"), (4, 5)),
        (("queues", 7), (5, 1)),  # index out of range
        (("queues", "name"), (5, 1)),  # a key step on a list
        (("connections", 0), (1, 1)),  # an index step on a mapping
        (("connections", "db", "type", "x"), (3, 5)),  # below a scalar
    ],
)
def test_locate_falls_back_to_the_nearest_ancestor(ypath: documents.YPath, expected: tuple[int, int]) -> None:
    found = document(NESTED).locate(ypath)

    assert (found.line, found.column) == expected


MERGED = """\
base: &base
  sslmode: require
  token: abc
other:
  <<: *base
  region: eu
"""


def test_locate_of_a_key_from_a_merge_falls_back_to_the_mapping() -> None:
    doc = document(MERGED)

    assert doc.data["other"] == {"sslmode": "require", "token": "abc", "region": "eu"}
    assert doc.locate(("other", "token")) == Location("environments/x.yaml", 4, 1)
    assert doc.locate(("other", "token"), at="key") == Location("environments/x.yaml", 4, 1)
    assert doc.locate(("other", "region"), at="key") == Location("environments/x.yaml", 6, 3)


def test_locate_in_an_empty_objects_file_is_the_start() -> None:
    parsed, problems = parse_document("environments/x.yaml", b"")

    assert parsed is not None and [p.code for p in problems] == ["empty-file"]
    assert parsed.locate(("variables", "x")) == Location("environments/x.yaml", 1, 1)


# --- decoding --------------------------------------------------------------------------


def test_a_byte_order_mark_is_not_a_column() -> None:
    parsed, problems = parse_document("environments/x.yaml", b"\xef\xbb\xbfvariables:\n  v: {value: x}\n")

    assert problems == [] and parsed is not None
    assert parsed.locate(("variables",), at="key") == Location("environments/x.yaml", 1, 1)
    assert parsed.locate(("variables", "v"), at="key") == Location("environments/x.yaml", 2, 3)


def test_crlf_line_ends_count_as_one() -> None:
    parsed, problems = parse_document("environments/x.yaml", b"variables:\r\n  v:\r\n    value: x\r\n")

    assert problems == [] and parsed is not None
    assert parsed.data == {"variables": {"v": {"value": "x"}}}
    assert parsed.locate(("variables", "v", "value")) == Location("environments/x.yaml", 3, 12)


def test_not_utf8_is_located_at_the_first_bad_byte_in_characters() -> None:
    data = "a: 1\nb: café ".encode() + b"\xff\n"

    assert only_problem(data)[:3] == ("not-utf8", 2, 9)


def test_latin1_after_crlf() -> None:
    assert only_problem(b"a: 1\r\nb: caf\xe9\r\n")[:3] == ("not-utf8", 2, 7)


@pytest.mark.parametrize("data", [b"a: 1\n\x00\x01\x02", b"\xff\xfea\x00:\x00 \x001\x00"], ids=["nul", "utf-16"])
def test_nul_bytes_mean_binary(data: bytes) -> None:
    assert only_problem(data)[:3] == ("binary-file", 1, 1)


# --- values --------------------------------------------------------------------------


def test_explicit_str_tag_is_a_string() -> None:
    assert document("a: !!str 3.10\nb: !!str 2024-01-01\n").data == {"a": "3.10", "b": "2024-01-01"}


@pytest.mark.parametrize(
    ("text", "where", "words"),
    [
        ("a: !custom 1\n", (1, 4), "'!custom'"),
        ("a: !custom [1]\n", (1, 4), "'!custom'"),
        ("!!python/object:os.system {}\n", (1, 1), "python/object"),
        ("a: 2024-01-01\n", (1, 4), "date"),
        ("a: !!binary aGVsbG8=\n", (1, 4), "bytes"),
        ("a: !!set {b: null}\n", (1, 4), "Set"),
    ],
)
def test_unsupported_values(text: str, where: tuple[int, int], words: str) -> None:
    assert words in located_message(text, "unsupported-value", where)


@pytest.mark.parametrize("text", ["a: .nan\n", "a: .inf\n", "a: -.Inf\n", "a: 1e400\n"])
def test_nan_and_infinity_are_invalid(text: str) -> None:
    assert only_problem(text)[:3] == ("invalid-value", 1, 4)


def test_plain_data_types() -> None:
    data = document("s: x\ni: 0x1F\nf: 1.5\nb: true\nn: ~\nl: [1, {k: v}]\nbig: 123456789012345678901234567890\n").data

    assert data == {
        "s": "x",
        "i": 31,
        "f": 1.5,
        "b": True,
        "n": None,
        "l": [1, {"k": "v"}],
        "big": 123456789012345678901234567890,
    }
    assert [type(v) for v in data.values()] == [str, int, float, bool, type(None), list, int]


def test_non_string_keys() -> None:
    assert only_problem("variables:\n  1: {value: x}\n")[:3] == ("non-string-key", 2, 3)
    assert only_problem("? [a, b]\n: 1\n")[0] == "non-string-key"


def test_duplicate_key_names_both_lines() -> None:
    code, line, column, message = only_problem("a: 1\nb: 2\na: 3\n")

    assert (code, line, column) == ("duplicate-key", 3, 1)
    assert '"a"' in message and "line 1" in message


def test_yaml_syntax_error_is_located() -> None:
    assert only_problem("a: [1, 2\nb: 3\n")[0] == "yaml-syntax"
    assert only_problem("a:\n\tb: 1\n")[:3] == ("yaml-syntax", 2, 1)


def test_empty_files() -> None:
    objects, found = parse_document("environments/pools.yaml", b"# nothing\n")
    assert objects is not None and objects.data == {}
    assert [(d.severity, d.code) for d in found] == [("warning", "empty-file")]

    for path in ("environments/workspace.yaml", "environments/deployments/a.yaml"):
        parsed, found = parse_document(path, b"")
        assert parsed is None
        assert [(d.severity, d.code) for d in found] == [("error", "empty-file")]


# --- limits --------------------------------------------------------------------------


def test_file_size_limit() -> None:
    assert parse_document("environments/x.yaml", b"a: 1\n" + b"#" * MAX_FILE_BYTES)[1][0].code == "file-too-large"
    fits = b"a: 1\n#" + b"x" * (MAX_FILE_BYTES - 7) + b"\n"
    assert len(fits) == MAX_FILE_BYTES
    assert parse_document("environments/x.yaml", fits)[1] == []


def test_flow_depth_limit_is_inclusive() -> None:
    deepest = "a: " + "[" * limits.MAX_DEPTH + "]" * limits.MAX_DEPTH + "\n"
    assert parse_document("environments/x.yaml", deepest.encode())[1] == []

    code, line, column, _ = only_problem("a: " + "[" * (limits.MAX_DEPTH + 1) + "]" * (limits.MAX_DEPTH + 1) + "\n")
    assert (code, line, column) == ("too-deep", 1, 4 + limits.MAX_DEPTH)


def test_brackets_in_quotes_do_not_count() -> None:
    text = "a: ['" + "[" * 500 + "', \"{" * 1 + "{" * 500 + '"]\n'

    assert document(text).data == {"a": ["[" * 500, "{" * 501]}


def nested_block(levels: int) -> str:
    return (
        "".join("  " * level + f"k{level}:\n" for level in range(levels - 1))
        + "  " * (levels - 1)
        + f"k{levels - 1}: leaf\n"
    )


def test_block_depth_limit() -> None:
    # The document is level 0, so MAX_DEPTH nested keys put the leaf at level MAX_DEPTH.
    assert parse_document("environments/x.yaml", nested_block(limits.MAX_DEPTH).encode())[1] == []

    code, line, column, _ = only_problem(nested_block(limits.MAX_DEPTH + 1))
    assert (code, line, column) == (
        "too-deep",
        limits.MAX_DEPTH + 1,
        2 * limits.MAX_DEPTH + len(f"k{limits.MAX_DEPTH}: ") + 1,
    )


def test_deep_block_sequences_do_not_crash_and_are_located() -> None:
    # Located at the first level past the limit (the document is level 0), never at 1:1.
    assert only_problem("- " * 5000 + "x\n")[:3] == ("too-deep", 1, 2 * (limits.MAX_DEPTH + 1) + 1)
    assert only_problem("- " * 1_000_000 + "x\n")[:3] == ("too-deep", 1, 2 * (limits.MAX_DEPTH + 1) + 1)


def test_shared_aliases_are_fine() -> None:
    data = document("a: &a [1, 2, 3]\nb: [*a, *a, *a]\n").data

    assert data == {"a": [1, 2, 3], "b": [[1, 2, 3]] * 3}


def test_alias_bomb() -> None:
    lines = ['l0: &l0 ["x", "x", "x", "x", "x", "x", "x", "x", "x", "x"]']
    lines += [f"l{i}: &l{i} [" + ", ".join([f"*l{i - 1}"] * 10) + "]" for i in range(1, 9)]

    code, *_ = only_problem("\n".join(lines) + "\n")

    assert code == "alias-bomb"


# --- helpers -------------------------------------------------------------------------


def test_kind_of() -> None:
    assert documents.kind_of("environments/workspace.yaml") == "workspace"
    assert documents.kind_of("environments/deployments/a.yaml") == "deployment"
    assert documents.kind_of("environments/deployments/nested/a.yaml") == "deployment"
    assert documents.kind_of("environments/teams/workspace.yaml") == "objects"


def test_iter_strings() -> None:
    found = list(documents.iter_strings({"a": ["x", {"b": "y"}], "c": 1, "d": None}))

    assert found == [(("a", 0), "x"), (("a", 1, "b"), "y")]


# --- the careful route decides, located ------------------------------------------------------


def test_positions_never_fall_back_to_line_1_when_the_careful_parse_fails() -> None:
    """The fast route once read `a: [26, 'x':, 3]`, which the careful route refuses; positions
    then came from an empty tree (every diagnostic and `explain` at line 1). If the routes ever
    disagreed again, asking for a position raises the careful route's located diagnostic."""
    text = "a: 1\nb:\n  c: [26, 'x':, 3]\n"
    stale = Document("environments/x.yaml", "objects", {"a": 1, "b": {"c": [26, {"x": None}, 3]}}, text)

    with pytest.raises(InvalidEnvironments) as raised:
        stale.locate(("b", "c", 1))

    (found,) = raised.value.diagnostics
    assert (found.code, found.location.line, found.location.column) == ("yaml-syntax", 3, 14)
    assert only_problem(text)[:3] == ("yaml-syntax", 3, 14)  # what parse_document says of the same text


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ("%YAML 1.3\n---\na: 1\n", (1, 1)),
        ("%YAML 1.1\n---\na: yes\n", (1, 1)),
        ("%YAML 2.0\n---\na: 1\n", (1, 1)),
        ("# comment\n%TAG !e! tag:example.com,2000:\n---\na: 1\n", (2, 1)),
        ("%FOO bar\n---\na: 1\n", (1, 1)),
        ("%YAML 1.2\n%TAG ! tag:x:\n---\na: 1\n", (2, 1)),
    ],
)
def test_unsupported_directives_are_located(text: str, where: tuple[int, int]) -> None:
    """`%YAML 1.3` was an AssertionError inside ruamel.yaml (exit 70)."""
    assert "YAML 1.2" in located_message(text, "unsupported-directive", where)


def test_the_yaml_1_2_directive_changes_nothing() -> None:
    assert document("%YAML 1.2\n---\na: yes\nb: 1_000\n").data == {"a": "yes", "b": "1_000"}


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ("key:\tvalue\n", (1, 5)),
        ("a: 1\nkey:\t[1, 2]\nb: 2\n", (2, 5)),
        ("a:\n  b: x\t\n  c:\t1\n", (2, 7)),  # a trailing tab too
    ],
)
def test_a_tab_after_a_colon_is_a_located_syntax_error(text: str, where: tuple[int, int]) -> None:
    assert "a tab; use spaces" in located_message(text, "yaml-syntax", where)


@pytest.mark.parametrize(
    ("data", "where"),
    [
        ("a: 1\nb: x\x07y\n", (2, 5)),
        ("a: 1\rb: x\x07y\r", (2, 5)),  # lines counted as the parser counts them
        ("a: 1\r\nb: x\x1by\r\n", (2, 5)),
        ("a: 1\nb: \ufffe\n", (2, 4)),
        ("a: 1\nb: x\u2028y\n", (2, 5)),
        ("a: 1\n# c\x85d\n", (2, 4)),
        ("a: 'x\u2029'\n", (1, 6)),
    ],
)
def test_characters_yaml_refuses_are_located(data: str, where: tuple[int, int]) -> None:
    message = located_message(data, "yaml-syntax", where)
    assert "unicode string" not in message and "position" not in message


def test_a_reused_anchor_is_a_located_warning_never_a_python_warning() -> None:
    """Warnings are errors under pytest: a raw ruamel.yaml warning would fail here."""
    parsed, problems = parse_document("environments/x.yaml", b"a: &x 1\nb:\n  c: &x 2\nd: *x\n")

    assert parsed is not None and parsed.data == {"a": 1, "b": {"c": 2}, "d": 2}
    assert [(p.severity, p.code, p.location.line, p.location.column) for p in problems] == [
        ("warning", "yaml-warning", 3, 6)
    ]
    assert "'&x' is defined again (first at line 1)" in problems[0].message


def test_any_warning_of_the_parser_becomes_a_diagnostic(monkeypatch: pytest.MonkeyPatch) -> None:
    """The whole kind: whatever ruamel.yaml warns (here a future warning it may add), never raw."""
    import warnings

    from ruamel.yaml.composer import Composer
    from ruamel.yaml.error import YAMLFutureWarning

    compose = Composer.compose_document

    def warning_compose(self: Composer) -> object:
        warnings.warn("quoting the file: password: hunter2", YAMLFutureWarning, stacklevel=1)
        return compose(self)

    monkeypatch.setattr(Composer, "compose_document", warning_compose)
    parsed, problems = parse_document("environments/x.yaml", b"a: &x 1\nb: &x 2\n")  # careful route

    assert parsed is not None
    assert sorted(p.code for p in problems) == ["yaml-warning", "yaml-warning"]
    assert all("hunter2" not in p.message for p in problems)


def test_every_careful_failure_is_located_past_line_1() -> None:
    """Problems deep in a file point there, whatever stage of ruamel.yaml finds them."""
    head = "".join(f"a{i}: 1\n" for i in range(39))
    for tail, code in [
        ("b: [26, 'x':, 3]\n", "yaml-syntax"),
        ("b: \x07\n", "yaml-syntax"),
        ("b: !!bool yes\n", "invalid-value"),
        ("b: !!map x\n", "unsupported-value"),
        ("b: 2024-01-01\n", "unsupported-value"),
        ("? b: c\n: d\n", "non-string-key"),
        ("b: " + "- " * 200 + "x\n", "yaml-syntax"),
        ("b:\n" + "".join(" " * (i + 1) + f"k{i}:\n" for i in range(100)), "too-deep"),
        ("%YAML 1.3\n", "unsupported-directive"),
    ]:
        found, line, _, _ = only_problem(head + tail)
        assert (found, line >= 40) == (code, True), tail


def test_a_document_is_the_frozen_value_a_dataclass_would_be() -> None:
    """Document is written out by hand (load/ is below model/frozen.py): held to the dataclass
    it stands for, `text` out of ==, hash and repr."""
    import dataclasses

    @dataclasses.dataclass(frozen=True)
    class Reference:
        path: str
        kind: str
        data: Any
        text: str = dataclasses.field(default="", repr=False, compare=False)

    for args in [("a.yaml", "objects", {"k": 1}), ("a.yaml", "objects", {"k": 1}, "k: 1\n"), ("b", "workspace", None)]:
        ours, theirs = Document(*args), Reference(*args)  # type: ignore[arg-type]
        assert repr(ours) == repr(theirs).replace(Reference.__qualname__, "Document")
        if isinstance(ours.data, dict):  # unhashable data: unhashable document, as the dataclass
            with pytest.raises(TypeError):
                hash(ours)
        else:
            assert hash(ours) == hash(theirs)
        assert (ours.path, ours.kind, ours.data, ours.text) == (theirs.path, theirs.kind, theirs.data, theirs.text)
    first, second = Document("a", "objects", 1, "x"), Document("a", "objects", 1, "y")
    assert first == second and first != Document("a", "objects", 2, "x") and first != ("a", "objects", 1)
    assert first.with_data(None) == Document("a", "objects", None, "x") and first.with_data(2).text == "x"
    for name in ("path", "data", "text", "tree"):
        with pytest.raises(AttributeError):
            setattr(first, name, None)
        with pytest.raises(AttributeError):
            delattr(first, name)
    assert first.data == 1
