"""Keeping computed traits current as profiles change (before segments read them).

New events fold into the traits that can be updated in place (counts, sums, first/last) and
recompute the others for their profiles; profiles that absorbed another, or changed only
through imported records, are recomputed whole.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import duckdb

from opencdp.profiles.computed import apply_events, compute_all, compute_for, expire_windows
from opencdp.profiles.materialize import ProfileChanges

Write = Callable[[Callable[[duckdb.DuckDBPyConnection], Any]], Any]

_NEW_EVENTS = (
    "SELECT profile_id, seq, source_id, type, event, \"timestamp\", properties"
    " FROM profile_events WHERE seq > ? AND seq <= ?"
)


def apply_changes(con: duckdb.DuckDBPyConnection, changes: ProfileChanges, now: datetime) -> None:
    if changes.after == 0:  # a rebuild: every profile from scratch
        compute_all(con, now=now)
        return
    cursor = con.execute(_NEW_EVENTS, [changes.after, changes.through])
    names = [d[0] for d in cursor.description or []]
    rows = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
    if rows:
        apply_events(con, rows, now=now)
    with_events = {row["profile_id"] for row in rows}
    others = (set(changes.touched) - with_events) | set(changes.survivors)
    if others:
        compute_for(con, sorted(others), now=now)


def computed_listener(write: Write) -> Callable[[ProfileChanges], None]:
    def on_profiles_changed(changes: ProfileChanges) -> None:
        now = datetime.now(UTC)
        write(lambda con: apply_changes(con, changes, now))

    return on_profiles_changed


def scheduled_expiry(write: Write) -> None:
    """Windowed traits whose window moved past an event since they were computed."""
    now = datetime.now(UTC)
    write(lambda con: expire_windows(con, now=now))
