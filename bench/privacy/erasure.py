"""Erasure benchmark: erase one person from a 1,000,000-profile store (issue 6: under 5 s).

Usage:
    .venv/bin/python bench/privacy/erasure.py                       # build once, erase 3 people
    .venv/bin/python bench/privacy/erasure.py --runs 1              # reuse the store, one run
    .venv/bin/python bench/privacy/erasure.py --profiles 20000 --events 400000 --store /tmp/x

The store is built once under `--store` (default /tmp/opencdp-bench-privacy) and reused:
each run erases a different person, so it can be run again and again. What it holds is what
a running installation holds about a million people (see README.md): the population of
bench/segments (profiles, identity links, consents, 20M resolved events in both orders),
the same events in the raw log with their identifiers, an identify event and a CRM record
per person, five segments with memberships and history, a file destination that holds
500,000 of them (its last sync's CSV file included), computed-trait positions, predictions,
the consent ledger and some quarantine. The live identity graph is built from the links
before timing, as a server holds it after start.

What is timed is `Privacy.erase(identifier)` end to end, as the API and CLI call it: the
request row, resolving the person, every deletion and the suppression in one transaction,
the live graph, rewriting the destination's file, the journal, the receipt.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import duckdb

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from ingest.report import machine
from segments.population import fill

from opencdp.config import load_settings
from opencdp.identity import Identifier, IdentityGraph
from opencdp.identity.observations import last_seq
from opencdp.identity.snapshot import GraphSnapshot, ProfileState
from opencdp.profiles.event_order import order_by_profile, set_cursor
from opencdp.workspace import Workspace

WEB, CRM = "src_bench_web", "src_bench_crm"


def person(i: int) -> dict[str, str]:
    return {"profile_id": f"prof_{i:08d}", "email": f"user{i}@mail.example", "user_id": f"u{i}",
            "anonymous_id": f"a{i}", "customer_id": f"c{i}"}  # fmt: skip


def build(store: Path, profiles: int, events: int) -> None:
    """Write the store (once): migrations through a workspace, then the rows in bulk SQL."""
    if store.exists():
        shutil.rmtree(store)
    settings = load_settings(env={}, data_dir=store / "data")
    Workspace(settings).close()  # every migration, built-in traits, the master key
    con = duckdb.connect(str(settings.database_path))
    con.execute("SET TimeZone = 'UTC'")
    now = datetime.now(UTC)
    started = time.perf_counter()
    fill(con, profiles, events, now)  # profiles, links (email, user id), consents, events
    p = {"n": profiles, "base": events, "now": now}
    con.execute(
        "INSERT INTO sources (source_id, name, write_key) VALUES"
        f" ('{WEB}', 'web', 'wk_bench_web'), ('{CRM}', 'crm', 'wk_bench_crm')"
    )
    # one identify event per person (email and name), after the behavioural events
    con.execute(
        "INSERT INTO profile_events SELECT 'prof_' || lpad(i::VARCHAR, 8, '0'), $base + 1 + i,"
        " 'web', 'identify', NULL, $now - INTERVAL 400 DAY, NULL, json_object('email', 'user' ||"
        " i || '@mail.example', 'first_name', 'Name' || (i % 997)), NULL,"
        " md5_number_upper('prof_' || lpad(i::VARCHAR, 8, '0')) FROM range($n) t(i)",
        {"n": profiles, "base": events, "now": now},
    )
    # the raw log: every resolved event with its identifiers, in seq order
    con.execute(f"""
        INSERT INTO events (seq, source_id, message_id, message_key, type, user_id, anonymous_id,
                            event, name, "timestamp", received_at, properties, traits, context,
                            identifiers)
        SELECT seq, '{WEB}', 'm' || seq, md5_number_upper('{WEB}' || chr(0) || 'm' || seq), type,
               CASE WHEN type <> 'page' THEN 'u' || i END, 'a' || i, event,
               CASE WHEN type = 'page' THEN 'Home' END, "timestamp", "timestamp", properties,
               traits, '{{"library": {{"name": "analytics.js"}}}}',
               CASE WHEN type = 'identify'
                    THEN ['user_id:u' || i, 'anonymous_id:a' || i, 'email:user' || i
                          || '@mail.example']
                    WHEN type = 'page' THEN ['anonymous_id:a' || i]
                    ELSE ['user_id:u' || i, 'anonymous_id:a' || i] END
        FROM (SELECT *, substr(profile_id, 6)::BIGINT AS i FROM profile_events) ORDER BY seq
    """)  # fmt: skip
    # a CRM record per person, and the identifiers it and the log add to the links
    con.execute(
        f"INSERT INTO source_records SELECT '{CRM}', 'c' || i, md5_number_upper('{CRM}' ||"
        " chr(0) || 'c' || i), hash(i), 'imp_bench', json_object('customer_id', 'c' || i,"
        " 'email', 'user' || i || '@mail.example'), json_object('first_name', 'Name' ||"
        " (i % 997), 'city', 'Bangkok'), json_object('customer_id', 'c' || i), NULL, $now, $now,"
        " $base + $n + 1 + i FROM range($n) t(i)", p,
    )  # fmt: skip
    con.execute(
        "INSERT INTO identity_links SELECT t.type, t.prefix || i || t.suffix,"
        " 'prof_' || lpad(i::VARCHAR, 8, '0') FROM range($n) r(i), (VALUES"
        " ('anonymous_id', 'a', ''), ('customer_id', 'c', ''),"
        f" ('source_record', '{CRM}:c', '')) t(type, prefix, suffix)", {"n": profiles},
    )  # fmt: skip
    last = events + 2 * profiles + 1
    order_by_profile(con, last)
    set_cursor(con, "profiles", last)
    # segments: five, with memberships and their entry history
    for k in range(5):
        con.execute("INSERT INTO segments (segment_id, name, definition, text, member_count)"
                    " VALUES (?, ?, '{}', 'bench', 0)", [f"seg_{k}", f"bench-{k}"])  # fmt: skip
        con.execute(
            "INSERT INTO segment_members SELECT $s, 'prof_' || lpad(i::VARCHAR, 8, '0'), $now,"
            " md5_number_upper('prof_' || lpad(i::VARCHAR, 8, '0')) FROM range($n) t(i)"
            " WHERE hash(i * ($k + 7)) % ($k + 2) = 0",
            {"n": profiles, "now": now, "s": f"seg_{k}", "k": k},
        )  # fmt: skip
        con.execute(
            "INSERT INTO segment_history SELECT segment_id, profile_id, 'entered', entered_at,"
            " 'evaluation' FROM segment_members WHERE segment_id = ?", [f"seg_{k}"],
        )  # fmt: skip
    con.execute("UPDATE segments s SET member_count = (SELECT count(*) FROM segment_members m"
                " WHERE m.segment_id = s.segment_id)")  # fmt: skip
    # a file destination holding seg_0 (~500k people), with the CSV its last sync wrote
    out = store / "out"
    out.mkdir()
    con.execute(
        "INSERT INTO destinations (destination_id, name, kind, purpose, segment_id, config)"
        " VALUES ('dst_file', 'crm-file', 'file', 'email_marketing', 'seg_0', ?)",
        [json.dumps({"path": str(out), "format": "csv", "traits": ["email", "first_name"]})],
    )
    con.execute("INSERT INTO destination_state SELECT 'dst_file', profile_id, 0, $now"
                " FROM segment_members WHERE segment_id = 'seg_0'", {"now": now})  # fmt: skip
    csv = out / "crm-file-20250101T000000000000Z-full.csv"
    con.execute(
        "COPY (SELECT m.profile_id, 'entered' AS change, p.traits ->> 'email' AS email,"
        " p.traits ->> 'first_name' AS first_name FROM segment_members m JOIN profiles p"
        f" USING (profile_id) WHERE m.segment_id = 'seg_0') TO '{csv}' (HEADER)"
    )
    # computed-trait positions, predictions, the consent ledger, some quarantine
    con.execute(
        "INSERT INTO computed_trait_positions SELECT 'last_order', 'prof_' ||"
        " lpad(i::VARCHAR, 8, '0'), $now, i FROM range($n) t(i)", {"n": profiles, "now": now},
    )  # fmt: skip
    con.execute(
        "INSERT INTO profile_predictions SELECT 'prof_' || lpad(i::VARCHAR, 8, '0'), 'churn',"
        " (hash(i) % 1000) / 1000.0, NULL, $now FROM range($n) t(i)", {"n": profiles, "now": now},
    )  # fmt: skip
    con.execute(
        "INSERT INTO consent_ledger (subject_type, subject_value, purpose, granted, legal_basis,"
        " source, stated_at) SELECT 'user_id', 'u' || i, 'email_marketing', hash(i) % 10 < 6,"
        " 'consent', 'event', $now FROM range($n) t(i)", {"n": profiles, "now": now},
    )  # fmt: skip
    con.execute(
        "INSERT INTO quarantine (source_id, stage, reason, payload, received_at) SELECT"
        f" '{WEB}', 'collect', 'missing event name', '{{\"type\": \"track\", \"userId\": \"u' ||"
        " (i * 97) || '\"}', $now FROM range(10000) t(i)", {"now": now},
    )  # fmt: skip
    con.execute("CHECKPOINT")
    con.close()
    print(f"built {profiles:,} profiles, {events + profiles:,} events in"
          f" {time.perf_counter() - started:.0f} s at {store}", flush=True)  # fmt: skip


def live_graph(workspace: Workspace) -> IdentityGraph:
    """The graph a server holds after start, from the links (resolving 21M events again
    would take longer than the benchmark may)."""
    rows = workspace.read(lambda con: con.execute(
        "SELECT profile_id, list(identifier_type ORDER BY identifier_type),"
        " list(identifier_value ORDER BY identifier_type) FROM identity_links"
        " GROUP BY profile_id ORDER BY profile_id").fetchall())  # fmt: skip
    states = tuple(
        ProfileState(pid, n, n, tuple(sorted(map(Identifier, ts, vs))))
        for n, (pid, ts, vs) in enumerate(rows)
    )  # fmt: skip
    graph = IdentityGraph.from_snapshot(GraphSnapshot(
        rules=IdentityGraph().rules, profiles=states, merges=(), violations=(), refused_by=(),
        shared=(), unmerged_origins=(), created=len(states), observed=len(states),
        last_seq=None))  # fmt: skip
    return graph


def run(store: Path, runs: int, profiles: int) -> list[dict[str, object]]:
    settings = load_settings(env={}, data_dir=store / "data")
    results = []
    with Workspace(settings) as workspace:
        started = time.perf_counter()
        graph = live_graph(workspace)
        # hand the graph to the workspace's resolver as if it had resolved the whole log
        workspace.identity._graph = graph
        workspace.identity.resolved_through = workspace.read(last_seq)
        print(f"live graph of {graph.identifier_count:,} identifiers in"
              f" {time.perf_counter() - started:.0f} s (not timed)", flush=True)  # fmt: skip
        done = workspace.read(lambda con: con.execute(
            "SELECT count(*) FROM privacy_requests").fetchone()[0])  # fmt: skip
        rng = random.Random(done)  # another person each time the store is reused
        for _ in range(runs):
            i = rng.randrange(profiles)
            who = person(i)
            held = workspace.read(lambda con, who=who: con.execute(
                "SELECT count(*) FROM identity_links WHERE profile_id = ?",
                [who["profile_id"]]).fetchone()[0])  # fmt: skip
            if not held:
                continue  # erased by an earlier run
            started = time.perf_counter()
            request = workspace.privacy.erase(who["email"])
            seconds = time.perf_counter() - started
            receipt = request["receipt"]
            results.append({"seconds": round(seconds, 3), "timing": receipt.get("timing"),
                            "tables": receipt["tables"],
                            "files": [f["rows_removed"] for f in receipt["files"]]})  # fmt: skip
            print(f"erased {who['profile_id']} in {seconds:.2f} s: {receipt['timing']}",
                  flush=True)  # fmt: skip
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", type=Path, default=Path("/tmp/opencdp-bench-privacy"))
    parser.add_argument("--profiles", type=int, default=1_000_000)
    parser.add_argument("--events", type=int, default=20_000_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--rebuild", action="store_true", help="Build the store again.")
    args = parser.parse_args()
    marker = args.store / "built.json"
    wanted = {"profiles": args.profiles, "events": args.events}
    if args.rebuild or not marker.exists() or json.loads(marker.read_text()) != wanted:
        build(args.store, args.profiles, args.events)
        marker.write_text(json.dumps(wanted))
    results = run(args.store, args.runs, args.profiles)
    times = [r["seconds"] for r in results]
    print(json.dumps({
        "machine": machine(), **wanted,
        "erasure_seconds": times,
        "median_seconds": statistics.median(times) if times else None,
        "target_seconds": 5.0,
        "runs": results,
    }, indent=2, default=str))  # fmt: skip


if __name__ == "__main__":
    main()
