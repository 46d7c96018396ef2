"""A small store with real personal data in it: generated people imported and collected."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import orjson

from opencdp.admin import Admin
from opencdp.backup.snapshot import table_sums
from opencdp.generate import generate
from opencdp.workspace import Workspace
from tests.collecting import collect

CRM_MAPPING = {
    "columns": {
        "customer_id": ["identifier:customer_id", "record_id"],
        "email": "identifier:email",
        "phone": "identifier:phone",
        "first_name": "trait:first_name",
        "last_name": "trait:last_name",
        "birth_date": "trait:birth_date",
        "city": "trait:city",
    },
    "default_region": "TH",
}


def generated(out: Path, people: int = 60) -> Path:
    generate(out, people, 5, locales=["en", "th", "ja"], sources=["events", "crm"])
    return out


def populate(ws: Workspace, data: Path) -> Admin:
    """Import the CRM file and collect every generated event, then resolve profiles."""
    admin = Admin(ws)
    admin.create_source("crm")
    admin.create_source("web", default_region="TH")
    admin.import_file("crm", data / "crm_contacts.csv", CRM_MAPPING)
    lines = (data / "events.jsonl").read_bytes().splitlines()
    for start in range(0, len(lines), 200):
        collect(admin, [orjson.loads(line) for line in lines[start : start + 200]])
    ws.bring_current()
    return admin


def personal_values(data: Path) -> list[str]:
    """E-mail addresses, phone numbers and names of the generated people: long enough (6+
    UTF-8 bytes) that finding one in random ciphertext by chance is out of the question."""
    found: set[str] = set()
    with (data / "people.csv").open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            for column in ("email", "phone", "first_name", "last_name"):
                value = row[column]
                if len(value.encode()) >= 6:
                    found.add(value)
            found.add(row["phone"].removeprefix("+"))
    return sorted(found)


def sums(ws: Workspace) -> dict[str, dict[str, Any]]:
    return ws.read(table_sums)
