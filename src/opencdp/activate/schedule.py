"""Which destinations are due for a scheduled sync, for the lead's scheduler to run.

A destination with `schedule_minutes` is due when it never synced or its last sync started
at least that many minutes ago (failed syncs count, so a broken destination is retried once
per period rather than in a tight loop), and no sync of it is running.
"""

from __future__ import annotations

from datetime import datetime

import duckdb

from opencdp.activate.access import Access
from opencdp.activate.errors import InvalidDestination, SyncInProgress
from opencdp.activate.history import STALE_AFTER

_DUE = """
WITH last AS (
    SELECT destination_id, max(started_at) AS last_start,
           bool_or(status = 'running' AND started_at > $stale) AS running
    FROM destination_syncs GROUP BY destination_id
)
SELECT d.name
FROM destinations AS d
LEFT JOIN last AS s ON s.destination_id = d.destination_id
WHERE d.enabled AND d.schedule_minutes IS NOT NULL AND NOT coalesce(s.running, false)
  AND (s.last_start IS NULL
       OR s.last_start + to_minutes(CAST(d.schedule_minutes AS BIGINT)) <= $now)
ORDER BY s.last_start NULLS FIRST, d.name
"""


def due_destinations(con: duckdb.DuckDBPyConnection, now: datetime) -> list[str]:
    """Names of the destinations to sync at `now`, longest-waiting first."""
    rows = con.execute(_DUE, {"now": now, "stale": now - STALE_AFTER}).fetchall()
    return [row[0] for row in rows]


def run_due_syncs(access: Access, now: datetime) -> dict[str, str]:
    """Sync every destination that is due (the server's schedule); name → status. A
    destination whose folder or host `access.egress` refuses fails on its own (its history
    row says why)."""
    from opencdp.activate.sync import sync  # sync imports this module's neighbours

    done = {}
    for name in access.read(lambda con: due_destinations(con, now)):
        try:
            done[name] = str(sync(access, name, now=now)["status"])
        except SyncInProgress:
            done[name] = "running"
        except InvalidDestination:
            done[name] = "failed"
    return done
