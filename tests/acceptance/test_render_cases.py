"""Data-driven render cases: tests/acceptance/cases/render/<name>/ holds the input and the exact output.

A case folder has:
- `environments/` (and any other input file, such as a dotenv file), copied into a fresh
  git repository on branch `main`;
- `args.txt`: the arguments of `render` (shell words; `--out` is added);
- `env.txt` (optional): NAME=value lines added to the command's environment;
- `expected/`: the exact tree `render` writes (the manifest aside), or
  `expected-error.txt`: the exit code on the first line, then one stderr substring a
  line (`!text`: a substring that must not appear, such as a secret value).

`ASTRO_GITOPS_UPDATE_GOLDEN=1 pytest tests/acceptance/test_render_cases.py` rewrites every
`expected/` from what the command writes now; read each changed file against SPEC 5
before keeping it.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
from collections.abc import Callable, Mapping
from pathlib import Path

import pytest
from conftest import Run, run_cli

CASES = Path(__file__).parent / "cases" / "render"
MANIFEST = ".astro-gitops-manifest.json"
LOCK = ".astro-gitops.lock"
CASE_FILES = {"args.txt", "env.txt", "expected", "expected-error.txt"}
UPDATE = os.environ.get("ASTRO_GITOPS_UPDATE_GOLDEN") == "1"


def _case_names() -> list[str]:
    return sorted(p.name for p in CASES.iterdir() if p.is_dir())


def _inputs(case: Path) -> dict[str, str | bytes]:
    """Every input file of a case, by its path relative to the case folder."""
    return {
        str(p.relative_to(case)): p.read_bytes()
        for p in sorted(case.rglob("*"))
        if p.is_file() and p.relative_to(case).parts[0] not in CASE_FILES
    }


def _env(case: Path) -> dict[str, str]:
    path = case / "env.txt"
    if not path.exists():
        return {}
    pairs = (line.split("=", 1) for line in path.read_text(encoding="utf-8").splitlines() if line.strip())
    return {name: value for name, value in pairs}


def _tree(folder: Path) -> dict[str, bytes]:
    if not folder.exists():
        return {}
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and p.name not in (MANIFEST, LOCK)
    }


def _render(case: Path, make_repo: Callable[[Mapping[str, str | bytes]], Path], out: Path) -> Run:
    root = make_repo(_inputs(case))
    args = shlex.split((case / "args.txt").read_text(encoding="utf-8"))
    return run_cli("render", *args, "--out", str(out), cwd=root, env=_env(case))


def _check_error(case: Path, result: Run, out: Path) -> None:
    code, *needles = (case / "expected-error.txt").read_text(encoding="utf-8").splitlines()
    assert result.code == int(code), result.err
    for needle in filter(None, needles):
        if needle.startswith("!"):
            assert needle[1:] not in result.err + result.out, f"{needle[1:]!r} in the output:\n{result.err}"
        else:
            assert needle in result.err, f"{needle!r} not in stderr:\n{result.err}"
    assert _tree(out) == {}, "a failed render must write nothing"


def _update(case: Path, actual: Mapping[str, bytes]) -> None:
    expected = case / "expected"
    shutil.rmtree(expected, ignore_errors=True)
    for relative, content in actual.items():
        (expected / relative).parent.mkdir(parents=True, exist_ok=True)
        (expected / relative).write_bytes(content)


@pytest.mark.parametrize("name", _case_names())
def test_render_case(name: str, make_repo: Callable[[Mapping[str, str | bytes]], Path], tmp_path: Path) -> None:
    case = CASES / name
    out = tmp_path / "out"
    result = _render(case, make_repo, out)
    if (case / "expected-error.txt").exists():
        _check_error(case, result, out)
        return
    assert result.code == 0, result.err
    actual = _tree(out)
    if UPDATE:
        _update(case, actual)
    expected = _tree(case / "expected")
    assert sorted(actual) == sorted(expected), "the rendered files are not the expected ones"
    for relative, content in expected.items():
        assert actual[relative].decode("utf-8") == content.decode("utf-8"), relative


def test_every_case_is_complete() -> None:
    """A case without args.txt, or with neither expected/ nor expected-error.txt, proves nothing."""
    for name in _case_names():
        case = CASES / name
        assert (case / "args.txt").is_file(), name
        assert (case / "environments" / "workspace.yaml").is_file(), name
        assert (case / "expected").is_dir() != (case / "expected-error.txt").is_file(), name


def test_redacted_environment_objects_hold_no_placeholder(
    make_repo: Callable[[Mapping[str, str | bytes]], Path], tmp_path: Path
) -> None:
    """Under redact a secret field is absent (SPEC 5.3), never `<secret:NAME>` a tool could apply.

    The same repository under `--secrets env` holds every value: the rule drops only secrets.
    """
    root = make_repo(_inputs(CASES / "secrets-env"))
    env = _env(CASES / "secrets-env")
    redacted, resolved = tmp_path / "redact", tmp_path / "env"
    assert run_cli("render", "--all", "--out", str(redacted), cwd=root).code == 0
    result = run_cli("render", "--all", "--secrets", "env", "--out", str(resolved), cwd=root, env=env)
    assert result.code == 0, result.err
    redacted_text = (redacted / "environment-objects.json").read_text(encoding="utf-8")
    resolved_text = (resolved / "environment-objects.json").read_text(encoding="utf-8")
    assert "<secret:" not in redacted_text
    assert all(value not in redacted_text for value in env.values())
    objects = {o["objectKey"]: o for o in json.loads(redacted_text)}
    warehouse = objects["warehouse"]["connection"]
    assert "password" not in warehouse and "extra" not in warehouse, "a secret leaf leaves its extra out whole"
    assert objects["api_key"]["airflowVariable"] == {"isSecret": True}
    assert all("overrides" not in link for link in objects["warehouse"]["links"])
    # Escaped as JSON, every value used by the env render is in its file.
    for name in ("WAREHOUSE_PASSWORD", "WAREHOUSE_TOKEN", "WAREHOUSE_PRIVATE_KEY", "API_KEY"):
        assert json.dumps(env[name], ensure_ascii=False)[1:-1] in resolved_text, name


def test_check_of_all_lists_drift_in_path_order(make_repo: Callable[[Mapping[str, str | bytes]], Path]) -> None:
    """`render --all` makes environment-objects.json after the last Deployment's files; the diff of
    `--check` is still in path order (alpha/..., environment-objects.json, zeta/...)."""
    case = CASES / "all-one-deployment-at-a-time"
    root = make_repo(_inputs(case))
    out = root.parent / "out"
    assert run_cli("render", "--all", "--out", str(out), cwd=root).code == 0
    for name in ("alpha", "zeta"):
        settings = out / name / "airflow_settings.yaml"
        settings.write_text(settings.read_text(encoding="utf-8").replace("reader", "someone"), encoding="utf-8")
    objects = out / "environment-objects.json"
    objects.write_text(objects.read_text(encoding="utf-8").replace('"reader"', '"someone"'), encoding="utf-8")
    result = run_cli("render", "--all", "--check", "--out", str(out), cwd=root)
    assert result.code == 3, result.err
    changed = [line.split("/", 1)[1] for line in result.out.splitlines() if line.startswith("+++ ")]
    assert changed == ["alpha/airflow_settings.yaml", "environment-objects.json", "zeta/airflow_settings.yaml"]
