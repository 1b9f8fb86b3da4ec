"""Airflow's rules for the names of connections, variables and pools, and its connection types.

Shared by `validate` (rules), `import` (the settings-file reader) and, later, plan/apply
against a live Airflow: whoever names an Airflow object asks here whether Airflow will take it.
"""

from __future__ import annotations

import re

# Airflow's REST API and CLI accept `^[\w.-]+$` up to 200 characters; 3.x rejects '..'.
MAX_CONN_ID = 200
CONN_ID = re.compile(r"[A-Za-z0-9_.-]{1,200}")
CONN_ID_RULE = f"^[A-Za-z0-9_.-]{{1,{MAX_CONN_ID}}}$ and not contain '..'"
MAX_VARIABLE_KEY = 250  # Variable.key is String(250)
MAX_POOL_NAME = 256  # Pool.pool is String(256)

# The `connection-type` values of the commonly used providers (their provider.yaml files),
# offered as known values and for "did you mean". Airflow matches a type exactly, and
# every registered type is lower case: `Postgres` finds no hook.
COMMON_CONN_TYPES = (
    "aws", "azure", "azure_batch", "azure_blob_storage", "azure_cosmos", "azure_data_explorer",
    "azure_data_factory", "azure_data_lake", "azure_fileshare", "azure_synapse", "adls", "wasb",
    "cassandra", "databricks", "datadog", "dbt_cloud", "docker", "elasticsearch", "email",
    "emr", "fs", "ftp", "ftps", "gcpbigquery", "gcpcloudsql", "generic", "github",
    "google_cloud_platform", "grpc", "hive_cli", "hiveserver2", "http", "imap", "jdbc",
    "kafka", "kubernetes", "livy", "mongo", "mssql", "mysql", "odbc", "openai", "opensearch",
    "oracle", "pagerduty", "postgres", "presto", "redis", "redshift", "salesforce", "samba",
    "sftp", "slack", "slackwebhook", "smtp", "snowflake", "spark", "sqlite", "ssh", "tableau",
    "teradata", "trino", "vertica",
)  # fmt: skip


def conn_id_problem(conn_id: str) -> str | None:
    """Why Airflow would refuse this conn_id, in words (which characters, and where they fail); None when fine.

    Airflow 3.1 ConnectionBody (api_fastapi/core_api/datamodels/connections.py): `max_length=200,
    pattern=r"^[\\w.-]+$"`; its Connection model (sanitize_conn_id) also takes `#!():/\\`.
    """
    if CONN_ID.fullmatch(conn_id) and ".." not in conn_id:
        return None
    rule = (
        f"a conn_id is 1 to {MAX_CONN_ID} letters, digits, '_', '.' or '-' (never '..'), as Airflow's REST API "
        f"and CLI require of a new connection (^[\\w.-]+$)"
    )
    if not conn_id or len(conn_id) > MAX_CONN_ID:
        return f"conn_id of {len(conn_id)} characters: {rule}"
    odd = sorted({c for c in conn_id if not CONN_ID.fullmatch(c)})
    if not odd:  # only '..'
        return f"conn_id '{conn_id}' holds '..', which Airflow 3 refuses (a path step): {rule}"
    shown = ", ".join(repr(c) if c.isprintable() and c != " " else f"U+{ord(c):04X}" for c in odd)
    fixed = re.sub(r"\.{2,}", ".", re.sub(r"[^A-Za-z0-9_.-]+", "_", conn_id))[:MAX_CONN_ID]
    return (
        f"conn_id '{conn_id}' holds {shown}: {rule}; Airflow's database may store such an ID (one made in the UI), "
        f"but it cannot be sent to the REST API apply uses, nor be the name of an environment variable "
        f"({env_name(conn_id)} is not one, where Airflow and Astro read AIRFLOW_CONN_<ID>); write it as '{fixed}'"
    )


def variable_key_problem(key: str) -> str | None:
    """Why Airflow (or Astro) would refuse this variable key; None when it is fine."""
    if not 0 < len(key) <= MAX_VARIABLE_KEY:
        return f"variable key must be 1 to {MAX_VARIABLE_KEY} characters"
    return _unprintable("variable key", key)


def pool_name_problem(name: str) -> str | None:
    """Why Airflow would refuse this pool name; None when it is fine."""
    if not 0 < len(name) <= MAX_POOL_NAME:
        return f"pool name must be 1 to {MAX_POOL_NAME} characters"
    return _unprintable("pool name", name)


# Control, invisible-format, surrogate and line/paragraph-separator characters. A NUL is refused
# by PostgreSQL, the metadata database of Astro and of most Airflows (the write fails with an
# HTTP 500); the others could be stored but never typed, shown on one line or named in
# `AIRFLOW_VAR_<KEY>`, and an invisible one makes two keys that look the same.
_UNPRINTABLE = ("Cc", "Cf", "Cs", "Zl", "Zp")


def _unprintable(what: str, name: str) -> str | None:
    import unicodedata

    found = next((c for c in name if unicodedata.category(c) in _UNPRINTABLE), None)
    if found is None:
        return None
    return f"{what} {name!r} holds the control or invisible character U+{ord(found):04X}, which Airflow cannot store or show"


def env_name(conn_id: str) -> str:
    """The environment variable Airflow reads the connection from (it upper-cases the ID)."""
    return f"AIRFLOW_CONN_{conn_id.upper()}"


def conn_type_suggestion(conn_type: str) -> str | None:
    """The type Airflow would know for a mis-spelt one (`Postgres` -> `postgres`); None if fine.

    Only a type that is not lower case, or one close to a common type, gets a suggestion:
    a custom provider may register any lower-case name.
    """
    if conn_type in COMMON_CONN_TYPES:
        return None
    lowered = conn_type.lower()
    if lowered in COMMON_CONN_TYPES:
        return lowered
    import difflib

    close = difflib.get_close_matches(lowered, COMMON_CONN_TYPES, n=1, cutoff=0.8)
    if close:
        return close[0]
    return lowered if lowered != conn_type else None
