"""Backup benchmark: time and size of a backup and a restore of a generated store.

Usage: .venv/bin/python bench/backup/run.py [--people 3000] [--seed 42] [--json FILE]

Generates people (`opencdp generate`), imports their CRM, orders, tickets and surveys and
collects their web events into a fresh data directory (as bench/identity does), then reports:
- the database file size, tables and rows;
- a backup with nothing else running, and one while a client thread collects batches of
  100 events through the collector (events committed during the backup, collection rate
  during it against the rate just before);
- verification (decrypt and checksum the whole file) and a restore into a new directory;
- the two snapshot methods measured against each other on this store: `EXPORT DATABASE`
  to Parquet (used) and `ATTACH` + `COPY FROM DATABASE` to a new DuckDB file.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import duckdb
import orjson

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from identity.run import MAPPINGS, SOURCE_OF, ingest_events
from ingest.report import machine

from opencdp.admin import Admin
from opencdp.backup import create_backup, restore_backup, verify_backup
from opencdp.config import load_settings
from opencdp.generate import generate
from opencdp.workspace import Workspace


def build(work: Path, people: int, seed: int) -> Any:
    generate(work / "gen", people, seed, locales=["th"],
             sources=["events", "crm", "orders", "tickets", "surveys"])  # fmt: skip
    settings = load_settings(env={}, data_dir=work / "cdp", backup_keep=0)
    with Workspace(settings) as ws:
        admin = Admin(ws)
        for name in ["events", *SOURCE_OF.values()]:
            admin.create_source(name)
        for file, columns in MAPPINGS.items():
            admin.import_file(SOURCE_OF[file], work / "gen" / file,
                              {**columns, "default_region": "TH"})  # fmt: skip
        ingest_events(admin, work / "gen" / "events.jsonl")
        ws.bring_current()
    return settings


class Load:
    """Collects batches of 100 events until stopped; remembers when each was committed."""

    def __init__(self, admin: Admin) -> None:
        self.admin = admin
        self.committed: list[float] = []
        self.stop = threading.Event()
        self.key = admin.get_source("events")["write_key"]

    def run(self) -> None:
        n = 0
        while not self.stop.is_set():
            batch = [{"type": "track", "event": "Bench", "userId": f"b{i % 500}",
                      "messageId": f"bench-{n}-{i}"} for i in range(100)]  # fmt: skip
            body = orjson.dumps({"batch": batch, "writeKey": self.key})
            _, ingest = self.admin.ws.collector.prepare(
                body, authorization=None, content_encoding=None, type_hint=None, client_ip=None)
            self.admin.ws.collector.submit(ingest).result()
            self.committed.append(time.perf_counter())
            n += 1

    def rate(self, start: float, end: float) -> float:
        return 100 * sum(start <= t < end for t in self.committed) / (end - start)


def backups(settings: Any, work: Path) -> dict[str, Any]:
    figures: dict[str, Any] = {}
    with Workspace(settings) as ws:
        figures["idle"] = create_backup(ws, work / "idle.cdpbackup")
        admin = Admin(ws)
        load = Load(admin)
        thread = threading.Thread(target=load.run)
        thread.start()
        time.sleep(2.0)  # a steady collection rate before the backup, for comparison
        began = time.perf_counter()
        made = create_backup(ws, work / "busy.cdpbackup")
        ended = time.perf_counter()
        time.sleep(0.5)
        load.stop.set()
        thread.join()
        made["events_committed_during"] = 100 * sum(began <= t < ended for t in load.committed)
        made["collect_rate_before"] = round(load.rate(began - 2.0, began))
        made["collect_rate_during"] = round(load.rate(began, ended))
        figures["while_collecting"] = made
    return figures


def restore(settings: Any, work: Path) -> dict[str, Any]:
    target = load_settings(env={}, data_dir=work / "restored")
    target.data_dir.mkdir()
    shutil.copy(settings.data_dir / "master.key", target.data_dir / "master.key")
    began = time.perf_counter()
    verify_backup(target, work / "idle.cdpbackup")
    verified = time.perf_counter() - began
    report = restore_backup(target, work / "idle.cdpbackup")
    report["verify_only_seconds"] = round(verified, 3)
    report["database_bytes"] = target.database_path.stat().st_size
    return report


def methods(settings: Any, work: Path) -> dict[str, Any]:
    """EXPORT DATABASE (Parquet) against ATTACH + COPY FROM DATABASE, same store, idle."""
    con = duckdb.connect(str(settings.database_path))
    out: dict[str, Any] = {}
    try:
        began = time.perf_counter()
        con.execute(f"EXPORT DATABASE '{work / 'm-export'}' (FORMAT parquet, COMPRESSION zstd)")
        out["export_parquet"] = {"seconds": round(time.perf_counter() - began, 3),
                                 "bytes": sum(p.stat().st_size
                                              for p in (work / "m-export").iterdir())}  # fmt: skip
        began = time.perf_counter()
        con.execute(f"ATTACH '{work / 'm-copy.duckdb'}' AS copy_target")
        con.execute("COPY FROM DATABASE opencdp TO copy_target")
        con.execute("DETACH copy_target")
        out["copy_from_database"] = {"seconds": round(time.perf_counter() - began, 3),
                                     "bytes": (work / "m-copy.duckdb").stat().st_size}  # fmt: skip
        target = duckdb.connect(str(work / "m-import.duckdb"))
        began = time.perf_counter()
        target.execute(f"IMPORT DATABASE '{work / 'm-export'}'")
        out["import_parquet_seconds"] = round(time.perf_counter() - began, 3)
        target.close()
    finally:
        con.close()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="opencdp-bench-backup-") as tmp:
        work = Path(tmp)
        began = time.perf_counter()
        settings = build(work, args.people, args.seed)
        figures: dict[str, Any] = {
            "machine": machine(),
            "people": args.people,
            "build_seconds": round(time.perf_counter() - began, 1),
            "database_bytes": settings.database_path.stat().st_size,
        }
        figures["backup"] = backups(settings, work)
        figures["restore"] = restore(settings, work)
        figures["methods"] = methods(settings, work)
    print(json.dumps(figures, indent=2))
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
