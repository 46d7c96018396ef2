"""The quarantine: records that failed validation, with the reason, until fixed and replayed.

A refused record is kept as received, so with field encryption on its payload is sealed at
rest under its strongest identifier (else a key of its own), its dedupe key is keyed, and
the identifiers it mentions are kept as pseudonyms for erasure to find it by. Readers here
return the plain payload in both modes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import duckdb
import pyarrow as pa

from opencdp.crypto.personal import PersonalData, personal_data
from opencdp.db.connection import fetch_one
from opencdp.identity.model import Identifier
from opencdp.identity.rules import IdentityRules
from opencdp.keys import stable_key

_REJECTION_COLUMNS = (
    "source_id", "stage", "reason", "payload", "received_at", "record_key", "identifiers",
)  # fmt: skip
_REJECTION_SCHEMA = pa.schema(
    [("source_id", pa.string()), ("stage", pa.string()), ("reason", pa.string()),
     ("payload", pa.string()), ("received_at", pa.timestamp("us", tz="UTC")),
     ("record_key", pa.uint64()), ("identifiers", pa.list_(pa.string()))]
)  # fmt: skip
_RULES = IdentityRules()


@dataclass(frozen=True)
class QuarantinedRecord:
    quarantine_id: int
    source_id: str
    stage: str
    reason: str
    payload: str
    received_at: datetime
    status: str

    def to_json(self) -> dict[str, Any]:
        return {
            "quarantine_id": self.quarantine_id,
            "source_id": self.source_id,
            "stage": self.stage,
            "reason": self.reason,
            "payload": self.payload,
            "received_at": self.received_at.isoformat(),
            "status": self.status,
        }


@dataclass(frozen=True, slots=True)
class Rejection:
    """A record to quarantine: where it came from and why it was refused."""

    source_id: str
    stage: str
    reason: str
    payload: str
    received_at: datetime
    dedupe_text: str | None = None  # what makes two rejections "the same"; default: payload
    identifiers: tuple[str, ...] = ()  # plain `type:value` the payload mentions, if known


def stored_row(personal: PersonalData, r: Rejection) -> list[Any]:
    """A rejection as the quarantine stores it (the key, then the row, in column order)."""
    dedupe = personal.record_key(r.dedupe_text or r.payload)
    stored = list(dict.fromkeys(
        personal.identifier(text, _RULES.is_blocked(Identifier(*text.partition(":")[::2])))
        for text in r.identifiers
    ))  # fmt: skip
    subject = personal.subject(stored, fallback="quarantine:" + dedupe)
    key = stable_key(r.source_id, r.stage, dedupe)
    payload = personal.seal(subject, r.payload, untrusted=True)
    return [r.source_id, r.stage, r.reason, payload, r.received_at, key, stored or None]


def add_rejections(
    con: duckdb.DuckDBPyConnection,
    rejections: list[Rejection],
    personal: PersonalData | None = None,
) -> int:
    """Quarantine `rejections`, except those already pending (a retry, a re-import).
    `personal` defaults to the one registered for `con`'s database."""
    if not rejections:
        return 0
    personal = personal or personal_data(con)
    rows: dict[int, list[Any]] = {}
    for r in rejections:
        row = stored_row(personal, r)
        rows.setdefault(row[5], row)
    table = pa.table(
        {name: [row[i] for row in rows.values()] for i, name in enumerate(_REJECTION_COLUMNS)},
        schema=_REJECTION_SCHEMA,
    )
    con.register("incoming_rejections", table)
    try:
        inserted = con.execute(
            "INSERT INTO quarantine (source_id, stage, reason, payload, received_at, record_key,"
            " identifiers) SELECT i.* FROM incoming_rejections i ANTI JOIN (SELECT record_key"
            " FROM quarantine WHERE status = 'pending') q ON q.record_key = i.record_key"
        ).fetchall()
    finally:
        con.unregister("incoming_rejections")
    return int(inserted[0][0]) if inserted else 0


def list_quarantine(
    con: duckdb.DuckDBPyConnection,
    *,
    source_id: str | None = None,
    status: str | None = "pending",
    limit: int = 100,
) -> list[QuarantinedRecord]:
    rows = con.execute(
        "SELECT quarantine_id, source_id, stage, reason, payload, received_at, status"
        " FROM quarantine WHERE (? IS NULL OR source_id = ?) AND (? IS NULL OR status = ?)"
        " ORDER BY quarantine_id LIMIT ?",
        [source_id, source_id, status, status, limit],
    ).fetchall()
    return _opened(con, rows)


def get_quarantined(con: duckdb.DuckDBPyConnection, quarantine_id: int) -> QuarantinedRecord | None:
    row = fetch_one(
        con,
        "SELECT quarantine_id, source_id, stage, reason, payload, received_at, status"
        " FROM quarantine WHERE quarantine_id = ?",
        [quarantine_id],
    )
    return _opened(con, [row])[0] if row else None


def _opened(con: duckdb.DuckDBPyConnection, rows: list[Any]) -> list[QuarantinedRecord]:
    """Rows with their payloads opened (sealed at rest when field encryption is on)."""
    personal = personal_data(con)
    personal.warm(row[4] for row in rows)
    return [
        QuarantinedRecord(q_id, source, stage, reason, personal.open(payload), received, status)
        for q_id, source, stage, reason, payload, received, status in rows
    ]


def mark(con: duckdb.DuckDBPyConnection, quarantine_id: int, status: str) -> None:
    con.execute(
        "UPDATE quarantine SET status = ?, resolved_at = now() WHERE quarantine_id = ?",
        [status, quarantine_id],
    )


def count_quarantine(con: duckdb.DuckDBPyConnection, source_id: str | None = None) -> int:
    row = fetch_one(
        con,
        "SELECT count(*) FROM quarantine WHERE status = 'pending' AND (? IS NULL OR source_id = ?)",
        [source_id, source_id],
    )
    return int(row[0]) if row else 0
