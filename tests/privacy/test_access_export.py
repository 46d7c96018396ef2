"""The access export covers every table: each table of the database is classified, and what
erasure deletes of a person their export showed them first."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime, timedelta

import pytest

from opencdp.admin import Admin
from opencdp.privacy import catalog
from tests.privacy.people import ANN, BOB, populate


@pytest.fixture
def admin(workspace):
    return Admin(workspace)


def test_every_table_is_classified(admin):
    """A table added later (by any stage) fails here until it is exported and erased, or listed
    as not per-person, in `opencdp.privacy.catalog`."""
    unclassified = admin.ws.read(catalog.unclassified)
    assert unclassified == [], (
        f"tables {unclassified} hold no profile_id column and are not classified in"
        " opencdp/privacy/catalog.py: decide whether they hold per-person data"
    )
    present = set(admin.ws.read(catalog.tables))
    listed = catalog.PERSONAL.keys() | catalog.KEPT.keys() | catalog.NOT_PERSONAL.keys()
    assert not (catalog.PERSONAL.keys() & (catalog.KEPT.keys() | catalog.NOT_PERSONAL.keys()))
    assert listed - present <= {"audit_log", "audit_alerts", "users", "api_tokens",
                                "consent_ledger", "consent_purposes"}, "stale names"


def test_export_shows_everything_erasure_deletes(admin, tmp_path):
    ids = populate(admin, tmp_path)
    result = admin.privacy_export(ANN.customer_id)
    document = result["export"]
    assert document["format"] == "opencdp-access-export/1"
    assert document["subject"]["profile_ids"][0] == ids["ann"]
    sections = {key for key, value in document.items() if value}
    receipt = admin.privacy_erase(ANN.email)["receipt"]
    for table, deleted in receipt["tables"].items():
        section = catalog.PERSONAL.get(table, "other_tables")
        assert deleted and section in sections, f"{table}: erased {deleted} rows, not exported"
    # the sections hold Ann's data, and none of Bob's
    text = json.dumps(document, ensure_ascii=False)
    for value in ANN.values:
        assert value in text, value
    for value in (BOB.email, BOB.phone, BOB.customer_id, BOB.first_name, BOB.user_id):
        assert value not in text, value
    assert document["traits"]["email"]["value"] == ANN.email
    assert document["traits"]["email"]["origin"] in ("event", "record"), "traits with lineage"
    assert {e["type"] for e in document["events"]} >= {"page", "identify", "track", "alias"}
    assert document["records"] and document["quarantine"] and document["consent_ledger"]
    assert document["segments"][0]["segment"] == "buyers"
    assert document["predictions"][0]["prediction"] == "churn"
    assert document["destinations"]["held_by"] and document["destinations"]["undelivered"]
    assert document["privacy_requests"][0]["kind"] == "access"
    assert document["computed_traits"]["values"]["orders"] >= 1


def test_the_stored_export_is_served_until_the_person_is_erased(admin, tmp_path):
    populate(admin, tmp_path)
    request = admin.privacy_export(ANN.email)["request"]
    assert request["status"] == "completed" and request["due_at"] > request["received_at"]
    stored = admin.privacy_request_export(request["request_id"])
    assert stored["subject"]["identifiers"]
    path = admin.ws.settings.data_dir / request["receipt"]["export"]
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    admin.privacy_erase(ANN.email)
    with pytest.raises(LookupError):
        admin.privacy_request_export(request["request_id"])
    # the request itself remains, as a keyed hash: proof it was answered
    listed = admin.privacy_requests(kind="access")
    assert listed[0]["request_id"] == request["request_id"]
    assert ANN.email not in json.dumps(listed)


def test_a_table_someone_adds_is_exported_and_erased_by_profile_id(admin, tmp_path):
    ids = populate(admin, tmp_path)
    admin.ws.write(lambda con: con.execute(
        "CREATE TABLE loyalty_points (profile_id VARCHAR, points INTEGER);"
        " INSERT INTO loyalty_points VALUES ($ann, 120), ($bob, 7)", ids))  # fmt: skip
    admin.ws.write(lambda con: con.execute("CREATE TABLE notes (author VARCHAR, text VARCHAR)"))
    assert admin.ws.read(catalog.unclassified) == ["notes"]
    document = admin.privacy_export(ANN.email)["export"]
    assert document["other_tables"] == {"loyalty_points": [{"profile_id": ids["ann"],
                                                            "points": 120}]}  # fmt: skip
    receipt = admin.privacy_erase(ANN.email)["receipt"]
    assert receipt["tables"]["loyalty_points"] == 1
    left = admin.ws.read(lambda con: con.execute("SELECT points FROM loyalty_points").fetchall())
    assert left == [(7,)]


def test_access_to_an_unknown_identifier_says_nothing_is_held(admin):
    document = admin.privacy_export("user_id:nobody-here")["export"]
    assert document["note"] == "no data is held about this identifier"
    assert document["events"] == [] and document["profile"] is None


def test_other_peoples_events_are_shown_only_as_a_mention(admin, tmp_path):
    """Bob signed in on Ann's laptop: the event carried her anonymous id, so it is erased
    with her, but her copy (Art. 15(4)) shows only that it exists, when, and which of her
    identifiers it carried — not Bob's user id or what he did."""
    ids = populate(admin, tmp_path)
    document = admin.privacy_export(ANN.email)["export"]
    text = json.dumps(document, ensure_ascii=False)
    assert BOB.user_id not in text and "Signed In" not in text
    (mention,) = document["mentioned_in_others_events"]
    assert set(mention) == {"seq", "timestamp", "carried"}
    assert mention["carried"] == [f"anonymous_id:{ANN.anonymous[0]}"]
    assert all(e["profile_id"] != ids["bob"] for e in document["events"])
    assert mention["seq"] not in {e["seq"] for e in document["events"]}
    assert document["mentioned_in_others_records"] == []
    receipt = admin.privacy_erase(ANN.email)["receipt"]
    assert receipt["other_profiles_rederived"] == 1, "the event itself is still erased"


def test_stored_exports_expire(admin):
    request = admin.privacy_export("nobody.here@siam-mail.co.th")["request"]
    data_dir = admin.ws.settings.data_dir
    path = data_dir / request["receipt"]["export"]
    orphan = path.with_name("pr_from_an_older_backup.json")  # no request knows it
    orphan.write_text("{}")
    os.utime(orphan, (0, 0))
    privacy = admin.ws.privacy
    assert admin.ws.settings.privacy_export_days == 30
    assert privacy.expire_exports() == ["pr_from_an_older_backup"]
    assert path.exists()
    later = datetime.now(UTC) + timedelta(days=31)
    assert privacy.expire_exports(later) == [request["request_id"]]
    assert not path.exists()
    with pytest.raises(LookupError):
        admin.privacy_request_export(request["request_id"])
    receipt = admin.privacy_request(request["request_id"])["receipt"]
    assert "export" not in receipt and receipt["export_expired_at"] == later.isoformat()
    assert privacy.scheduled() == {"retried": 0, "exports_expired": 0}
