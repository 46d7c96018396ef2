"""Retention policies: events and records past their age are deleted by source and event, the
golden records follow, the scheduler applies them."""

from __future__ import annotations

import pytest

from opencdp.admin import Admin
from opencdp.collect.sources import SourceNotFound
from opencdp.privacy.retention import RetentionPolicyNotFound, parse_age
from tests.collecting import collect
from tests.privacy.people import ago


@pytest.fixture
def admin(workspace):
    admin = Admin(workspace)
    admin.create_source("web")
    admin.create_source("crm")
    return admin


def events_of(admin):
    return admin.ws.read(lambda con: con.execute(
        "SELECT type, coalesce(event, name) FROM events ORDER BY seq").fetchall())  # fmt: skip


def traits_of(admin, identifier):
    return {k: v["value"] for k, v in admin.get_profile(identifier)["traits"].items()}


@pytest.mark.parametrize(("text", "days"), [("90", 90), ("90d", 90), ("12w", 84), ("6m", 180),
                                            ("2y", 730), (30, 30)])  # fmt: skip
def test_ages(text, days):
    assert parse_age(text) == days


@pytest.mark.parametrize("text", ["", "0d", "-3", "soon", "3h"])
def test_bad_ages(text):
    with pytest.raises(ValueError, match="max age"):
        parse_age(text)


def test_old_events_and_records_are_deleted_and_profiles_follow(admin, tmp_path):
    collect(admin, [
        {"type": "identify", "userId": "u1", "timestamp": ago(400),
         "traits": {"plan": "gold", "city": "Chiang Mai"}},
        {"type": "page", "userId": "u1", "name": "Old page", "timestamp": ago(400)},
        {"type": "page", "userId": "u1", "name": "Recent page", "timestamp": ago(40)},
        {"type": "track", "userId": "u1", "event": "Order Completed", "timestamp": ago(40)},
        {"type": "identify", "userId": "u1", "timestamp": ago(10), "traits": {"city": "Bangkok"}},
    ])  # fmt: skip
    crm = tmp_path / "crm.csv"
    crm.write_text("customer_id,user_id,tier\nc1,u1,vip\nc2,u2,basic\n", encoding="utf-8")
    admin.import_file("crm", crm, {"columns": {
        "customer_id": ["identifier:customer_id", "record_id"], "user_id": "identifier:user_id",
        "tier": "trait:tier"}})  # fmt: skip
    admin.ws.bring_current()
    before = traits_of(admin, "u1")
    assert before["plan"] == "gold" and before["tier"] == "vip"

    admin.set_retention_policy("web-year", "365d", source="web")
    admin.set_retention_policy("pages", "30d", event="page")
    admin.set_retention_policy("crm", "180d", source="crm")
    admin.ws.write(lambda con: con.execute(  # c1 was last updated a year ago
        "UPDATE source_records SET updated_at = now() - INTERVAL 365 DAYS"
        " WHERE record_id = 'c1'"))
    results = {r["name"]: r for r in admin.apply_retention()}

    # applied in name order: crm, pages (both pages are over 30 days), web-year (what is left
    # of the year-old events: the first identify)
    assert results["pages"]["events"] == 2
    assert results["web-year"]["events"] == 1
    assert results["crm"]["source_records"] == 1 and results["crm"]["events"] == 0
    assert events_of(admin) == [("track", "Order Completed"), ("identify", None)]
    after = traits_of(admin, "u1")
    assert "plan" not in after and "tier" not in after, "golden record derived again"
    assert after["city"] == "Bangkok"
    left = admin.ws.read(lambda con: con.execute(
        "SELECT count(*) FROM profile_events").fetchone()[0])  # fmt: skip
    assert left == 2, "the profile copies of deleted events are gone too"
    policies = {p["name"]: p for p in admin.retention_policies()}
    assert policies["pages"]["last_result"]["events"] == 2
    assert policies["pages"]["last_applied_at"] is not None
    # applying again deletes nothing more
    assert all(r["events"] == 0 for r in admin.apply_retention(["web-year", "pages"]))


def test_the_scheduler_applies_the_policies(admin):
    collect(admin, [{"type": "page", "userId": "u9", "name": "Old", "timestamp": ago(100)}])
    admin.set_retention_policy("pages", "30d", event="page")
    jobs = dict(admin.ws.schedule.jobs)
    jobs["retention"]()
    assert events_of(admin) == []


def test_policy_errors(admin):
    with pytest.raises(RetentionPolicyNotFound):
        admin.delete_retention_policy("nope")
    with pytest.raises(RetentionPolicyNotFound):
        admin.apply_retention(["nope"])
    with pytest.raises(SourceNotFound):
        admin.set_retention_policy("x", "10d", source="no-such-source")
    admin.set_retention_policy("x", "10d")
    assert admin.set_retention_policy("x", "20d")["max_age_days"] == 20, "replaced"
    assert [p["name"] for p in admin.retention_policies()] == ["x"]
