"""Recomputing traits from scratch: every profile (`compute_all`) or a few (`compute_for`).

A full run groups over the whole `profile_events` (and the records join) once per group of
traits reading the same rows; a partial run first copies the listed profiles' events and
records into temporary tables, so each grouped query then touches only those rows.

These functions open no transaction of their own: the server runs them through the writer
(`Writer.call`), which wraps each call in one; standalone callers may BEGIN/COMMIT around them.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from typing import Any

import duckdb

from opencdp.profiles.computed import writeback
from opencdp.profiles.computed.builtin_kinds import nps_category_unit, rate_unit
from opencdp.profiles.computed.catalog import load_definitions
from opencdp.profiles.computed.definition import TraitDefinition
from opencdp.profiles.computed.rfm import population_thresholds, rfm_unit
from opencdp.profiles.computed.sql_parts import RECORDS_SELECT, Params, Relations
from opencdp.profiles.computed.units import DEFAULTS, Unit, generic_units

Traits = list[tuple[str, TraitDefinition]]
STAGED = Relations(events="_ct_events", records="_ct_records")


def utc(now: datetime) -> datetime:
    """`now` as an aware UTC time (a naive time is taken to be UTC)."""
    return now.replace(tzinfo=UTC) if now.tzinfo is None else now.astimezone(UTC)


def compute_all(con: duckdb.DuckDBPyConnection, *, now: datetime,
                names: list[str] | None = None) -> dict[str, Any]:  # fmt: skip
    """Recompute every (or the named) trait for every profile; counts and seconds."""
    started, now = time.perf_counter(), utc(now)
    traits = load_definitions(con, names)
    writeback.start(con)
    for unit, params in _units(con, traits, Relations(), now, full=True):
        writeback.collect(con, unit, params, only_listed=False)
    values = writeback.count_values(con)
    profiles = writeback.write(con, reset(traits), scope="all")
    con.execute("UPDATE computed_traits SET computed_at = ? WHERE list_contains(?, name)",
                [now, [n for n, _ in traits]])  # fmt: skip
    return {"traits": len(traits), "profiles": profiles, "values": values,
            "seconds": round(time.perf_counter() - started, 3)}  # fmt: skip


def compute_for(con: duckdb.DuckDBPyConnection, profile_ids: Iterable[str], *, now: datetime,
                names: list[str] | None = None) -> dict[str, Any]:  # fmt: skip
    """Recompute every (or the named) trait for the listed profiles only."""
    started, now = time.perf_counter(), utc(now)
    traits = load_definitions(con, names)
    count = writeback.set_profiles(con, profile_ids)
    stage(con, traits)
    writeback.start(con)
    for unit, params in _units(con, traits, STAGED, now, full=False):
        writeback.collect(con, unit, params, only_listed=True)
    values = writeback.count_values(con)
    profiles = writeback.write(con, reset(traits), scope="listed")
    return {"traits": len(traits), "profiles": profiles, "requested": count, "values": values,
            "seconds": round(time.perf_counter() - started, 4)}  # fmt: skip


def stage(con: duckdb.DuckDBPyConnection, traits: Traits) -> None:
    """Copy the listed profiles' events and records into the STAGED temporary tables."""
    ids = f"SELECT profile_id FROM {writeback.IDS}"
    if any(d.source == "events" for _, d in traits):
        con.execute(f"CREATE OR REPLACE TEMP TABLE {STAGED.events} AS SELECT * FROM"
                    f" profile_events WHERE profile_id IN ({ids})")  # fmt: skip
    if any(d.source == "records" for _, d in traits):
        con.execute(f"CREATE OR REPLACE TEMP TABLE {STAGED.records} AS SELECT * FROM"
                    f" ({RECORDS_SELECT} WHERE l.profile_id IN ({ids}))")  # fmt: skip


def reset(traits: Traits) -> dict[str, object]:
    """Each trait's value for a profile without matching rows (None: no value)."""
    return {n: None if d.builtin else DEFAULTS.get(d.aggregate) for n, d in traits}


def _units(con: duckdb.DuckDBPyConnection, traits: Traits, relations: Relations, now: datetime,
           *, full: bool) -> Iterator[tuple[Unit, Params]]:  # fmt: skip
    generic = [(n, d) for n, d in traits if d.builtin is None]
    yield from generic_units(generic, relations, now)
    for name, definition in traits:
        params = Params()
        if definition.builtin == "rate":
            yield rate_unit(name, definition, relations, params, now), params
        elif definition.builtin == "nps_category":
            yield nps_category_unit(name, definition, relations, params, now), params
        elif definition.builtin == "rfm":
            thresholds = _rfm_thresholds(con, name, definition, now, full=full)
            if thresholds is not None:
                yield rfm_unit(name, definition, relations, params, now, thresholds), params


def _rfm_thresholds(con: duckdb.DuckDBPyConnection, name: str, definition: TraitDefinition,
                    now: datetime, *, full: bool) -> dict[str, list[float]] | None:  # fmt: skip
    """The population's thresholds: recomputed on a full run, else those of the last one."""
    if not full:
        row = con.execute("SELECT state FROM computed_traits WHERE name = ?", [name]).fetchone()
        if row is not None and row[0] is not None:
            stored: dict[str, list[float]] = json.loads(row[0])
            return stored
    thresholds = population_thresholds(con, definition, now)
    con.execute("UPDATE computed_traits SET state = ? WHERE name = ?",
                [None if thresholds is None else json.dumps(thresholds), name])  # fmt: skip
    return thresholds
