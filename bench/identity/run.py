"""Identity benchmark: resolution quality against ground truth, rebuild, stitching and lookups.

Usage: .venv/bin/python bench/identity/run.py [--people 10000] [--locales th] [--seed 42]

Generates synthetic people across CRM, orders, tickets, surveys and web events
(`opencdp generate`, with its ground truth), imports and ingests them into a fresh data
directory, then reports:
- pairwise precision / recall / F1 of the resolved profiles against the ground truth, the
  number of profiles and the largest one;
- full rebuild time (`opencdp identity rebuild`), incremental stitching rate, and profile
  lookup latency (p50/p99 of `get_profile`).
Phone numbers in local format need a region: one region per run, from `--locales`.
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from identity.scoring import pairwise_scores
from ingest.report import machine, percentile

from opencdp.admin import Admin
from opencdp.config import load_settings
from opencdp.generate import generate
from opencdp.identity import probabilistic
from opencdp.workspace import Workspace

REGIONS = {"th": "TH", "ja": "JP", "en": "US"}
MAPPINGS: dict[str, dict[str, Any]] = {
    "crm_contacts.csv": {"columns": {
        "customer_id": ["identifier:customer_id", "record_id"], "email": "identifier:email",
        "phone": "identifier:phone", "first_name": "trait:first_name",
        "last_name": "trait:last_name", "birth_date": "trait:birth_date", "city": "trait:city",
        "postcode": "trait:postcode",
    }},
    "orders.csv": {"columns": {
        "order_id": "record_id", "customer_id": "identifier:customer_id",
        "email": "identifier:email", "phone": "identifier:phone",
        "customer_name": "trait:name", "ship_city": "trait:city",
        "ship_postcode": "trait:postcode",
    }},
    "support_tickets.csv": {"columns": {
        "ticket_id": "record_id", "email": "identifier:email", "phone": "identifier:phone",
        "name": "trait:name",
    }},
    "surveys.csv": {"columns": {
        "response_id": "record_id", "email": "identifier:email", "phone": "identifier:phone",
    }},
}  # fmt: skip
SOURCE_OF = {"crm_contacts.csv": "crm", "orders.csv": "orders",
             "support_tickets.csv": "tickets", "surveys.csv": "surveys"}  # fmt: skip


def ingest_events(admin: Admin, path: Path, batch_size: int = 500) -> tuple[int, float]:
    """Collect events.jsonl in batches, stitching after each; returns (observed, seconds)."""
    key = admin.get_source("events")["write_key"]
    lines = path.read_bytes().splitlines()
    observed, stitching = 0, 0.0
    for start in range(0, len(lines), batch_size):
        batch = [orjson.loads(line) for line in lines[start : start + batch_size]]
        body = orjson.dumps({"batch": batch, "writeKey": key})
        _, ingest = admin.ws.collector.prepare(
            body, authorization=None, content_encoding=None, type_hint=None, client_ip=None
        )
        admin.ws.collector.submit(ingest).result()
        began = time.perf_counter()
        observed += admin.ws.profiles.catch_up().observed
        stitching += time.perf_counter() - began
    return observed, stitching


def predicted_clusters(admin: Admin) -> dict[str, str]:
    """(source, record id) → profile id for records and for events (by userId/anonymousId)."""
    found = {f"{r['source']}\0{r['record_id']}": r["profile_id"]
             for r in admin.identity_clusters() if r["profile_id"]}  # fmt: skip
    rows = admin.ws.read(lambda con: con.execute(
        "SELECT e.message_id, coalesce(u.profile_id, a.profile_id) FROM events e"
        " LEFT JOIN identity_links u ON u.identifier_type = 'user_id'"
        "  AND u.identifier_value = e.user_id"
        " LEFT JOIN identity_links a ON a.identifier_type = 'anonymous_id'"
        "  AND a.identifier_value = e.anonymous_id"
    ).fetchall())  # fmt: skip
    found.update({f"events\0{m}": p for m, p in rows if p})
    return found


def true_clusters(path: Path) -> dict[str, str]:
    with path.open(encoding="utf-8") as handle:
        return {f"{r['source']}\0{r['record_id']}": r["person_id"]
                for r in csv.DictReader(handle)
                if r["record_type"] == "record" and r["source"] in {*SOURCE_OF.values(), "events"}}


def records_comparison(admin: Admin, truth: dict[str, str]) -> dict[str, Any]:
    """opencdp and Splink on the same imported person records, scored on those records only.

    opencdp's time is a full identity rebuild plus probabilistic matching; Splink's is its
    training, prediction and clustering. Both start from the same hygiene-cleaned records.
    """
    from identity.splink_peer import splink_clusters

    records = admin.ws.read(probabilistic.people)
    names = dict(admin.ws.read(lambda con: con.execute(
        "SELECT source_id, name FROM sources").fetchall()))  # fmt: skip

    def truth_key(record_id: str) -> str:
        source_id, _, rid = record_id.partition(":")
        return f"{names[source_id]}\0{rid}"

    record_truth = {truth_key(r): truth[truth_key(r)] for r in records["record_id"].to_pylist()
                    if truth_key(r) in truth}  # fmt: skip
    began = time.perf_counter()
    admin.rebuild_identity()
    admin.resolve_matches()
    ours_seconds = time.perf_counter() - began
    ours = {k: v for k, v in predicted_clusters(admin).items() if k in record_truth}
    theirs_by_record, splink_seconds = splink_clusters(records)
    theirs = {truth_key(r): c for r, c in theirs_by_record.items()}
    return {
        "opencdp": {**pairwise_scores(ours, record_truth), "seconds": round(ours_seconds, 2)},
        "splink": {**pairwise_scores(theirs, record_truth), "seconds": round(splink_seconds, 2)},
    }


def lookup_latency(admin: Admin, samples: int = 200) -> dict[str, float]:
    identifiers = admin.ws.read(lambda con: con.execute(
        "SELECT identifier_type || ':' || identifier_value FROM identity_links"
        " USING SAMPLE 2000 ROWS"
    ).fetchall())  # fmt: skip
    chosen = random.Random(7).choices([row[0] for row in identifiers], k=samples)
    timings = []
    for identifier in chosen:
        began = time.perf_counter()
        admin.get_profile(identifier, limit=20)
        timings.append((time.perf_counter() - began) * 1000)
    timings.sort()
    return {
        "p50_ms": round(percentile(timings, 0.5), 2),
        "p99_ms": round(percentile(timings, 0.99), 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=10_000)
    parser.add_argument("--locales", default="th", choices=sorted(REGIONS))
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="opencdp-bench-identity-") as tmp:
        work = Path(tmp)
        generate(work / "data", args.people, args.seed, locales=[args.locales],
                 sources=["events", "crm", "orders", "tickets", "surveys"])  # fmt: skip
        settings = load_settings(env={}, data_dir=work / "cdp")
        figures: dict[str, Any] = {"machine": machine(), "people": args.people,
                                   "locales": args.locales}  # fmt: skip
        with Workspace(settings) as workspace:
            admin = Admin(workspace)
            for name in ["events", *SOURCE_OF.values()]:
                admin.create_source(name)
            for file, columns in MAPPINGS.items():
                mapping = {**columns, "default_region": REGIONS[args.locales]}
                report = admin.import_file(SOURCE_OF[file], work / "data" / file, mapping)
                figures[f"import_{SOURCE_OF[file]}"] = {
                    k: report[k] for k in ("rows_read", "records_stored", "quarantined")}
            observed, seconds = ingest_events(admin, work / "data" / "events.jsonl")
            figures["stitching"] = {"observations": observed, "seconds": round(seconds, 3),
                                    "per_second": round(observed / seconds) if seconds else None}
            figures["rebuild"] = admin.rebuild_identity()
            figures["rebuild"]["per_second"] = round(
                figures["rebuild"]["observations"] / figures["rebuild"]["seconds"])
            figures["lookup"] = lookup_latency(admin)
            truth = true_clusters(work / "data" / "ground_truth.csv")
            figures["quality_deterministic"] = pairwise_scores(predicted_clusters(admin), truth)
            began = time.perf_counter()
            figures["probabilistic"] = admin.resolve_matches()
            figures["probabilistic"]["wall_seconds"] = round(time.perf_counter() - began, 2)
            figures["quality"] = pairwise_scores(predicted_clusters(admin), truth)
            figures["records_only"] = records_comparison(admin, truth)
        print(json.dumps(figures, indent=2, ensure_ascii=False))
        if args.json:
            args.json.write_text(json.dumps(figures, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
