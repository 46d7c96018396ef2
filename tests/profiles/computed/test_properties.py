"""Property tests: `compute_all` equals a plain-Python computation of each aggregate, and
events applied in batches through `apply_events` equal a full recompute."""

from __future__ import annotations

import itertools
import json
from collections import Counter
from datetime import datetime, timedelta
from typing import Any

import duckdb
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from opencdp.db.migrations import migrate
from opencdp.profiles.computed import apply_events, compute_all, define

from .conftest import NOW

PROFILES = ("a", "b", "c")
TRAITS: dict[str, dict[str, Any]] = {
    "a_count": {"aggregate": "count", "event": "A"},
    "v_sum": {"aggregate": "sum", "property": "v"},
    "v_min": {"aggregate": "min", "property": "v"},
    "v_max": {"aggregate": "max", "event": "B", "property": "v"},
    "s_first": {"aggregate": "first", "property": "s"},
    "s_last": {"aggregate": "last", "property": "s"},
    "big_count": {"aggregate": "count", "where": [{"property": "v", "op": ">", "value": 5}]},
    "v_avg": {"aggregate": "avg", "property": "v"},
    "s_top": {"aggregate": "most_frequent", "property": "s"},
    "s_list": {"aggregate": "distinct_list", "property": "s"},
    "s_kinds": {"aggregate": "distinct_count", "property": "s"},
    "a_recent": {"aggregate": "count", "event": "A", "window_days": 10},
    "last_seen": {"aggregate": "max", "field": "timestamp"},
}

event_strategy = st.fixed_dictionaries(
    {"profile_id": st.sampled_from(PROFILES), "event": st.sampled_from(["A", "B"]),
     "hours": st.integers(0, 24 * 30)},
    optional={"v": st.integers(-5, 20), "s": st.sampled_from(["x", "y", "z"])},
)  # fmt: skip


def _connection() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    migrate(con)
    for name, definition in TRAITS.items():
        define(con, name, definition)
    return con


def _rows(drawn: list[dict[str, Any]]) -> list[dict[str, Any]]:
    rows = []
    for seq, item in enumerate(drawn, start=1):
        props = {k: item[k] for k in ("v", "s") if k in item}
        rows.append({"profile_id": item["profile_id"], "seq": seq, "event": item["event"],
                     "timestamp": NOW - timedelta(hours=item["hours"]), "properties": props,
                     "source_id": "web", "type": "track"})  # fmt: skip
    return rows


def _reset(con: duckdb.DuckDBPyConnection) -> None:
    for table in ("profiles", "profile_events", "computed_trait_positions"):
        con.execute(f"DELETE FROM {table}")
    for pid in PROFILES:
        con.execute("INSERT INTO profiles (profile_id, updated_at) VALUES (?, ?)", [pid, NOW])


def _insert(con: duckdb.DuckDBPyConnection, rows: list[dict[str, Any]]) -> None:
    for r in rows:
        con.execute(
            'INSERT INTO profile_events (profile_id, seq, source_id, type, event, "timestamp",'
            " properties) VALUES (?, ?, ?, ?, ?, ?, ?)",
            [r["profile_id"], r["seq"], r["source_id"], r["type"], r["event"], r["timestamp"],
             json.dumps(r["properties"])],
        )  # fmt: skip


def _values(con: duckdb.DuckDBPyConnection) -> dict[str, dict[str, Any]]:
    rows = con.execute("SELECT profile_id, computed FROM profiles").fetchall()
    return {pid: json.loads(value) if value else {} for pid, value in rows}


def _iso(at: datetime) -> str:
    return at.strftime("%Y-%m-%dT%H:%M:%S.") + f"{at.microsecond // 1000:03d}Z"


def expected(rows: list[dict[str, Any]], pid: str) -> dict[str, Any]:
    """Each trait computed the obvious way in Python."""
    mine = sorted((r for r in rows if r["profile_id"] == pid),
                  key=lambda r: (r["timestamp"], r["seq"]))  # fmt: skip
    vs = [r["properties"]["v"] for r in mine if "v" in r["properties"]]
    b_vs = [r["properties"]["v"] for r in mine if "v" in r["properties"] and r["event"] == "B"]
    with_s = [r for r in mine if "s" in r["properties"]]
    out: dict[str, Any] = {
        "a_count": sum(r["event"] == "A" for r in mine),
        "v_sum": float(sum(vs)),
        "big_count": sum(1 for v in vs if v > 5),
        "s_list": sorted({r["properties"]["s"] for r in with_s}),
        "s_kinds": len({r["properties"]["s"] for r in with_s}),
        "a_recent": sum(r["event"] == "A" and r["timestamp"] >= NOW - timedelta(days=10)
                        for r in mine),
    }
    if vs:
        out |= {"v_min": float(min(vs)), "v_avg": sum(vs) / len(vs)}
    if b_vs:
        out["v_max"] = float(max(b_vs))
    if with_s:
        counts = Counter(r["properties"]["s"] for r in with_s)
        latest = {r["properties"]["s"]: (r["timestamp"], r["seq"]) for r in with_s}
        out |= {"s_first": with_s[0]["properties"]["s"], "s_last": with_s[-1]["properties"]["s"],
                "s_top": max(counts, key=lambda s: (counts[s], latest[s]))}  # fmt: skip
    if mine:
        out["last_seen"] = _iso(mine[-1]["timestamp"])
    return out


CON = _connection()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(event_strategy, max_size=30))
def test_compute_all_matches_python(drawn: list[dict[str, Any]]) -> None:
    rows = _rows(drawn)
    _reset(CON)
    _insert(CON, rows)
    compute_all(CON, now=NOW)
    got = _values(CON)
    for pid in PROFILES:
        want = expected(rows, pid)
        assert set(got[pid]) == set(want), pid
        for key, value in want.items():
            if isinstance(value, float):
                assert abs(got[pid][key] - value) < 1e-9, (pid, key)
            else:
                assert got[pid][key] == value, (pid, key)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(event_strategy, max_size=30), st.lists(st.integers(0, 30), max_size=4))
def test_batches_through_apply_events_equal_a_full_recompute(
    drawn: list[dict[str, Any]], cuts: list[int]
) -> None:
    rows = _rows(drawn)
    _reset(CON)
    compute_all(CON, now=NOW)  # every profile starts from the empty state
    bounds = [0, *sorted(c for c in cuts if c < len(rows)), len(rows)]
    order = sorted(rows, key=lambda r: -r["seq"] if r["seq"] % 3 == 0 else r["seq"])  # late ones
    for start, end in itertools.pairwise(bounds):
        batch = order[start:end]
        if batch:
            _insert(CON, batch)
            apply_events(CON, batch, now=NOW)
    incremental = _values(CON)
    compute_all(CON, now=NOW)
    assert incremental == _values(CON)
