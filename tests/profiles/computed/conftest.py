"""A migrated in-memory DuckDB and helpers to insert profiles, events and records."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import duckdb
import pytest

from opencdp.db.migrations import migrate

NOW = datetime(2024, 6, 1, 12, 0, tzinfo=UTC)


def days_ago(days: float) -> datetime:
    return NOW - timedelta(days=days)


@pytest.fixture
def con() -> Iterator[duckdb.DuckDBPyConnection]:
    connection = duckdb.connect()
    connection.execute("SET TimeZone = 'UTC'")
    migrate(connection)
    yield connection
    connection.close()


def add_profiles(con: duckdb.DuckDBPyConnection, *ids: str) -> None:
    for pid in ids:
        con.execute("INSERT INTO profiles (profile_id, traits, computed, updated_at)"
                    " VALUES (?, '{}', NULL, ?)", [pid, NOW])  # fmt: skip


_seq = iter(range(1, 10**9))


def add_event(con: duckdb.DuckDBPyConnection, pid: str, event: str | None, at: datetime,
              properties: dict[str, Any] | None = None, *, type_: str = "track",
              source: str = "web", seq: int | None = None) -> dict[str, Any]:  # fmt: skip
    row = {"profile_id": pid, "seq": next(_seq) if seq is None else seq, "source_id": source,
           "type": type_, "event": event, "timestamp": at, "properties": properties or {}}
    con.execute(
        'INSERT INTO profile_events (profile_id, seq, source_id, type, event, "timestamp",'
        " properties) VALUES (?, ?, ?, ?, ?, ?, ?)",
        [pid, row["seq"], source, type_, event, at, json.dumps(row["properties"])],
    )
    return row


def add_record(con: duckdb.DuckDBPyConnection, pid: str, source: str, record_id: str,
               traits: dict[str, Any], at: datetime) -> None:  # fmt: skip
    con.execute(
        "INSERT INTO source_records (source_id, record_id, record_key, content_hash, import_id,"
        " identifiers, traits, original, imported_at, updated_at, seq)"
        " VALUES (?, ?, 0, 0, 'i1', '{}', ?, '{}', ?, ?, ?)",
        [source, record_id, json.dumps(traits), at, at, next(_seq)],
    )
    con.execute("INSERT INTO identity_links VALUES ('source_record', ?, ?)",
                [f"{source}:{record_id}", pid])  # fmt: skip


def computed(con: duckdb.DuckDBPyConnection) -> dict[str, dict[str, Any]]:
    rows = con.execute("SELECT profile_id, computed FROM profiles ORDER BY profile_id").fetchall()
    return {pid: json.loads(value) if value else {} for pid, value in rows}
