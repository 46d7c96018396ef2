"""The real-time path: fold newly resolved events into traits without rescanning history, and
refresh windowed traits as time moves their windows.

`apply_events` updates count, sum, min, max, first and last traits (without a window) from
each profile's old value plus the new events; every other event-based trait of the touched
profiles is recomputed by `compute_for`. It must run after the events are in `profile_events`
(that recompute reads them) and only once per event (the fold is not idempotent).

`expire_windows` finds, per windowed trait, the profiles with a matching event that slid out
of the window since the trait was last made current (`computed_at`) and recomputes only those.
A trait never computed is recomputed in full.
"""

from __future__ import annotations

import dataclasses
import json
import time
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any

import duckdb
from sqlglot import exp

from opencdp.profiles.computed import writeback
from opencdp.profiles.computed.catalog import load_definitions
from opencdp.profiles.computed.compute import compute_all, compute_for, utc
from opencdp.profiles.computed.definition import TraitDefinition
from opencdp.profiles.computed.sql_parts import Params, Relations, col, scope_filter
from opencdp.profiles.computed.units import Column, generic_units

NEW = "_ct_new"
_OLD_TEXT = "json_extract_string(p.computed, $path)"
_OLD_NUMBER = f"TRY_CAST({_OLD_TEXT} AS DOUBLE)"
# New value of a trait from the old one (p.computed) and the new events' aggregate (u.c).
_FOLD = {
    "count": f"coalesce(TRY_CAST({_OLD_TEXT} AS BIGINT), 0) + u.c",
    "sum": f"coalesce({_OLD_NUMBER}, 0) + u.c",
    ("min", "number"): f"least({_OLD_NUMBER}, u.c)",
    ("max", "number"): f"greatest({_OLD_NUMBER}, u.c)",
    "min": f"least({_OLD_TEXT}, u.c)",
    "max": f"greatest({_OLD_TEXT}, u.c)",
}
_WINS = {"first": "u.k < (s.event_at, s.seq)", "last": "u.k > (s.event_at, s.seq)"}


def apply_events(con: duckdb.DuckDBPyConnection, rows: Iterable[Mapping[str, Any]], *,
                 now: datetime, recompute_rest: bool = True) -> dict[str, Any]:  # fmt: skip
    """Fold new events (profile_id, event, timestamp, properties; optional seq, source_id,
    type) into the touched profiles' computed traits. With `recompute_rest` false, traits
    that cannot be folded are left for the caller to recompute later (in larger batches)."""
    started = time.perf_counter()
    return _apply(con, _load(con, list(rows)), now, recompute_rest, started)


def apply_logged_events(con: duckdb.DuckDBPyConnection, after: int, through: int, *,
                        now: datetime, recompute_rest: bool = True) -> dict[str, Any]:  # fmt: skip
    """`apply_events` for the resolved events with `after < seq <= through`, read in SQL
    (no round trip of the rows through Python); the result also lists the touched profiles."""
    started = time.perf_counter()
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {NEW} AS SELECT profile_id, seq, source_id, type, event,"
        ' "timestamp", properties FROM profile_events WHERE seq > ? AND seq <= ?',
        [after, through],
    )
    touched = [r[0] for r in con.execute(f"SELECT DISTINCT profile_id FROM {NEW}").fetchall()]
    result = _apply(con, sorted(touched), now, recompute_rest, started)
    return {**result, "touched": touched}


def _apply(con: duckdb.DuckDBPyConnection, touched: list[str], now: datetime,
           recompute_rest: bool, started: float) -> dict[str, Any]:  # fmt: skip
    now = utc(now)
    traits = [(n, d) for n, d in load_definitions(con) if d.source == "events"]
    folded = [(n, d) for n, d in traits if d.incremental]
    if folded and touched:
        writeback.start(con)
        for unit, params in generic_units(folded, Relations(events=NEW), now):
            con.execute(f"CREATE OR REPLACE TEMP TABLE {writeback.UNIT} AS"
                        f" {unit.select.sql('duckdb')}", params.values)  # fmt: skip
            for column in unit.columns:
                _fold(con, column, dict(folded)[column.name])
        writeback.write(con, {}, scope="values")
    rest = [n for n, d in traits if not d.incremental]
    if rest and touched and recompute_rest:
        compute_for(con, touched, now=now, names=rest)
    return {"profiles": len(touched), "folded": len(folded), "recomputed": len(rest),
            "seconds": round(time.perf_counter() - started, 4)}  # fmt: skip


def _load(con: duckdb.DuckDBPyConnection, rows: list[Mapping[str, Any]]) -> list[str]:
    """The new events as a temporary table shaped like profile_events; the touched profiles."""
    def props(row: Mapping[str, Any]) -> str | None:
        value = row.get("properties")
        return value if value is None or isinstance(value, str) else json.dumps(value)

    ids = [str(r["profile_id"]) for r in rows]
    columns = {
        "profile_id": ids,
        "seq": [int(r.get("seq") or 0) for r in rows],
        "source_id": [str(r.get("source_id") or "") for r in rows],
        "type": [str(r.get("type") or "track") for r in rows],
        "event": [r.get("event") for r in rows],
        "timestamp": [utc(r["timestamp"]) for r in rows],
        "properties": [props(r) for r in rows],
    }
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {NEW} AS SELECT unnest($profile_id::VARCHAR[]) AS"
        " profile_id, unnest($seq::BIGINT[]) AS seq, unnest($source_id::VARCHAR[]) AS source_id,"
        " unnest($type::VARCHAR[]) AS type, unnest($event::VARCHAR[]) AS event,"
        ' unnest($timestamp::TIMESTAMPTZ[]) AS "timestamp",'
        " unnest($properties::VARCHAR[])::JSON AS properties", columns,
    )  # fmt: skip
    return sorted(set(ids))


def _fold(con: duckdb.DuckDBPyConnection, column: Column, definition: TraitDefinition) -> None:
    unit, path = writeback.UNIT, '$."' + column.name + '"'
    params = {"name": column.name, "path": path}
    if column.key is None:
        fold = _FOLD.get((definition.aggregate, definition.value_type)) or _FOLD[
            definition.aggregate]
        con.execute(
            f"INSERT INTO {writeback.VALUES} SELECT u.profile_id, $name, to_json({fold})"
            f" FROM {unit} AS u JOIN profiles AS p ON p.profile_id = u.profile_id"
            " WHERE u.c IS NOT NULL".replace("u.c", f"u.{column.value}"), params,
        )  # fmt: skip
        return
    wins = _WINS[definition.aggregate].replace("u.k", f"u.{column.key}")
    winners = (f"FROM {unit} AS u JOIN profiles AS p ON p.profile_id = u.profile_id"
               " LEFT JOIN computed_trait_positions AS s ON s.name = $name AND"
               f" s.profile_id = u.profile_id WHERE u.{column.key} IS NOT NULL"
               f" AND (s.event_at IS NULL OR {wins})")  # fmt: skip
    named = {"name": column.name}
    con.execute(f"INSERT INTO {writeback.VALUES} SELECT u.profile_id, $name,"
                f" to_json(u.{column.value}) {winners}", named)  # fmt: skip
    con.execute(
        "DELETE FROM computed_trait_positions WHERE name = $name AND profile_id IN"
        f" (SELECT profile_id FROM {writeback.VALUES} WHERE name = $name)", named,
    )  # fmt: skip
    con.execute(
        f"INSERT INTO computed_trait_positions SELECT $name, u.profile_id,"
        f" struct_extract(u.{column.key}, 1), struct_extract(u.{column.key}, 2)"
        f" FROM {unit} AS u JOIN {writeback.VALUES} AS v ON v.profile_id = u.profile_id"
        " AND v.name = $name", {"name": column.name},
    )  # fmt: skip


def expire_windows(con: duckdb.DuckDBPyConnection, *, now: datetime) -> dict[str, Any]:
    """Recompute windowed traits for the profiles whose window lost an event since the trait
    was last made current; never-computed traits are computed in full."""
    started, now = time.perf_counter(), utc(now)
    stamps: dict[str, datetime | None] = dict(
        con.execute("SELECT name, computed_at FROM computed_traits").fetchall()
    )
    windowed = [(n, d) for n, d in load_definitions(con) if d.window_days is not None]
    full = [n for n, _ in windowed if stamps.get(n) is None]
    profiles: set[str] = set()
    recomputed = []
    if full:
        compute_all(con, now=now, names=full)
    for name, definition in windowed:
        since = stamps.get(name)
        if since is None or utc(since) >= now:
            continue
        found = _expiring(con, definition, utc(since), now)
        profiles.update(found)
        recomputed += [name] if found else []
    if profiles:
        compute_for(con, profiles, now=now, names=recomputed)
    stale = [n for n, _ in windowed if n not in full]
    con.execute("UPDATE computed_traits SET computed_at = ? WHERE list_contains(?, name)",
                [now, stale])  # fmt: skip
    return {"traits": len(windowed), "full": full, "recomputed": recomputed,
            "profiles": len(profiles), "seconds": round(time.perf_counter() - started, 4)}


def _expiring(con: duckdb.DuckDBPyConnection, definition: TraitDefinition, since: datetime,
              now: datetime) -> list[str]:  # fmt: skip
    """Profiles with a matching row whose time left the window between `since` and `now`."""
    assert definition.window_days is not None
    width = timedelta(days=definition.window_days)
    params = Params()
    unbounded = dataclasses.replace(definition, window_days=None)
    left = exp.and_(
        exp.GTE(this=col("timestamp"), expression=params.bind(since - width)),
        exp.LT(this=col("timestamp"), expression=params.bind(now - width)),
    )
    condition = scope_filter(unbounded, params, now)
    where = left if condition is None else exp.and_(left, condition)
    select = (exp.select(col("profile_id")).distinct().from_(Relations().source(definition))
              .where(where))  # fmt: skip
    return [row[0] for row in con.execute(select.sql("duckdb"), params.values).fetchall()]
