"""The secret fingerprints of an object's marker: what apply records, what plan compares (SPEC 7.4)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from compiler.model.secrets import SecretValues
from compiler.sync import marker as markers
from compiler.sync.desired import DesiredObject, Part, has_secret
from compiler.sync.values import concrete, hidden_path, leaves


class Fingerprinter:
    """Keyed fingerprints of the secret fields of an object's own part and Deployment parts
    (a part is `-` or a Deployment's ID). No key, or no values (--secrets redact): none."""

    def __init__(self, key: bytes | None, values: SecretValues | None, in_scope: Mapping[str, str]) -> None:
        self.key, self.values, self.in_scope = key, values, in_scope
        # Whether the API masks a path whatever its value (values.hidden_path), asked once per
        # path: a 1000x50 plan asks it of the same few paths some 36,000 times (issue 26).
        self._masked: dict[str, bool] = {}

    def fp(self, obj: DesiredObject, part: str, path: str, value: Any) -> str | None:
        if self.key is None or self.values is None:
            return None
        identity = f"{obj.object_type}/{obj.scope}/{obj.key}"
        text = concrete(value, self.values)
        return markers.fingerprint(self.key, identity, part, path, text if isinstance(text, str) else str(text))

    def own(self, obj: DesiredObject) -> dict[tuple[str, str], str]:
        return self._of(obj, markers.OWN, obj.fields)

    def part(self, obj: DesiredObject, part: Part) -> dict[tuple[str, str], str]:
        if not part.linked or not part.overrides:  # most parts: linked, overriding nothing
            return {}
        return self._of(obj, self.in_scope[part.deployment], part.overrides)

    def _of(self, obj: DesiredObject, part: str, fields: Mapping[str, Any]) -> dict[tuple[str, str], str]:
        found: dict[tuple[str, str], str] = {}
        if self.key is None or self.values is None:
            return found  # no fingerprint without both (fp)
        sensitive = obj.sensitive
        masked = self._masked
        for path, value in leaves(fields):
            hides = masked.get(path)
            if hides is None:
                hides = masked[path] = hidden_path(path)
            if (sensitive or hides or has_secret(value)) and (fp := self.fp(obj, part, path, value)) is not None:
                found[(part, path)] = fp
        return found

    def after_write(
        self, obj: DesiredObject, own: bool, live_fps: Mapping[tuple[str, str], str], parts: Sequence[Part]
    ) -> dict[tuple[str, str], str]:
        """The marker's fingerprints after this write: ours for what is in scope, the rest kept."""
        ours = set(self.in_scope.values()) | ({markers.OWN} if own else set())
        fps = {k: v for k, v in live_fps.items() if k[0] not in ours}
        if own:
            fps.update(self.own(obj))
        for part in parts:
            if part.overrides:  # most parts: none (part)
                fps.update(self.part(obj, part))
        return fps
