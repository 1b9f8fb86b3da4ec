"""YAML documents with positions, within hostile-input limits: the one reader of YAML files.

A document keeps its text beside a plain copy of its data (dicts, lists, str, int, float,
bool, None) that every later stage reads; the round-trip tree with positions is parsed
from the text only when a position is asked for. Ordinary files are read by the fast
route (load/fast_route.py); the careful route (load/careful_route.py) decides everything else, and
reports every problem, located.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from functools import cached_property
from pathlib import Path
from typing import Any, Literal

from compiler import limits
from compiler.diagnostics import Diagnostic, Location, error, warning
from compiler.errors import InvalidEnvironments
from compiler.load import roundtrip_tree
from compiler.load.roundtrip_tree import YPath as YPath
from compiler.load.sources import DEPLOYMENTS_DIR, WORKSPACE_FILE, SourceFile

Kind = Literal["workspace", "deployment", "objects"]


class Document:
    """One YAML file: its path, kind, plain data, and its text (for positions, parsed when asked).

    A frozen value, as `@dataclass(frozen=True)` with `text` out of ==, hash and repr would
    make it, written out: load/ is below model/frozen.py (tests/load/test_documents.py holds
    it to that dataclass).
    """

    path: str
    kind: Kind
    data: Any
    text: str

    def __init__(self, path: str, kind: Kind, data: Any, text: str = "") -> None:
        object.__setattr__(self, "path", path)
        object.__setattr__(self, "kind", kind)
        object.__setattr__(self, "data", data)
        object.__setattr__(self, "text", text)

    def with_data(self, data: Any) -> Document:
        """The same document holding other data (pruned, or None once the model is built)."""
        return Document(self.path, self.kind, data, self.text)

    def __repr__(self) -> str:
        return f"Document(path={self.path!r}, kind={self.kind!r}, data={self.data!r})"

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not Document:
            return NotImplemented
        return (self.path, self.kind, self.data) == (other.path, other.kind, other.data)

    def __hash__(self) -> int:
        return hash((self.path, self.kind, self.data))

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"cannot assign to field {name!r}")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"cannot delete field {name!r}")

    @cached_property
    def tree(self) -> Any:
        """The round-trip tree with positions (None for an empty file), parsed when first asked for.

        The fast route reads only what the careful route reads the same way
        (tests/test_fastyaml.py), so this parse succeeds; if it ever did not, the careful
        route's located diagnostic is raised rather than positions silently at line 1.
        (cached_property stores into __dict__ directly, which the frozen __setattr__ allows.)
        """
        if not self.text:
            return None
        from compiler.load import careful_route

        parsed = careful_route.parse(self.path, self.text)
        if isinstance(parsed, Diagnostic):
            raise InvalidEnvironments([parsed])
        return parsed.tree

    def locate(self, ypath: YPath, *, at: Literal["key", "value"] = "value") -> Location:
        return locate(self, ypath, at=at)


def kind_of(path: str) -> Kind:
    if path == WORKSPACE_FILE:
        return "workspace"
    if path.startswith(DEPLOYMENTS_DIR):
        return "deployment"
    return "objects"


# --- reading -------------------------------------------------------------------------


def read_yaml_file(path: Path, name: str) -> tuple[Document | None, list[Diagnostic]]:
    """Read the YAML file at path (called name in diagnostics) within every limit.

    For YAML files outside environments/ too (`init`'s `.pre-commit-config.yaml`,
    `import`'s settings file): only a regular file is read, never more than the size
    limit, and it is parsed as environments/ files are.
    """
    data = limits.read_regular_file(path, name)
    if isinstance(data, Diagnostic):
        return None, [data]
    return parse_document(name, data)


Parse = Callable[[str, bytes], tuple["Document | None", list[Diagnostic]]]  # parse_document's shape


def load_documents(
    sources: Iterable[SourceFile], parse: Parse | None = None
) -> tuple[list[Document], list[Diagnostic]]:
    """Parse every source (with `parse`, parse_document by default); return the documents that
    parsed and every problem found."""
    parse = parse_document if parse is None else parse
    documents: list[Document] = []
    problems: list[Diagnostic] = []
    for source in sources:
        if source.problem is not None:
            problems.append(source.problem)
            continue
        assert source.data is not None
        document, found = parse(source.path, source.data)
        problems.extend(found)
        if document is not None:
            documents.append(document)
    return documents, problems


def parse_document(path: str, data: bytes) -> tuple[Document | None, list[Diagnostic]]:
    """The document in a file's bytes, and every problem found (the document is None on an error)."""
    if len(data) > limits.MAX_FILE_BYTES:
        return None, [limits.too_large(path, len(data))]
    text = _decode(path, data)
    if isinstance(text, Diagnostic):
        return None, [text]
    return parse_text(path, text)


def parse_text(path: str, text: str) -> tuple[Document | None, list[Diagnostic]]:
    """As parse_document, for text already decoded."""
    deep = limits.flow_depth_problem(path, text)
    if deep is not None:
        return None, [deep]
    fast = _fast_document(path, text)
    if fast is not None:
        return fast, []
    # The careful route: the round-trip parser, whose errors and positions are the ones we report.
    from compiler.load import careful_route

    parsed = careful_route.parse(path, text)
    if isinstance(parsed, Diagnostic):
        return None, [parsed]
    found = list(parsed.warnings)
    kind = kind_of(path)
    if parsed.tree is None:
        if kind != "objects":
            # Not checked further: its schema would only repeat that every key is missing.
            return None, [*found, error(Location(path), "empty-file", "file is empty")]
        return Document(path, kind, {}), [*found, warning(Location(path), "empty-file", "file is empty")]
    plain, problems = roundtrip_tree.plain(path, parsed.tree)
    if problems:
        return None, [*found, *problems]
    return Document(path, kind, plain, text), found


def _fast_document(path: str, text: str) -> Document | None:
    """The document through the fast route (load/fast_route.py), or None: take the careful route.

    The round-trip parser is several times slower and is only needed for positions, so
    a file read here keeps its text and is re-parsed with positions only if a diagnostic
    or `explain` asks. Anything unusual takes the careful route, so every diagnostic
    comes from one parser.
    """
    from compiler.load.fast_route import plain_data

    data = plain_data(text)
    return None if data is None else Document(path, kind_of(path), data, text)


def _decode(path: str, data: bytes) -> str | Diagnostic:
    if b"\x00" in data:
        return error(Location(path), "binary-file", "file is binary (contains NUL bytes), not YAML")
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        before = data[: exc.start]
        line = before.count(b"\n") + 1
        # Columns count characters, as the YAML parser's do; the bytes before the first
        # invalid one are valid UTF-8.
        column = len(before[before.rfind(b"\n") + 1 :].decode("utf-8")) + 1
        return error(Location(path, line, column), "not-utf8", "file is not valid UTF-8")


# --- positions -----------------------------------------------------------------------


def locate(document: Document, ypath: YPath, *, at: Literal["key", "value"] = "value") -> Location:
    """The file:line:column of the key or value at ypath, or of its nearest ancestor."""
    return roundtrip_tree.locate_tree(document.path, document.tree, ypath, at)


def iter_leaves(value: Any, ypath: YPath = ()) -> Iterator[tuple[YPath, Any]]:
    """Every leaf (anything but a mapping or a list) of nested data, with its path."""
    if isinstance(value, Mapping):
        children: Iterable[tuple[str | int, Any]] = value.items()
    elif isinstance(value, (list, tuple)):
        children = enumerate(value)
    else:
        yield ypath, value
        return
    for step, child in children:
        if type(child) in SCALARS:  # most children: yielded here, not by a nested generator
            yield (*ypath, step), child
        else:
            yield from iter_leaves(child, (*ypath, step))


# JSON's scalar types, exactly (a subclass takes the slower, general path): the types most
# values have, tested first by the walks over every leaf.
SCALARS = frozenset((str, int, float, bool, type(None)))


def iter_strings(value: Any, ypath: YPath = ()) -> Iterator[tuple[YPath, str]]:
    """Every string leaf of plain data with its path."""
    return ((path, leaf) for path, leaf in iter_leaves(value, ypath) if isinstance(leaf, str))
