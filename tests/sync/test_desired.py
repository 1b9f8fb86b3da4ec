"""The desired state of a scope (sync/desired.py): each Deployment's part of each workspace object.

A part that overrides nothing is the same for every object, and so are the parts of objects
without a link entry: built once and shared, so that planning grows with objects and overrides,
not objects x Deployments (issue 26). What each part says is unchanged by the sharing.
"""

from __future__ import annotations

from pathlib import Path

from compiler.sync import desired
from compiler.validate.project import validate_root

DEPLOYMENT = """name: {name}
astro: {{runtime_version: '3.1-14', executor: CELERY, cloud_provider: AWS, region: us-east-1}}
worker_queues:
  - {{name: default, worker_type: A5, min_worker_count: 1, max_worker_count: 4}}
"""


def scope(root: Path) -> desired.Desired:
    env = root / "environments"
    (env / "deployments").mkdir(parents=True)
    (env / "workspace.yaml").write_text(
        "version: 1\nworkspace: Team\nbranches:\n  - {branch: main, deployment: prod}\nsync: {owner: team}\n"
    )
    connection = "    type: postgres\n    host: {host}.example.com\n    extra: {{sslmode: require}}\n"
    (env / "connections.yaml").write_text(
        "connections:\n"
        + "".join(f"  {key}:\n{connection.format(host=key)}    links: all\n" for key in ("alpha", "beta"))
        + f"  gamma:\n{connection.format(host='gamma')}    links: all\n    exclude: [dev]\n"
        + f"  delta:\n{connection.format(host='delta')}    links: all\n"
    )
    for name in ("dev", "prod", "stage"):
        text = DEPLOYMENT.format(name=name)
        if name == "prod":
            text += "overrides:\n  connections:\n    delta: {login: prod_user}\n"
        (env / "deployments" / f"{name}.yaml").write_text(text)
    project = validate_root(root, keep_resolved=True).require_valid()
    return desired.build(project.model, "Team", list(project.resolved.values()), full=True)


def test_parts_say_linked_excluded_and_overridden(tmp_path: Path) -> None:
    objects = {o.key: o for o in scope(tmp_path).objects}
    assert {n: p.linked for n, p in objects["gamma"].parts.items()} == {"dev": False, "prod": True, "stage": True}
    assert dict(objects["delta"].parts["prod"].overrides) == {"login": "prod_user"}
    assert not objects["delta"].parts["dev"].overrides
    assert all(p.linked and not p.overrides for p in objects["alpha"].parts.values())


def test_plain_parts_are_shared_not_built_per_object(tmp_path: Path) -> None:
    objects = {o.key: o for o in scope(tmp_path).objects}
    assert objects["alpha"].parts is objects["beta"].parts  # no link entry, same exclusions: one mapping
    assert objects["gamma"].parts is not objects["alpha"].parts  # excludes dev
    assert objects["delta"].parts["dev"] is objects["alpha"].parts["dev"]  # overriding nothing: one part
    assert objects["delta"].parts["prod"] is not objects["alpha"].parts["prod"]
