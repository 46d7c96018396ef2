"""What each destination holds: written only after a delivery succeeded.

Delivered changes replace the profiles' rows in `destination_state` (an exit deletes it),
in one set-based statement over an Arrow table, so recording 500,000 members is one join,
not 500,000 statements.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import duckdb
import pyarrow as pa

from opencdp.activate.audience import Change


def record_delivered(
    con: duckdb.DuckDBPyConnection, destination_id: str, changes: Sequence[Change],
    now: datetime,
) -> None:  # fmt: skip
    """Make `destination_state` reflect that `changes` reached the destination."""
    if not changes:
        return
    delivered = pa.table({
        "profile_id": pa.array([c.profile_id for c in changes], pa.string()),
        "fingerprint": pa.array([c.fingerprint for c in changes], pa.uint64()),
        "held": pa.array([c.change != "exited" for c in changes], pa.bool_()),
    })  # fmt: skip
    con.register("_opencdp_delivered", delivered)
    try:
        con.execute(
            "DELETE FROM destination_state WHERE destination_id = ?"
            " AND profile_id IN (SELECT profile_id FROM _opencdp_delivered)",
            [destination_id],
        )
        con.execute(
            "INSERT INTO destination_state (destination_id, profile_id, fingerprint, sent_at)"
            " SELECT ?, profile_id, fingerprint, ? FROM _opencdp_delivered WHERE held",
            [destination_id, now],
        )
    finally:
        con.unregister("_opencdp_delivered")


def forget_all(con: duckdb.DuckDBPyConnection, destination_id: str) -> None:
    con.execute("DELETE FROM destination_state WHERE destination_id = ?", [destination_id])
