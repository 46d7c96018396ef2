"""Exporting people for a purpose: golden records of the consented, optionally one segment.

An export is a way out of the workspace like a destination, so it follows the same rule
(privacy/enforce.py): it names a purpose, and only profiles with consent granted for it, not
lapsed and not suppressed, are written. A segment export is the file form of activation.

Exported files are plaintext by design: with field encryption on, the e-mail and phone
fallbacks come from the `identifier_values` vault and every sealed value is opened batch by
batch as it is written, so nothing decrypted passes through the database.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO

import duckdb
import orjson
import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from opencdp.crypto.personal import PersonalData, personal_data
from opencdp.privacy.enforce import CONSENTED_PROFILES

EXPORT_FORMATS = ("jsonl", "csv", "parquet")
_JSON_COLUMNS = ("traits", "computed")
_SEALED_COLUMNS = ("email", "phone")

_PEOPLE = f"""
WITH chosen AS (
  SELECT profile_id FROM ({CONSENTED_PROFILES})
  WHERE $segment_id::VARCHAR IS NULL OR profile_id IN (
      SELECT m.profile_id FROM segment_members AS m WHERE m.segment_id = $segment_id)
), fallback AS (
  SELECT l.profile_id,
         min(coalesce(v.token, l.identifier_value)) FILTER (WHERE l.identifier_type = 'email')
           AS email,
         min(coalesce(v.token, l.identifier_value)) FILTER (WHERE l.identifier_type = 'phone')
           AS phone
  FROM identity_links AS l SEMI JOIN chosen AS c ON c.profile_id = l.profile_id
  LEFT JOIN identifier_values AS v  -- empty when field encryption is off
    ON v.identifier = l.identifier_type || ':' || l.identifier_value
  WHERE l.identifier_type IN ('email', 'phone')
  GROUP BY l.profile_id
)
SELECT c.profile_id,
       coalesce(p.traits ->> 'email', f.email) AS email,
       coalesce(p.traits ->> 'phone', f.phone) AS phone,
       p.traits::VARCHAR AS traits, p.computed::VARCHAR AS computed,
       k.stated_at AS consent_stated_at, k.legal_basis AS consent_legal_basis
FROM chosen AS c
LEFT JOIN profiles AS p ON p.profile_id = c.profile_id
LEFT JOIN fallback AS f ON f.profile_id = c.profile_id
LEFT JOIN profile_consents AS k ON k.profile_id = c.profile_id AND k.purpose = $purpose
ORDER BY c.profile_id
"""


def export_people(
    con: duckdb.DuckDBPyConnection,
    out: Path | BinaryIO,
    fmt: str,
    *,
    purpose: str,
    segment_id: str | None = None,
) -> int:
    """Write the consented profiles (of one segment, when given); returns how many."""
    personal = personal_data(con)  # before the reader: it holds the connection's result
    relation = con.sql(_PEOPLE, params={"purpose": purpose, "segment_id": segment_id})
    reader = opened_rows(relation.to_arrow_reader(batch_size=50_000), personal)
    return write_rows(reader, out, fmt, _JSON_COLUMNS)


def opened_rows(reader: pa.RecordBatchReader, personal: PersonalData) -> pa.RecordBatchReader:
    """The people rows with sealed values opened (the reader itself when encryption is off)."""
    if not personal.enabled:
        return reader
    return pa.RecordBatchReader.from_batches(reader.schema, _opened(reader, personal))


def _opened(reader: pa.RecordBatchReader, personal: PersonalData) -> Iterator[pa.RecordBatch]:
    for batch in reader:
        rows = batch.to_pylist()
        personal.warm(r[c] for r in rows for c in _SEALED_COLUMNS if r[c] is not None)
        for row in rows:
            for column in _SEALED_COLUMNS:
                if row[column] is not None:
                    row[column] = str(personal.open(row[column]))
            for column in _JSON_COLUMNS:
                if row[column] is not None:
                    opened = personal.open_all(orjson.loads(row[column]))
                    row[column] = orjson.dumps(opened).decode()
        yield pa.RecordBatch.from_pylist(rows, schema=reader.schema)


def write_rows(
    reader: pa.RecordBatchReader, out: Path | BinaryIO, fmt: str, json_columns: tuple[str, ...]
) -> int:
    """Rows to JSON Lines (JSON text columns nested again), CSV or Parquet."""
    if fmt not in EXPORT_FORMATS:
        raise ValueError(f"format must be one of {', '.join(EXPORT_FORMATS)}")
    written = 0
    if fmt in ("parquet", "csv"):
        writer_of = pq.ParquetWriter if fmt == "parquet" else pa_csv.CSVWriter
        with writer_of(out, reader.schema) as writer:
            for batch in reader:
                writer.write_batch(batch)
                written += batch.num_rows
        return written
    sink = open(out, "wb") if isinstance(out, Path) else out  # noqa: SIM115
    try:
        for batch in reader:
            for row in batch.to_pylist():
                sink.write(orjson.dumps(_nested(row, json_columns),
                                        option=orjson.OPT_APPEND_NEWLINE))  # fmt: skip
            written += batch.num_rows
    finally:
        if isinstance(out, Path):
            sink.close()
    return written


def _nested(row: dict[str, Any], json_columns: tuple[str, ...]) -> dict[str, Any]:
    for key in json_columns:
        if row.get(key) is not None:
            row[key] = orjson.loads(row[key])
    for key, value in row.items():
        if hasattr(value, "isoformat"):
            row[key] = value.isoformat()
    return row
