"""Who accessed a customer (following merges), what a user accessed; offline CLI entries
and the scheduler's syncs as actors of their own."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from opencdp.activate.access import Access
from opencdp.admin import Admin
from opencdp.audit.model import Actor, Entry, cli_actor
from opencdp.audit.offline import AuditedAdmin
from opencdp.audit.system import scheduled_syncs
from tests.audit.conftest import recorded
from tests.collecting import collect


def _as(admin: Admin, name: str, role: str = "analyst", reason: str | None = None) -> AuditedAdmin:
    return AuditedAdmin(admin, admin.ws.audit, Actor("user", name, role), reason)


@pytest.fixture
def admin(workspace):
    admin = Admin(workspace)
    admin.create_source("web")
    collect(admin, [
        {"type": "identify", "anonymousId": "anon-1", "traits": {"country": "TH"}},
        {"type": "identify", "userId": "member-2", "traits": {"country": "TH"}},
        {"type": "identify", "userId": "other-3", "traits": {"country": "JP"}},
    ])  # fmt: skip
    workspace.profiles.catch_up()
    return admin


def _merge_anon_into_member(admin: Admin) -> None:
    collect(admin, [{"type": "identify", "anonymousId": "anon-1", "userId": "member-2"}])
    admin.ws.profiles.catch_up()


def test_a_report_on_a_profile_follows_merges(admin):
    anon = admin.get_profile("anon-1")["profile_id"]
    member = admin.get_profile("member-2")["profile_id"]
    _as(admin, "bob").get_profile("anon-1")  # read while still a profile of its own
    _as(admin, "carol").get_profile("member-2")
    _as(admin, "carol").get_profile("other-3")
    _merge_anon_into_member(admin)
    merged = admin.get_profile("anon-1")["profile_id"]
    assert merged in (anon, member)
    gone = anon if merged == member else member
    _as(admin, "dave", "privacy_officer").get_profile("member-2")

    for asked in (merged, gone, "anon-1", "user_id:member-2"):
        report = admin.audit_report(profile=asked)
        assert report["profile_id"] == merged, asked
        assert set(report["lineage"]) == {anon, member}
        actors = {a["actor"]: a for a in report["actors"]}
        assert set(actors) == {"user:bob", "user:carol", "user:dave"}, asked
        assert actors["user:carol"]["actions"] == {"profile.read": 1}
        assert actors["user:dave"]["role"] == "privacy_officer"
        assert report["accesses"] == 3


def test_a_report_on_a_user_lists_what_they_accessed(admin):
    bob = _as(admin, "bob", reason="case 12")
    bob.get_profile("anon-1")
    bob.get_profile("anon-1")
    bob.search_profiles("other-3")  # a whole id: encrypted search matches no fragment (R2)
    with pytest.raises(LookupError):
        bob.get_profile("nobody-at-all")
    report = admin.audit_report(user="bob")
    assert report["accesses"] == 4
    assert report["actions"] == {"profile.read": 3, "profile.search": 1}
    counts = {p["profile_id"]: p["accesses"] for p in report["profiles"]}
    assert counts == {admin.get_profile("anon-1")["profile_id"]: 2,
                      admin.get_profile("other-3")["profile_id"]: 1}  # fmt: skip
    failed = report["entries"][0]
    assert failed["outcome"] == "error" and failed["details"]["error"] == "NotFound"
    assert all(e["reason"] == "case 12" for e in report["entries"])
    assert admin.audit_report(user="user:bob")["accesses"] == 4
    assert admin.audit_report(user="nobody")["accesses"] == 0


def test_offline_commands_record_the_local_user_and_changes(admin):
    cli = AuditedAdmin(admin, admin.ws.audit, cli_actor(), "nightly check")
    cli.get_profile("member-2")
    cli.create_segment("thai", 'country = "TH"')
    cli.list_sources()  # no customer data: not audited
    read, change = recorded(admin.ws, user=f"cli:{cli_actor().name}", limit=5)[::-1]
    assert read["action"] == "profile.read" and read["channel"] == "cli"
    assert read["route"] == "cli get_profile" and read["reason"] == "nightly check"
    assert read["actor"] == f"cli:{cli_actor().name}" and read["role"] == "admin"
    assert change["action"] == "config.change" and change["target"] == "thai"
    assert change["details"]["operation"] == "create_segment"


def test_scheduled_syncs_are_recorded_as_the_scheduler(admin, tmp_path):
    admin.create_segment("thai", 'country = "TH"')
    admin.create_destination(
        "out",
        "file",
        "thai",
        "analytics",
        {"path": str(tmp_path), "format": "jsonl"},
        schedule_minutes=5,
    )
    done = scheduled_syncs(admin.ws.audit, Access(admin.ws.read, admin.ws.write),
                           datetime.now(UTC))  # fmt: skip
    assert list(done) == ["out"]
    entry = recorded(admin.ws, action="destination.sync")[0]
    assert entry["actor"] == "system:scheduler" and entry["channel"] == "system"
    assert entry["target_kind"] == "destination" and entry["target"] == "out"
    assert entry["details"]["status"] == done["out"]


def test_since_and_action_filter_the_log(admin):
    _as(admin, "bob").get_profile("anon-1")
    _as(admin, "bob").search_profiles("member")
    assert [e["action"] for e in admin.audit_log(user="bob", action="profile.search")] == [
        "profile.search"]  # fmt: skip
    assert len(admin.audit_log(user="bob", action="profile")) == 2
    assert len(admin.audit_log(user="bob", since="1h")) == 2
    assert admin.audit_log(user="bob", since="2999-01-01") == []
    with pytest.raises(ValueError, match="since"):
        admin.audit_log(since="last tuesday")


def test_an_identifier_alone_is_resolved_to_its_profile_before_storing(admin):
    """Routes whose operation notes no profile (a consent view, recommendations) still name
    the person: the log looks the identifier up off the request path."""
    member = admin.get_profile("member-2")["profile_id"]
    admin.ws.audit.record(Entry("profile.read", Actor("user", "erin"), "api", resolve="member-2"))
    admin.ws.audit.record(Entry("profile.read", Actor("user", "erin"), "api", resolve="nobody"))
    unknown, known = recorded(admin.ws, user="erin")
    assert known["profiles"] == [member] and unknown["profiles"] == []
    assert admin.audit_report(profile=member)["actors"][0]["actor"] == "user:erin"
