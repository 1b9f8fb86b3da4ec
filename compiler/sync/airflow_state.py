"""One Airflow's live connections, variables and pools as frozen values (no HTTP here).

Fields carry the names of `environments/` (`type`, `value`, `slots`, ...), so planning compares
like with like. A value Airflow masks on read (a password, a sensitive extra key or variable)
is the string `MASKED`: never sent back; change detection goes through fingerprints.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from compiler.model.frozen import field, frozen

Kind = Literal["connection", "variable", "pool"]
KINDS: tuple[Kind, ...] = ("connection", "variable", "pool")
MASKED = "***"
DEFAULT_POOL = "default_pool"


@frozen(order=True)
class AirflowVersion:
    major: int
    minor: int
    text: str = field(compare=False)

    @property
    def api(self) -> str:
        return "/api/v2" if self.major >= 3 else "/api/v1"

    @property
    def has_include_deferred(self) -> bool:
        """Pools count deferred tasks on request from Airflow 2.7 on."""
        return (self.major, self.minor) >= (2, 7)

    @property
    def reads_passwords(self) -> bool:
        """Airflow 3 reads a set password back as MASKED; Airflow 2 leaves it out (write-only)."""
        return self.major >= 3


@frozen
class LiveObject:
    """One connection, variable or pool as Airflow holds it; `fields` never holds the description."""

    kind: Kind
    key: str
    description: str
    fields: Mapping[str, Any]


@frozen
class LiveAirflow:
    url: str
    version: AirflowVersion
    objects: Mapping[tuple[Kind, str], LiveObject]

    def of_kind(self, kind: Kind) -> list[LiveObject]:
        return [o for (k, _), o in sorted(self.objects.items()) if k == kind]

    def find(self, kind: Kind, key: str) -> LiveObject | None:
        return self.objects.get((kind, key))
