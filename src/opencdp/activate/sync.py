"""Running a sync: read what to send, deliver it, then record what was delivered.

The three steps touch the workspace database separately so the slow middle one (HTTP,
files, another database) never holds the single writer: (1) a short write opens the history
row, (2) a read plans the changes against `destination_state`, (3) delivery runs with no
database handle, (4) one write records the delivered changes, dead letters and the history
row's result. Only delivered changes reach `destination_state`, so anything undelivered is
planned again by the next sync; a crash between (3) and (4) makes the next sync re-send
(receivers dedupe webhook batches by idempotency key, tables by upsert).
"""

from __future__ import annotations

import time
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import duckdb
import httpx

from opencdp.activate.access import Access
from opencdp.activate.audience import Plan, plan_sync
from opencdp.activate.catalog import Destination, load_destination
from opencdp.activate.dead_letters import store_dead_letters, supersede
from opencdp.activate.egress import Egress
from opencdp.activate.errors import DestinationDisabled, InvalidSyncMode
from opencdp.activate.file_delivery import deliver_files
from opencdp.activate.history import Counts, finish_sync, start_sync
from opencdp.activate.outcome import Outcome
from opencdp.activate.retries import Sleep
from opencdp.activate.state import record_delivered
from opencdp.activate.warehouse import deliver_database
from opencdp.activate.webhook import deliver_webhook
from opencdp.privacy.guard import GUARD, one_delivery_at_a_time, vanished, without_members

MODES = ("incremental", "full")


@one_delivery_at_a_time(sync=True)  # never while an erasure handles this destination's copies
def sync(
    source: Access | duckdb.DuckDBPyConnection, name: str, *, mode: str = "incremental",
    now: datetime | None = None, sleep: Sleep = time.sleep, client: httpx.Client | None = None,
    egress: Egress | None = None,
) -> dict[str, Any]:  # fmt: skip
    """Sync destination `name`; returns its history row (plus `files` written, if any).

    `source` is a connection (tests, one-shot CLI) or an `Access(read, write)` pair such as
    `Access(workspace.read, workspace.write, egress)` in the server. With `egress` (given,
    or the access's), a destination whose folder or host the settings no longer allow fails
    before anything is sent."""
    if mode not in MODES:
        raise InvalidSyncMode(f"mode must be one of {', '.join(MODES)}, not {mode!r}")
    access = Access.of(source)
    egress = egress or access.egress
    when = now or datetime.now(UTC)
    destination: Destination = access.read(lambda con: load_destination(con, name))
    if not destination.enabled:
        raise DestinationDisabled(f"destination {name!r} is disabled")
    sync_id: str = access.write(
        lambda con: start_sync(con, destination.destination_id, mode, when)
    )
    try:
        if egress is not None:
            destination = replace(destination, config=egress.admit(destination.kind,
                                                                   destination.config))
        plan: Plan = access.read(lambda con: plan_sync(con, destination, mode))
    except Exception as exc:
        failed = Counts(errors=[f"planning failed: {type(exc).__name__}: {exc}"])
        access.write(lambda con: finish_sync(con, sync_id, "failed", failed, when))
        raise
    outcome = _deliver(destination, plan, sync_id, when, sleep, client)
    counts = _counts(plan, outcome)
    status = "completed"
    if outcome.errors or outcome.failed:
        status = "partial" if outcome.delivered else "failed"
    finished = when if now is not None else datetime.now(UTC)

    def record(con: duckdb.DuckDBPyConnection) -> dict[str, Any]:
        # People erased since the plan was read are not written back (privacy.guard).
        sent = [c.profile_id for c in outcome.delivered]
        gone = vanished(con, sent + [c.profile_id for b in outcome.failed for c in b.changes])
        delivered = [c for c in outcome.delivered if c.profile_id not in gone]
        failed = [b for b in (without_members(b, gone) for b in outcome.failed) if b]
        GUARD.delivered_late(destination.destination_id, gone.intersection(sent))
        record_delivered(con, destination.destination_id, delivered, finished)
        supersede(con, destination.destination_id)
        store_dead_letters(con, destination.destination_id, sync_id, failed, finished)
        return finish_sync(con, sync_id, status, counts, finished)

    row: dict[str, Any] = access.write(record)
    row["files"] = outcome.files
    return row


def _deliver(
    destination: Destination, plan: Plan, sync_id: str, now: datetime, sleep: Sleep,
    client: httpx.Client | None,
) -> Outcome:  # fmt: skip
    try:
        if destination.kind == "webhook":
            return deliver_webhook(destination, plan, sync_id, now, sleep, client)
        if destination.kind == "database":
            return deliver_database(destination, plan, now)
        return deliver_files(destination, plan, now)
    except OSError as exc:  # files: folder missing, disk full, permissions
        return Outcome(errors=[f"{destination.kind}: {type(exc).__name__}: {exc.strerror or exc}"])


def _counts(plan: Plan, outcome: Outcome) -> Counts:
    delivered = [c.change for c in outcome.delivered]
    return Counts(
        sent=len(delivered), added=delivered.count("entered"), updated=delivered.count("updated"),
        removed=delivered.count("exited"), skipped_no_consent=plan.skipped_no_consent,
        errors=outcome.errors,
    )  # fmt: skip
