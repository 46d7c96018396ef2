"""Reading the event log back: counts, the most recent events, and full exports.

Exports name fields as the Segment spec does (`messageId`, `userId`, …) so a file written
here can be read by anything that reads Segment data; nested objects stay nested in JSON
Lines and Parquet holds them as JSON text. With field encryption on, rows are opened on
their way out (`opening.py`), so both modes read the same.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, BinaryIO

import duckdb
import orjson
import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from opencdp.collect.opening import EventOpener
from opencdp.crypto.personal import personal_data
from opencdp.privacy.enforce import CONSENTED_EVENTS

EXPORT_FORMATS = ("jsonl", "csv", "parquet")
_FIELDS = {
    "seq": "seq", "source_id": "sourceId", "message_id": "messageId", "type": "type",
    "user_id": "userId", "anonymous_id": "anonymousId", "previous_id": "previousId",
    "group_id": "groupId", "event": "event", "name": "name", "timestamp": "timestamp",
    "original_timestamp": "originalTimestamp", "sent_at": "sentAt", "received_at": "receivedAt",
    "properties": "properties", "traits": "traits", "context": "context",
    "integrations": "integrations", "extra": "extra", "fixes": "fixes",
}  # fmt: skip
_JSON_FIELDS = ("properties", "traits", "context", "integrations", "extra", "fixes")
_SELECT = ", ".join(f'"{column}" AS "{alias}"' for column, alias in _FIELDS.items())
_WHERE = "WHERE (?::VARCHAR IS NULL OR source_id = ?)"


def count_events(con: duckdb.DuckDBPyConnection, source_id: str | None = None) -> dict[str, Any]:
    rows = con.execute(
        f"SELECT type, count(*) FROM events {_WHERE} GROUP BY type ORDER BY type",
        [source_id, source_id],
    ).fetchall()
    by_type = {kind: int(n) for kind, n in rows}
    return {"total": sum(by_type.values()), "by_type": by_type}


def recent_events(
    con: duckdb.DuckDBPyConnection, *, source_id: str | None = None, limit: int = 20
) -> list[dict[str, Any]]:
    """The newest events, newest first, as Segment-shaped dictionaries."""
    cursor = con.execute(
        f"SELECT {_SELECT} FROM events {_WHERE} ORDER BY seq DESC LIMIT ?",
        [source_id, source_id, limit],
    )
    names = [d[0] for d in cursor.description or []]
    rows = [_as_message(dict(zip(names, row, strict=True))) for row in cursor.fetchall()]
    return EventOpener(personal_data(con), con).open_messages(rows)


def _as_message(row: dict[str, Any]) -> dict[str, Any]:
    for key in _JSON_FIELDS:
        if row.get(key) is not None:
            row[key] = orjson.loads(row[key])
    for key in ("timestamp", "originalTimestamp", "sentAt", "receivedAt"):
        if row.get(key) is not None:
            row[key] = row[key].isoformat()
    return row


def _batches(
    con: duckdb.DuckDBPyConnection, source_id: str | None, purpose: str | None = None
) -> pa.RecordBatchReader:
    where = "WHERE ($source::VARCHAR IS NULL OR source_id = $source)"
    params = {"source": source_id}
    if purpose is not None:  # only consented people's events (privacy/enforce.py)
        where += f" AND seq IN ({CONSENTED_EVENTS})"
        params["purpose"] = purpose
    relation = con.sql(f"SELECT {_SELECT} FROM events {where} ORDER BY seq", params=params)
    return relation.to_arrow_reader(batch_size=50_000)


def export_events(
    con: duckdb.DuckDBPyConnection,
    out: Path | BinaryIO,
    fmt: str,
    source_id: str | None = None,
    transform: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
    purpose: str | None = None,
) -> int:
    """Write every stored field of every event (optionally of one source); return the count.

    With `purpose` (canonical), only the events of people whose consent for it holds; an
    event resolved to no profile has nobody's consent and is left out. Without a purpose
    the export is raw, the whole log for the operator's own systems (docs/consent.md).

    `transform` rewrites each row on its way out (PII masking for callers without PII
    access); in CSV and Parquet rows the nested objects are still JSON text.
    """
    if fmt not in EXPORT_FORMATS:
        raise ValueError(f"format must be one of {', '.join(EXPORT_FORMATS)}")
    lookups = con.cursor()  # vault queries while `con` streams the events
    try:
        return _export(con, out, fmt, EventOpener(personal_data(con), lookups), source_id,
                       transform, purpose)  # fmt: skip
    finally:
        lookups.close()


def _export(
    con: duckdb.DuckDBPyConnection,
    out: Path | BinaryIO,
    fmt: str,
    opener: EventOpener,
    source_id: str | None,
    transform: Callable[[dict[str, Any]], dict[str, Any]] | None,
    purpose: str | None,
) -> int:
    reader = _batches(con, source_id, purpose)
    if fmt != "jsonl":
        reader = opener.open_batches(reader)
    if transform is not None and fmt != "jsonl":
        reader = _transformed(reader, transform)
    written = 0
    if fmt == "parquet":
        with pq.ParquetWriter(out, reader.schema) as writer:
            for batch in reader:
                writer.write_batch(batch)
                written += batch.num_rows
    elif fmt == "csv":
        with pa_csv.CSVWriter(out, reader.schema) as writer:
            for batch in reader:
                writer.write_batch(batch)
                written += batch.num_rows
    else:
        sink = open(out, "wb") if isinstance(out, Path) else out  # noqa: SIM115
        try:
            for batch in reader:
                rows = opener.open_messages([_as_message(row) for row in batch.to_pylist()])
                if transform is not None:
                    rows = [transform(message) for message in rows]
                for message in rows:
                    sink.write(orjson.dumps(message, option=orjson.OPT_APPEND_NEWLINE))
                written += batch.num_rows
        finally:
            if isinstance(out, Path):
                sink.close()
    return written


def _transformed(
    reader: pa.RecordBatchReader, transform: Callable[[dict[str, Any]], dict[str, Any]]
) -> pa.RecordBatchReader:
    schema = reader.schema

    def batches() -> Iterator[pa.RecordBatch]:
        for batch in reader:
            rows = [transform(row) for row in batch.to_pylist()]
            yield pa.RecordBatch.from_pylist(rows, schema=schema)

    return pa.RecordBatchReader.from_batches(schema, batches())
