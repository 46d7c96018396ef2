"""Who is in a segment, and every entry and exit with its time.

Membership is evaluated set-wise: the compiled segments give today's members, one difference
against `segment_members` gives who entered and who left, and both go to `segment_history`.
A real-time evaluation does the same for only the profiles whose events just arrived (the
compiled SQL is restricted to them); a profile merged into another leaves every segment, and
its survivor is evaluated like any touched profile.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import duckdb
import pyarrow as pa

TOUCHED = "_segment_touched"  # the table a restricted evaluation reads profile ids from


@dataclass(frozen=True)
class Transition:
    """One evaluation's outcome for one segment."""

    segment_id: str
    entered: int
    exited: int
    members: int


def set_touched(con: duckdb.DuckDBPyConnection, profile_ids: list[str]) -> None:
    """The profiles the next restricted evaluations look at (with their 64-bit keys)."""
    touched = pa.table({"profile_id": pa.array(profile_ids, pa.string())})  # noqa: F841
    con.execute(f"CREATE OR REPLACE TEMP TABLE {TOUCHED} AS"
                " SELECT DISTINCT profile_id, md5_number_upper(profile_id) AS profile_key"
                " FROM touched")  # fmt: skip


def leave_all(
    con: duckdb.DuckDBPyConnection, profile_ids: list[str], *, now: datetime, reason: str
) -> int:
    """Profiles that no longer exist (merged away, erased) leave every segment."""
    if not profile_ids:
        return 0
    gone = pa.table({"profile_id": pa.array(profile_ids, pa.string())})  # noqa: F841
    con.execute("CREATE OR REPLACE TEMP TABLE _gone AS SELECT profile_id,"
                " md5_number_upper(profile_id) AS profile_key FROM gone")  # fmt: skip
    con.execute(
        "CREATE OR REPLACE TEMP TABLE _left AS SELECT segment_id, profile_id FROM segment_members"
        " WHERE profile_key IN (SELECT profile_key FROM _gone)"
        " AND profile_id IN (SELECT profile_id FROM _gone)"
    )
    con.execute(
        "INSERT INTO segment_history SELECT segment_id, profile_id, 'exited', $now, $reason"
        " FROM _left",
        {"now": now, "reason": reason},
    )
    row = con.execute("SELECT count(*) FROM _left").fetchone()
    con.execute("DELETE FROM segment_members WHERE profile_key IN (SELECT profile_key FROM _gone)"
                " AND profile_id IN (SELECT profile_id FROM _gone)")  # fmt: skip
    con.execute(
        "UPDATE segments s SET member_count = (SELECT count(*) FROM segment_members m"
        " WHERE m.segment_id = s.segment_id)"
    )
    con.execute("DROP TABLE _gone")
    con.execute("DROP TABLE _left")
    return int(row[0]) if row else 0


def history(
    con: duckdb.DuckDBPyConnection,
    segment_id: str,
    *,
    profile_id: str | None = None,
    limit: int = 100,
) -> list[dict[str, Any]]:
    """Entries and exits, newest first (optionally of one profile)."""
    rows = con.execute(
        "SELECT profile_id, change, changed_at, reason FROM segment_history"
        " WHERE segment_id = $segment AND ($profile IS NULL OR profile_id = $profile)"
        " ORDER BY changed_at DESC, change LIMIT $limit",
        {"segment": segment_id, "profile": profile_id, "limit": limit},
    ).fetchall()
    return [{"profile_id": p, "change": c, "at": at.isoformat(), "reason": r}
            for p, c, at, r in rows]  # fmt: skip


def _count(con: duckdb.DuckDBPyConnection, table: str) -> int:
    row = con.execute(f"SELECT count(*) FROM {table}").fetchone()
    return int(row[0]) if row else 0


def _member_count(con: duckdb.DuckDBPyConnection, segment_id: str) -> int:
    row = con.execute(
        "SELECT count(*) FROM segment_members WHERE segment_id = ?", [segment_id]
    ).fetchone()
    return int(row[0]) if row else 0


def evaluate_many(
    con: duckdb.DuckDBPyConnection,
    queries: list[tuple[str, str, dict[str, Any]]],
    *,
    now: datetime,
    reason: str = "realtime",
    scope: str | None = TOUCHED,
    members: str = "segment_members",
) -> dict[str, tuple[int, int]]:
    """Apply many segments' members in one pass: among the profiles in `scope` (a table of
    profile ids), or among every profile when `scope` is None.

    `queries` are (segment_id, SQL, parameters) with parameter names unique across the list;
    one union query gives every (segment, profile) pair that holds now, and a single
    difference against `segment_members` (or `members`, a copy of its rows for `scope`) finds
    entries and exits, instead of a dozen statements per segment. Returns segment_id →
    (entered, exited) for segments that changed.
    """
    if not queries:
        return {}
    params: dict[str, Any] = {}
    parts = []
    for i, (segment_id, sql, bound) in enumerate(queries):
        params[f"segment_{i}"] = segment_id
        params.update(bound)
        parts.append(f"SELECT $segment_{i} AS segment_id, profile_id FROM ({sql})")
    con.execute("CREATE OR REPLACE TEMP TABLE _pairs_now AS " + " UNION ALL ".join(parts), params)
    ids = [q[0] for q in queries]
    within = f" AND profile_key IN (SELECT profile_key FROM {scope})" if scope else ""
    con.execute(
        "CREATE OR REPLACE TEMP TABLE _pairs_before AS SELECT segment_id, profile_id"
        f" FROM {members} WHERE list_contains($ids, segment_id){within}",
        {"ids": ids},
    )
    con.execute("CREATE OR REPLACE TEMP TABLE _pairs_in AS"
                " SELECT * FROM _pairs_now EXCEPT SELECT * FROM _pairs_before")  # fmt: skip
    con.execute("CREATE OR REPLACE TEMP TABLE _pairs_out AS"
                " SELECT * FROM _pairs_before EXCEPT SELECT * FROM _pairs_now")  # fmt: skip
    con.execute(
        "INSERT INTO segment_history SELECT segment_id, profile_id, 'entered', $now, $reason"
        " FROM _pairs_in UNION ALL"
        " SELECT segment_id, profile_id, 'exited', $now, $reason FROM _pairs_out",
        {"now": now, "reason": reason},
    )
    con.execute(
        "DELETE FROM segment_members m USING _pairs_out o"
        " WHERE m.profile_key = md5_number_upper(o.profile_id)"
        " AND m.segment_id = o.segment_id AND m.profile_id = o.profile_id"
    )
    con.execute("INSERT INTO segment_members SELECT segment_id, profile_id, $now,"
                " md5_number_upper(profile_id) FROM _pairs_in", {"now": now})  # fmt: skip
    con.execute(
        "UPDATE segments s SET member_count = s.member_count + d.delta, evaluated_at = $now"
        " FROM (SELECT segment_id, sum(delta) AS delta FROM (SELECT segment_id, 1 AS delta"
        "  FROM _pairs_in UNION ALL SELECT segment_id, -1 FROM _pairs_out) GROUP BY ALL) d"
        " WHERE s.segment_id = d.segment_id",
        {"now": now},
    )
    changed = {
        segment_id: (int(entered), int(exited))
        for segment_id, entered, exited in con.execute(
            "SELECT segment_id, count(*) FILTER (WHERE change = 'in'),"
            " count(*) FILTER (WHERE change = 'out') FROM (SELECT segment_id, 'in' AS change"
            " FROM _pairs_in UNION ALL SELECT segment_id, 'out' FROM _pairs_out) GROUP BY ALL"
        ).fetchall()
    }
    if scope is None:
        con.execute("UPDATE segments SET evaluated_at = $now WHERE list_contains($ids, segment_id)",
                    {"now": now, "ids": ids})  # fmt: skip
    for table in ("_pairs_now", "_pairs_before", "_pairs_in", "_pairs_out"):
        con.execute(f"DROP TABLE {table}")
    return changed
