"""With field encryption on, no personal value is stored readable: not in any column of any
table, not in the database file or its WAL, not in a backup (plan S2 "no plaintext", R10).

A small dataset from the project's generator is collected through the collector (events),
imported (the CRM contacts file), resolved, a bad message and a bad row quarantined, the
database checkpointed and backed up. Then every fixture e-mail, phone number (E.164 and as
the files typed it) and name of 5 characters or more is looked for (a) logically, in every
column of every table cast to text, and in every table of the backup read back from its own
Parquet files; (b) as bytes, in `opencdp.duckdb`, its `.wal` and the backup's decrypted
parts (compression can hide a value from a byte scan, hence (a) too).
"""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path
from typing import Any

import duckdb
import pytest

from opencdp.admin import Admin
from opencdp.backup.container import unseal
from opencdp.backup.service import backup_key
from opencdp.config import load_settings
from opencdp.generate import generate
from opencdp.workspace import Workspace
from tests.collecting import collect
from tests.privacy.people import ORDERS_MAPPING

CONTACTS_MAPPING = {"default_region": "US", "columns": {
    "customer_id": ["identifier:customer_id", "record_id"], "email": "identifier:email",
    "phone": "identifier:phone", "first_name": "trait:first_name",
    "last_name": "trait:last_name", "nickname": "trait:nickname",
    "birth_date": "trait:birth_date", "address": "trait:address", "city": "trait:city",
    "postcode": "trait:postcode", "country": "trait:country", "gender": "trait:gender",
}}  # fmt: skip
_MIN = 5  # names shorter than this are too common to tell apart from other text


def fixture_values(folder: Path) -> list[str]:
    """Every e-mail, phone (any format the files use) and name of 5+ characters."""
    found: set[str] = set()
    with (folder / "people.csv").open(encoding="utf-8") as handle:
        for person in csv.DictReader(handle):
            for key in ("email", "family_email", "phone"):
                found.add(person[key])
            if person["phone"]:
                found.add(person["phone"][-9:])  # the national number, without the prefix
            for key in ("first_name", "last_name", "first_name_latin", "last_name_latin",
                        "nickname", "first_name_kana", "last_name_kana"):  # fmt: skip
                found.add(person[key])
    with (folder / "crm_contacts.csv").open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            found |= {row["email"], row["phone"], row["first_name"], row["last_name"]}
    return sorted(v for v in found if v and len(v) >= _MIN)


def messages(folder: Path) -> list[dict[str, Any]]:
    lines = (folder / "events.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


class Finder:
    """Which of `values` a text contains (case-insensitive), in one regex pass."""

    def __init__(self, values: list[str]) -> None:
        self.pattern = re.compile("|".join(re.escape(v.lower()) for v in
                                           sorted(values, key=len, reverse=True)))  # fmt: skip

    def __call__(self, text: str) -> set[str]:
        return set(self.pattern.findall(text.lower()))


def logical_scan(con: duckdb.DuckDBPyConnection, find: Finder, tables: list[str],
                 reader: str = "{}") -> dict[str, set[str]]:  # fmt: skip
    """`table.column` → the fixture values found in it (every column cast to text)."""
    hits: dict[str, set[str]] = {}
    for table in tables:
        cursor = con.execute(f"SELECT * FROM {reader.format(table)}")
        names = [d[0] for d in cursor.description or []]
        for row in cursor.fetchall():
            for name, cell in zip(names, row, strict=True):
                if cell is None:
                    continue
                found = find(cell if isinstance(cell, str) else str(cell))
                if found:
                    hits.setdefault(f"{table}.{name}", set()).update(found)
    return hits


def byte_scan(path: Path, values: list[str]) -> set[str]:
    data = path.read_bytes().lower() if path.exists() else b""
    return {v for v in values if v.lower().encode() in data}


@pytest.fixture
def dataset(tmp_path: Path) -> Path:
    folder = tmp_path / "generated"
    generate(folder, 20, 11, sources=("events", "crm"))
    return folder


def test_nothing_personal_is_stored_readable(dataset: Path, tmp_path: Path) -> None:
    values = fixture_values(dataset)
    assert len(values) > 40
    find = Finder(values)
    settings = load_settings(env={}, data_dir=tmp_path / "data", field_encryption=True)
    with Workspace(settings) as ws:
        assert ws.personal.enabled
        admin = Admin(ws)
        admin.create_source("web", default_region="US")
        admin.create_source("crm", default_region="US")
        sent = messages(dataset)
        collect(admin, [*sent, {"type": "track", "userId": "u-bad-1",  # no event: quarantined
                                "context": {"traits": {"email": values[0]}}}])  # fmt: skip
        contacts = dataset / "crm_contacts.csv"
        admin.import_file("crm", contacts, CONTACTS_MAPPING)
        orders = tmp_path / "orders.csv"  # the second row is refused for its time
        orders.write_text("order_id,email,total,ordered_at\n"
                          "o-1,quentin.b@bright-mail.com,10,2025-01-02T10:00:00Z\n"
                          "o-2,quentin.b@bright-mail.com,20,not a time\n", encoding="utf-8")
        values.append("quentin.b@bright-mail.com")
        find = Finder(values)
        admin.import_file("crm", orders, ORDERS_MAPPING)
        ws.bring_current()
        stages = ws.read(lambda con: con.execute("SELECT DISTINCT stage FROM quarantine")
                         .fetchall())  # fmt: skip
        assert len(stages) == 2, f"a message and a row quarantined: {stages}"
        assert ws.read(lambda con: con.execute("SELECT count(*) FROM identity_links")
                       .fetchone())[0] > 20  # fmt: skip
        wal = settings.database_path.with_name(settings.database_path.name + ".wal")
        in_wal = byte_scan(wal, values)  # what the log holds before it is checkpointed
        ws.write(lambda con: con.execute("CHECKPOINT"))
        made = admin.create_backup()
        tables = [row[0] for row in ws.read(lambda con: con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main'"
            " AND table_type = 'BASE TABLE' ORDER BY 1").fetchall())]  # fmt: skip
        live = ws.read(lambda con: logical_scan(con, find, tables))
    database = settings.database_path
    in_file = byte_scan(database, values)
    in_wal |= byte_scan(wal, values)
    spill = database.with_name(database.name + ".tmp")
    in_file |= set().union(set(), *(byte_scan(p, values) for p in spill.rglob("*") if p.is_file()))
    parts = tmp_path / "backup-parts"
    parts.mkdir()
    unseal(Path(made["path"]), backup_key(settings), parts)
    in_backup_bytes = set().union(*(byte_scan(p, values) for p in parts.iterdir()))
    con = duckdb.connect()
    files = sorted(p.stem for p in parts.glob("*.parquet"))
    in_backup = logical_scan(con, find, files, reader=f"read_parquet('{parts}/{{}}.parquet')")

    report = {"tables": {k: sorted(v)[:3] for k, v in sorted(live.items())},
              "backup_tables": {k: sorted(v)[:3] for k, v in sorted(in_backup.items())},
              "file": sorted(in_file)[:5], "wal": sorted(in_wal)[:5],
              "backup_bytes": sorted(in_backup_bytes)[:5]}  # fmt: skip
    assert not any(report.values()), json.dumps(report, indent=1, ensure_ascii=False)
