"""Imports with field encryption on store nothing readable and answer like plain mode.

The same contacts and orders files go into a plain and an encrypted data directory: what
was stored, quarantined and reported about quality must be the same, re-importing must
change nothing, and no column of the tables an import writes may hold a fixture e-mail,
phone number or name, whatever its format.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from opencdp.admin import Admin
from opencdp.config import load_settings
from opencdp.workspace import Workspace
from tests.sources import stored

CONTACTS_MAPPING = {
    "default_region": "TH",
    "columns": {
        "email": "identifier:email",
        "phone": "identifier:phone",
        "first_name": "trait:first_name",
        "last_name": "trait:last_name",
        "birthday": "trait:birth_date",
        "city": "trait:city",
    },
}
CONTACTS = (
    "email,phone,first_name,last_name,birthday,city\n"
    " Somchai@Siam-Mail.COM ,081-234-5678,Somchai,Jaidee,1980-01-02,Bangkok\n"
    "yuki@nihon-mail.jp,+81 90 1234 5678,Yukiko,Tanakaya,1990-05-06,Tokyo\n"
    "malee@thai-post.com,0823456789,Malee,Srisuk,not a date,Chiang Mai\n"
    "noreply@thai-shop.com,0834567890,Pranee,Wongsa,1975-12-31,Bangkok\n"
    ",,Nobody,Unknownson,,Phuket\n"
    "not-an-email,0845678901,Kittisak,Boonmee,1985-03-04,Bangkok\n"
    "dup.person@mail.com,0856789012,Somchai,Jaidee,1980-01-02,Bangkok\n"
)
SHOP_MAPPING = {
    "default_region": "TH",
    "columns": {"mail": "identifier:email", "given": "trait:first_name"},
}
SHOP = "mail,given\nsomchai@siam-mail.com,Somchay\nyuki@nihon-mail.jp,Yukiko\n"
ORDERS_MAPPING = {
    "event_name": "Order Completed",
    "columns": {
        "order_id": ["event:order_id", "record_id"],
        "customer": "identifier:customer_id",
        "email": "identifier:email",
        "product": "event:product",
        "price": "event:price",
        "note": "event:text",
        "ordered_at": "event:time",
    },
}
ORDERS = (
    "order_id,customer,email,product,price,note,ordered_at\n"
    "o1,c1,somchai@siam-mail.com,Tea,4.50,call Somchai Jaidee first,2025-01-02T10:00:00Z\n"
    "o2,c2,yuki@nihon-mail.jp,Rice,12,,2025-01-03T09:30:00Z\n"
    "o3,c3,malee@thai-post.com,Bowl,9.9,,\n"
    "o4,-1,malee@thai-post.com,Cup,3,,2025-01-04T08:00:00Z\n"
)
# What must never be readable in the encrypted directory (every format a phone takes).
SECRETS = [
    "somchai@siam-mail.com", "Somchai@Siam-Mail.COM", "yuki@nihon-mail.jp",
    "malee@thai-post.com", "dup.person@mail.com", "noreply@thai-shop.com", "not-an-email",
    "081-234-5678", "0812345678", "+66812345678", "812345678", "+819012345678",
    "90 1234 5678", "0823456789", "+66823456789", "823456789", "0845678901", "845678901",
    "Somchai", "Jaidee", "Yukiko", "Tanakaya", "Malee", "Srisuk", "Pranee", "Wongsa",
    "Nobody", "Unknownson", "Kittisak", "Boonmee", "Somchay", "1980-01-02", "1990-05-06",
]  # fmt: skip
SCANNED = ("source_records", "events", "identifier_values", "quarantine")


def _workspace(tmp_path: Path, name: str, encrypted: bool) -> Workspace:
    settings = load_settings(env={}, data_dir=tmp_path / name, field_encryption=encrypted)
    return Workspace(settings)


@pytest.fixture
def pair(tmp_path: Path) -> Iterator[tuple[Admin, Admin]]:
    plain_ws = _workspace(tmp_path, "plain", False)
    sealed_ws = _workspace(tmp_path, "sealed", True)
    try:
        assert not plain_ws.personal.enabled and sealed_ws.personal.enabled
        yield Admin(plain_ws), Admin(sealed_ws)
    finally:
        plain_ws.close()
        sealed_ws.close()


def _files(tmp_path: Path) -> dict[str, Path]:
    paths = {}
    for name, text in (("contacts", CONTACTS), ("shop", SHOP), ("orders", ORDERS)):
        paths[name] = tmp_path / f"{name}.csv"
        paths[name].write_text(text, encoding="utf-8")
    return paths


def _import_all(admin: Admin, files: dict[str, Path]) -> list[dict[str, Any]]:
    reports = []
    for source, mapping in (("crm", CONTACTS_MAPPING), ("shop", SHOP_MAPPING),
                            ("orders", ORDERS_MAPPING)):  # fmt: skip
        if not admin.ws.read(lambda con, s=source: con.execute(
                "SELECT count(*) FROM sources WHERE name = ?", [s]).fetchall()[0][0]):  # fmt: skip
            admin.create_source(source)
        report = admin.import_file(source, files[source if source != "crm" else "contacts"],
                                   mapping)  # fmt: skip
        reports.append({k: report[k] for k in ("rows_read", "records_stored", "events_stored",
                                                "unchanged", "quarantined", "newly_quarantined",
                                                "reasons")})  # fmt: skip
    return reports


def _rows(admin: Admin, sql: str) -> list[tuple[Any, ...]]:
    return admin.ws.read(lambda con: con.execute(sql).fetchall())


def _counts(admin: Admin) -> dict[str, int]:
    tables = ("source_records", "events", "quarantine")
    return {t: _rows(admin, f"SELECT count(*) FROM {t}")[0][0] for t in tables}


def _quarantine(admin: Admin) -> list[tuple[str, str]]:
    return sorted((q["stage"], q["reason"]) for q in admin.list_quarantine())


def _plain_records(admin: Admin) -> list[tuple[Any, ...]]:
    """Every stored record as plaintext; ids made from content differ between modes."""
    found = stored.records(admin.ws)
    return sorted(repr(v) for v in found.values())  # type: ignore[misc]


def _quality(admin: Admin) -> dict[str, Any]:
    """The quality figures, without times and source ids (random per directory)."""
    report = admin.quality_report()
    names = {s["source_id"]: s["name"] for s in report["sources"]}
    sources = {
        s["name"]: {
            "records": s["records"], "events": s["events"],
            "quarantine": {**s["quarantine"], "reasons": [
                {k: v for k, v in r.items() if k != "examples"}
                for r in s["quarantine"]["reasons"]]},
            "fields": s["fields"],
        }
        for s in report["sources"]
    }  # fmt: skip
    problems = [{**{k: v for k, v in p.items() if k not in ("source_id", "examples")},
                 "source": names[p["source_id"]],
                 "examples": p.get("examples") if p["kind"] != "quarantine" else None}
                for p in report["top_problems"]]  # fmt: skip
    consistency = [
        {**c, "examples": [{**e, "values": {names[k]: v for k, v in e["values"].items()}}
                           for e in c["examples"]]}
        for c in report["consistency"]
    ]  # fmt: skip
    # Ties are ranked by source id, which is random per directory.
    return {"sources": sources, "consistency": consistency,
            "problems": sorted(problems, key=repr)}  # fmt: skip


def test_encrypted_import_matches_plain_and_reimports_idempotently(pair, tmp_path):
    plain_admin, sealed_admin = pair
    files = _files(tmp_path)
    plain_reports = _import_all(plain_admin, files)
    sealed_reports = _import_all(sealed_admin, files)
    assert sealed_reports == plain_reports
    assert plain_reports[0]["quarantined"] == 1 and plain_reports[2]["events_stored"] == 3
    assert _counts(sealed_admin) == _counts(plain_admin)
    assert _quarantine(sealed_admin) == _quarantine(plain_admin)
    assert _plain_records(sealed_admin) == _plain_records(plain_admin)
    plain_quality, sealed_quality = _quality(plain_admin), _quality(sealed_admin)
    assert sealed_quality == plain_quality
    assert plain_quality["consistency"], "the fixture has a disagreeing customer"
    assert "Somchai" not in repr(sealed_quality), "examples are masked"

    vault_sql = "SELECT count(*), count(DISTINCT identifier) FROM identifier_values"
    vault = _rows(sealed_admin, vault_sql)
    again = _import_all(sealed_admin, files)
    assert [(r["records_stored"], r["events_stored"], r["newly_quarantined"]) for r in again] \
        == [(0, 0, 0)] * 3  # fmt: skip
    assert [r["unchanged"] for r in again] == [r["records_stored"] for r in sealed_reports]
    assert _counts(sealed_admin) == _counts(plain_admin)
    assert _rows(sealed_admin, vault_sql) == vault, "re-importing adds nothing to the vault"
    assert vault[0][0] == vault[0][1] > 0


def test_encrypted_import_derives_plain_members_and_blocks_placeholders(pair, tmp_path):
    _, admin = pair
    _import_all(admin, _files(tmp_path))
    rows = admin.ws.read(lambda con: con.execute(
        "SELECT identifiers->>'email', traits->>'email_domain', traits->>'birth_year'"
        " FROM source_records s JOIN sources USING (source_id) WHERE name = 'crm'"
        " ORDER BY 2").fetchall())  # fmt: skip
    assert [r[1:] for r in rows] == [
        ("mail.com", "1980"), ("nihon-mail.jp", "1990"), ("siam-mail.com", "1980"),
        ("thai-post.com", None), (None, "1975"), (None, "1985"),
    ]  # fmt: skip
    blocked = admin.ws.read(lambda con: con.execute(
        "SELECT user_id, identifiers FROM events WHERE message_id = 'o4'").fetchall())  # fmt: skip
    assert [i for i in blocked[0][1] if i.startswith("customer_id:")] == [
        f"customer_id:~{blocked[0][0]}"
    ], "a placeholder id is stored marked blocked, and user_id as the collector stores it"
    events = admin.ws.read(lambda con: con.execute(
        "SELECT user_id, identifiers, properties->>'text' FROM events WHERE message_id = 'o1'"
    ).fetchall())  # fmt: skip
    user_id, identifiers, note = events[0]
    assert f"customer_id:{user_id}" in identifiers
    assert stored.plain_identifier(admin.ws, f"customer_id:{user_id}") == "customer_id:c1"
    assert admin.ws.personal.open(note) == "call Somchai Jaidee first"


def test_no_column_of_an_encrypted_import_holds_personal_data(pair, tmp_path):
    _, admin = pair
    _import_all(admin, _files(tmp_path))
    leaks = []
    for table in SCANNED:
        rows = admin.ws.read(lambda con, t=table: con.execute(f"SELECT * FROM {t}").fetchall())
        assert rows, f"{table} has rows to scan"
        for row in rows:
            text = "\x01".join(str(v) for v in row).lower()
            leaks += [(table, s) for s in SECRETS if s.lower() in text]
    assert leaks == []


def test_sealed_import_reads_back_after_reopening(tmp_path):
    """The data keys made for a batch (`reserve_keys`) are stored with its commit."""
    files = _files(tmp_path)
    ws = _workspace(tmp_path, "sealed", True)
    try:
        _import_all(Admin(ws), files)
        before = stored.records(ws)
    finally:
        ws.close()
    ws = _workspace(tmp_path, "sealed", True)
    try:
        assert stored.records(ws) == before
        assert "Somchai" in repr(before) and "[erased]" not in repr(before)
    finally:
        ws.close()


def test_an_email_record_id_is_stored_keyed(pair, tmp_path):
    """R9: a record id column that holds e-mails is stored as `rid-` + a keyed hash."""
    plain_admin, sealed_admin = pair
    path = tmp_path / "list.csv"
    path.write_text("email,first_name\nann@mail.com,Annabel\nbob@mail.com,Bobby\n")
    mapping = {"columns": {"email": ["identifier:email", "record_id"],
                           "first_name": "trait:first_name"}}  # fmt: skip
    for admin in pair:
        admin.create_source("list")
        assert admin.import_file("list", path, mapping)["records_stored"] == 2
        assert admin.import_file("list", path, mapping)["unchanged"] == 2
    ids = {a: sorted(r[0] for r in _rows(a, "SELECT record_id FROM source_records"))
           for a in pair}  # fmt: skip
    assert ids[plain_admin] == ["ann@mail.com", "bob@mail.com"]
    assert all(i.startswith("rid-") and "mail" not in i for i in ids[sealed_admin])
    assert sorted(map(repr, stored.records(sealed_admin.ws).values())) == sorted(
        map(repr, stored.records(plain_admin.ws).values())
    )
