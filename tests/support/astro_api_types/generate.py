"""Turn Astronomer's generated Go types for the Astro API v1 into JSON Schema.

The source is ``astro-client-v1/api.gen.go`` in https://github.com/astronomer/astro-cli,
written by oapi-codegen from Astronomer's OpenAPI document.  This script reads the Go type
declarations of that file (nothing else of Go) and writes ``schemas.json`` beside itself:
one JSON Schema (draft 2020-12) definition under ``$defs`` for every type reachable from
``ROOTS`` below.

Rerun it (Python 3.10+, standard library only) from the repository root::

    git clone https://github.com/astronomer/astro-cli /tmp/astro-cli
    python tests/support/astro_api_types/generate.py \\
        /tmp/astro-cli/astro-client-v1/api.gen.go \\
        --commit "$(git -C /tmp/astro-cli rev-parse HEAD)"

How Go maps to JSON Schema
--------------------------
* ``struct`` -> ``object`` with ``additionalProperties: false``; the property names are the
  ``json:"..."`` tag names (``form:"..."`` for the query parameter structs).
* Required fields: oapi-codegen writes ``,omitempty`` on every field that is not required
  in the OpenAPI document, and makes those fields pointers.  So a field is ``required`` when
  its tag has no ``omitempty``.  (In the v1 file every pointer field has ``omitempty`` except
  ``OverrideDeploymentHibernationBody.IsHibernating``, a required nullable field, and no
  non-pointer field has ``omitempty``.)
* ``null``: allowed only for a pointer field without ``omitempty`` (OpenAPI ``nullable``
  on a required field; such a field is required *and* may be ``null``).  An optional
  pointer field may be absent but not ``null``; a required slice or map may not be ``null``
  either, although Go would marshal a nil one as ``null``: the schemas are meant to be at
  least as strict as the Go types, never looser.
* ``string`` -> string; ``bool`` -> boolean; ``int``/``int64``/``int32`` -> integer with
  the Go range; ``float32``/``float64`` -> number; ``time.Time`` -> string, format
  ``date-time``; ``openapi_types.Email`` -> string, format ``email``;
  ``openapi_types.UUID`` -> string, format ``uuid``; ``openapi_types.Date`` -> string,
  format ``date``; ``[]T`` -> array of T; ``map[string]T`` -> object whose values are T;
  ``interface{}`` and ``json.RawMessage`` -> any value.
* A named string type (``type X string``) -> string; ``enum`` lists the values of its
  ``const`` blocks when it has any.  ``type X = Y`` -> a ``$ref`` to Y.
* A union (a struct holding only ``union json.RawMessage``) -> ``oneOf`` over the member
  types named by its ``AsY()`` methods.  When the type has a ``Discriminator()`` method, the
  property it reads and the value -> member table of ``ValueByDiscriminator()`` give each
  branch a required ``const`` discriminator, and the table is kept as an OpenAPI-style
  ``discriminator`` keyword (JSON Schema ignores it; ``__init__.check`` uses it to report
  the chosen member's errors).
* The query parameter structs (``...Params``) carry ``x-in: query`` and, per property,
  the serialisation ``style``/``explode`` read from the client's request builder.

Anything else met in a reachable type (an embedded field, a channel, a function, ...)
stops the script with an error instead of being guessed.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path
from typing import Any

ROOTS = (
    # request bodies
    "CreateEnvironmentObjectRequest",
    "UpdateEnvironmentObjectRequest",
    "ExcludeLinkEnvironmentObjectRequest",
    "CreateStandardDeploymentRequest",
    "CreateDedicatedDeploymentRequest",
    "CreateHybridDeploymentRequest",
    "CreateDeploymentRequest",
    "UpdateStandardDeploymentRequest",
    "UpdateDedicatedDeploymentRequest",
    "UpdateHybridDeploymentRequest",
    "UpdateDeploymentRequest",
    # response bodies
    "EnvironmentObject",
    "EnvironmentObjectsPaginated",
    "CreateEnvironmentObject",
    "Deployment",
    "DeploymentsPaginated",
    "Workspace",
    "WorkspacesPaginated",
    "Organization",
    "OrganizationsPaginated",
    "Error",
    # query parameters
    "ListEnvironmentObjectsParams",
    "ListDeploymentsParams",
    "ListWorkspacesParams",
    "ListOrganizationsParams",
)

INT_RANGES = {
    "int": (-(2**63), 2**63 - 1),  # Go's int on the 64-bit platforms the CLI ships for
    "int64": (-(2**63), 2**63 - 1),
    "int32": (-(2**31), 2**31 - 1),
}
SCALARS: dict[str, dict[str, Any]] = {
    "string": {"type": "string"},
    "bool": {"type": "boolean"},
    "float32": {"type": "number"},
    "float64": {"type": "number"},
    "time.Time": {"type": "string", "format": "date-time"},
    "openapi_types.Email": {"type": "string", "format": "email"},
    "openapi_types.UUID": {"type": "string", "format": "uuid"},
    "openapi_types.Date": {"type": "string", "format": "date"},
    "interface{}": {},
    "json.RawMessage": {},
}
for _name, (_low, _high) in INT_RANGES.items():
    SCALARS[_name] = {"type": "integer", "minimum": _low, "maximum": _high}

TYPE_LINE = re.compile(r"^type (\w+) (?:(= )?(\S+)|struct \{)$")
CONST_LINE = re.compile(r'^\t(\w+)\s+(\w+)\s*=\s*("(?:[^"\\]|\\.)*")$')
FIELD_LINE = re.compile(r"^\t(\w+)\s+(\S+)\s+`([^`]*)`$")
TAG = re.compile(r'(\w+):"([^"]*)"')
AS_METHOD = re.compile(r"^func \(t (\w+)\) As(\w+)\(\) \((\w+), error\) \{$", re.M)
HEADER_VERSION = re.compile(r"Code generated by (\S+) version (\S+) DO NOT EDIT")
BOILERPLATE_DOC = re.compile(r"^\w+ defines (model|parameters) for \w+\.?$")


class GoFile:
    """The type declarations, const values and union methods of one api.gen.go."""

    def __init__(self, text: str):
        self.text = text
        self.lines = text.splitlines()
        self.structs: dict[str, list[str]] = {}  # name -> body lines (with comments)
        self.named: dict[str, str] = {}  # type X Y  -> X: Y
        self.aliases: dict[str, str] = {}  # type X = Y -> X: Y
        self.docs: dict[str, str] = {}
        self.enums: dict[str, list[str]] = {}
        self._read()

    def _read(self) -> None:
        lines, i = self.lines, 0
        while i < len(lines):
            line = lines[i]
            if line == "const (":
                i += 1
                while lines[i] != ")":
                    m = CONST_LINE.match(lines[i])
                    if m:  # the value is a Go string literal; the ones used here are JSON too
                        self.enums.setdefault(m[2], []).append(json.loads(m[3]))
                    i += 1
            elif m := TYPE_LINE.match(line):
                name = m[1]
                self.docs[name] = _comment_above(lines, i, name)
                if m[3] is None:  # struct: keep the body up to the closing brace
                    body, i = [], i + 1
                    while lines[i] != "}":
                        body.append(lines[i])
                        i += 1
                    self.structs[name] = body
                elif m[2]:
                    self.aliases[name] = m[3]
                else:
                    self.named[name] = m[3]
            i += 1

    def union_members(self, name: str) -> list[str]:
        members = [m[2] for m in AS_METHOD.finditer(self.text) if m[1] == name]
        for m in AS_METHOD.finditer(self.text):
            if m[1] == name and m[2] != m[3]:
                raise SystemExit(f"{name}.As{m[2]} returns {m[3]}: not a union member method")
        if not members:
            raise SystemExit(f"union {name}: no As<Member>() methods found")
        return members

    def union_discriminator(self, name: str) -> tuple[str, dict[str, str]] | None:
        """(JSON property, {value: member type}) from Discriminator()/ValueByDiscriminator()."""
        body = _func_body(self.text, f"func (t {name}) Discriminator() (string, error) {{")
        if body is None:
            return None
        prop = re.search(r'Discriminator string `json:"(\w+)"`', body)
        table = _func_body(self.text, f"func (t {name}) ValueByDiscriminator() (interface{{}}, error) {{")
        if prop is None or table is None:
            raise SystemExit(f"union {name}: Discriminator() found but not understood")
        mapping = {
            json.loads(value): member
            for value, member in re.findall(r'case ("(?:[^"\\]|\\.)*"):\s*return t\.As(\w+)\(\)', table)
        }
        return prop[1], mapping

    def query_styles(self, params: str) -> dict[str, tuple[str, bool]]:
        """{query name: (style, explode)} from the client's New<Operation>Request builder."""
        operation = params.removesuffix("Params")
        start = self.text.find(f"func New{operation}Request(")
        body = _func_body(self.text, self.text[start : self.text.index("{", start) + 1]) if start >= 0 else None
        if body is None:
            raise SystemExit(f"{params}: no New{operation}Request builder to read the query style from")
        found = re.findall(r'StyleParamWithOptions\("(\w+)", (true|false), "(\w+)", \*?params\.', body)
        return {query: (style, explode == "true") for style, explode, query in found}


def _comment_above(lines: list[str], i: int, name: str, indent: str = "") -> str:
    """The // comment block right above line i, without the leading Go name."""
    doc: list[str] = []
    j = i - 1
    while j >= 0 and lines[j].startswith(indent + "//"):
        doc.insert(0, lines[j][len(indent) + 2 :].strip())
        j -= 1
    text = " ".join(doc).strip()
    if text.startswith(name + " "):
        text = text[len(name) + 1 :].strip()
    return "" if BOILERPLATE_DOC.match(f"{name} {text}") else text


def _func_body(text: str, header: str) -> str | None:
    start = text.find("\n" + header)
    if start < 0:
        return None
    end = text.find("\n}\n", start)
    return text[start:end]


class Converter:
    def __init__(self, go: GoFile):
        self.go = go
        self.defs: dict[str, dict[str, Any]] = {}

    def define(self, name: str) -> None:
        if name in self.defs:
            return
        self.defs[name] = {}  # placeholder: recursive types stop here
        go = self.go
        if name in go.structs:
            body = go.structs[name]
            if [line.strip() for line in body] == ["union json.RawMessage"]:
                schema = self.union(name)
            else:
                schema = self.struct(name, body)
        elif name in go.aliases:
            schema = self.type_schema(go.aliases[name])
        elif name in go.named:
            schema = dict(self.type_schema(go.named[name]))
            if name in go.enums:
                if schema.get("type") != "string":
                    raise SystemExit(f"enum {name}: only string enums are handled")
                schema["enum"] = go.enums[name]
        else:
            raise SystemExit(f"type {name} is not declared in the file")
        doc = go.docs.get(name)
        self.defs[name] = ({"description": doc} if doc else {}) | schema

    def type_schema(self, go_type: str) -> dict[str, Any]:
        """The schema of a value of a Go type (the pointer is dealt with by the caller)."""
        if go_type.startswith("*"):
            return self.type_schema(go_type[1:])
        if go_type.startswith("[]"):
            return {"type": "array", "items": self.type_schema(go_type[2:])}
        if go_type.startswith("map[string]"):
            values = self.type_schema(go_type[len("map[string]") :])
            return {"type": "object", "additionalProperties": values if values else True}
        if go_type in SCALARS:
            return dict(SCALARS[go_type])
        if re.fullmatch(r"[A-Z]\w*", go_type):
            self.define(go_type)
            return {"$ref": f"#/$defs/{go_type}"}
        raise SystemExit(f"Go type {go_type!r} is not handled")

    def struct(self, name: str, body: list[str]) -> dict[str, Any]:
        properties: dict[str, dict[str, Any]] = {}
        required: list[str] = []
        is_params = name.endswith("Params")
        styles = self.go.query_styles(name) if is_params else {}
        for i, line in enumerate(body):
            if not line.strip() or line.lstrip().startswith("//"):
                continue
            m = FIELD_LINE.match(line)
            if m is None:
                raise SystemExit(f"{name}: field line not understood: {line.strip()!r}")
            field, go_type, tags = m[1], m[2], dict(TAG.findall(m[3]))
            tag = tags.get("form" if is_params else "json")
            if tag is None:
                raise SystemExit(f"{name}.{field}: no json tag")
            key, *options = tag.split(",")
            if key == "-":
                continue
            schema = self.type_schema(go_type)
            if "omitempty" not in options:
                required.append(key)
                if go_type.startswith("*"):  # required and nullable
                    schema = {"anyOf": [schema, {"type": "null"}]}
            doc = _comment_above(body, i, field, indent="\t")
            if is_params:
                if key not in styles:
                    raise SystemExit(f"{name}.{key}: not sent by the client's request builder")
                style, explode = styles[key]
                schema = schema | {"x-style": style, "x-explode": explode}
            properties[key] = ({"description": doc} if doc else {}) | schema
        schema = {"type": "object", "properties": properties}
        if required:
            schema["required"] = required
        schema["additionalProperties"] = False
        if is_params:
            schema = {"x-in": "query"} | schema
        return schema

    def union(self, name: str) -> dict[str, Any]:
        members = self.go.union_members(name)
        for member in members:
            self.define(member)
        found = self.go.union_discriminator(name)
        if found is None:
            return {"oneOf": [{"$ref": f"#/$defs/{m}"} for m in members]}
        prop, mapping = found
        if sorted(mapping.values()) != sorted(members):
            raise SystemExit(f"union {name}: discriminator table {mapping} does not cover {members}")
        branches = [
            {"$ref": f"#/$defs/{member}", "properties": {prop: {"const": value}}, "required": [prop]}
            for value, member in mapping.items()
        ]
        return {
            "type": "object",
            "discriminator": {
                "propertyName": prop,
                "mapping": {value: f"#/$defs/{member}" for value, member in mapping.items()},
            },
            "oneOf": branches,
        }


def generate(text: str, commit: str, repository: str, path: str) -> dict[str, Any]:
    go = GoFile(text)
    header = HEADER_VERSION.search(text)
    if header is None:
        raise SystemExit("no 'Code generated by ... version ...' header: is this an oapi-codegen file?")
    converter = Converter(go)
    for root in ROOTS:
        converter.define(root)
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$comment": "Generated by tests/support/astro_api_types/generate.py; do not edit by hand.",
        "x-source": {
            "repository": repository,
            "path": path,
            "commit": commit,
            "generator": header[1],
            "generatorVersion": header[2],
        },
        "x-roots": list(ROOTS),
        "$defs": dict(sorted(converter.defs.items())),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("api_gen_go", type=Path, help="path of astro-client-v1/api.gen.go")
    parser.add_argument("--commit", required=True, help="the astro-cli commit the file was read at")
    parser.add_argument("--repository", default="astronomer/astro-cli")
    parser.add_argument("--path", default="astro-client-v1/api.gen.go", help="the file's path in the repository")
    parser.add_argument("-o", "--output", type=Path, default=Path(__file__).with_name("schemas.json"))
    args = parser.parse_args(argv)
    if not re.fullmatch(r"[0-9a-f]{40}", args.commit):
        parser.error("--commit: give the full 40-character commit SHA")
    document = generate(args.api_gen_go.read_text(encoding="utf-8"), args.commit, args.repository, args.path)
    args.output.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"{args.output}: {len(document['$defs'])} definitions", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
