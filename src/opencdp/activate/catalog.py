"""Destinations: which audience goes where, for which purpose, how and how often.

A destination names one segment and declares the purpose its use serves; consent for that
purpose decides who is sent. Public reads mask secrets (`public_config`); the sync loads the
full definition with `load_destination`.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import duckdb
import orjson

from opencdp.activate.access import first
from opencdp.activate.egress import Egress
from opencdp.activate.errors import DestinationNotFound, InvalidDestination
from opencdp.activate.kinds import public_config, validate_config
from opencdp.privacy.consent import UnknownPurpose, canonical_purpose
from opencdp.privacy.purposes import registered

_COLUMNS = ("destination_id, name, kind, purpose, segment_id, config, enabled, schedule_minutes,"
            " created_at, updated_at")  # fmt: skip


@dataclass(frozen=True)
class Destination:
    destination_id: str
    name: str
    kind: str
    purpose: str
    segment_id: str
    config: dict[str, Any]
    enabled: bool
    schedule_minutes: int | None
    created_at: datetime
    updated_at: datetime

    def public(self) -> dict[str, Any]:
        """Plain data for the API and CLI, secrets masked."""
        return {
            "destination_id": self.destination_id, "name": self.name, "kind": self.kind,
            "purpose": self.purpose, "segment_id": self.segment_id,
            "config": public_config(self.config), "enabled": self.enabled,
            "schedule_minutes": self.schedule_minutes,
            "created_at": self.created_at.isoformat(), "updated_at": self.updated_at.isoformat(),
        }  # fmt: skip


def create_destination(
    con: duckdb.DuckDBPyConnection, name: str, kind: str, segment_id: str, purpose: str,
    config: dict[str, Any], *, schedule_minutes: int | None = None, enabled: bool = True,
    egress: Egress | None = None,
) -> dict[str, Any]:  # fmt: skip
    """Validate and store a destination; `segment_id` may also be the segment's name.

    `egress` holds the folders and hosts the installation allows (`Admin` always passes the
    workspace's); None skips that check, for tests that deliver to their own servers."""
    if not isinstance(name, str) or not name.strip() or len(name) > 100:
        raise InvalidDestination("name must be 1 to 100 characters")
    purpose = _purpose(con, purpose)
    stored = _admitted(kind, purpose, config, egress)
    _check_schedule(schedule_minutes)
    found = _segment_id(con, segment_id)
    if con.execute("SELECT 1 FROM destinations WHERE name = ?", [name]).fetchall():
        raise InvalidDestination(f"a destination named {name!r} already exists")
    con.execute(
        f"INSERT INTO destinations ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, now(), now())",
        [str(uuid.uuid4()), name, kind, purpose, found, orjson.dumps(stored).decode(),
         enabled, schedule_minutes],
    )  # fmt: skip
    return load_destination(con, name).public()


def configure_destination(
    con: duckdb.DuckDBPyConnection, name: str, config: dict[str, Any], *,
    purpose: str | None = None, egress: Egress | None = None,
) -> dict[str, Any]:  # fmt: skip
    """Change where and what a destination sends: `config` keys replace the stored ones
    (a webhook's secret or a database password need not be given again), `purpose` the
    declared purpose. Validated as at creation."""
    current = load_destination(con, name)
    chosen = _purpose(con, purpose) if purpose is not None else current.purpose
    stored = _admitted(current.kind, chosen, {**current.config, **config}, egress)
    con.execute(
        "UPDATE destinations SET config = ?, purpose = ?, updated_at = now()"
        " WHERE destination_id = ?",
        [orjson.dumps(stored).decode(), chosen, current.destination_id],
    )
    return get_destination(con, name)


def set_audience(
    con: duckdb.DuckDBPyConnection, name: str, *, segment_id: str | None = None,
    schedule_minutes: int | None = None, unschedule: bool = False,
) -> dict[str, Any]:  # fmt: skip
    """Choose which segment a destination sends and how often (`unschedule`: only on
    demand). The next sync sends who entered and removes who left."""
    current = load_destination(con, name)
    segment = current.segment_id if segment_id is None else _segment_id(con, segment_id)
    _check_schedule(schedule_minutes)
    every = None if unschedule else (schedule_minutes or current.schedule_minutes)
    con.execute(
        "UPDATE destinations SET segment_id = ?, schedule_minutes = ?, updated_at = now()"
        " WHERE destination_id = ?",
        [segment, every, current.destination_id],
    )
    return get_destination(con, name)


def _purpose(con: duckdb.DuckDBPyConnection, purpose: str) -> str:
    try:
        return canonical_purpose(purpose, registered(con))  # built-in or the workspace's
    except UnknownPurpose as exc:
        raise InvalidDestination(str(exc)) from None


def _admitted(
    kind: str, purpose: str, config: dict[str, Any], egress: Egress | None
) -> dict[str, Any]:
    stored = validate_config(kind, purpose, config)
    return egress.admit(kind, stored) if egress is not None else stored


def _check_schedule(schedule_minutes: int | None) -> None:
    if schedule_minutes is not None and (
        isinstance(schedule_minutes, bool) or not isinstance(schedule_minutes, int)
        or not 1 <= schedule_minutes <= 525_600
    ):  # fmt: skip
        raise InvalidDestination("schedule_minutes must be a whole number of minutes (1 to a year)")


def _segment_id(con: duckdb.DuckDBPyConnection, segment: str) -> str:
    found = first(con.execute(
        "SELECT segment_id FROM segments WHERE segment_id = ? OR name = ?"
        " ORDER BY segment_id = ? DESC",
        [segment, segment, segment],
    ).fetchall())  # fmt: skip
    if found is None:
        raise InvalidDestination(f"segment {segment!r} does not exist")
    return str(found[0])


def load_destination(con: duckdb.DuckDBPyConnection, name: str) -> Destination:
    """The full definition (with secrets), for syncing; DestinationNotFound if absent."""
    row = first(
        con.execute(f"SELECT {_COLUMNS} FROM destinations WHERE name = ?", [name]).fetchall()
    )
    if row is None:
        raise DestinationNotFound(f"no destination named {name!r}")
    return _destination(row)


def list_destinations(con: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    rows = con.execute(f"SELECT {_COLUMNS} FROM destinations ORDER BY name").fetchall()
    return [_destination(row).public() for row in rows]


def get_destination(con: duckdb.DuckDBPyConnection, name: str) -> dict[str, Any]:
    return load_destination(con, name).public()


def delete_destination(con: duckdb.DuckDBPyConnection, name: str) -> None:
    """Remove the destination with its state, history and dead letters (the copies already
    delivered stay where they are)."""
    destination_id = load_destination(con, name).destination_id
    for table in ("destination_state", "destination_syncs", "destination_dead_letters",
                  "destinations"):  # fmt: skip
        con.execute(f"DELETE FROM {table} WHERE destination_id = ?", [destination_id])


def set_enabled(con: duckdb.DuckDBPyConnection, name: str, enabled: bool) -> dict[str, Any]:
    destination_id = load_destination(con, name).destination_id
    con.execute(
        "UPDATE destinations SET enabled = ?, updated_at = now() WHERE destination_id = ?",
        [enabled, destination_id],
    )
    return get_destination(con, name)


def _destination(row: tuple[Any, ...]) -> Destination:
    config = orjson.loads(row[5]) if isinstance(row[5], str) else row[5]
    return Destination(row[0], row[1], row[2], row[3], row[4], config, bool(row[6]), row[7],
                       row[8], row[9])  # fmt: skip
