"""Webhook batches that failed after every retry: listing them, and sending one again.

A replay posts the stored body with its original idempotency key, so a receiver that did
get it (and only lost its answer) can recognise it. Consent is checked again first: members
of the batch who entered or were updated but may no longer be sent are taken out, and the
changed body gets a new key derived from the old one. A replay that succeeds records its
members in `destination_state` like any delivery. Only pending letters replay: a later sync
re-sends the same changes and marks older letters 'superseded'.

A body holds the members' plaintext (emails, names), so with field encryption on it is
stored sealed under a subject of its own (`letter_subject`): replay opens it, and an erasure
of a member can shred the letter's key.
"""

from __future__ import annotations

import hashlib
import time
import uuid
from datetime import UTC, datetime
from typing import Any

import duckdb
import httpx
import orjson

from opencdp.activate.access import Access, first
from opencdp.activate.audience import CONSENTED_MEMBERS, Change
from opencdp.activate.catalog import Destination, load_destination
from opencdp.activate.egress import Egress
from opencdp.activate.errors import DeadLetterNotFound, DeadLetterNotPending
from opencdp.activate.outcome import FailedBatch
from opencdp.activate.retries import Sleep, post_batch
from opencdp.activate.state import record_delivered
from opencdp.crypto.personal import PersonalData, personal_data
from opencdp.crypto.tokens import SHREDDED
from opencdp.privacy.guard import GUARD, one_delivery_at_a_time, vanished

_COLUMNS = ("letter_id, sync_id, idempotency_key, attempts, last_error, failed_at, status,"
            " replayed_at")  # fmt: skip


def store_dead_letters(
    con: duckdb.DuckDBPyConnection, destination_id: str, sync_id: str,
    failed: list[FailedBatch], now: datetime,
) -> None:  # fmt: skip
    personal = personal_data(con)
    for batch in failed:
        members = [[c.profile_id, c.change, c.fingerprint] for c in batch.changes]
        letter_id = str(uuid.uuid4())
        body = personal.seal(letter_subject(personal, letter_id), batch.body)
        con.execute(
            "INSERT INTO destination_dead_letters (letter_id, destination_id, sync_id,"
            " idempotency_key, body, members, attempts, last_error, failed_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [letter_id, destination_id, sync_id, batch.idempotency_key, body,
             orjson.dumps(members).decode(), batch.attempts, batch.last_error, now],
        )  # fmt: skip


def letter_subject(personal: PersonalData, letter_id: str) -> str:
    """Whose key seals a dead letter's body: one subject per letter, so an erasure can
    shred exactly the letters that hold the person ('' when encryption is off)."""
    return personal.subject([], fallback="letter:" + letter_id)


def supersede(con: duckdb.DuckDBPyConnection, destination_id: str) -> None:
    con.execute(
        "UPDATE destination_dead_letters SET status = 'superseded'"
        " WHERE destination_id = ? AND status = 'pending'",
        [destination_id],
    )


def dead_letters(con: duckdb.DuckDBPyConnection, name: str) -> list[dict[str, Any]]:
    """The destination's dead letters, newest first (without their bodies)."""
    destination_id = load_destination(con, name).destination_id
    rows = con.execute(
        f"SELECT {_COLUMNS}, json_array_length(members) FROM destination_dead_letters"
        " WHERE destination_id = ? ORDER BY failed_at DESC, letter_id",
        [destination_id],
    ).fetchall()
    return [_letter(row) for row in rows]


@one_delivery_at_a_time(sync=False)  # never while an erasure handles this destination's copies
def replay_dead_letter(
    source: Access | duckdb.DuckDBPyConnection, name: str, letter_id: str, *,
    now: datetime | None = None, sleep: Sleep = time.sleep, client: httpx.Client | None = None,
    egress: Egress | None = None,
) -> dict[str, Any]:  # fmt: skip
    """Send a pending dead letter again; returns the letter as it stands afterwards. With
    `egress`, a webhook whose host the settings no longer allow is refused."""
    access = Access.of(source)
    when = now or datetime.now(UTC)
    destination, key, body, changes = access.read(lambda con: _load(con, name, letter_id))
    egress = egress or access.egress
    if egress is not None:
        egress.admit(destination.kind, destination.config)
    allowed = set(access.read(lambda con: _allowed(con, destination, changes)))
    kept = [c for c in changes if c.change == "exited" or c.profile_id in allowed]
    if len(kept) != len(changes):
        body = _without(body, {c.profile_id for c in changes} - {c.profile_id for c in kept})
        key = hashlib.sha256(f"{key}\0{body}".encode()).hexdigest()[:32]
    http = client or httpx.Client()
    try:
        result = post_batch(http, destination.config, body.encode(), key, sleep)
    finally:
        if client is None:
            http.close()

    def record(con: duckdb.DuckDBPyConnection) -> dict[str, Any]:
        if result.ok:  # people erased since the letter was read are not written back
            gone = vanished(con, [c.profile_id for c in kept])
            GUARD.delivered_late(destination.destination_id, gone)
            record_delivered(con, destination.destination_id,
                             [c for c in kept if c.profile_id not in gone], when)  # fmt: skip
            con.execute("UPDATE destination_dead_letters SET status = 'replayed', replayed_at = ?,"
                        " attempts = attempts + ?, last_error = '' WHERE letter_id = ?",
                        [when, result.attempts, letter_id])  # fmt: skip
        else:
            con.execute("UPDATE destination_dead_letters SET attempts = attempts + ?,"
                        " last_error = ? WHERE letter_id = ?",
                        [result.attempts, result.last_error, letter_id])  # fmt: skip
        row = first(con.execute(
            f"SELECT {_COLUMNS}, json_array_length(members) FROM destination_dead_letters"
            " WHERE letter_id = ?",
            [letter_id],
        ).fetchall())
        assert row is not None
        return _letter(row)

    letter: dict[str, Any] = access.write(record)
    return letter


def _load(
    con: duckdb.DuckDBPyConnection, name: str, letter_id: str
) -> tuple[Destination, str, str, list[Change]]:
    destination = load_destination(con, name)
    row = first(con.execute(
        "SELECT idempotency_key, body, members, status FROM destination_dead_letters"
        " WHERE letter_id = ? AND destination_id = ?",
        [letter_id, destination.destination_id],
    ).fetchall())
    if row is None:
        raise DeadLetterNotFound(f"no dead letter {letter_id!r} for destination {name!r}")
    if row[3] != "pending":
        raise DeadLetterNotPending(f"dead letter {letter_id!r} is {row[3]}, not pending")
    changes = [Change(p, c, {}, int(f)) for p, c, f in orjson.loads(row[2])]
    body = personal_data(con).open(row[1])
    if body == SHREDDED:  # its key was shredded by an erasure
        raise DeadLetterNotPending(f"dead letter {letter_id!r} was erased")
    return destination, row[0], body, changes


def _allowed(
    con: duckdb.DuckDBPyConnection, destination: Destination, changes: list[Change]
) -> list[str]:
    ids = [c.profile_id for c in changes]
    rows = con.execute(
        f"SELECT profile_id FROM ({CONSENTED_MEMBERS}) WHERE profile_id IN"
        " (SELECT unnest($ids))",
        {"segment_id": destination.segment_id, "purpose": destination.purpose, "ids": ids},
    ).fetchall()
    return [row[0] for row in rows]


def _without(body: str, removed: set[str]) -> str:
    data = orjson.loads(body)
    for group in ("entered", "updated"):
        data[group] = [m for m in data[group] if m["profile_id"] not in removed]
    return orjson.dumps(data).decode()


def _letter(row: tuple[Any, ...]) -> dict[str, Any]:
    keys = [k.strip() for k in _COLUMNS.split(",")] + ["members"]
    out = dict(zip(keys, row, strict=True))
    for key in ("failed_at", "replayed_at"):
        if out[key] is not None:
            out[key] = out[key].isoformat()
    return out
