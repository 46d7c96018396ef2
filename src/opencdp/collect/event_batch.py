"""A request's event records as Arrow columns, built before they reach the writer.

The single writer thread is the one serial step of ingestion: whatever it does per event
limits throughput. So each request's records are turned into columns on the thread that
validated them, and the writer only concatenates, deduplicates and numbers whole batches.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from opencdp.collect.messages import EventRecord

_TS = pa.timestamp("us", tz="UTC")
STRING_COLUMNS = (
    "source_id", "message_id", "type", "user_id", "anonymous_id", "previous_id", "group_id",
    "event", "name",
)  # fmt: skip
TIME_COLUMNS = ("timestamp", "original_timestamp", "sent_at", "received_at")
JSON_COLUMNS = ("properties", "traits", "context", "integrations", "extra", "fixes")
SCHEMA = pa.schema(
    [("message_key", pa.uint64())]
    + [(name, pa.string()) for name in STRING_COLUMNS]
    + [(name, _TS) for name in TIME_COLUMNS]
    + [(name, pa.string()) for name in JSON_COLUMNS]
    + [("identifiers", pa.list_(pa.string()))]
)
_INDEX = {name: i for i, name in enumerate(EventRecord._fields)}


@dataclass(frozen=True, slots=True)
class EventBatch:
    """Event records as the `events` columns (all but `seq`), with their dedupe keys."""

    table: pa.Table
    keys: npt.NDArray[np.uint64]

    def __len__(self) -> int:
        return int(self.keys.size)

    @classmethod
    def of(cls, records: Sequence[EventRecord]) -> EventBatch:
        if not records:
            return cls(SCHEMA.empty_table(), np.zeros(0, dtype=np.uint64))
        columns = list(zip(*records, strict=True))
        keys = np.fromiter(columns[_INDEX["message_key"]], np.uint64, len(records))
        arrays = [pa.array(keys)]
        arrays += [pa.array(columns[_INDEX[name]], pa.string()) for name in STRING_COLUMNS]
        arrays += [_time_array(columns[_INDEX[name]]) for name in TIME_COLUMNS]
        arrays += [pa.array(columns[_INDEX[name]], pa.string()) for name in JSON_COLUMNS]
        arrays.append(pa.array(columns[_INDEX["identifiers"]], pa.list_(pa.string())))
        return cls(pa.Table.from_arrays(arrays, schema=SCHEMA), keys)


def _time_array(values: tuple[datetime | None, ...]) -> pa.Array:
    """Times as Arrow, converting each distinct object once.

    Most rows share a few time objects (every event of a request has the same receivedAt,
    every event of a batch the same parsed sentAt), and converting an aware datetime is the
    slow part, so a column of few distinct objects is built from its distinct values.
    """
    distinct = {id(v): v for v in values}
    if len(distinct) * 2 > len(values):
        return pa.array(values, _TS)
    position = {key: i for i, key in enumerate(distinct)}
    indices = pa.array([position[id(v)] for v in values], pa.int32())
    return pa.array(list(distinct.values()), _TS).take(indices)
