"""What the rendered airflow_settings.yaml cannot carry, said where it is written.

The Astro CLI's settings file has no pool `include_deferred`: astro-cli settings/types.go
(ed93cc59) `Pools` holds `pool_name`, `pool_slot` and `pool_description` only, so `astro dev
start` and `astro dev object import` create every pool with Airflow's default (false). A
pool that sets it to true gets a located warning from `render`; `apply` (Astro, through each
Deployment's Airflow) and `apply --airflow` do set it.
"""

from __future__ import annotations

from collections.abc import Sequence

from compiler.diagnostics import Diagnostic, warning
from compiler.resolve.deployment import Locator, ResolvedDeployment

FIELD = ("include_deferred",)


def settings_file_drops(resolved: Sequence[ResolvedDeployment], locate: Locator) -> list[Diagnostic]:
    """One warning per written `include_deferred: true` of a pool the rendered Deployments get."""
    found: dict[object, Diagnostic] = {}
    for dep in resolved:
        for pool in dep.of_kind("pool"):
            setting = pool.leaves.get(FIELD)
            if setting is None or setting.value is not True or not setting.origins:
                continue
            origin = setting.origins[-1]
            where = locate(origin.path, (*origin.ypath, *FIELD))
            message = (
                f"include_deferred: true of pool '{pool.key}' is not in the rendered airflow_settings.yaml: the "
                "Astro CLI's settings file has no such field (astro-cli settings/types.go), so `astro dev start` and "
                "`astro dev object import` leave it false; apply sets it through Airflow's REST API"
            )
            found.setdefault(where, warning(where, "astro-cli-skips", message))
    return list(found.values())
