"""An environment object's live typed member, sent back in an update that must not change it.

Astro masks secret values on read (ASTRO-API.md 1.4): a masked field is sent only when the
fingerprint in the live marker proves that the value we hold is the stored one, else it is
omitted (an omitted field keeps its value, an empty secret would be "no change" at best). A
connection's auth type is sent as `authTypeId`, read as `connectionAuthType.id`
(UpdateEnvironmentObjectConnectionRequest, astro-cli astro-client-v1/api.gen.go).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from compiler.sync import marker as markers
from compiler.sync.astro_state import LiveObject
from compiler.sync.desired import DesiredObject
from compiler.sync.values import leaves

_OMIT = object()


def live_member(
    obj: DesiredObject,
    found: LiveObject,
    live_fps: Mapping[tuple[str, str], str],
    proven: Callable[[str, Any], str | None],
) -> dict[str, Any]:
    """The live member of `found` as an update request's typed member; `proven(path, value)` is
    our fingerprint of `value` at `path` (None without a key), compared with `live_fps`."""
    wanted = dict(leaves(obj.fields))

    def kept(path: str, value: Any) -> Any:
        if not (value in ("", None) and path in found.set_fields):
            return value
        ours = wanted.get(path)
        fp = proven(path, ours) if ours is not None else None
        return ours if fp is not None and live_fps.get((markers.OWN, path)) == fp else _OMIT

    member: dict[str, Any] = {}
    for name, value in found.fields.items():
        if name in ("isSecret", "connectionAuthType"):
            continue
        if name == "extra" and isinstance(value, Mapping):
            extra = {k: kept(f"extra.{k}", v) for k, v in value.items()}
            member["extra"] = {k: v for k, v in extra.items() if v is not _OMIT}
        elif (one := kept(name, value)) is not _OMIT:
            member[name] = one
    if obj.kind == "connection":
        member["type"] = found.fields.get("type")
        auth = found.fields.get("connectionAuthType")
        # UpdateEnvironmentObjectConnectionRequest.authTypeId is the response's connectionAuthType.id
        if isinstance(auth, Mapping) and auth.get("id"):
            member["authTypeId"] = auth["id"]
    return member
