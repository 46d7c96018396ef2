"""What checking suppressed identifiers costs the collector, per message.

Usage: .venv/bin/python bench/privacy/screening.py [--batches 200] [--suppressed 10000]

Runs the collector's own `prepare` (authenticate, decode, validate, normalise, list the
identifiers: what the HTTP handler does before the writer) over realistic batches
(bench/ingest/payloads.py, 100 messages each), then times the suppression check it adds,
`Suppression.screen`, with `--suppressed` hashes that none of the traffic matches (every
identifier is hashed). "cold" forgets the identifiers found clean before every batch (every
visitor new), "warm" keeps them (returning visitors). With nothing suppressed, `screen`
returns at once.
"""

from __future__ import annotations

import argparse
import base64
import json
import secrets
import statistics
import sys
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from ingest.payloads import batch_templates
from ingest.report import machine

from opencdp.admin import Admin
from opencdp.config import load_settings
from opencdp.privacy.suppression import Suppression
from opencdp.workspace import Workspace


def prepared(workspace: Workspace, auth: str, bodies: list[bytes]) -> tuple[list[list[Any]], float]:
    """The records of every body, and what `prepare` cost per message without suppression."""
    collector = workspace.collector
    collector.suppression = None
    records, spent = [], 0.0
    for body in bodies:
        started = time.perf_counter()
        _, ingest = collector.prepare(body, authorization=auth, content_encoding=None,
                                      type_hint=None, client_ip="127.0.0.1")  # fmt: skip
        spent += time.perf_counter() - started
        records.append(ingest.records)
    return records, spent / sum(map(len, records)) * 1e6


def screen_us(batches: list[list[Any]], suppression: Suppression, cold: bool) -> float:
    """`Suppression.screen` per message, as the collector calls it after `prepare`."""
    spent = 0.0
    for records in batches:
        if cold:
            suppression._clean = set()
        ingest = SimpleNamespace(records=records, source_id="", screened=-1, suppressed=0,
                                 events=None)  # fmt: skip
        started = time.perf_counter()
        suppression.screen(ingest)
        spent += time.perf_counter() - started
    return spent / sum(map(len, batches)) * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batches", type=int, default=200)
    parser.add_argument("--suppressed", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, \
            Workspace(load_settings(env={}, data_dir=Path(tmp) / "data")) as workspace:  # fmt: skip
        key = Admin(workspace).create_source("web")["write_key"]
        auth = "Basic " + base64.b64encode(f"{key}:".encode()).decode()
        bodies = [t.fill(n) for n, t in enumerate(batch_templates(7, args.batches, 100, "bench"))]
        full = Suppression.for_settings(workspace.settings)
        full.add(secrets.token_hex(32) for _ in range(args.suppressed))
        prepare, cold, warm = [], [], []
        for _ in range(args.rounds):  # interleaved, so drift hits every case alike
            batches, cost = prepared(workspace, auth, bodies)
            prepare.append(cost)
            cold.append(screen_us(batches, full, cold=True))
            screen_us(batches, full, cold=False)  # the visitors are known now
            warm.append(screen_us(batches, full, cold=False))
        workspace.collector.suppression = workspace.suppression
        identifiers = sum(len(r.identifiers or ()) for b in batches for r in b)
        messages = sum(map(len, batches))
    base = statistics.median(prepare)
    print(json.dumps({
        "machine": machine(), "messages_per_round": messages,
        "identifiers_per_message": round(identifiers / messages, 2),
        "suppressed_hashes": args.suppressed,
        "prepare_us_per_message": round(base, 2),
        "screen_us_per_message": {"cold": round(statistics.median(cold), 2),
                                  "warm": round(statistics.median(warm), 2)},
        "ratio_prepare_plus_screen": {
            "cold": round((base + statistics.median(cold)) / base, 3),
            "warm": round((base + statistics.median(warm)) / base, 3)},
    }, indent=2))  # fmt: skip


if __name__ == "__main__":
    main()
