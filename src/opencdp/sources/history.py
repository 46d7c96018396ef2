"""Import history: each run moves started → completed | failed, with its counts and cursor.

The cursor of the last completed run of a location is where an incremental run resumes; a
failed or crashed run leaves no cursor behind, so the next run reads those rows again.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import duckdb

from opencdp.db.connection import fetch_one
from opencdp.sources.importer import ImportReport


def record_start(
    con: duckdb.DuckDBPyConnection, report: ImportReport, mapping: dict[str, Any]
) -> None:
    con.execute(
        "INSERT INTO imports (import_id, source_id, location, format, encoding, status,"
        " started_at, mapping) VALUES (?, ?, ?, ?, ?, 'started', ?, ?)",
        [report.import_id, report.source_id, report.location, report.format, report.encoding,
         datetime.now(UTC), json.dumps(mapping, ensure_ascii=False)],
    )  # fmt: skip


def import_mapping(con: duckdb.DuckDBPyConnection, import_id: str) -> dict[str, Any] | None:
    """The mapping an import ran with (to replay its quarantined rows)."""
    row = fetch_one(con, "SELECT mapping FROM imports WHERE import_id = ?", [import_id])
    return json.loads(row[0]) if row and row[0] else None


def record_finish(con: duckdb.DuckDBPyConnection, report: ImportReport, status: str) -> None:
    con.execute(
        "UPDATE imports SET status = ?, rows_read = ?, records_stored = ?, events_stored = ?,"
        " unchanged = ?, quarantined = ?, cursor_value = ?, finished_at = ?"
        " WHERE import_id = ?",
        [status, report.rows_read, report.records_stored, report.events_stored,
         report.unchanged, report.quarantined, report.cursor_value, datetime.now(UTC),
         report.import_id],
    )  # fmt: skip


def last_cursor(con: duckdb.DuckDBPyConnection, source_id: str, location: str) -> str | None:
    row = fetch_one(
        con,
        "SELECT cursor_value FROM imports WHERE source_id = ? AND location = ?"
        " AND status = 'completed' AND cursor_value IS NOT NULL"
        " ORDER BY finished_at DESC LIMIT 1",
        [source_id, location],
    )
    return str(row[0]) if row else None


def list_imports(
    con: duckdb.DuckDBPyConnection, source_id: str | None = None, limit: int = 50
) -> list[dict[str, Any]]:
    cursor = con.execute(
        "SELECT * FROM imports WHERE (?::VARCHAR IS NULL OR source_id = ?)"
        " ORDER BY started_at DESC LIMIT ?",
        [source_id, source_id, limit],
    )
    names = [d[0] for d in cursor.description or []]
    return [
        {
            k: (v.isoformat() if isinstance(v, datetime) else v)
            for k, v in zip(names, row, strict=True)
        }
        for row in cursor.fetchall()
    ]
