"""Webhook delivery: the plan's changes as signed JSON batches with stable idempotency keys.

A batch body lists `entered` and `updated` members with their chosen traits and `exited`
members by profile id only (a leaver may have withdrawn consent, so nothing more is sent).
In a full sync every current member is sent: new ones as entered, the others as updated.
When a batch still fails after its retries it becomes a dead letter and the remaining
batches are not attempted (the receiver is evidently down); their members stay unsent in
`destination_state`, so the next sync sends them again.
"""

from __future__ import annotations

import hashlib
import time
from datetime import datetime
from typing import Any

import httpx
import orjson

from opencdp.activate.audience import Change, Plan
from opencdp.activate.catalog import Destination
from opencdp.activate.outcome import FailedBatch, Outcome
from opencdp.activate.retries import Sleep, post_batch


def deliver_webhook(
    destination: Destination, plan: Plan, sync_id: str, now: datetime,
    sleep: Sleep = time.sleep, client: httpx.Client | None = None,
) -> Outcome:  # fmt: skip
    size = int(destination.config["batch_size"])
    batches = [plan.changes[i : i + size] for i in range(0, len(plan.changes), size)]
    outcome = Outcome()
    own = client is None
    http = client or httpx.Client()
    try:
        for index, changes in enumerate(batches):
            key = batch_key(destination.destination_id, sync_id, index)
            body = batch_body(destination, plan.mode, sync_id, index, len(batches), changes, now)
            result = post_batch(http, destination.config, body, key, sleep)
            if result.ok:
                outcome.delivered.extend(changes)
                continue
            outcome.failed.append(FailedBatch(key, body.decode(), list(changes),
                                              result.attempts, result.last_error))  # fmt: skip
            outcome.errors.append(f"batch {index + 1} of {len(batches)}: {result.last_error}"
                                  f" after {result.attempts} attempts")  # fmt: skip
            left = len(batches) - index - 1
            if left:
                outcome.errors.append(f"{left} later batches not attempted; the next sync"
                                      " sends their members")  # fmt: skip
            break
    finally:
        if own:
            http.close()
    return outcome


def batch_key(destination_id: str, sync_id: str, index: int) -> str:
    """Idempotency key of a batch: the same on every retry and replay of it."""
    return hashlib.sha256(f"{destination_id}\0{sync_id}\0{index}".encode()).hexdigest()[:32]


def batch_body(
    destination: Destination, mode: str, sync_id: str, index: int, count: int,
    changes: list[Change], now: datetime,
) -> bytes:  # fmt: skip
    body: dict[str, Any] = {
        "destination": destination.name, "segment_id": destination.segment_id,
        "purpose": destination.purpose, "sync_id": sync_id, "mode": mode,
        "batch": index + 1, "batches": count, "sent_at": now.isoformat(),
        "entered": [], "updated": [], "exited": [],
    }  # fmt: skip
    for change in changes:
        if change.change == "exited":
            body["exited"].append({"profile_id": change.profile_id})
        else:
            group = "entered" if change.change == "entered" else "updated"
            body[group].append({"profile_id": change.profile_id, "traits": change.values})
    return orjson.dumps(body)
