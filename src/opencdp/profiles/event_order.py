"""The two physical orders of resolved events, and reading a few profiles' events fast.

Segments and computed traits filter events by name and time: `profile_events` is stored in
that order, so DuckDB's per-row-group min/max lets a query read only the row groups holding
the events it asks for (3-4x faster at 20M events). Real-time updates need the opposite —
all events of a few profiles — so `profile_events_by_profile` keeps the same rows in
profile-key order, where a literal key list touches a handful of row groups (3 ms for one
profile among 20M events, against ~150 ms for any scan).

A rebuild writes both in order. Live events are appended to `profile_events` only (the
"tail", seq above the `SORTED` cursor); `compact` restores both orders once the tail has grown.
"""

from __future__ import annotations

import duckdb

EVENT_ORDER = 'ORDER BY event, "timestamp"'
SORTED = "profile_events_sorted"  # derived_cursors: seq through which both tables are ordered
_LITERAL_KEYS = 200  # up to this many profiles, keys go into the SQL as a literal list


def set_cursor(con: duckdb.DuckDBPyConnection, stage: str, seq: int) -> None:
    con.execute("INSERT OR REPLACE INTO derived_cursors (stage, seq) VALUES (?, ?)", [stage, seq])


def sorted_through(con: duckdb.DuckDBPyConnection) -> int:
    row = con.execute("SELECT seq FROM derived_cursors WHERE stage = ?", [SORTED]).fetchone()
    return int(row[0]) if row else 0


def order_by_profile(con: duckdb.DuckDBPyConnection, through: int) -> None:
    """Rewrite the profile-ordered copy from `profile_events` (after a rebuild or compaction)."""
    con.execute("DELETE FROM profile_events_by_profile")
    con.execute("INSERT INTO profile_events_by_profile SELECT * FROM profile_events"
                " ORDER BY profile_key")  # fmt: skip
    set_cursor(con, SORTED, through)


def copy_events_of(con: duckdb.DuckDBPyConnection, touched: str, into: str) -> None:
    """Copy every event of the profiles in table `touched` (profile_id, profile_key) into the
    temporary table `into`, with profile_event's columns.

    Reads the ordered copy by key (a literal list of our own 64-bit integers, which DuckDB
    checks against each row group's min/max) plus the tail of `profile_events`; the
    profile_id strings are joined from `touched` rather than decoded from 20M rows.
    """
    rows = con.execute(f"SELECT DISTINCT profile_key FROM {touched}").fetchall()
    keys = [int(r[0]) for r in rows]
    if len(keys) <= _LITERAL_KEYS:
        match = f"profile_key IN ({', '.join(map(str, keys)) or 'NULL'})"
    else:
        match = f"profile_key IN (SELECT profile_key FROM {touched})"
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {into} AS SELECT t.profile_id, e.* FROM ("
        f"  SELECT * EXCLUDE (profile_id) FROM profile_events_by_profile WHERE {match}"
        f"  UNION ALL"
        f"  SELECT * EXCLUDE (profile_id) FROM profile_events WHERE seq > $sorted AND {match}"
        f") e JOIN (SELECT DISTINCT profile_id, profile_key FROM {touched}) t USING (profile_key)",
        {"sorted": sorted_through(con)},
    )


def compact(con: duckdb.DuckDBPyConnection, *, min_share: float = 0.2) -> dict[str, int]:
    """Restore both orders once more than `min_share` of the events arrived since the last
    ordering (rewrites both tables: a minute of writer time at 20M rows, hence rare — the
    server's schedule calls it)."""
    done = sorted_through(con)
    row = con.execute("SELECT count(*), count(*) FILTER (WHERE seq > ?), max(seq)"
                      " FROM profile_events", [done]).fetchone()  # fmt: skip
    total, tail, last = (int(v or 0) for v in row) if row else (0, 0, 0)
    if tail == 0 or tail < total * min_share:
        return {"rows": total, "unordered": tail, "rewritten": 0}
    con.execute(f"CREATE OR REPLACE TEMP TABLE _ordered AS SELECT * FROM profile_events"
                f" {EVENT_ORDER}")  # fmt: skip
    con.execute("DELETE FROM profile_events")
    con.execute("INSERT INTO profile_events SELECT * FROM _ordered")
    con.execute("DROP TABLE _ordered")
    order_by_profile(con, last)
    return {"rows": total, "unordered": tail, "rewritten": total}
