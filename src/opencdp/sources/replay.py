"""Replaying a quarantined import row once fixed: the import's own mapping, applied again."""

from __future__ import annotations

from typing import Any

import orjson
import pyarrow as pa

from opencdp.collect.quarantine import QuarantinedRecord
from opencdp.collect.replay import ReplayError
from opencdp.sources.history import import_mapping
from opencdp.sources.mapping import parse_mapping
from opencdp.sources.store import BatchToStore, StoredCounts
from opencdp.sources.transform import prepare_batch
from opencdp.workspace import Workspace


def replay_import_row(
    workspace: Workspace, record: QuarantinedRecord, fixed_values: dict[str, Any] | None
) -> StoredCounts:
    """Clean and store the row's values (or `fixed_values`) as the original import would."""
    if record.status != "pending":
        raise ReplayError(f"quarantined record {record.quarantine_id} is already {record.status}")
    payload = orjson.loads(record.payload)
    import_id = payload.get("import_id")
    document = workspace.read(lambda con: import_mapping(con, import_id)) if import_id else None
    if document is None:
        raise ReplayError("the import this row came from is unknown; import the fixed row again")
    values = fixed_values if fixed_values is not None else payload.get("values")
    if not isinstance(values, dict):
        raise ReplayError("this row could not be read as columns; send the fixed values")
    batch = pa.RecordBatch.from_pydict(
        {str(k): pa.array([None if v is None else str(v)], pa.string()) for k, v in values.items()}
    )
    prepared = prepare_batch(batch, parse_mapping(document), record.source_id, payload["row"],
                             workspace.personal)  # fmt: skip
    if prepared.rejections.num_rows:
        reasons = "; ".join(prepared.rejections.column("reasons")[0].as_py())
        raise ReplayError(f"still invalid: {reasons}")
    batch_to_store = BatchToStore(
        record.source_id, import_id, prepared, replayed=[record.quarantine_id],
        vault=prepared.vault,
    )  # fmt: skip
    return workspace.submit_records(batch_to_store).result()
