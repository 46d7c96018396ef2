"""Segment benchmark: preview, 50 segments, real-time membership, 500k-member syncs.

Usage: .venv/bin/python bench/segments/run.py [--profiles 1000000] [--events 20000000]

Targets (issue 5), at 1,000,000 profiles and 20,000,000 events: preview count of a
4-condition segment with one windowed event condition under 1 s (and its ratio to the same
query hand-written in DuckDB SQL); 50 segments evaluated under 60 s; real-time membership
under 5 ms per event; a full sync of a 500,000-member audience to a file and to PostgreSQL
under 30 s each. The population is written straight into the tables (population.py).
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from ingest.report import machine
from segments.population import fill

from opencdp import activate
from opencdp.db.migrations import migrate
from opencdp.profiles import materialize
from opencdp.profiles.event_order import order_by_profile
from opencdp.segments import service
from opencdp.segments.parser import parse
from opencdp.segments.realtime import evaluate_touched

TYPICAL = ('country = "TH" and count("Order Completed", 30d) >= 2 and consent("email")'
           ' and plan in ["basic", "pro"]')  # fmt: skip
HAND_WRITTEN = """
SELECT count(*) FROM profiles p
WHERE p.traits ->> 'country' = 'TH' AND p.traits ->> 'plan' IN ('basic', 'pro')
  AND p.profile_id IN (SELECT profile_id FROM profile_consents
                       WHERE purpose = 'email_marketing' AND granted)
  AND p.profile_id IN (SELECT profile_id FROM profile_events
                       WHERE event = 'Order Completed' AND "timestamp" >= $now - INTERVAL 30 DAY
                       GROUP BY profile_id HAVING count(*) >= 2)
"""


def fifty() -> list[str]:
    """50 definitions of the kinds marketers write, each different."""
    countries = ["TH", "JP", "US", "GB"]
    events = ["Order Completed", "Email Opened", "Product Viewed", "Added to Cart", "Signed In"]
    found = []
    for i in range(50):
        c, e = countries[i % 4], events[i % 5]
        days = [7, 14, 30, 60, 90][i % 5]
        kinds = [
            f'country = "{c}" and did("{e}", {days}d)',
            f'count("{e}", {days}d) >= {1 + i % 3} and consent("email")',
            f'sum("Order Completed", "total", {days}d) > {50 + i}',
            f'country in ["{c}", "TH"] and not did("{e}", {days}d)',
            f'did("Product Viewed") then did("Order Completed") within {days}d',
            f'plan = "pro" and (did("{e}", {days}d) or country = "{c}")',
        ]
        found.append(kinds[i % len(kinds)])
    return found


def timed(fn):  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    result = fn()
    return result, time.perf_counter() - started


def realtime(con: duckdb.DuckDBPyConnection, profiles: int, last_seq: int, now: datetime) -> None:
    """New events for existing people through the profile stage and all real-time segments."""
    con.execute("INSERT OR REPLACE INTO derived_cursors VALUES ('profiles', ?)", [last_seq + 1])
    seq = last_seq + 1
    rng = random.Random(7)
    for batch in (10, 10, 100, 1000):
        users = [rng.randrange(profiles) for _ in range(batch)]
        rows = [(seq + k + 1, f"u{u}") for k, u in enumerate(users)]
        con.execute(
            "INSERT INTO events (seq, source_id, message_id, message_key, type, user_id, event,"
            " \"timestamp\", received_at, properties, identifiers)"
            " SELECT s, 'web', 'rt-' || s, s, 'track', u, 'Order Completed', $now, $now,"
            " json_object('total', 42), ['user_id:' || u]"
            " FROM (SELECT unnest($s) AS s, unnest($u) AS u)",
            {"s": [r[0] for r in rows], "u": [r[1] for r in rows], "now": now},
        )
        through = seq + batch
        changes, place_s = timed(lambda through=through: materialize.catch_up(con, through))
        _, segment_s = timed(lambda changes=changes: evaluate_touched(
            con, changes.touched, changes.removed, now=now))  # fmt: skip
        seq = through
        per_event = (place_s + segment_s) / batch * 1000
        print(f"real time, {batch} events: profiles {place_s * 1000:.0f} ms + 50 segments"
              f" {segment_s * 1000:.0f} ms = {per_event:.2f} ms/event", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--profiles", type=int, default=1_000_000)
    parser.add_argument("--events", type=int, default=20_000_000)
    parser.add_argument("--pg", default="postgresql://postgres@127.0.0.1:5432/test")
    parser.add_argument("--realtime-on", type=Path,
                        help="Only the real-time part, on the folder of an earlier run.")
    args = parser.parse_args()
    print(json.dumps({"machine": machine(), "profiles": args.profiles, "events": args.events}))
    now = datetime.now(UTC)
    if args.realtime_on:
        con = duckdb.connect(str(args.realtime_on / "opencdp.duckdb"))
        migrate(con)
        last = con.execute("SELECT max(seq) FROM profile_events").fetchone()[0]
        order_by_profile(con, last)
        realtime(con, args.profiles, last, now)
        return
    work = Path(tempfile.mkdtemp(prefix="opencdp-bench-segments-"))
    con = duckdb.connect(str(work / "opencdp.duckdb"), config={"memory_limit": "4GB"})
    migrate(con)
    _, seconds = timed(lambda: fill(con, args.profiles, args.events, now))
    _, ordered = timed(lambda: order_by_profile(con, args.events))  # as a rebuild leaves it
    print(f"population written in {seconds:.1f} s, profile-ordered copy {ordered:.1f} s",
          flush=True)

    # 1. preview of a typical segment, against the same query written by hand
    tree = parse(TYPICAL)
    service.preview(con, tree, now=now)  # warm
    runs = [timed(lambda: service.preview(con, tree, now=now, sample=10)) for _ in range(5)]
    ours = sorted(s for _, s in runs)[2]
    hand = sorted(timed(lambda: con.execute(HAND_WRITTEN, {"now": now}).fetchone())[1]
                  for _ in range(5))[2]  # fmt: skip
    count = runs[0][0]["count"]
    assert con.execute(HAND_WRITTEN, {"now": now}).fetchone()[0] == count
    print(f"preview count+sample ({count:,} members): median {ours * 1000:.0f} ms;"
          f" hand-written DuckDB count {hand * 1000:.0f} ms; ratio {ours / hand:.2f}", flush=True)

    # 2. fifty segments: created (each evaluated once), then evaluated together again
    _, create_s = timed(lambda: [service.create_segment(con, f"s{i:02d}", parse(text), now=now)
                                 for i, text in enumerate(fifty())])  # fmt: skip
    _, all_s = timed(lambda: service.evaluate_all(con, now=now))
    print(f"50 segments: created and first evaluated in {create_s:.1f} s;"
          f" evaluate_all {all_s:.1f} s", flush=True)

    realtime(con, args.profiles, args.events, now)

    # 4. full syncs of a ~500,000-member audience, to a file and to PostgreSQL
    service.create_segment(con, "audience", parse('consent("email") and country != "GB"'),
                           now=now)  # fmt: skip
    members = service.get_segment(con, "audience")["member_count"]
    with psycopg.connect(args.pg, autocommit=True) as pg:
        pg.execute("DROP TABLE IF EXISTS bench_audience")
    for name, kind, config in (
        ("to-file", "file", {"path": str(work / "out"), "format": "csv",
                             "traits": ["email", "first_name", "country"]}),
        ("to-postgres", "database", {"url": args.pg, "table": "bench_audience",
                                     "traits": ["email", "first_name", "country"]}),
    ):  # fmt: skip
        activate.create_destination(con, name, kind, "audience", "email_marketing", config)
        done, sync_s = timed(lambda name=name: activate.sync(con, name, mode="full"))
        print(f"full sync of {members:,} members {kind}: {sync_s:.1f} s ({done['status']},"
              f" {members / sync_s:,.0f} members/s)", flush=True)


if __name__ == "__main__":
    main()
