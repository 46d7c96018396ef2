"""Store prepared import batches: upsert profile records, append events, quarantine the rest.

Runs inside the single writer's transaction. Idempotency comes from set operations in
DuckDB, not per-row lookups: a batch's records are compared with the stored ones by key and
content hash in one join, so re-importing a file changes nothing and a changed row
replaces its old version; events already in the log (same source and record id) are skipped.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import duckdb
import orjson
import pyarrow as pa

from opencdp.collect.quarantine import Rejection, add_rejections, mark
from opencdp.db.connection import fetch_one
from opencdp.sources.transform import Prepared


@dataclass(frozen=True, slots=True)
class BatchToStore:
    source_id: str
    import_id: str
    prepared: Prepared | None
    unreadable: list[Rejection] = field(default_factory=list)  # rows the reader could not parse
    replayed: list[int] = field(default_factory=list)  # quarantine rows this batch resolves
    screened: int = -1  # suppression version the rows were screened against (privacy)
    suppressed: int = 0  # rows dropped: they carried an erased person's identifier
    # `identifier_values` rows of the batch's new identifiers (field encryption on); kept
    # here, not in `prepared`, so screening cannot drop them with a row they also serve.
    vault: pa.Table | None = None

    @property
    def weight(self) -> int:
        return (self.prepared.weight if self.prepared else 0) + max(1, len(self.unreadable))


@dataclass(frozen=True, slots=True)
class StoredCounts:
    records: int
    events: int
    unchanged: int
    quarantined: int
    suppressed: int = 0


def _count(con: duckdb.DuckDBPyConnection, table: str) -> int:
    row = fetch_one(con, f"SELECT count(*) FROM {table}")
    return int(row[0]) if row else 0


def _rejection(batch: BatchToStore, row: dict[str, Any], now: datetime) -> Rejection:
    """A refused row, with the import it came from so it can be fixed and replayed.

    Deduplicated on the row's place and values, not the import id: re-importing the same
    file does not quarantine the same bad row twice. The quarantine seals the payload and
    keys the dedupe text when field encryption is on (`collect/quarantine.stored_row`),
    and keeps the identifiers the row yielded, as pseudonyms, for erasure to find.
    """
    values = orjson.loads(row["original"])
    where = {"row": row["row"], "values": values}
    payload = orjson.dumps({"import_id": batch.import_id, **where}).decode()
    return Rejection(batch.source_id, "import", "; ".join(row["reasons"]), payload, now,
                     orjson.dumps(where).decode(),
                     identifiers=tuple(row.get("plain_identifiers") or ()))  # fmt: skip


class SourceRecordStore:
    """Writer handler for imported batches. `reserve` claims event sequence numbers;
    `screen` drops the rows of erased people (`privacy.screening`) and `record_drops`
    counts them."""

    def __init__(
        self,
        reserve: Callable[[int], int],
        screen: Callable[[BatchToStore], BatchToStore] | None = None,
        record_drops: Callable[[duckdb.DuckDBPyConnection, dict[tuple[str, str], int]], None]
        | None = None,
    ) -> None:
        self._reserve = reserve
        self._screen = screen
        self._record_drops = record_drops

    def apply(
        self, con: duckdb.DuckDBPyConnection, payloads: Sequence[BatchToStore]
    ) -> tuple[list[StoredCounts], Callable[[], None] | None]:
        return [self._store(con, p) for p in payloads], None

    def _store(self, con: duckdb.DuckDBPyConnection, batch: BatchToStore) -> StoredCounts:
        now = datetime.now(UTC)
        if self._screen is not None:
            batch = self._screen(batch)
            if batch.suppressed and self._record_drops is not None:
                self._record_drops(con, {(batch.source_id, "import"): batch.suppressed})
        records = unchanged = events = 0
        rejections = list(batch.unreadable)
        if batch.prepared is not None:
            records, unchanged = self._upsert_records(con, batch, now)
            events = self._append_events(con, batch, now)
            _store_vault(con, batch)
            rows = batch.prepared.rejections.to_pylist()
            rejections += [_rejection(batch, r, now) for r in rows]
        quarantined = add_rejections(con, rejections)
        for quarantine_id in batch.replayed:
            mark(con, quarantine_id, "replayed")
        return StoredCounts(records, events, unchanged, quarantined, batch.suppressed)

    def _upsert_records(
        self, con: duckdb.DuckDBPyConnection, batch: BatchToStore, now: datetime
    ) -> tuple[int, int]:
        assert batch.prepared is not None
        incoming = batch.prepared.records
        if incoming.num_rows == 0:
            return 0, 0
        con.register("incoming_records", incoming)
        try:
            con.execute(
                "CREATE OR REPLACE TEMP TABLE record_changes AS"
                " SELECT i.*, s.record_key IS NOT NULL AS existed"
                " FROM incoming_records i LEFT JOIN source_records s"
                "   ON s.source_id = ? AND s.record_key = i.record_key"
                " WHERE s.record_key IS NULL OR s.content_hash <> i.content_hash",
                [batch.source_id],
            )
            con.execute(
                "DELETE FROM source_records WHERE source_id = ? AND record_key IN"
                " (SELECT record_key FROM record_changes WHERE existed)",
                [batch.source_id],
            )
            changed = _count(con, "record_changes")
            # Records share the event log's sequence: identity replays both in one order.
            first_seq = self._reserve(changed) if changed else 0
            con.execute(
                "INSERT INTO source_records SELECT ?, record_id, record_key, content_hash, ?,"
                " identifiers, traits, original, fixes, ?, ?,"
                " ? + row_number() OVER () - 1 FROM record_changes",
                [batch.source_id, batch.import_id, now, now, first_seq],
            )
        finally:
            con.unregister("incoming_records")
            con.execute("DROP TABLE IF EXISTS record_changes")
        return changed, incoming.num_rows - changed

    def _append_events(
        self, con: duckdb.DuckDBPyConnection, batch: BatchToStore, now: datetime
    ) -> int:
        assert batch.prepared is not None
        incoming = batch.prepared.events
        if incoming.num_rows == 0:
            return 0
        con.register("incoming_events", incoming)
        try:
            con.execute(
                "CREATE OR REPLACE TEMP TABLE new_import_events AS SELECT i.* FROM"
                " incoming_events i ANTI JOIN (SELECT message_key FROM events"
                " WHERE source_id = ?) e ON e.message_key = i.message_key",
                [batch.source_id],
            )
            fresh = _count(con, "new_import_events")
            first_seq = self._reserve(fresh)
            con.execute(
                "INSERT INTO events (seq, source_id, message_id, message_key, type, user_id,"
                ' event, "timestamp", original_timestamp, received_at, properties, context,'
                " identifiers)"
                " SELECT ? + row_number() OVER () - 1, ?, message_id, message_key, 'track',"
                ' user_id, event, "timestamp", "timestamp", ?, properties, context, identifiers'
                " FROM new_import_events",
                [first_seq, batch.source_id, now],
            )
        finally:
            con.unregister("incoming_events")
            con.execute("DROP TABLE IF EXISTS new_import_events")
        return fresh


def _store_vault(con: duckdb.DuckDBPyConnection, batch: BatchToStore) -> None:
    """Vault the plaintext of the identifiers the stored rows hold, once: not those of rows
    screening dropped (an erased person's), nor those already in the vault (a re-import)."""
    vault, prepared = batch.vault, batch.prepared
    if vault is None or vault.num_rows == 0 or prepared is None:
        return
    con.register("incoming_vault", vault)
    con.register("vault_records", prepared.records.select(["identifiers"]))
    con.register("vault_events", prepared.events.select(["identifiers"]))
    try:
        con.execute(
            "INSERT INTO identifier_values SELECT identifier, token FROM incoming_vault v"
            " SEMI JOIN (SELECT unnest(identifiers) AS i FROM vault_events UNION ALL"
            "  SELECT j.key || ':' || (j.value ->> '$') FROM vault_records,"
            "  json_each(identifiers) j) s ON s.i = v.identifier"
            " ANTI JOIN identifier_values o ON o.identifier = v.identifier"
        ).fetchall()
    finally:
        for name in ("incoming_vault", "vault_records", "vault_events"):
            con.unregister(name)
