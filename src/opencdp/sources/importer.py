"""Import a file into a source: read in batches, map and clean, store, report.

Memory stays bounded whatever the file size: one batch is read, transformed and handed to
the writer while the next is read; at most two batches are in flight.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

import orjson

from opencdp.collect.quarantine import Rejection
from opencdp.crypto.personal import PLAIN, PersonalData
from opencdp.sources.mapping import Mapping, check_columns
from opencdp.sources.readers import FileStream
from opencdp.sources.store import BatchToStore, StoredCounts
from opencdp.sources.transform import BatchPreparer, Prepared

Progress = Callable[[int], None]


@dataclass
class ImportReport:
    import_id: str
    source_id: str
    location: str
    format: str
    encoding: str | None
    rows_read: int = 0
    records_stored: int = 0
    events_stored: int = 0
    unchanged: int = 0
    quarantined: int = 0  # rows refused in this run, each with its reasons below
    newly_quarantined: int = 0  # of those, not already pending in the quarantine
    reasons: dict[str, int] = field(default_factory=dict)
    cursor_value: str | None = None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    def add(self, counts: StoredCounts, prepared: Prepared) -> None:
        self.records_stored += counts.records
        self.events_stored += counts.events
        self.unchanged += counts.unchanged
        self.quarantined += prepared.rejections.num_rows
        self.newly_quarantined += counts.quarantined
        for reasons in prepared.rejections.column("reasons").to_pylist():
            for reason in reasons:
                label = reason.split(":", 1)[0] if ":" in reason else reason
                self.reasons[label] = self.reasons.get(label, 0) + 1


def _import_batches(
    stream: FileStream,
    preparer: BatchPreparer,
    report: ImportReport,
    submit: Callable[[BatchToStore], Future[StoredCounts]],
    progress: Progress | None,
    cursor_column: str | None,
) -> None:
    """Prepare batch n+1 while the writer stores batch n: both cores stay busy."""
    pending: tuple[Future[StoredCounts], Prepared] | None = None
    row_number = 2 if stream.format in ("csv", "tsv", "xlsx") else 1  # data starts after header
    for batch in stream.batches:
        if cursor_column is not None and batch.num_rows:
            report.cursor_value = batch.column(cursor_column)[-1].as_py()
        prepared = preparer.prepare(batch, row_number)
        row_number += batch.num_rows
        report.rows_read += batch.num_rows
        future = submit(
            BatchToStore(report.source_id, report.import_id, prepared, vault=prepared.vault)
        )
        if pending is not None:
            report.add(pending[0].result(), pending[1])
        pending = (future, prepared)
        if progress is not None:
            progress(batch.num_rows)
    if pending is not None:
        report.add(pending[0].result(), pending[1])


def run_import(
    stream: FileStream,
    *,
    location: str,
    source_id: str,
    mapping: Mapping,
    submit: Callable[[BatchToStore], Future[StoredCounts]],
    progress: Progress | None = None,
    cursor_column: str | None = None,
    on_start: Callable[[ImportReport], None] | None = None,
    personal: PersonalData = PLAIN,
) -> ImportReport:
    """Import a stream of rows with `mapping`; `submit` hands a batch to the single writer.

    With `cursor_column`, the report's `cursor_value` is that column's value in the last row
    (rows come ordered by it), where the next incremental run starts. `personal` (the
    workspace's) seals personal data on this thread, before the writer sees it.
    """
    check_columns(mapping, stream.columns)
    report = ImportReport(
        "imp_" + secrets.token_hex(8), source_id, location, stream.format, stream.encoding
    )
    if on_start is not None:
        on_start(report)
    preparer = BatchPreparer(mapping, source_id, personal)
    try:
        _import_batches(stream, preparer, report, submit, progress, cursor_column)
    finally:
        preparer.close()
    if stream.bad_rows:
        now = datetime.now(UTC)
        unreadable = [
            Rejection(source_id, "import", row.reason,
                      orjson.dumps({"import_id": report.import_id, "row": row.row_number,
                                    "text": row.text}).decode(), now,
                      orjson.dumps({"row": row.row_number, "text": row.text}).decode())
            for row in stream.bad_rows
        ]  # fmt: skip
        report.rows_read += len(unreadable)
        counts = submit(BatchToStore(source_id, report.import_id, None, unreadable))
        report.quarantined += len(unreadable)
        report.newly_quarantined += counts.result().quarantined
        for row in stream.bad_rows:
            report.reasons[row.reason] = report.reasons.get(row.reason, 0) + 1
    return report
