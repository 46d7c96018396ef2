"""Real-time membership: after profiles change, evaluate the real-time segments for them.

The profile refresher calls this with the profiles whose events or records just arrived and
those merged away. Their rows are first copied out of every table a segment reads (events
found by their integer profile key, one scan), then all real-time segments run as one union
query over those small copies and one difference against the stored members records the
entries and exits. The cost follows the traffic, not the number of profiles or segments.
Time-based conditions (windows that expire while nobody acts) are caught by the scheduled
full evaluation.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import duckdb

from opencdp.profiles.event_order import copy_events_of
from opencdp.profiles.materialize import ProfileChanges
from opencdp.segments import membership, service

Write = Callable[[Callable[[duckdb.DuckDBPyConnection], Any]], Any]

_T = membership.TOUCHED
# Each table a compiled segment reads → the touched profiles' rows of it.
# Memberships are searched by integer key, without reading their profile_id strings (at
# millions of rows decoding that one column costs more than the rest of the pass); events
# come from their profile-ordered copy (profiles.event_order).
_SNAPSHOTS = {
    "segment_members": "SELECT t.profile_id, r.* FROM (SELECT * EXCLUDE (profile_id)"
                       f" FROM segment_members WHERE profile_key IN (SELECT profile_key FROM {_T}))"
                       f" r JOIN {_T} t USING (profile_key)",
    **{table: f"SELECT * FROM {table} WHERE profile_id IN (SELECT profile_id FROM {_T})"
       for table in ("profiles", "profile_consents", "identity_links", "profile_predictions")},
}  # fmt: skip
_COPIES = {table: f"_rt_{table}" for table in (*_SNAPSHOTS, "profile_events")}


def evaluate_touched(
    con: duckdb.DuckDBPyConnection, touched: list[str], removed: list[str], *, now: datetime
) -> int:
    """Entries and exits of the touched profiles in every real-time segment (a count)."""
    membership.leave_all(con, removed, now=now, reason="merged")
    realtime = [s for s in service.in_dependency_order(service.list_segments(con))
                if s["realtime"]]  # fmt: skip
    if not touched or not realtime:
        return 0
    membership.set_touched(con, touched)
    copy_events_of(con, _T, "_rt_profile_events")
    for table, select in _SNAPSHOTS.items():
        con.execute(f"CREATE OR REPLACE TEMP TABLE _rt_{table} AS {select}")
    context = service.compile_context(con)
    changed: dict[str, tuple[int, int]] = {}
    # Level by level: a segment that uses others sees their members as this pass left them.
    for depth, level in enumerate(service.dependency_levels(realtime)):
        if depth:
            select = _SNAPSHOTS["segment_members"]
            con.execute(f"CREATE OR REPLACE TEMP TABLE _rt_segment_members AS {select}")
        queries = []
        for i, segment in enumerate(level):
            sql, params = service.shareable_sql(segment["definition"], context, f"s{i}_", now,
                                                _COPIES)  # fmt: skip
            queries.append((segment["segment_id"], sql, params))
        changed |= membership.evaluate_many(con, queries, now=now,
                                            members="_rt_segment_members")  # fmt: skip
    for table in (_T, *_COPIES.values()):
        con.execute(f"DROP TABLE {table}")
    return sum(entered + exited for entered, exited in changed.values())


def segment_listener(write: Write) -> Callable[[ProfileChanges], None]:
    def on_profiles_changed(changes: ProfileChanges) -> None:
        now = datetime.now(UTC)
        write(lambda con: evaluate_touched(con, changes.touched, changes.removed, now=now))

    return on_profiles_changed


def profiles_listener(write: Write) -> Callable[[list[str]], None]:
    """Evaluate the real-time segments for profiles whose computed traits changed."""

    def on_recomputed(profile_ids: list[str]) -> None:
        now = datetime.now(UTC)
        write(lambda con: evaluate_touched(con, profile_ids, [], now=now))

    return on_recomputed


def scheduled_evaluation(write: Write) -> None:
    """Every segment again, for conditions time alone changes (a window moving past an event)."""
    now = datetime.now(UTC)
    write(lambda con: service.evaluate_all(con, now=now))
