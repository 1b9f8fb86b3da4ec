"""`preview destroy` and `preview prune`: the plan that deletes managed previews (SPEC 4, 7.3, 7.6).

A preview is found by its marker, never by a name computed again: `[astro-gitops owner=OWNER
branch=FULL/BRANCH]` (with ASTRO_GITOPS_FINGERPRINT_KEY set, a `sig=` that verifies). Only a Deployment with this repository's owner and that branch is
deleted, with its Deployment-scoped objects that carry the owner's marker first and the
Deployment last (SPEC 7.6). `prune` keeps every preview whose branch the remote still has.
Pure: the caller reads live state and the remote's branches.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Set

from compiler.errors import OperationError
from compiler.model.frozen import replace
from compiler.review.changes import ObjectChange, ObjectKey, Write
from compiler.sync import marker as markers
from compiler.sync.astro_state import LiveDeployment, LiveState
from compiler.sync.changeset import KIND, Plan


def previews(live: LiveState, owner: str, key: bytes | None) -> list[tuple[LiveDeployment, str]]:
    """(Deployment, branch) of every live preview this repository's owner marked (with `key`,
    ASTRO_GITOPS_FINGERPRINT_KEY, only those whose marker's signature verifies: SPEC 7.3)."""
    found = []
    for dep in live.deployments:
        _, mark = markers.split(dep.description)
        identity = ObjectKey(dep.name, "DEPLOYMENT", "WORKSPACE", live.workspace_id)
        if mark is not None and mark.branch and markers.standing(mark, owner, key, identity) is markers.Standing.OURS:
            found.append((dep, mark.branch))
    return sorted(found, key=lambda pair: pair[0].name)


def destroy_plan(
    live: LiveState,
    owner: str,
    key: bytes | None,
    wanted: Callable[[str], bool],
    scope: str,
    keep: Set[str] = frozenset(),
) -> Plan:
    """Delete every managed preview whose branch `wanted` names, objects first, previews last.
    A Deployment named in `keep` (deployments/) is never deleted, whatever its marker says."""
    objects: list[ObjectChange] = []
    deployments: list[ObjectChange] = []
    for dep, branch in previews(live, owner, key):
        if not wanted(branch) or dep.name in keep:
            continue
        for found in live.objects:
            if (
                found.key.scope != "DEPLOYMENT"
                or found.key.scope_entity_id != dep.id
                or found.key.object_type not in KIND
            ):
                continue
            if not markers.ours(found.description, owner, key, live.marker_identity(found.key)):
                continue  # never delete what is not ours
            objects.append(
                ObjectChange(
                    KIND[found.key.object_type],
                    found.key.object_key,
                    "delete",
                    deployment=dep.name,
                    writes=(Write("delete", found.key, found.id),),
                    touched=((found.id, found.updated_at),),
                )
            )
        target = ObjectKey(dep.name, "DEPLOYMENT", "WORKSPACE", live.workspace_id)
        deployments.append(
            ObjectChange(
                "preview",
                dep.name,
                "delete",
                note=f"(branch {branch})",
                writes=(Write("delete", target, dep.id, target="deployment"),),
                touched=((dep.id, dep.updated_at),),
            )
        )
    return Plan(scope, (*objects, *deployments))


def gone(branches: Set[str]) -> Callable[[str], bool]:
    """A preview's branch that the remote no longer has."""
    return lambda branch: branch not in branches


def settle_duplicates(live: LiveState, owner: str, key: bytes | None, names: Iterable[str]) -> tuple[LiveState, Plan]:
    """Live state with one Deployment per name in `names`, and the plan that deletes the others.

    Two applies of one preview branch started together can both create its preview (ASTRO-API.md
    section 3: identical creates make duplicates). When every Deployment of a name is a preview
    this owner marked for one and the same branch, the oldest (`createdAt`, then ID) is kept and
    the others, with their managed objects, are deleted last (SPEC 7.3: a state concurrent
    applies leave is one the next run converges from). Any other name taken twice (a hand-made
    Deployment among them, two branches) is an OperationError: the tool cannot tell which is
    meant.
    """
    by_name: dict[str, list[LiveDeployment]] = {}
    for dep in live.deployments:
        by_name.setdefault(dep.name, []).append(dep)
    extra: list[LiveDeployment] = []
    for name in sorted(set(names)):
        same = by_name.get(name, [])
        if len(same) < 2:
            continue
        marked = previews(replace(live, deployments=tuple(same)), owner, key)
        if len(marked) != len(same) or len({branch for _, branch in marked}) != 1:
            raise OperationError(
                f"two Deployments named '{name}' in workspace '{live.workspace_name}', "
                "not all of them this repository's preview of one branch: rename or delete one in Astro"
            )
        keep = min(same, key=lambda d: (str(d.settings.get("createdAt") or ""), d.id))
        extra += [d for d in same if d is not keep]
    if not extra:
        return live, Plan("duplicates", ())
    gone = {d.id for d in extra}
    kept = replace(
        live,
        deployments=tuple(d for d in live.deployments if d.id not in gone),
        objects=tuple(o for o in live.objects if o.key.scope_entity_id not in gone),
    )
    removal = destroy_plan(replace(live, deployments=tuple(extra)), owner, key, lambda _: True, "duplicates")
    return kept, removal
