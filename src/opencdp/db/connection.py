"""Open the embedded DuckDB database of a data directory, migrated to the current schema."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import duckdb

from opencdp.db.migrations import migrate

_LOCK_HINT = re.compile(r"Conflicting lock|Could not set lock", re.IGNORECASE)


class DatabaseLocked(RuntimeError):
    """Another process (normally a running `opencdp serve`) holds the database file."""


def open_database(
    path: Path,
    *,
    read_only: bool = False,
    checkpoint_wal_bytes: int | None = None,
    memory_limit: str | None = None,
) -> duckdb.DuckDBPyConnection:
    """Open (creating if needed) and migrate the database at `path`.

    DuckDB allows one read-write process per file; a second one gets `DatabaseLocked`
    with the holder named, so the CLI can say what to do instead of a stack trace.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    config: dict[str, str | bool | int | float | list[str]] = {}
    if checkpoint_wal_bytes is not None:
        config["checkpoint_threshold"] = f"{checkpoint_wal_bytes}b"
    if memory_limit is not None:
        config["memory_limit"] = memory_limit
    try:
        con = duckdb.connect(str(path), read_only=read_only, config=config)
    except duckdb.IOException as exc:
        if _LOCK_HINT.search(str(exc)):
            raise DatabaseLocked(str(exc)) from exc
        raise
    # Timestamps come back in UTC whatever the machine's zone (cursors inherit GLOBAL).
    con.execute("SET GLOBAL TimeZone = 'UTC'")
    if not read_only:
        migrate(con)
    return con


def fetch_one(
    con: duckdb.DuckDBPyConnection, sql: str, params: list[Any] | None = None
) -> tuple[Any, ...] | None:
    """The first row of a query, with the result fully consumed.

    DuckDB ≥ 2 refuses further work on a connection whose last result was only partly
    fetched, so a lone `fetchone()` would poison the writer's connection.
    """
    rows = con.execute(sql, params or []).fetchall()
    return tuple(rows[0]) if rows else None
