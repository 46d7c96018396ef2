"""Replaying a quarantined message once it is fixed: validated again, stored, marked done."""

from __future__ import annotations

from typing import Any

import orjson

from opencdp.collect.collector import Collector, Ingest, IngestResult
from opencdp.collect.messages import BatchEnvelope, InvalidMessage, normalize
from opencdp.collect.quarantine import QuarantinedRecord


class ReplayError(ValueError):
    """The record cannot be replayed (still invalid, already handled, source gone)."""


def replay(
    collector: Collector, record: QuarantinedRecord, fixed_payload: Any | None = None
) -> IngestResult:
    """Validate `fixed_payload` (or the stored payload) as the original message and store it.

    The event keeps its original receipt time, so replaying late does not reorder history.
    """
    if record.status != "pending":
        raise ReplayError(f"quarantined record {record.quarantine_id} is already {record.status}")
    if record.stage != "collect":
        raise ReplayError(f"records of stage {record.stage!r} are replayed by their importer")
    source = collector.keys.by_id(record.source_id)
    if source is None:
        raise ReplayError(f"source {record.source_id} no longer exists")
    message = fixed_payload
    if message is None:
        try:  # sealed at rest when field encryption is on (`get_quarantined` opens it)
            message = orjson.loads(collector.personal.open(record.payload))
        except orjson.JSONDecodeError:
            raise ReplayError("the stored payload is not valid JSON; send a fixed one") from None
    max_message, _ = collector.limits(source)
    envelope = BatchEnvelope(
        source.source_id, record.received_at, max_message_bytes=max_message,
        default_region=source.default_region,
    )  # fmt: skip
    try:
        event = normalize(message, envelope, None, collector.sealer)
    except InvalidMessage as exc:
        raise ReplayError(f"still invalid: {exc.reason}") from None
    result: IngestResult = collector.submit(
        Ingest(records=[event], replayed=[record.quarantine_id])
    ).result()
    return result
