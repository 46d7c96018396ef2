"""Keeping `profile_events` stored in event-name and time order.

Segments and computed traits filter events by name and time. Stored in that order, DuckDB's
per-row-group min/max lets a query read only the row groups holding the events it asks for
(3-4x faster at 20M events). A rebuild writes the table in order; live events are appended in
time order at the end, and `compact` restores the order once enough of them gathered.
"""

from __future__ import annotations

import duckdb

EVENT_ORDER = 'ORDER BY event, "timestamp"'
SORTED = "profile_events_sorted"  # derived_cursors: seq through which the table is in order


def set_cursor(con: duckdb.DuckDBPyConnection, stage: str, seq: int) -> None:
    con.execute("INSERT OR REPLACE INTO derived_cursors (stage, seq) VALUES (?, ?)", [stage, seq])


def _cursor(con: duckdb.DuckDBPyConnection) -> int:
    row = con.execute("SELECT seq FROM derived_cursors WHERE stage = ?", [SORTED]).fetchone()
    return int(row[0]) if row else 0


def compact(con: duckdb.DuckDBPyConnection, *, min_share: float = 0.2) -> dict[str, int]:
    """Store `profile_events` in event/time order again once more than `min_share` of it
    arrived since the last ordering (rewrites the table: minutes of writer time at 20M rows,
    hence rare — the server's schedule calls it)."""
    sorted_through = _cursor(con)
    row = con.execute("SELECT count(*), count(*) FILTER (WHERE seq > ?), max(seq)"
                      " FROM profile_events", [sorted_through]).fetchone()  # fmt: skip
    total, tail, last = (int(v or 0) for v in row) if row else (0, 0, 0)
    if tail == 0 or tail < total * min_share:
        return {"rows": total, "unordered": tail, "rewritten": 0}
    con.execute(f"CREATE OR REPLACE TEMP TABLE _ordered AS SELECT * FROM profile_events"
                f" {EVENT_ORDER}")  # fmt: skip
    con.execute("DELETE FROM profile_events")
    con.execute("INSERT INTO profile_events SELECT * FROM _ordered")
    con.execute("DROP TABLE _ordered")
    set_cursor(con, SORTED, last)
    return {"rows": total, "unordered": tail, "rewritten": total}

