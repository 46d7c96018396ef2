"""Import benchmark: a contacts CSV and an orders CSV through mapping, hygiene and storage.

Usage: .venv/bin/python bench/import/run.py [--contacts 1000000] [--orders 5000000]

Writes the files once into a cache folder (DuckDB makes them in seconds; values mix the
formats real exports have), then runs `opencdp import` on each in a fresh data directory
as a separate process, and reports rows/s and the import process's peak RSS.
Targets (issue 3): at least 100,000 rows/s and peak memory under 1 GB whatever the size.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb
import psutil

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from ingest.report import machine

# Contacts with the mix of formats real exports have: cased and padded e-mails, three phone
# layouts, day-first and ISO birth dates, country names and codes in several languages.
CONTACTS_SQL = """
SELECT i AS customer_id,
  CASE WHEN i % 10 = 0 THEN ' User' || i || '@Siam-Mail.COM '
       ELSE 'user' || i || '@siam-mail.com' END AS email,
  CASE i % 3
    WHEN 0 THEN '08' || (10000000 + i)::VARCHAR
    WHEN 1 THEN '+66 8' || substr((10000000 + i)::VARCHAR, 1, 4) || ' '
                || substr((10000000 + i)::VARCHAR, 5)
    ELSE '08' || substr((10000000 + i)::VARCHAR, 1, 1) || '-'
         || substr((10000000 + i)::VARCHAR, 2, 3) || '-' || substr((10000000 + i)::VARCHAR, 5)
  END AS phone,
  (['Somchai', 'Malee', 'Yuki', 'Haruto', 'Emma', 'Liam', 'Napat', 'Sakura'])[1 + i % 8]
    || (i % 1000) AS first_name,
  (['Jaidee', 'Srisuk', 'Tanaka', 'Sato', 'Smith', 'Jones'])[1 + i % 6]
    || (i % 997) AS last_name,
  CASE WHEN i % 4 = 0 THEN strftime(DATE '1950-01-01' + (i % 20000)::INT, '%d/%m/%Y')
       ELSE (DATE '1950-01-01' + (i % 20000)::INT)::VARCHAR END AS birth_date,
  (['Bangkok', 'Chiang Mai', 'Tokyo', 'Osaka', 'London', 'Phuket'])[1 + i % 6] AS city,
  (['TH', 'Thailand', 'JP', 'Japan', 'GB', 'ไทย'])[1 + i % 6] AS country
FROM range({n}) t(i)
"""
CONTACTS_MAPPING = """default_region: TH
day_first: true
columns:
  customer_id: [identifier:customer_id, record_id]
  email: identifier:email
  phone: identifier:phone
  first_name: trait:first_name
  last_name: trait:last_name
  birth_date: trait:birth_date
  city: trait:city
  country: trait:country
"""
ORDERS_MAPPING = """event_name: Order Completed
timezone: Asia/Bangkok
columns:
  order_id: [event:order_id, record_id]
  email: identifier:email
  product: event:product
  quantity: event:quantity
  price: event:price
  currency: event:currency
  ordered_at: event:time
"""


def make_files(folder: Path, contacts: int, orders: int) -> tuple[Path, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    contacts_csv = folder / f"contacts-{contacts}.csv"
    orders_csv = folder / f"orders-{orders}.csv"
    con = duckdb.connect()
    if not contacts_csv.exists():
        con.execute(f"COPY ({CONTACTS_SQL.format(n=contacts)}) TO '{contacts_csv}' (HEADER)")
    if not orders_csv.exists():
        con.execute(f"""COPY (SELECT 'o' || i AS order_id,
            'user' || (i % {max(contacts, 1)}) || '@siam-mail.com' AS email,
            'sku-' || (i % 500) AS product, (i % 5) + 1 AS quantity,
            round((i % 10000) / 10.0, 2) AS price, 'THB' AS currency,
            strftime(TIMESTAMP '2024-01-01' + to_seconds(i * 6), '%Y-%m-%d %H:%M:%S') AS ordered_at
            FROM range({orders}) t(i)) TO '{orders_csv}' (HEADER)""")
    con.close()
    return contacts_csv, orders_csv


def measured(command: list[str], env: dict[str, str] | None = None) -> tuple[dict, float, int]:
    """Run `command`, sampling its RSS; return its JSON output, seconds and peak RSS bytes."""
    started = time.perf_counter()
    process = psutil.Popen(command, stdout=subprocess.PIPE, env=env)
    peak = 0
    while process.poll() is None:
        try:
            peak = max(peak, process.memory_info().rss)
        except psutil.NoSuchProcess:
            break
        time.sleep(0.05)  # sampling memory, not synchronising
    elapsed = time.perf_counter() - started
    return json.loads(process.stdout.read() if process.stdout else b"{}"), elapsed, peak


def run_import(data_dir: Path, source: str, csv: Path, mapping: Path) -> dict[str, object]:
    """`opencdp import` alone: identity resolution is measured separately (`run_identity`)."""
    base = [sys.executable, "-m", "opencdp", "--data-dir", str(data_dir)]
    subprocess.run([*base, "sources", "create", source], check=True, capture_output=True)
    env = {**os.environ, "OPENCDP_RESOLVE_AFTER_IMPORT": "false"}
    report, elapsed, peak = measured(
        [*base, "import", str(csv), "--source", source, "--mapping", str(mapping), "--json"], env
    )
    rows = int(report.get("rows_read", 0))
    return {"file": csv.name, "rows": rows, "seconds": round(elapsed, 2),
            "rows_per_second": round(rows / elapsed), "peak_rss_mb": round(peak / 2**20),
            "stored": report.get("records_stored", 0) + report.get("events_stored", 0),
            "quarantined": report.get("quarantined")}  # fmt: skip


def run_identity(data_dir: Path) -> dict[str, object]:
    """`opencdp identity rebuild` over everything imported: the step after the import."""
    command = [sys.executable, "-m", "opencdp", "--data-dir", str(data_dir), "identity",
               "rebuild", "--json"]  # fmt: skip
    result, elapsed, peak = measured(command)
    return {"step": "identity rebuild", **result, "process_seconds": round(elapsed, 2),
            "peak_rss_mb": round(peak / 2**20)}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contacts", type=int, default=1_000_000)
    parser.add_argument("--orders", type=int, default=5_000_000)
    parser.add_argument(
        "--cache", type=Path, default=Path(tempfile.gettempdir()) / "opencdp-bench-import"
    )
    args = parser.parse_args()
    contacts_csv, orders_csv = make_files(args.cache, args.contacts, args.orders)
    print("machine:", json.dumps(machine()))
    with tempfile.TemporaryDirectory(prefix="opencdp-bench-") as folder:
        work = Path(folder)
        (work / "contacts.yaml").write_text(CONTACTS_MAPPING)
        (work / "orders.yaml").write_text(ORDERS_MAPPING)
        print("targets: >= 100000 rows/s, peak RSS < 1024 MB", flush=True)
        # Each figure as soon as it is known: a later step failing loses nothing.
        print(json.dumps(run_import(work / "data", "crm", contacts_csv, work / "contacts.yaml")),
              flush=True)  # fmt: skip
        print(json.dumps(run_import(work / "data", "shop", orders_csv, work / "orders.yaml")),
              flush=True)  # fmt: skip
        print(json.dumps(run_identity(work / "data")), flush=True)


if __name__ == "__main__":
    main()
