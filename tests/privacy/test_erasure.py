"""Erasure end to end on a real workspace: nothing of the person is left in any table, later
events and imports with their identifiers are dropped, other people are untouched."""

from __future__ import annotations

import json

import orjson
import pyarrow as pa
import pyarrow.csv as pa_csv
import pytest

from opencdp.admin import Admin
from opencdp.identity.model import Identifier
from opencdp.privacy.journal import entries, journal_path
from opencdp.sources.mapping import parse_mapping
from opencdp.sources.store import BatchToStore
from opencdp.sources.transform import prepare_batch
from tests.collecting import collect
from tests.privacy.people import ANN, BOB, CRM_MAPPING, crm_csv, populate, scan, web_messages


@pytest.fixture
def admin(workspace):
    return Admin(workspace)


def test_erasure_leaves_nothing_of_the_person(admin, tmp_path):
    ids = populate(admin, tmp_path)
    assert scan(admin, ANN.values), "the scan finds Ann before erasure"
    before_bob = admin.get_profile(BOB.user_id)
    admin.privacy_export(ANN.email)  # a stored access export, to be deleted too

    request = admin.privacy_erase(ANN.phone)  # any identifier finds the whole person

    assert request["status"] == "completed"
    receipt = request["receipt"]
    assert receipt["found"] and receipt["profiles"] >= 1
    for table in ("events", "profiles", "profile_events", "identity_links", "source_records",
                  "quarantine", "segment_members", "destination_state", "profile_predictions"):
        assert receipt["tables"].get(table, 0) > 0, table
    assert receipt["dead_letters"] == {"rewritten": 1}
    assert receipt["exports_deleted"] == 1
    assert {f["destination"] for f in receipt["files"]} == {"crm-file", "ads"}
    assert set(receipt["destinations_to_notify"]) == {"crm-file", "ads"}
    assert scan(admin, ANN.values) == {}, "no table holds any of Ann's values"
    assert scan(admin, [ids["ann"]]) == {}, "nor her profile id"

    # files opencdp wrote hold nothing of her, Bob's rows stay
    out = tmp_path / "out"
    text = "".join(p.read_text() for p in out.iterdir())
    assert ANN.email not in text and ANN.first_name not in text
    from opencdp.activate.matching import hashed

    assert hashed(ANN.email) not in text and hashed(BOB.email) in text
    assert BOB.email in text

    # the live identity graph forgot her without a rebuild
    graph = admin.ws.identity.graph
    assert graph is not None

    def stored(kind: str, value: str) -> Identifier:  # the pseudonym, when encrypted
        return Identifier(kind, admin.ws.personal.identifier(f"{kind}:{value}").partition(":")[2])

    assert graph.profile_of(stored("email", ANN.email)) is None
    assert graph.profile_of(stored("user_id", BOB.user_id)) == ids["bob"]

    # Bob is untouched (but for the one event that carried Ann's anonymous id)
    after_bob = admin.get_profile(BOB.user_id)
    assert after_bob["identifiers"] == before_bob["identifiers"]
    assert after_bob["traits"]["email"]["value"] == BOB.email
    assert after_bob["segments"] == before_bob["segments"]

    # the journal keeps hashes only
    journal = journal_path(admin.ws.settings).read_text()
    assert all(v.lower() not in journal.lower() for v in ANN.values)
    (entry,) = entries(admin.ws.settings)
    assert entry.request_id == request["request_id"] and len(entry.hashes) >= 6
    assert all(v.lower() not in json.dumps(request).lower() for v in ANN.values)


def test_later_events_and_imports_of_the_erased_person_are_dropped(admin, tmp_path):
    populate(admin, tmp_path)
    admin.privacy_erase(ANN.email)
    before = admin.count_events()["total"]
    collect(admin, [
        *web_messages(ANN, days=1),
        {"type": "track", "anonymousId": "anon-new-1", "event": "X", "timestamp": "2025-01-01",
         "context": {"traits": {"email": ANN.email.upper()}}},  # hygiene lower-cases it
        {"type": "track", "userId": BOB.user_id, "event": "Still here"},
    ])  # fmt: skip
    assert admin.count_events()["total"] == before + 1, "only Bob's event is stored"
    path = tmp_path / "crm2.csv"
    path.write_text(crm_csv(ANN, BOB), encoding="utf-8")
    report = admin.import_file("crm", path, CRM_MAPPING)
    assert report["records_stored"] == 0, "Bob's record is unchanged, Ann's dropped"
    admin.ws.bring_current()
    assert scan(admin, ANN.values) == {}
    drops = {(d["stage"]): d["dropped"] for d in admin.suppression_status()["drops"]}
    assert drops["collect"] == len(web_messages(ANN)) + 1
    assert drops["import"] == 1
    # a rebuild from the log does not bring her back either
    admin.rebuild_identity()
    assert scan(admin, ANN.values) == {}
    assert admin.get_profile(BOB.email)["profile_id"]


def test_erasing_an_unknown_identifier_suppresses_it(admin):
    admin.create_source("web")
    request = admin.privacy_erase("stranger.q@siam-mail.co.th")
    assert request["status"] == "completed"
    assert request["receipt"]["found"] is False
    assert request["receipt"]["suppressed_identifiers"] == 1
    stranger = {"email": "stranger.q@siam-mail.co.th"}
    collect(admin, [{"type": "identify", "userId": "n1", "traits": stranger}])
    assert admin.count_events()["total"] == 0


def test_a_shared_device_is_not_erased_with_the_first_person_who_used_it(admin):
    """A kiosk tablet refused by many profiles is nobody's identifier: erasing the first
    person seen on it keeps the others' events with it, and it is not suppressed."""
    admin.create_source("web")
    kiosk = {"device": {"id": "kiosk-7"}}
    collect(admin, [{"type": "track", "userId": f"shopper-{i}", "event": "Checked In",
                     "context": kiosk} for i in range(12)])  # fmt: skip
    admin.ws.bring_current()
    shared = admin.ws.read(lambda con: con.execute(
        "SELECT count(*) FROM identity_violations WHERE rule = 'shared_value'").fetchone()[0])
    assert shared, "identity found the kiosk shared"
    receipt = admin.privacy_erase("shopper-0")["receipt"]
    assert receipt["identifiers"] == {"user_id": 1} and receipt["tables"]["events"] == 1
    assert admin.count_events()["total"] == 11
    collect(admin, [{"type": "track", "userId": "shopper-99", "event": "Checked In",
                     "context": kiosk}])  # fmt: skip
    assert admin.count_events()["total"] == 12, "the kiosk is not suppressed"


def test_work_validated_before_an_erasure_and_written_after_it_is_dropped(admin, tmp_path):
    """A request the collector validated (or an import batch prepared) just before the
    erasure committed reaches the writer after it: the writer screens it again."""
    populate(admin, tmp_path)
    ws = admin.ws
    key = admin.get_source("web")["write_key"]
    body = orjson.dumps({"writeKey": key, "batch": [
        {"type": "track", "userId": ANN.user_id, "event": "In flight"},
        {"type": "track", "userId": BOB.user_id, "event": "In flight"}]})  # fmt: skip
    _, ingest = ws.collector.prepare(body, authorization=None, content_encoding=None,
                                     type_hint=None, client_ip=None)  # fmt: skip
    table = pa_csv.read_csv(pa.py_buffer(crm_csv(ANN, BOB).encode()),
                            convert_options=pa_csv.ConvertOptions(column_types={
                                c: pa.string() for c in CRM_MAPPING["columns"]}))  # fmt: skip
    crm = admin.get_source("crm")["source_id"]
    prepared = prepare_batch(table.to_batches()[0], parse_mapping(CRM_MAPPING), crm, 2)
    batch = ws._screen_batch(BatchToStore(crm, "imp_late", prepared))
    assert len(ingest.records) == 2 and batch.prepared.records.num_rows == 2

    admin.privacy_erase(ANN.email)
    before = admin.count_events()["total"]
    assert ws.collector.submit(ingest).result().stored == 1, "only Bob's event"
    stored = ws.writer.submit(ws.source_records, batch, weight=batch.weight).result()
    assert stored.suppressed == 1
    assert admin.count_events()["total"] == before + 1
    ws.bring_current()
    assert scan(admin, ANN.values) == {}


def test_files_of_a_deleted_or_moved_destination_are_still_scrubbed(admin, tmp_path):
    """Deleting a destination (or pointing it at another folder) leaves the files its syncs
    wrote where they are; the folder is remembered and every later erasure scrubs it."""
    populate(admin, tmp_path)
    out = tmp_path / "out"
    admin.delete_destination("crm-file")
    admin.ws.privacy.remember_folders("ads")  # what configuring a new path does first
    moved = tmp_path / "moved"
    admin.ws.write(lambda con: con.execute(
        "UPDATE destinations SET config = json_object('path', ?) WHERE name = 'ads'",
        [str(moved)]))  # fmt: skip

    receipt = admin.privacy_erase(ANN.email)["receipt"]

    assert {f["destination"] for f in receipt["files"]} == {"crm-file", "ads"}
    text = "".join(p.read_text() for p in out.iterdir())
    from opencdp.activate.matching import hashed

    assert ANN.email not in text and hashed(ANN.email) not in text
    assert BOB.email in text and hashed(BOB.email) in text
