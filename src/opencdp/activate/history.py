"""The record of every sync: started, how it ended, and what it sent, added and removed.

A sync is opened as 'running' before anything is delivered and closed as 'completed',
'partial' (some webhook batches dead-lettered) or 'failed'. A second sync of the same
destination is refused while one has been running for less than `STALE_AFTER` (a crashed
process leaves a 'running' row behind; after that time it no longer blocks).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import duckdb
import orjson

from opencdp.activate.access import first
from opencdp.activate.catalog import load_destination
from opencdp.activate.errors import SyncInProgress

STALE_AFTER = timedelta(hours=1)
_COLUMNS = ("sync_id, mode, status, started_at, finished_at, sent, added, updated, removed,"
            " skipped_no_consent, errors")  # fmt: skip


@dataclass
class Counts:
    sent: int = 0
    added: int = 0
    updated: int = 0
    removed: int = 0
    skipped_no_consent: int = 0
    errors: list[str] = field(default_factory=list)


def start_sync(
    con: duckdb.DuckDBPyConnection, destination_id: str, mode: str, now: datetime
) -> str:
    running = first(con.execute(
        "SELECT sync_id FROM destination_syncs WHERE destination_id = ? AND status = 'running'"
        " AND started_at > ?",
        [destination_id, now - STALE_AFTER],
    ).fetchall())
    if running is not None:
        raise SyncInProgress(f"sync {running[0]} of this destination is still running")
    sync_id = str(uuid.uuid4())
    con.execute(
        "INSERT INTO destination_syncs (sync_id, destination_id, mode, status, started_at)"
        " VALUES (?, ?, ?, 'running', ?)",
        [sync_id, destination_id, mode, now],
    )
    return sync_id


def finish_sync(
    con: duckdb.DuckDBPyConnection, sync_id: str, status: str, counts: Counts, now: datetime
) -> dict[str, Any]:
    con.execute(
        "UPDATE destination_syncs SET status = ?, finished_at = ?, sent = ?, added = ?,"
        " updated = ?, removed = ?, skipped_no_consent = ?, errors = ? WHERE sync_id = ?",
        [status, now, counts.sent, counts.added, counts.updated, counts.removed,
         counts.skipped_no_consent, orjson.dumps(counts.errors).decode(), sync_id],
    )  # fmt: skip
    row = first(con.execute(
        f"SELECT {_COLUMNS} FROM destination_syncs WHERE sync_id = ?", [sync_id]
    ).fetchall())
    assert row is not None
    return _row(row)


def sync_history(
    con: duckdb.DuckDBPyConnection, name: str, limit: int = 100
) -> list[dict[str, Any]]:
    """The destination's syncs, newest first."""
    destination_id = load_destination(con, name).destination_id
    rows = con.execute(
        f"SELECT {_COLUMNS} FROM destination_syncs WHERE destination_id = ?"
        " ORDER BY started_at DESC, sync_id LIMIT ?",
        [destination_id, limit],
    ).fetchall()
    return [_row(row) for row in rows]


def _row(row: tuple[Any, ...]) -> dict[str, Any]:
    keys = [k.strip() for k in _COLUMNS.split(",")]
    out = dict(zip(keys, row, strict=True))
    for key in ("started_at", "finished_at"):
        if out[key] is not None:
            out[key] = out[key].isoformat()
    out["errors"] = orjson.loads(out["errors"]) if out["errors"] else []
    return out
