"""Reverse ETL into real PostgreSQL and MariaDB tables, read back."""

from __future__ import annotations

from datetime import UTC, datetime

from opencdp.activate import create_destination, sync
from opencdp.activate.audience import Change, Plan
from opencdp.activate.catalog import Destination
from opencdp.activate.warehouse import deliver_database
from tests.activate.conftest import NOW, SEGMENT, add_profile, set_consent, set_members, set_traits
from tests.sources.conftest import MARIADB_URL, POSTGRES_URL

ANALYTICS = {"analytics": True}


def _scenario(con, url, table, rows, execute):
    add_profile(
        con, "p1", {"email": "a@x.com", "city": "Bangkok", "ltv": 120.5}, consents=ANALYTICS
    )
    add_profile(con, "p2", {"email": "b@x.com", "city": "東京"}, consents=ANALYTICS)
    add_profile(con, "p3", {"email": "c@x.com", "city": "Leeds"}, consents=ANALYTICS)
    add_profile(con, "p4", {"email": "d@x.com", "city": "Paris"})  # no consent
    set_members(con, ["p1", "p2", "p3", "p4"])
    create_destination(
        con,
        "wh",
        "database",
        SEGMENT,
        "analytics",
        {"url": url, "table": table, "traits": ["email", "city", "ltv"]},
    )
    first = sync(con, "wh", now=NOW)
    assert (first["status"], first["added"], first["skipped_no_consent"]) == ("completed", 3, 1)
    assert rows() == [
        ("p1", "a@x.com", "Bangkok", "120.5"),
        ("p2", "b@x.com", "東京", None),
        ("p3", "c@x.com", "Leeds", None),
    ]

    set_members(con, ["p1", "p3", "p4"])  # p2 left
    set_traits(con, "p1", {"email": "a@x.com", "city": "Chiang Mai", "ltv": 130})
    set_consent(con, "p3", "analytics", False)  # p3 withdrew
    second = sync(con, "wh", now=NOW)
    assert (second["updated"], second["removed"]) == (1, 2)
    assert rows() == [("p1", "a@x.com", "Chiang Mai", "130")]

    execute(f"INSERT INTO {table} (profile_id, synced_at) VALUES ('stray', '2025-01-01')")
    full = sync(con, "wh", mode="full", now=NOW)
    assert full["sent"] == 1
    assert rows() == [("p1", "a@x.com", "Chiang Mai", "130")], "full sync deletes non-members"


def test_postgres_sync(con, postgres, table_name):
    def rows():
        return postgres.execute(
            f"SELECT profile_id, email, city, ltv FROM {table_name} ORDER BY 1"
        ).fetchall()

    try:
        _scenario(con, POSTGRES_URL, table_name, rows, postgres.execute)
    finally:
        postgres.execute(f"DROP TABLE IF EXISTS {table_name}")


def test_mariadb_sync(con, mariadb, table_name):
    cursor = mariadb.cursor()

    def rows():
        cursor.execute(f"SELECT profile_id, email, city, ltv FROM {table_name} ORDER BY 1")
        return [tuple(r) for r in cursor.fetchall()]

    try:
        _scenario(con, MARIADB_URL, table_name, rows, cursor.execute)
    finally:
        cursor.execute(f"DROP TABLE IF EXISTS {table_name}")


def _bulk_destination(url, table):
    now = datetime.now(UTC)
    return Destination(
        "d",
        "bulk",
        "database",
        "analytics",
        SEGMENT,
        {"url": url, "table": table, "traits": ["email"]},
        True,
        None,
        now,
        now,
    )


def _bulk_plan(n):
    return Plan(
        "full",
        ["email"],
        [Change(f"p{i:06d}", "entered", {"email": f"u{i}@x.com"}, i) for i in range(n)],
    )


def test_bulk_writes_postgres_and_mariadb(postgres, mariadb, table_name):
    """50,000 rows each way in one sync (COPY / multi-row VALUES), all read back."""
    plan = _bulk_plan(50_000)
    cursor = mariadb.cursor()
    query = f"SELECT count(*), max(profile_id), min(email) FROM {table_name}"

    def postgres_count():
        return postgres.execute(query).fetchone()

    def mariadb_count():
        cursor.execute(query)
        return cursor.fetchone()

    try:
        for url, count in ((POSTGRES_URL, postgres_count), (MARIADB_URL, mariadb_count)):
            outcome = deliver_database(_bulk_destination(url, table_name), plan, NOW)
            assert outcome.errors == [] and len(outcome.delivered) == 50_000
            assert tuple(count()) == (50_000, "p049999", "u0@x.com")
    finally:
        postgres.execute(f"DROP TABLE IF EXISTS {table_name}")
        cursor.execute(f"DROP TABLE IF EXISTS {table_name}")
