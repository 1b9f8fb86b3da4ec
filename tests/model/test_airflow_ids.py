"""Airflow's identifier rules, as Airflow 3 applies them (checked against it in test_airflow.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from compiler.model.airflow_ids import (
    COMMON_CONN_TYPES,
    MAX_POOL_NAME,
    MAX_VARIABLE_KEY,
    conn_id_problem,
    conn_type_suggestion,
    env_name,
    pool_name_problem,
    variable_key_problem,
)


@pytest.mark.parametrize("conn_id", ["a", "snowflake_default", "my-conn.v2", "A" * 200, "x.y", "-._"])
def test_conn_ids_airflow_accepts(conn_id: str) -> None:
    assert conn_id_problem(conn_id) is None


@pytest.mark.parametrize("conn_id", ["", "A" * 201, "a..b", "has space", "slash/ed", "é", "a:b", "new\nline"])
def test_conn_ids_airflow_refuses(conn_id: str) -> None:
    problem = conn_id_problem(conn_id)

    assert problem is not None and "letters, digits, '_', '.' or '-'" in problem and "'..'" in problem


def test_a_refused_conn_id_says_which_characters_and_why_in_words() -> None:
    """`sales:reporting/eu` is a conn_id Airflow's UI takes: the message names ':' and '/', says
    where they fail (the REST API, AIRFLOW_CONN_<ID>) and offers an ID that works."""
    problem = conn_id_problem("sales:reporting/eu")
    assert problem is not None
    assert "holds '/', ':'" in problem
    assert "REST API" in problem and "AIRFLOW_CONN_SALES:REPORTING/EU is not one" in problem
    assert problem.endswith("write it as 'sales_reporting_eu'")


@given(st.text(max_size=260))
def test_conn_id_rule_is_the_pattern_and_no_double_dot(conn_id: str) -> None:
    allowed = 1 <= len(conn_id) <= 200 and all(c.isascii() and (c.isalnum() or c in "_.-") for c in conn_id)

    assert (conn_id_problem(conn_id) is None) is (allowed and ".." not in conn_id)


def test_key_and_name_lengths() -> None:
    assert variable_key_problem("k" * MAX_VARIABLE_KEY) is None
    assert variable_key_problem("k" * (MAX_VARIABLE_KEY + 1)) is not None
    assert variable_key_problem("") is not None
    assert pool_name_problem("p" * MAX_POOL_NAME) is None
    assert pool_name_problem("p" * (MAX_POOL_NAME + 1)) is not None
    assert pool_name_problem("") is not None


def test_the_environment_variable_upper_cases_the_id() -> None:
    assert env_name("My_Conn") == env_name("MY_CONN") == "AIRFLOW_CONN_MY_CONN"


@pytest.mark.parametrize(
    ("conn_type", "suggestion"),
    [
        ("postgres", None),
        ("SMTP", "smtp"),
        ("Postgres", "postgres"),
        ("postgresql", "postgres"),
        ("Snowflake", "snowflake"),
        ("my_company_type", None),  # a custom provider may register any lower-case name
        ("My_Company_Type", "my_company_type"),
    ],
)
def test_conn_type_suggestions(conn_type: str, suggestion: str | None) -> None:
    assert conn_type_suggestion(conn_type) == suggestion


def test_common_types_are_lower_case_identifiers_listed_once() -> None:
    assert len(set(COMMON_CONN_TYPES)) == len(COMMON_CONN_TYPES)
    assert all(t == t.lower() and t.replace("_", "").isalnum() for t in COMMON_CONN_TYPES)


def test_the_rules_agree_with_a_real_airflow(tmp_path: Path) -> None:
    """Airflow's REST API checks a conn_id with validate_key(max_length=200); 3.x refuses '..'."""
    from support.realairflow import RESULT_MARKER, airflow_python, run_airflow_script

    python = airflow_python()  # skipped (or failed under CI) like test_airflow
    ids = ["a", "A" * 200, "A" * 201, "a..b", "x.y", "has space", "slash/ed", "é", "-._", "a:b", ""]
    probe = (
        "import json, sys\nfrom airflow.utils.helpers import validate_key\nout = {}\n"
        "for key in json.load(sys.stdin):\n"
        "    try:\n        validate_key(key, max_length=200); out[key] = '..' not in key\n"
        f"    except Exception:\n        out[key] = False\nprint({RESULT_MARKER!r} + json.dumps(out))\n"
    )
    airflow = run_airflow_script(python, probe, tmp_path / "airflow-home", ids)
    ours = {i: conn_id_problem(i) is None for i in ids}
    assert all(airflow[i] for i in ids if ours[i])  # nothing we accept is refused
    # Stricter only where SPEC 6 is: ASCII, as AIRFLOW_CONN_<ID> must be an environment name.
    assert [i for i in ids if ours[i] != airflow[i]] == ["é"]
