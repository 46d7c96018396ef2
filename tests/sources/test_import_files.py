"""Importing files end to end: counts, cleaned values, quarantine reasons, idempotency."""

from __future__ import annotations

import json

import pytest

from opencdp.admin import Admin
from opencdp.collect.replay import ReplayError
from opencdp.sources.mapping import MappingError
from tests.sources import stored

CRM_MAPPING = {
    "columns": {
        "customer_id": ["identifier:customer_id", "record_id"],
        "email": "identifier:email",
        "first_name": "trait:first_name",
        "birthday": "trait:birth_date",
        "city": "trait:city",
    }
}
CRM = (
    "customer_id,email,first_name,birthday,city\n"
    "1, Somchai@Siam-Mail.COM ,Somchai,1980-01-02,Bangkok\n"
    '2,yuki@nihon-mail.jp,ゆき,1990-05-06,"Chiang\nMai"\n'
    ",,Malee,,\n"
    "4,x@y.org,Too,many,fields,here\n"
)


@pytest.fixture
def admin(workspace):
    admin = Admin(workspace)
    admin.create_source("crm")
    return admin


def records(admin):
    """record id → (identifiers, traits, fixes) as plaintext, in either encryption mode."""
    return stored.records(admin.ws)


def test_csv_import_counts_cleans_and_quarantines(admin, tmp_path):
    path = tmp_path / "crm.csv"
    path.write_text(CRM, encoding="utf-8")
    report = admin.import_file("crm", path, CRM_MAPPING)
    assert report["rows_read"] == 4
    assert report["records_stored"] == 2
    assert report["quarantined"] == 2
    assert report["reasons"] == {"no usable identifier": 1, "row has 6 fields, the header has 5": 1}
    stored = records(admin)
    identifiers, traits, fixes = stored["1"]
    assert identifiers == {"customer_id": "1", "email": "somchai@siam-mail.com"}
    assert traits == {"first_name": "Somchai", "birth_date": "1980-01-02", "city": "Bangkok"}
    assert fixes["email"] == {
        "original": " Somchai@Siam-Mail.COM ",
        "cleaned": "somchai@siam-mail.com",
    }
    assert stored["2"][1]["city"] == "Chiang Mai" or stored["2"][1]["city"] == "Chiang\nMai"
    quarantine = admin.list_quarantine("crm")
    assert sorted(q["reason"] for q in quarantine) == [
        "no usable identifier",
        "row has 6 fields, the header has 5",
    ]
    assert all(q["stage"] == "import" for q in quarantine)


def test_reimport_is_idempotent_and_changes_replace(admin, tmp_path):
    path = tmp_path / "crm.csv"
    path.write_text(CRM, encoding="utf-8")
    admin.import_file("crm", path, CRM_MAPPING)
    again = admin.import_file("crm", path, CRM_MAPPING)
    assert (again["records_stored"], again["unchanged"], again["newly_quarantined"]) == (0, 2, 0)
    assert len(records(admin)) == 2
    assert len(admin.list_quarantine("crm")) == 2, "the same bad rows are quarantined once"
    path.write_text(CRM.replace("Bangkok", "Phuket"), encoding="utf-8")
    changed = admin.import_file("crm", path, CRM_MAPPING)
    assert (changed["records_stored"], changed["unchanged"]) == (1, 1)
    assert records(admin)["1"][1]["city"] == "Phuket"
    assert len(records(admin)) == 2


def test_rows_without_record_id_are_keyed_by_content(admin, tmp_path):
    path = tmp_path / "list.csv"
    path.write_text("email\na@x.com\nb@x.com\na@x.com\n", encoding="utf-8")
    mapping = {"columns": {"email": "identifier:email"}}
    report = admin.import_file("crm", path, mapping)
    assert report["records_stored"] == 2, "an identical row within the file is one record"
    assert admin.import_file("crm", path, mapping)["records_stored"] == 0


def test_orders_file_yields_events_and_profiles(admin, tmp_path):
    path = tmp_path / "orders.csv"
    path.write_text(
        "order_id,email,product,quantity,price,ordered_at\n"
        "o1,a@x.com,Tea,2,4.50,2025-01-02T10:00:00+07:00\n"
        "o2,b@x.com,Rice,1,12,2025-01-03 09:30:00\n"
        "o3,c@x.com,Bowl,1,9.9,\n",
        encoding="utf-8",
    )
    mapping = {
        "event_name": "Order Completed",
        "timezone": "Asia/Bangkok",
        "columns": {
            "order_id": ["event:order_id", "record_id"],
            "email": "identifier:email",
            "product": "event:product",
            "quantity": "event:quantity",
            "price": "event:price",
            "ordered_at": "event:time",
        },
    }
    report = admin.import_file("crm", path, mapping)
    assert (report["events_stored"], report["quarantined"]) == (2, 1)
    assert report["reasons"] == {"event has no usable time": 1}
    events = {e["messageId"]: e for e in admin.recent_events("crm", 10)}
    assert events["o1"]["event"] == "Order Completed"
    assert events["o1"]["properties"] == {"order_id": "o1", "product": "Tea", "quantity": 2,
                                          "price": 4.5}  # fmt: skip
    assert events["o1"]["timestamp"].startswith("2025-01-02T03:00:00")
    assert events["o2"]["timestamp"].startswith("2025-01-03T02:30:00"), "naive time in the zone"
    external = [stored.plain_identifier(admin.ws, f"{e['type']}:{e['id']}")
                for e in events["o1"]["context"]["externalIds"]]  # fmt: skip
    assert "email:a@x.com" in external
    assert admin.import_file("crm", path, mapping)["events_stored"] == 0, "re-import is idempotent"
    assert admin.count_events("crm")["total"] == 2


def test_mapping_errors_are_clear(admin, tmp_path):
    path = tmp_path / "crm.csv"
    path.write_text(CRM, encoding="utf-8")
    with pytest.raises(MappingError, match="not in the file: phone"):
        admin.import_file("crm", path, {"columns": {"phone": "identifier:phone"}})
    with pytest.raises(MappingError, match="identifier type"):
        admin.import_file("crm", path, {"columns": {"email": "identifier:mail"}})
    with pytest.raises(MappingError, match="role must be"):
        admin.import_file("crm", path, {"columns": {"email": "id:email"}})
    history = admin.list_imports("crm")
    assert history == [], "a mapping refused before reading leaves no half-done import"


def test_import_history_records_each_run(admin, tmp_path):
    path = tmp_path / "crm.csv"
    path.write_text(CRM, encoding="utf-8")
    admin.import_file("crm", path, CRM_MAPPING)
    (run,) = admin.list_imports("crm")
    assert run["status"] == "completed" and run["rows_read"] == 4 and run["quarantined"] == 2


def test_quarantined_import_row_can_be_fixed_and_replayed(admin, tmp_path):
    path = tmp_path / "crm.csv"
    path.write_text(CRM, encoding="utf-8")
    admin.import_file("crm", path, CRM_MAPPING)
    (item,) = [q for q in admin.list_quarantine("crm") if q["reason"] == "no usable identifier"]
    with pytest.raises(ReplayError, match="still invalid: no usable identifier"):
        admin.replay_quarantined(item["quarantine_id"])
    fixed = {**json.loads(item["payload"])["values"], "customer_id": "9", "email": "n@x.com"}
    result = admin.replay_quarantined(item["quarantine_id"], fixed)
    assert result["stored"] == 1
    identifiers, traits, _ = records(admin)["9"]
    assert identifiers == {"customer_id": "9", "email": "n@x.com"}
    assert traits["first_name"] == "Malee"
    assert all(q["quarantine_id"] != item["quarantine_id"] for q in admin.list_quarantine("crm"))
    with pytest.raises(ReplayError, match="already replayed"):
        admin.replay_quarantined(item["quarantine_id"], fixed)
