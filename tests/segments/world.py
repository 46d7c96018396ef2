"""Small hand-made customer data, loaded into a real DuckDB with the project's migrations."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import duckdb

from opencdp.db.migrations import migrate
from opencdp.segments import compile_segment, parse
from opencdp.segments.tree import Node

NOW = datetime(2024, 6, 1, tzinfo=UTC)


def ago(**delta: float) -> datetime:
    return NOW - timedelta(**delta)


@dataclass
class Event:
    profile_id: str
    event: str
    timestamp: datetime
    properties: dict[str, Any] = field(default_factory=dict)


@dataclass
class World:
    """Everything a segment can look at, as plain Python data."""

    traits: dict[str, dict[str, Any]] = field(default_factory=dict)  # profile_id → traits
    computed: dict[str, dict[str, Any]] = field(default_factory=dict)
    events: list[Event] = field(default_factory=list)
    identifiers: list[tuple[str, str, str]] = field(default_factory=list)  # type, value, pid
    consents: list[tuple[str, str, bool]] = field(default_factory=list)  # pid, purpose, granted
    predictions: list[tuple[str, str, float | None, str | None, datetime]] = field(
        default_factory=list)  # pid, prediction, value, label, scored_at
    members: dict[str, set[str]] = field(default_factory=dict)  # segment_id → profile ids

    def profile_ids(self) -> set[str]:
        return set(self.traits) | set(self.computed)


def new_database() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    migrate(con)
    return con


TABLES = ("profiles", "profile_events", "identity_links", "profile_consents",
          "profile_predictions", "segment_members")  # fmt: skip


def load(con: duckdb.DuckDBPyConnection, world: World) -> None:
    """Replace the tables' contents with `world`."""
    for table in TABLES:
        con.execute(f"DELETE FROM {table}")
    profiles = [(pid, json.dumps(world.traits.get(pid, {})),
                 json.dumps(world.computed.get(pid, {})), NOW)
                for pid in sorted(world.profile_ids())]  # fmt: skip
    if profiles:
        con.executemany("INSERT INTO profiles (profile_id, traits, computed, updated_at)"
                        " VALUES (?, ?, ?, ?)", profiles)  # fmt: skip
    if world.events:
        con.executemany(
            "INSERT INTO profile_events (profile_id, seq, source_id, type, event, \"timestamp\","
            " properties) VALUES (?, ?, 'src', 'track', ?, ?, ?)",
            [(e.profile_id, i, e.event, e.timestamp, json.dumps(e.properties))
             for i, e in enumerate(world.events)])  # fmt: skip
    if world.identifiers:
        con.executemany("INSERT INTO identity_links (identifier_type, identifier_value, profile_id)"
                        " VALUES (?, ?, ?)", world.identifiers)  # fmt: skip
    if world.consents:
        con.executemany("INSERT INTO profile_consents (profile_id, purpose, granted, stated_at,"
                        " origin) VALUES (?, ?, ?, ?, 'api')",
                        [(p, purpose, g, NOW) for p, purpose, g in world.consents])  # fmt: skip
    if world.predictions:
        con.executemany("INSERT INTO profile_predictions VALUES (?, ?, ?, ?, ?)", world.predictions)
    rows = [(sid, pid, NOW) for sid, pids in world.members.items() for pid in pids]
    if rows:
        con.executemany("INSERT INTO segment_members (segment_id, profile_id, entered_at)"
                        " VALUES (?, ?, ?)", rows)  # fmt: skip


def members(con: duckdb.DuckDBPyConnection, segment: Node | str, *,
            computed: frozenset[str] = frozenset(), segments: Mapping[str, str] | None = None,
            restrict_to: str | None = None, now: datetime = NOW) -> set[str]:  # fmt: skip
    tree = parse(segment) if isinstance(segment, str) else segment
    compiled = compile_segment(tree, computed=computed, segments=segments or {},
                               restrict_to=restrict_to)  # fmt: skip
    return {row[0] for row in con.execute(compiled.sql(), compiled.bind(now)).fetchall()}
