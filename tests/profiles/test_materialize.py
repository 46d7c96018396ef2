"""Materialised profiles: events placed on their profile, golden traits, consents, merges."""

from __future__ import annotations

import json

import pytest

from opencdp.admin import Admin
from opencdp.profiles.lookup import find_profile_id
from tests.collecting import collect


@pytest.fixture
def admin(workspace):
    admin = Admin(workspace)
    admin.create_source("web", default_region="TH")
    admin.create_source("crm")
    return admin


def rows(admin, sql, params=None):
    return admin.ws.read(lambda con: con.execute(sql, params or []).fetchall())


def profile_of(admin, kind, value):
    # by lookup, not by the stored value: a pseudonym when field encryption is on
    return admin.ws.read(lambda con: find_profile_id(con, f"{kind}:{value}"))


def test_events_traits_and_consents_follow_merges(admin):
    collect(admin, [
        {"type": "identify", "anonymousId": "a1", "timestamp": "2026-01-01T00:00:00Z",
         "traits": {"email": "ann@x.com", "country": "TH", "email_opt_in": True}},
        {"type": "track", "anonymousId": "a2", "event": "Order Completed",
         "timestamp": "2026-01-02T00:00:00Z", "properties": {"total": 50}},
        {"type": "track", "anonymousId": "a1", "event": "Order Completed",
         "timestamp": "2026-01-03T00:00:00Z", "properties": {"total": 20},
         "context": {"consent": {"categoryPreferences": {"Advertising": False}}}},
    ])  # fmt: skip
    admin.ws.profiles.catch_up()
    a1, a2 = profile_of(admin, "anonymous_id", "a1"), profile_of(admin, "anonymous_id", "a2")
    assert a1 != a2
    assert rows(admin, "SELECT count(*) FROM profiles") == [(2,)]
    placed = dict(rows(admin, "SELECT seq, profile_id FROM profile_events"))
    assert sorted(placed.values()) == sorted([a1, a2, a1])
    consents = rows(admin, "SELECT purpose, granted, origin FROM profile_consents"
                    " WHERE profile_id = ? ORDER BY purpose", [a1])  # fmt: skip
    assert consents == [("advertising", False, "event"), ("email_marketing", True, "event")]

    # a2 identifies with the same e-mail: the two profiles merge, events follow the survivor
    collect(admin, [{"type": "identify", "anonymousId": "a2", "timestamp": "2026-01-04T00:00:00Z",
                     "traits": {"email": "ann@x.com", "country": "JP"}}])  # fmt: skip
    changes = admin.ws.profiles.catch_up()
    survivor = profile_of(admin, "anonymous_id", "a2")
    assert survivor == profile_of(admin, "anonymous_id", "a1")
    gone = ({a1, a2} - {survivor}).pop()
    assert changes.removed == [gone] and survivor in changes.touched
    assert rows(admin, "SELECT DISTINCT profile_id FROM profile_events") == [(survivor,)]
    assert rows(admin, "SELECT profile_id, traits ->> 'country', first_seen::DATE::VARCHAR,"
                " last_seen::DATE::VARCHAR FROM profiles") == [
        (survivor, "JP", "2026-01-01", "2026-01-04")]  # fmt: skip
    assert rows(admin, "SELECT count(*) FROM profile_consents WHERE profile_id = ?",
                [gone]) == [(0,)]  # fmt: skip


def test_rederive_gives_the_same_tables_as_catching_up(admin, tmp_path):
    path = tmp_path / "crm.csv"
    path.write_text("customer_id,email,first_name,consent_sms\n"
                    "c1,ann@x.com,Ann,yes\nc2,bob@x.com,Bob,no\n", encoding="utf-8")  # fmt: skip
    mapping = {"columns": {"customer_id": ["identifier:customer_id", "record_id"],
                           "email": "identifier:email", "first_name": "trait:first_name",
                           "consent_sms": "trait:consent_sms"}}  # fmt: skip
    collect(admin, [{"type": "identify", "userId": "u1", "traits": {"email": "ann@x.com"}},
                    {"type": "track", "userId": "u1", "event": "Signed Up"}])  # fmt: skip
    admin.ws.profiles.catch_up()
    admin.import_file("crm", path, mapping)
    collect(admin, [{"type": "page", "anonymousId": "z9", "name": "Home"},
                    {"type": "identify", "userId": "u2", "traits": {"email": "bob@x.com"}}])
    admin.ws.profiles.catch_up()

    def snapshot():
        return {
            "profiles": rows(admin, "SELECT profile_id, traits::VARCHAR, first_seen, last_seen"
                             " FROM profiles ORDER BY 1"),
            "events": rows(admin, "SELECT * FROM profile_events ORDER BY seq"),
            "consents": rows(admin, "SELECT * FROM profile_consents ORDER BY 1, 2"),
        }  # fmt: skip

    live = snapshot()
    ann = profile_of(admin, "email", "ann@x.com")
    assert dict((p, t) for p, t, *_ in live["profiles"])[ann] is not None
    golden = json.loads(dict((p, t) for p, t, *_ in live["profiles"])[ann])
    assert admin.ws.personal.open(golden["first_name"]) == "Ann"  # sealed when encrypted
    assert ("sms_marketing", True) in [(c[1], c[2]) for c in live["consents"] if c[0] == ann]
    admin.ws.profiles.rederive()
    again = snapshot()
    for part in live:
        assert again[part] == live[part], part
    admin.rebuild_identity()
    assert snapshot() == live


def test_compaction_restores_event_order_without_changing_the_rows(admin):
    from opencdp.profiles.event_order import compact

    names = ["Signed In", "Order Completed", "Added to Cart"]
    collect(admin, [{"type": "track", "userId": f"u{i % 3}", "event": names[i % 3],
                     "timestamp": f"2026-01-{1 + i:02d}T00:00:00Z"} for i in range(9)])  # fmt: skip
    admin.ws.profiles.catch_up()
    admin.ws.profiles.rederive()  # a rebuild writes in order
    ordered = 'SELECT event, "timestamp" FROM profile_events'
    first = rows(admin, ordered)
    assert len(first) == 9 and first == sorted(first)
    collect(admin, [{"type": "track", "userId": "u1", "event": "Added to Cart",
                     "timestamp": "2026-02-01T00:00:00Z"}])  # fmt: skip
    admin.ws.profiles.catch_up()
    appended = rows(admin, ordered)
    assert appended != sorted(appended)  # the live event went to the end
    before = sorted(rows(admin, "SELECT * FROM profile_events"))
    assert admin.ws.write(lambda con: compact(con, min_share=0.5))["rewritten"] == 0
    assert admin.ws.write(lambda con: compact(con, min_share=0.0))["rewritten"] == 10
    assert rows(admin, ordered) == sorted(appended)
    assert sorted(rows(admin, "SELECT * FROM profile_events")) == before
