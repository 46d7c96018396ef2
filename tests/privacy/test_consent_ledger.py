"""The ledger in a workspace: statements from events, traits, imports and the API; merges,
expiry, custom purposes, rebuilds and the first start after an upgrade."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest

from opencdp.admin import Admin
from opencdp.privacy import ledger
from opencdp.privacy.consent import UnknownPurpose
from opencdp.privacy.plaintext import reveal
from opencdp.sources.mapping import MappingError
from opencdp.workspace import Workspace
from tests.collecting import collect

NOW = datetime.now(UTC)


def ago(days: float) -> str:
    return (NOW - timedelta(days=days)).isoformat()


@pytest.fixture
def admin(workspace):
    admin = Admin(workspace)
    admin.create_source("web")
    admin.create_source("crm")
    return admin


def rows(admin, sql, params=None):
    return admin.ws.read(lambda con: con.execute(sql, params or []).fetchall())


def consent_of(admin, identifier):
    """purpose → status of the identifier's profile."""
    return {c["purpose"]: c["status"] for c in admin.get_consents(identifier)["consents"]}


def statements(admin, purpose=None):
    """The ledger's statements, identifiers as typed (through the vault when encrypted)."""
    found = rows(admin, "SELECT subject_type || ':' || subject_value, purpose, granted, source"
                 " FROM consent_ledger WHERE ($p::VARCHAR IS NULL OR purpose = $p)"
                 " ORDER BY statement_id", {"p": purpose})  # fmt: skip
    return revealed(admin, found)


def revealed(admin, found):
    """Rows with stored pseudonyms put back as typed (unchanged when encryption is off)."""
    return [tuple(r) for r in admin.ws.read(
        lambda con: reveal(con, admin.ws.personal, [list(r) for r in found]))]  # fmt: skip


def test_segment_category_preferences_are_recorded_once_per_change(admin):
    prefs = {"Advertising": True, "Analytics": False, "Functional": True, "DataSharing": False}
    collect(admin, [
        {"type": "page", "userId": "u1", "anonymousId": "a1", "name": "Home", "timestamp": ago(3),
         "context": {"consent": {"categoryPreferences": prefs}}},
        # Segment's sources send the same object with every event: nothing new is stated
        *[{"type": "track", "userId": "u1", "event": "Viewed", "timestamp": ago(2.9 - i / 10),
           "context": {"consent": {"categoryPreferences": prefs}}} for i in range(5)],
        {"type": "track", "userId": "u1", "event": "Viewed", "timestamp": ago(1),
         "context": {"consent": {"categoryPreferences": {**prefs, "Analytics": True}}}},
    ])  # fmt: skip
    admin.ws.profiles.catch_up()
    assert statements(admin) == [
        ("user_id:u1", "advertising", True, "event"),
        ("user_id:u1", "analytics", False, "event"),
        ("user_id:u1", "personalisation", True, "event"),
        ("user_id:u1", "sale_of_data", False, "event"),
        ("user_id:u1", "analytics", True, "event"),
    ]
    # the same answers under a new privacy policy are new statements
    collect(admin, [{"type": "track", "userId": "u1", "event": "Viewed", "timestamp": ago(0.5),
                     "context": {"consent": {"categoryPreferences": {**prefs, "Analytics": True},
                                             "policyVersion": "2026-01"}}}])  # fmt: skip
    admin.ws.profiles.catch_up()
    assert rows(admin, "SELECT policy_version FROM consent_ledger WHERE purpose = 'analytics'"
                " ORDER BY statement_id") == [(None,), (None,), ("2026-01",)]  # fmt: skip
    assert len(statements(admin)) == 9
    assert consent_of(admin, "anonymous_id:a1") == {
        "advertising": "granted", "analytics": "granted", "personalisation": "granted",
        "sale_of_data": "denied"}  # fmt: skip
    seqs = rows(admin, "SELECT DISTINCT c.seq IS NOT NULL AND e.seq IS NOT NULL"
                " FROM consent_ledger c LEFT JOIN events e USING (seq)")  # fmt: skip
    assert seqs == [(True,)], "every statement names the event it came from"


def test_consent_traits_keep_working_as_statements(admin):
    collect(admin, [
        {"type": "identify", "userId": "u2", "timestamp": ago(5),
         "traits": {"email": "bo@x.com", "email_opt_in": True, "sms_consent": "no",
                    "consents": {"ads": {"granted": True, "expires_at": ago(-30),
                                         "legal_basis": "Legitimate interest",
                                         "policy_version": "v7"}}}},
        {"type": "identify", "userId": "u2", "timestamp": ago(1),
         "traits": {"emailOptIn": False}},
    ])  # fmt: skip
    admin.ws.profiles.catch_up()
    assert consent_of(admin, "email:bo@x.com") == {
        "email_marketing": "denied", "sms_marketing": "denied", "advertising": "granted"}
    ads = admin.get_consents("user_id:u2", "advertising")["consents"][0]
    assert ads["legal_basis"] == "legitimate_interest" and ads["expires_at"] is not None
    assert rows(admin, "SELECT policy_version FROM consent_ledger WHERE purpose = 'advertising'"
                ) == [("v7",)]  # fmt: skip


def test_merged_profiles_combine_by_the_conservative_rule(admin):
    # a device declines advertising; the person later signs in on it
    collect(admin, [
        {"type": "page", "anonymousId": "dev1", "name": "Home", "timestamp": ago(10),
         "context": {"consent": {"categoryPreferences": {"Advertising": False}}}},
        {"type": "identify", "userId": "u3", "timestamp": ago(20),
         "traits": {"email": "cy@x.com", "consent_advertising": True}},
        {"type": "identify", "anonymousId": "dev1", "userId": "u3", "timestamp": ago(9)},
    ])  # fmt: skip
    admin.ws.profiles.catch_up()
    # the account's grant is older than the device's denial: the denial stands
    assert consent_of(admin, "user_id:u3")["advertising"] == "denied"
    # a newer grant through another identifier (the e-mail) does not lift it
    admin.state_consent("email:cy@x.com", "advertising", True, stated_at=ago(5))
    assert consent_of(admin, "user_id:u3")["advertising"] == "denied"
    # a newer grant by the person's account does
    found = admin.state_consent("user_id:u3", "ads", True, stated_at=ago(4), note="settings page")
    assert found["consent"]["status"] == "granted" and found["consent"]["subject"] == "user_id:u3"
    # ... until any identifier denies again, later
    admin.state_consent("anonymous_id:dev1", "advertising", False)
    assert consent_of(admin, "user_id:u3")["advertising"] == "denied"
    history = admin.consent_history("cy@x.com", "advertising")
    assert [(h["subject"], h["granted"]) for h in history] == [
        ("anonymous_id:dev1", False), ("user_id:u3", True), ("email:cy@x.com", True),
        ("anonymous_id:dev1", False), ("user_id:u3", True)]  # fmt: skip


def test_expired_grants_do_not_count(admin):
    collect(admin, [{"type": "identify", "userId": "u4", "traits": {"email": "di@x.com"}}])
    admin.ws.profiles.catch_up()
    admin.state_consent("email:di@x.com", "email", True, stated_at=ago(40))
    lapsing = admin.state_consent("user_id:u4", "email", True, stated_at=ago(10),
                                  expires_at=ago(-1))  # fmt: skip
    assert lapsing["consent"]["status"] == "granted"
    assert lapsing["consent"]["expires_at"] is None  # the e-mail's grant does not lapse
    admin.state_consent("email:di@x.com", "sms", True, stated_at=ago(3), expires_at=ago(1))
    assert consent_of(admin, "user_id:u4") == {"email_marketing": "granted",
                                               "sms_marketing": "expired"}  # fmt: skip
    # the scheduled job re-derives lapsed rows: the account's lapse leaves the e-mail's grant
    later = NOW + timedelta(days=2)
    admin.ws.write(lambda con: ledger.derive_profiles(
        con, [r[0] for r in con.execute("SELECT profile_id FROM profile_consents").fetchall()],
        now=later))  # fmt: skip
    assert revealed(admin, rows(admin, "SELECT purpose, granted, subject FROM profile_consents"
                                       " ORDER BY 1")) == [
        ("email_marketing", True, "email:di@x.com"), ("sms_marketing", False, "email:di@x.com")]
    assert admin.ws.write(lambda con: ledger.expire_grants(con, now=later)) == []


def test_expiry_job_rewrites_lapsed_rows_and_segments_follow(admin):
    collect(admin, [{"type": "identify", "userId": "u5", "traits": {"email": "ed@x.com"}}])
    admin.ws.profiles.catch_up()
    admin.create_segment("mailable", 'consent("email")')
    expires = datetime.now(UTC) + timedelta(seconds=1)
    admin.state_consent("user_id:u5", "email", True, stated_at=ago(2),
                        expires_at=expires.isoformat())  # fmt: skip
    assert admin.segment_members("mailable")["count"] == 1
    # exits check the expiry themselves, the job then tidies the table and the segments
    time.sleep(max(0.0, (expires - datetime.now(UTC)).total_seconds()) + 0.05)  # the clock
    assert admin.segment_members("mailable", purpose="email")["count"] == 0
    assert admin.ws.schedule.run_once()["consent_expiry"] == "ok"
    assert rows(admin, "SELECT granted FROM profile_consents") == [(False,)]
    assert admin.segment_members("mailable")["count"] == 0


def test_imported_consent_columns(admin, tmp_path):
    admin.add_purpose("loyalty_programme", "points and member offers", ["C0009"])
    path = tmp_path / "crm.csv"
    path.write_text("id,email,newsletter,loyal,ads\n1,fa@x.com,yes,はい,no\n"
                    "2,gu@x.com,no,,ja\n", encoding="utf-8")  # fmt: skip
    mapping = {"columns": {
        "id": "record_id", "email": "identifier:email",
        "newsletter": {"role": "consent", "name": "newsletter", "legal_basis": "contract",
                       "policy_version": "crm-3"},
        "loyal": "consent:C0009", "ads": "consent:advertising"}}  # fmt: skip
    admin.import_file("crm", path, mapping)
    admin.ws.profiles.catch_up()
    assert consent_of(admin, "email:fa@x.com") == {
        "email_marketing": "granted", "loyalty_programme": "granted", "advertising": "denied"}
    mail = admin.get_consents("email:gu@x.com", "email_marketing")
    assert mail["consents"][0]["status"] == "denied"
    assert (mail["history"][0]["source"], mail["history"][0]["legal_basis"],
            mail["history"][0]["policy_version"]) == ("import", "contract", "crm-3")
    assert mail["history"][0]["subject"].startswith("source_record:")
    # the same file again states nothing new
    before = len(statements(admin))
    admin.import_file("crm", path, mapping)
    admin.ws.profiles.catch_up()
    assert len(statements(admin)) == before
    with pytest.raises(MappingError, match="unknown purpose 'spam'"):
        admin.import_file("crm", path, {"columns": {"email": "identifier:email",
                                                    "ads": "consent:spam"}})  # fmt: skip


def test_custom_purposes_in_events_segments_and_destinations(admin, tmp_path):
    with pytest.raises(UnknownPurpose):
        admin.state_consent("user_id:u6", "research", True)
    admin.add_purpose("research", "product research panels", ["C0042"])
    collect(admin, [{"type": "track", "userId": "u6", "event": "Joined",
                     "context": {"consent": {"categoryPreferences": {"C0042": True}}}},
                    {"type": "track", "userId": "u7", "event": "Joined"}])  # fmt: skip
    admin.ws.profiles.catch_up()
    assert consent_of(admin, "user_id:u6") == {"research": "granted"}
    segment = admin.create_segment("panel", 'did("Joined") and consent("C0042")')
    assert segment["member_count"] == 1
    admin.create_destination("panel-file", "file", "panel", "research",
                             {"path": str(tmp_path), "format": "jsonl", "traits": []})
    assert admin.sync_destination("panel-file")["sent"] == 1
    listed = {p["purpose"]: p for p in admin.list_purposes()}
    assert listed["research"]["aliases"] == ["c0042"] and not listed["research"]["builtin"]
    assert "newsletter" in listed["email_marketing"]["aliases"]
    with pytest.raises(ValueError, match="already names"):
        admin.add_purpose("loyal", aliases=["C0042"])


def test_a_rebuild_derives_the_same_consent_without_new_statements(admin):
    collect(admin, [
        {"type": "identify", "userId": "u8", "anonymousId": "a8", "timestamp": ago(3),
         "traits": {"email": "ha@x.com", "email_opt_in": True}},
        {"type": "page", "anonymousId": "a8", "name": "Home", "timestamp": ago(2),
         "context": {"consent": {"categoryPreferences": {"Advertising": False}}}},
    ])  # fmt: skip
    admin.ws.profiles.catch_up()
    admin.state_consent("email:ha@x.com", "sms", True)
    snapshot = rows(admin, "SELECT * FROM profile_consents ORDER BY 1, 2")
    count = len(statements(admin))
    admin.rebuild_identity()
    assert rows(admin, "SELECT * FROM profile_consents ORDER BY 1, 2") == snapshot
    assert len(statements(admin)) == count


def test_the_first_start_after_an_upgrade_fills_the_ledger_from_the_log(settings):
    with Workspace(settings) as ws:
        admin = Admin(ws)
        admin.create_source("web")
        collect(admin, [{"type": "identify", "userId": "u9", "timestamp": ago(2),
                         "traits": {"email_opt_in": True}}])  # fmt: skip
        ws.profiles.catch_up()

        def forget(con):  # as a data directory from before the ledger looks
            con.execute("DELETE FROM consent_ledger")
            con.execute("DELETE FROM profile_consents")
            con.execute("DELETE FROM derived_cursors WHERE stage = 'consent_ledger'")

        ws.write(forget)
    with Workspace(settings) as ws:
        ws.profiles.catch_up()
        assert consent_of(Admin(ws), "user_id:u9") == {"email_marketing": "granted"}


def test_statements_the_api_refuses(admin):
    with pytest.raises(ValueError, match="type:value"):
        admin.state_consent("ann@x.com", "email", True)
    with pytest.raises(ValueError, match="not a usable email"):
        admin.state_consent("email:not-an-address", "email", True)
    with pytest.raises(ValueError, match="future"):
        admin.state_consent("user_id:u1", "email", True, stated_at=ago(-1))
    with pytest.raises(ValueError, match="does not expire"):
        admin.state_consent("user_id:u1", "email", False, expires_at=ago(-3))
    with pytest.raises(ValueError, match="legal basis"):
        admin.state_consent("user_id:u1", "email", True, legal_basis="because")
    with pytest.raises(UnknownPurpose):
        admin.state_consent("user_id:u1", "telepathy", True)
    assert statements(admin) == []
    # an identifier no profile has yet: recorded, and shown by the same rule
    found = admin.state_consent("email:New@X.com", "email", True)
    assert found["profile_id"] is None and found["statement"]["subject"] == "email:new@x.com"
    assert consent_of(admin, "email:new@x.com") == {"email_marketing": "granted"}
    collect(admin, [{"type": "identify", "userId": "u10", "traits": {"email": "new@x.com"}}])
    admin.ws.profiles.catch_up()
    assert consent_of(admin, "user_id:u10") == {"email_marketing": "granted"}
