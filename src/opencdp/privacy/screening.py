"""Screening imported batches against the suppressed identifiers.

An importing thread screens each prepared batch before handing it to the writer (so the
hashing stays off the writer thread); the writer screens again only a batch screened
against an older version of the set, i.e. one prepared before an erasure committed.
Records and events carrying a suppressed identifier are dropped and counted, and so are
rejected rows (they would be quarantined with the person's data in them): by the
identifiers their usable columns yielded, and any e-mail address in the row
(`payloads.row_identifiers`); rows the reader could not parse, by their e-mail addresses.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import orjson
import pyarrow as pa

from opencdp.privacy.payloads import row_identifiers, text_emails
from opencdp.privacy.suppression import Suppression
from opencdp.sources.store import BatchToStore
from opencdp.sources.transform import Prepared


def batch_screener(suppression: Suppression) -> Callable[[BatchToStore], BatchToStore]:
    """`screen(batch)`: the batch without suppressed rows, marked with the set's version."""

    def screen(batch: BatchToStore) -> BatchToStore:
        version = suppression.version
        if batch.screened == version:
            return batch
        prepared = batch.prepared
        unreadable = batch.unreadable
        dropped = 0
        if suppression.active:
            if prepared is not None:
                prepared, dropped = _screen_prepared(suppression, batch.source_id, prepared)
            unreadable = [r for r in batch.unreadable
                          if not suppression.blocks(text_emails(r.payload))]  # fmt: skip
            dropped += len(batch.unreadable) - len(unreadable)
        return dataclasses.replace(batch, prepared=prepared, unreadable=unreadable,
                                   screened=version, suppressed=batch.suppressed + dropped)

    return screen


def _screen_prepared(
    suppression: Suppression, source_id: str, prepared: Prepared
) -> tuple[Prepared, int]:
    records, events = prepared.records, prepared.events
    keep_records = [
        not _record_blocked(suppression, source_id, record_id, identifiers)
        for record_id, identifiers in zip(
            records.column("record_id").to_pylist(),
            records.column("identifiers").to_pylist(),
            strict=True,
        )
    ]
    keep_events = [not suppression.blocks(identifiers)
                   for identifiers in events.column("identifiers").to_pylist()]  # fmt: skip
    rejections = prepared.rejections
    keep_rejections = [not _rejection_blocked(suppression, row)
                       for row in rejections.to_pylist()] if rejections.num_rows else []
    dropped_records = keep_records.count(False)
    dropped_events = keep_events.count(False)
    dropped_rejections = keep_rejections.count(False)
    if not (dropped_records or dropped_events or dropped_rejections):
        return prepared, 0
    screened = Prepared(_keep(records, keep_records), _keep(events, keep_events),
                        _keep(rejections, keep_rejections))  # fmt: skip
    # A row yields a record and an event: count rows, not both.
    return screened, max(dropped_records, dropped_events) + dropped_rejections


def _rejection_blocked(suppression: Suppression, row: dict[str, Any]) -> bool:
    """A rejected row carrying an erased person's identifier is not quarantined either."""
    found = [f"{k}:{v}" for k, v in orjson.loads(row.get("identifiers") or "{}").items()
             if v is not None]  # fmt: skip
    original = orjson.loads(row["original"]) if row.get("original") else {}
    if isinstance(original, dict):
        found += row_identifiers(original, None)
    return suppression.blocks(found)


def _record_blocked(
    suppression: Suppression, source_id: str, record_id: str, identifiers: str | None
) -> bool:
    if suppression.suppressed(f"source_record:{source_id}:{record_id}"):
        return True
    if not identifiers:
        return False
    values = orjson.loads(identifiers)
    return any(suppression.suppressed(f"{k}:{v}") for k, v in values.items() if v is not None)


def _keep(table: pa.Table, mask: list[bool]) -> pa.Table:
    if all(mask):
        return table
    return table.filter(pa.array(mask, pa.bool_()))
