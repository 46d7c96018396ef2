"""Append event records to the event log: deduplicate, number, and store as one Arrow batch."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import duckdb
import numpy as np
import numpy.typing as npt
import pyarrow as pa

from opencdp.collect.dedupe import RecentMessageKeys
from opencdp.collect.event_batch import SCHEMA, EventBatch
from opencdp.db.connection import fetch_one

COLUMNS = ("seq", *SCHEMA.names)
_QUOTED = ", ".join('"' + c + '"' for c in COLUMNS)
_INSERT = f"INSERT INTO events ({_QUOTED}) SELECT {_QUOTED} FROM new_events"


@dataclass(frozen=True, slots=True)
class AppendResult:
    """How many of a request's events were stored, and how many were retries already stored."""

    stored: int
    duplicates: int


class EventLog:
    """The writer-side handler of event appends; owns the sequence and dedupe state."""

    def __init__(self, con: duckdb.DuckDBPyConnection, dedupe_generation: int) -> None:
        self.recent = RecentMessageKeys(dedupe_generation)
        row = fetch_one(con, "SELECT coalesce(max(seq), 0) FROM events")
        self.last_seq: int = row[0] if row else 0
        self._reload_recent(con)

    def reserve(self, count: int) -> int:
        """Claim `count` sequence numbers for events about to be written; return the first.

        Claimed at once, not at commit: every writer of events in one transaction gets its
        own range. A rolled-back transaction leaves a gap, which is harmless: `seq` orders
        events, it does not count them.
        """
        first = self.last_seq + 1
        self.last_seq += count
        return first

    def _reload_recent(self, con: duckdb.DuckDBPyConnection) -> None:
        """After a restart, remember the keys of the most recent events again."""
        window = 2 * self.recent.generation_size
        keys = con.execute(
            "SELECT message_key FROM (SELECT seq, message_key FROM events"
            " WHERE seq > ? ORDER BY seq DESC LIMIT ?) ORDER BY seq",
            [max(0, self.last_seq - 4 * window), window],
        ).fetchnumpy()["message_key"]
        keys = np.asarray(keys, dtype=np.uint64)
        size = self.recent.generation_size
        for start in range(0, keys.size, size):
            self.recent.add(np.unique(keys[start : start + size]))

    def apply(
        self, con: duckdb.DuckDBPyConnection, payloads: Sequence[EventBatch]
    ) -> tuple[list[AppendResult], Callable[[], None] | None]:
        if not any(len(batch) for batch in payloads):
            return [AppendResult(0, 0) for _ in payloads], None
        keys = np.concatenate([batch.keys for batch in payloads])
        _, first_index = np.unique(keys, return_index=True)
        keep = np.zeros(keys.size, dtype=bool)
        keep[first_index] = True
        keep &= ~self.recent.contains(keys)
        fresh = int(keep.sum())
        if fresh:
            # DuckDB finds `new_events` among this frame's variables (a replacement scan):
            # cheaper per commit than registering and unregistering a view.
            new_events = _numbered(payloads, keep, self.reserve(fresh))  # noqa: F841
            con.execute(_INSERT)
        results = []
        offset = 0
        for batch in payloads:
            stored = int(keep[offset : offset + len(batch)].sum())
            results.append(AppendResult(stored, len(batch) - stored))
            offset += len(batch)
        fresh_keys = keys[keep]

        def publish() -> None:
            self.recent.add(fresh_keys)

        return results, publish


def _numbered(
    payloads: Sequence[EventBatch], keep: npt.NDArray[np.bool_], first_seq: int
) -> pa.Table:
    """The kept rows of all batches, in order, numbered from `first_seq`."""
    table = pa.concat_tables([batch.table for batch in payloads if len(batch)])
    if not keep.all():
        table = table.filter(pa.array(keep))
    seq = np.arange(first_seq, first_seq + table.num_rows, dtype=np.int64)
    return table.add_column(0, "seq", pa.array(seq))
