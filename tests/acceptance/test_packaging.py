"""What the wheel ships: every package of compiler/ (a clean `pip install .` had no compiler.sync)."""

from __future__ import annotations

import re
from pathlib import Path

from conftest import REPO, run_python


def listed_packages() -> set[str]:
    text = (REPO / "pyproject.toml").read_text(encoding="utf-8")
    block = re.search(r"^packages = \[(.*?)\]", text, re.MULTILINE | re.DOTALL)
    assert block, "pyproject.toml lists no packages under [tool.setuptools]"
    return set(re.findall(r'"([\w.]+)"', block.group(1)))


def test_every_package_of_compiler_is_in_the_wheel() -> None:
    found = {
        ".".join(init.parent.relative_to(REPO).parts)
        for init in (REPO / "compiler").rglob("__init__.py")
        if "__pycache__" not in init.parts
    }
    assert found - listed_packages() == set()


# --- the release path: .github/workflows/release.yml builds, checks and publishes --------------


def test_release_workflow_builds_checks_and_publishes_on_a_version_tag() -> None:
    from acceptance.test_workflows import load, step

    workflow = load(REPO / ".github" / "workflows" / "release.yml")
    assert workflow["on"] == {"push": {"tags": ["v*"]}}
    build = workflow["jobs"]["build"]
    assert "python -m build" in step(workflow, "build", "Build the sdist and the wheel")["run"]
    assert "twine check --strict dist/*" in step(workflow, "build", "Check them")["run"]
    assert "__version__" in step(workflow, "build", "The tag is the version")["run"]
    assert "permissions" not in build  # read-only, as the workflow's default
    publish = workflow["jobs"]["publish"]
    assert publish["needs"] == "build"
    assert publish["permissions"] == {"id-token": "write"}  # trusted publishing, no stored token
    assert publish["environment"]["name"] == "pypi"
    assert publish["steps"][-1]["uses"].startswith("pypa/gh-action-pypi-publish@")
    assert "with" not in publish["steps"][-1]  # no password: OIDC


def test_the_sdist_and_wheel_build_and_pass_twine_check(tmp_path: Path) -> None:
    """What the release job runs: `python -m build`, then `twine check --strict`; the wheel
    carries the version of compiler/__init__.py and the files `init` writes."""
    import zipfile

    from compiler import __version__

    dist = tmp_path / "dist"
    run_python("-m", "build", "--outdir", str(dist), str(REPO), check=True, timeout=300)
    built = sorted(p.name for p in dist.iterdir())
    assert built == [f"astro_gitops-{__version__}-py3-none-any.whl", f"astro_gitops-{__version__}.tar.gz"]
    checked = run_python("-m", "twine", "check", "--strict", *map(str, sorted(dist.iterdir())), check=False)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    with zipfile.ZipFile(dist / built[0]) as wheel:
        names = set(wheel.namelist())
    assert {"compiler/onboarding/templates/workflow.yml", "compiler/onboarding/templates/workflow-deploy.yml"} <= names
    assert "compiler/schemas/workspace.schema.json" in names
