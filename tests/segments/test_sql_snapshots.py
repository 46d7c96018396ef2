"""Snapshots of the SQL generated for representative segments, in DuckDB and Spark.

A change to the generated SQL shows up as a diff of `snapshots/*.sql`; after checking it,
refresh them with `OPENCDP_UPDATE_SNAPSHOTS=1 pytest tests/segments/test_sql_snapshots.py`.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import sqlglot

from opencdp.segments import compile_segment, parse

SNAPSHOTS = Path(__file__).parent / "snapshots"
UPDATE = os.environ.get("OPENCDP_UPDATE_SNAPSHOTS") == "1"

SEGMENTS = {
    "thai_buyers": 'country = "TH" and count("Order Completed", 30d) >= 2 and '
                   'did("Email Opened", 7d) and consent("email") and not in_segment("churn-risk")',
    "big_spenders": 'sum("Order Completed", "total", 90d where currency = "THB") >= 10000 '
                    'or max("Order Completed", "total") > 5000',
    "lapsed": 'not did("Order Completed", 60d) and count("Order Completed") >= 1',
    "browse_then_buy": 'did("Product Viewed" where category = "shoes") then '
                       'did("Order Completed") within 7d',
    "gmail_adults": 'identifier("email") ends_with "@gmail.com" ignore_case and '
                    'birthday before 18y ago and tier in ["gold", "platinum"]',
    "churn_risk": 'prediction("churn") > 0.7 or prediction("churn") = "high" or ltv < 100',
}


@pytest.mark.parametrize("name", sorted(SEGMENTS))
@pytest.mark.parametrize("dialect", ["duckdb", "spark"])
def test_generated_sql_matches_the_snapshot(name: str, dialect: str) -> None:
    compiled = compile_segment(parse(SEGMENTS[name]), computed=frozenset({"ltv"}),
                               segments={"churn-risk": "seg_churn"}, restrict_to=None)  # fmt: skip
    sql = compiled.sql(dialect, pretty=True) + "\n"
    path = SNAPSHOTS / f"{name}.{dialect}.sql"
    if UPDATE or not path.exists():
        path.write_text(sql, encoding="utf-8")
        if not UPDATE:
            pytest.fail(f"wrote new snapshot {path.name}; check it and run again")
    assert sql == path.read_text(encoding="utf-8")
    sqlglot.parse_one(sql, read=dialect)  # the text reads back in its dialect


def test_restricted_sql_pushes_the_restriction_into_every_subquery() -> None:
    compiled = compile_segment(parse(SEGMENTS["thai_buyers"]), segments={"churn-risk": "s"},
                               restrict_to="arrived")  # fmt: skip
    sql = compiled.sql()
    # profiles, two event subqueries, consents and segment members
    assert sql.count("IN (SELECT profile_id FROM arrived)") == 5
