"""The privacy request table: received → running → completed | failed, with due dates.

GDPR Art. 12(3) gives one month to answer a request; `due_at` is the same day of the next
month (the last day when that month is shorter). The identifier as given is kept only while
the request runs; a finished request keeps a keyed hash of it, its times and its receipt.
With field encryption on it is sealed even then, under a key of the request's own
(`key_of`), which is destroyed when the request ends, so no copy of it (a backup taken while
it ran) can be read afterwards.
"""

from __future__ import annotations

import calendar
import secrets
from datetime import datetime
from typing import Any

import duckdb
import orjson

from opencdp.crypto.personal import PersonalData, personal_data

KINDS = ("access", "erasure")
STATUSES = ("received", "running", "completed", "failed")
_COLUMNS = ("request_id, kind, subject_hash, status, step, origin, received_at, due_at,"
            " started_at, completed_at, receipt, error")  # fmt: skip


class RequestNotFound(LookupError):
    """No privacy request has this id."""


class RequestFailed(RuntimeError):
    """A request failed before anything was erased; the message quotes no data."""


def one_month_after(moment: datetime) -> datetime:
    year, month = (moment.year + 1, 1) if moment.month == 12 else (moment.year, moment.month + 1)
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def create(
    con: duckdb.DuckDBPyConnection, kind: str, subject: str | None, now: datetime, *,
    origin: str = "request", request_id: str | None = None, target: Any = None,
) -> str:  # fmt: skip
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {', '.join(KINDS)}")
    request_id = request_id or "pr_" + secrets.token_hex(8)
    personal = personal_data(con)
    if subject is not None:
        subject = personal.seal(key_of(personal, request_id), subject)
    con.execute(
        "INSERT INTO privacy_requests (request_id, kind, subject, status, origin, received_at,"
        " due_at, target) VALUES (?, ?, ?, 'received', ?, ?, ?, ?)",
        [request_id, kind, subject, origin, now, one_month_after(now),
         None if target is None else orjson.dumps(target).decode()],
    )  # fmt: skip
    return request_id


def key_of(personal: PersonalData, request_id: str) -> str:
    """The data key that seals a request's identifier as given (field encryption on)."""
    return personal.subject([], fallback=f"request:{request_id}")


def load(con: duckdb.DuckDBPyConnection, request_id: str) -> dict[str, Any]:
    """The request with what resuming needs (subject, step, target)."""
    row = con.execute(
        "SELECT request_id, kind, subject, subject_hash, status, step, target::VARCHAR, origin,"
        " receipt::VARCHAR FROM privacy_requests WHERE request_id = ?", [request_id],
    ).fetchone()  # fmt: skip
    if row is None:
        raise RequestNotFound(f"no privacy request {request_id!r}")
    keys = ("request_id", "kind", "subject", "subject_hash", "status", "step", "target",
            "origin", "receipt")  # fmt: skip
    found = dict(zip(keys, row, strict=True))
    found["subject"] = personal_data(con).open(found["subject"])
    for key in ("target", "receipt"):
        found[key] = orjson.loads(found[key]) if found[key] else None
    return found


def unfinished(con: duckdb.DuckDBPyConnection) -> list[str]:
    rows = con.execute(
        "SELECT request_id FROM privacy_requests WHERE status IN ('received', 'running')"
        " ORDER BY received_at"
    ).fetchall()
    return [row[0] for row in rows]


def start(con: duckdb.DuckDBPyConnection, request_id: str, now: datetime) -> None:
    con.execute(
        "UPDATE privacy_requests SET status = 'running', started_at = coalesce(started_at, ?)"
        " WHERE request_id = ?", [now, request_id],
    )  # fmt: skip


def record_step(
    con: duckdb.DuckDBPyConnection, request_id: str, step: str, *,
    target: Any = None, subject_hash: str | None = None, receipt: Any = None,
) -> None:  # fmt: skip
    """Mark `step` done, with what later steps need (kept until the request ends)."""
    con.execute(
        "UPDATE privacy_requests SET step = ?, target = coalesce(?::JSON, target),"
        " subject_hash = coalesce(?, subject_hash), receipt = coalesce(?::JSON, receipt)"
        " WHERE request_id = ?",
        [step, _json(target), subject_hash, _json(receipt), request_id],
    )


def complete(
    con: duckdb.DuckDBPyConnection, request_id: str, receipt: Any, now: datetime
) -> None:
    """Done: the receipt stays; the identifier as given and the person found do not."""
    con.execute(
        "UPDATE privacy_requests SET status = 'completed', step = 'completed', completed_at = ?,"
        " receipt = ?::JSON, subject = NULL, target = NULL, error = NULL WHERE request_id = ?",
        [now, _json(receipt), request_id],
    )


def fail(
    con: duckdb.DuckDBPyConnection, request_id: str, error: str, subject_hash: str | None,
    now: datetime,
) -> None:  # fmt: skip
    con.execute(
        "UPDATE privacy_requests SET status = 'failed', completed_at = ?, error = ?,"
        " subject_hash = coalesce(subject_hash, ?), subject = NULL, target = NULL"
        " WHERE request_id = ?",
        [now, error, subject_hash, request_id],
    )


def note_error(con: duckdb.DuckDBPyConnection, request_id: str, error: str) -> None:
    """A step after the database step failed: the request stays `running` with what it
    needs to go on (subject, target), and is retried (`stalled`) and resumed at start."""
    con.execute("UPDATE privacy_requests SET error = ? WHERE request_id = ?", [error, request_id])


def stalled(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Running requests whose last attempt failed after the database step (to retry)."""
    rows = con.execute(
        "SELECT request_id FROM privacy_requests WHERE status = 'running'"
        " AND error IS NOT NULL ORDER BY received_at"
    ).fetchall()
    return [row[0] for row in rows]


def access_exports(con: duckdb.DuckDBPyConnection) -> dict[str, datetime | None]:
    """Access requests → when they completed (None: not completed)."""
    rows = con.execute(
        "SELECT request_id, completed_at FROM privacy_requests WHERE kind = 'access'"
    ).fetchall()
    return {str(r): c for r, c in rows}


def export_expired(con: duckdb.DuckDBPyConnection, request_ids: list[str], now: datetime) -> None:
    """Note in their receipts that these requests' stored exports were deleted."""
    con.execute(
        "UPDATE privacy_requests SET receipt = json_merge_patch(coalesce(receipt, '{}'),"
        " json_object('export', NULL, 'export_expired_at', ?::VARCHAR))"
        " WHERE request_id IN (SELECT unnest(?::VARCHAR[]))",
        [now.isoformat(), request_ids],
    )


def get(con: duckdb.DuckDBPyConnection, request_id: str) -> dict[str, Any]:
    rows = _select(con, "WHERE request_id = $id", {"id": request_id}, 1)
    if not rows:
        raise RequestNotFound(f"no privacy request {request_id!r}")
    return rows[0]


def listing(
    con: duckdb.DuckDBPyConnection, *, status: str | None = None, kind: str | None = None,
    overdue: bool = False, limit: int = 100, now: datetime | None = None,
) -> list[dict[str, Any]]:  # fmt: skip
    """Requests, newest first (without the subject, which finished requests do not keep)."""
    if status is not None and status not in STATUSES:
        raise ValueError(f"status must be one of {', '.join(STATUSES)}")
    if kind is not None and kind not in KINDS:
        raise ValueError(f"kind must be one of {', '.join(KINDS)}")
    where = ("WHERE ($status::VARCHAR IS NULL OR status = $status)"
             " AND ($kind::VARCHAR IS NULL OR kind = $kind)"
             " AND (NOT $overdue OR (status IN ('received', 'running') AND due_at < $now))")
    params = {"status": status, "kind": kind, "overdue": overdue, "now": now}  # fmt: skip
    return _select(con, where, params, limit)


def with_subject_hashes(
    con: duckdb.DuckDBPyConnection, hashes: set[str]
) -> list[dict[str, Any]]:
    """Every request whose subject hashes to one of `hashes` (the person's own requests)."""
    return _select(con, "WHERE subject_hash IN (SELECT unnest($h::VARCHAR[]))",
                   {"h": sorted(hashes)}, 10_000)  # fmt: skip


def _select(
    con: duckdb.DuckDBPyConnection, where: str, params: dict[str, Any], limit: int
) -> list[dict[str, Any]]:
    rows = con.execute(
        f"SELECT {_COLUMNS} FROM privacy_requests {where}"
        " ORDER BY received_at DESC, request_id LIMIT $limit", {**params, "limit": limit},
    ).fetchall()  # fmt: skip
    keys = [k.strip() for k in _COLUMNS.split(",")]
    out = []
    for row in rows:
        item = dict(zip(keys, row, strict=True))
        for key in ("received_at", "due_at", "started_at", "completed_at"):
            if item[key] is not None:
                item[key] = item[key].isoformat()
        item["receipt"] = orjson.loads(item["receipt"]) if item["receipt"] else None
        out.append(item)
    return out


def _json(value: Any) -> str | None:
    return None if value is None else orjson.dumps(value).decode()
