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
) -> dict[str, Any]:  # fmt: skip
    """Validate and store a destination; `segment_id` may also be the segment's name."""
    if not isinstance(name, str) or not name.strip() or len(name) > 100:
        raise InvalidDestination("name must be 1 to 100 characters")
    try:
        purpose = canonical_purpose(purpose, registered(con))  # built-in or the workspace's
    except UnknownPurpose as exc:
        raise InvalidDestination(str(exc)) from None
    stored = validate_config(kind, purpose, config)
    if schedule_minutes is not None and (
        isinstance(schedule_minutes, bool) or not isinstance(schedule_minutes, int)
        or not 1 <= schedule_minutes <= 525_600
    ):  # fmt: skip
        raise InvalidDestination("schedule_minutes must be a whole number of minutes (1 to a year)")
    found = first(con.execute(
        "SELECT segment_id FROM segments WHERE segment_id = ? OR name = ?"
        " ORDER BY segment_id = ? DESC",
        [segment_id, segment_id, segment_id],
    ).fetchall())
    if found is None:
        raise InvalidDestination(f"segment {segment_id!r} does not exist")
    if con.execute("SELECT 1 FROM destinations WHERE name = ?", [name]).fetchall():
        raise InvalidDestination(f"a destination named {name!r} already exists")
    con.execute(
        f"INSERT INTO destinations ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, now(), now())",
        [str(uuid.uuid4()), name, kind, purpose, found[0], orjson.dumps(stored).decode(),
         enabled, schedule_minutes],
    )  # fmt: skip
    return load_destination(con, name).public()


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
