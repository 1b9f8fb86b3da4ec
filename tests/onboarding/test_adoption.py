"""The writer of an import from a live workspace (onboarding/adoption.py): found values in,
environments/ files out, every masked value a `{secret: NAME}` under the documented scheme."""

from __future__ import annotations

from pathlib import Path

import pytest
from ruamel.yaml import YAML

from compiler.errors import OperationError
from compiler.onboarding.adoption import write_adopted
from compiler.onboarding.found import FoundDeployment, FoundObject, FoundOverride, FoundWorkspace


def found() -> FoundWorkspace:
    conn = FoundObject(
        "connection",
        "warehouse",
        fields={"type": "postgres", "host": "db", "password": "", "extra": {"sslmode": "require"}},
        masked=frozenset({"password", "extra.api_key"}),
        links="all",
        exclude=("sandbox",),
        overrides={"prod": FoundOverride({"host": "prod-db"}, frozenset({"password"}))},
    )
    jinja = FoundObject("variable", "sql", fields={"value": "{{ ds }}"}, links=("prod",))
    scoped = FoundObject("variable", "token", fields={"value": ""}, masked=frozenset({"value"}), deployment="prod")
    return FoundWorkspace("WS", (FoundDeployment("prod"), FoundDeployment("sandbox")), (conn, jinja, scoped))


def load(root: Path, relative: str) -> object:
    return YAML(typ="safe", pure=True).load((root / "environments" / relative).read_text())


def test_names_follow_the_scheme_and_avoid_the_repositorys(tmp_path: Path) -> None:
    taken = "connections:\n  other:\n    type: http\n    password: {secret: WAREHOUSE_PASSWORD}\n"
    (tmp_path / "environments").mkdir()
    (tmp_path / "environments/other.yaml").write_text(taken)
    done = write_adopted(tmp_path, found(), source="test", force=False, owner="team")
    names = {s.name: s.where for s in done.secrets}
    assert names == {
        "WAREHOUSE_PASSWORD_2": "connection warehouse password (workspace)",
        "WAREHOUSE_EXTRA_API_KEY": "connection warehouse extra.api_key (workspace)",
        "WAREHOUSE__PROD_PASSWORD": "connection warehouse password (Deployment prod, link override)",
        "TOKEN__PROD": "variable token value (Deployment prod)",
    }
    conn = load(tmp_path, "objects/connections.yaml")["connections"]["warehouse"]  # type: ignore[index]
    assert conn["extra"] == {"sslmode": "require", "api_key": {"secret": "WAREHOUSE_EXTRA_API_KEY"}}
    assert conn["links"] == "all" and conn["exclude"] == ["sandbox"]
    prod = load(tmp_path, "deployments/prod.yaml")
    assert prod["overrides"]["connections"]["warehouse"] == {  # type: ignore[index]
        "host": "prod-db",
        "password": {"secret": "WAREHOUSE__PROD_PASSWORD"},
    }
    variables = load(tmp_path, "objects/variables.yaml")["variables"]  # type: ignore[index]
    assert variables["sql"]["value"] == "{% raw %}{{ ds }}{% endraw %}"
    assert load(tmp_path, "workspace.yaml")["sync"] == {"owner": "team"}  # type: ignore[index]


def test_nothing_is_written_when_a_file_exists(tmp_path: Path) -> None:
    write_adopted(tmp_path, found(), source="test", force=False, owner="team")
    before = {p: p.read_text() for p in tmp_path.rglob("*.yaml")}
    with pytest.raises(OperationError, match="refusing to overwrite"):
        write_adopted(tmp_path, found(), source="test", force=False, owner="team")
    assert {p: p.read_text() for p in tmp_path.rglob("*.yaml")} == before
    again = write_adopted(tmp_path, found(), source="test", force=True, owner="team")
    assert {p: p.read_text() for p in tmp_path.rglob("*.yaml")} == before  # the same names, the same text
    assert "WAREHOUSE_PASSWORD" in {s.name for s in again.secrets}
