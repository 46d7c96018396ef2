"""Segments on a real workspace: define, count, members, history, real-time entries and exits."""

from __future__ import annotations

import pytest

from opencdp.admin import Admin
from opencdp.profiles.lookup import find_profile_id
from opencdp.segments.errors import InvalidSegment, SegmentSyntaxError
from opencdp.segments.service import SegmentNotFound
from tests.collecting import collect


@pytest.fixture
def admin(workspace):
    admin = Admin(workspace)
    admin.create_source("web", default_region="TH")
    return admin


def people(admin):
    """Ann (TH, 2 orders, email consent), Bob (TH, 1 order), Cho (JP, 2 orders)."""
    from datetime import UTC, datetime, timedelta

    now = datetime.now(UTC)

    def ago(days):
        return (now - timedelta(days=days)).isoformat()

    def buy(user, total, days):
        return {"type": "track", "userId": user, "event": "Order Completed",
                "properties": {"total": total}, "timestamp": ago(days)}  # fmt: skip

    collect(admin, [
        {"type": "identify", "userId": "ann", "timestamp": ago(40),
         "traits": {"email": "ann@x.com", "country": "TH", "email_opt_in": True}},
        {"type": "identify", "userId": "bob", "timestamp": ago(40),
         "traits": {"email": "bob@x.com", "country": "TH"}},
        {"type": "identify", "userId": "cho", "timestamp": ago(40),
         "traits": {"email": "cho@x.jp", "country": "JP", "email_opt_in": True}},
        buy("ann", 30, 3), buy("ann", 50, 10), buy("bob", 20, 5), buy("bob", 99, 45),
        buy("cho", 10, 2), buy("cho", 15, 4),
    ])  # fmt: skip
    return ago


WHERE = 'country = "TH" and count("Order Completed", 30d) >= 2 and consent("email")'


def member_emails(admin, name):
    return sorted(m["email"] for m in admin.segment_members(name)["members"])


def test_create_count_members_and_history(admin):
    people(admin)
    segment = admin.create_segment("thai-repeat", WHERE)
    assert segment["member_count"] == 1
    assert member_emails(admin, "thai-repeat") == ["ann@x.com"]
    assert admin.count_segment("thai-repeat")["count"] == 1
    assert admin.preview_segment('country = "TH"')["count"] == 2
    history = admin.segment_history("thai-repeat")
    assert [(h["change"], h["reason"]) for h in history] == [("entered", "evaluation")]
    shown = admin.get_segment("thai-repeat")
    assert "profile_events" in shown["sql"]["duckdb"] and shown["sql"]["spark"]


def test_realtime_entry_and_exit_as_events_arrive(admin):
    ago = people(admin)
    admin.create_segment("thai-repeat", WHERE)
    # Bob's second order this month and his consent arrive: he enters in real time
    consent = {"consent": {"categoryPreferences": {"email": True}}}
    collect(admin, [{"type": "track", "userId": "bob", "event": "Order Completed",
                     "properties": {"total": 5}, "timestamp": ago(1), "context": consent}])
    admin.ws.profiles.catch_up()
    assert member_emails(admin, "thai-repeat") == ["ann@x.com", "bob@x.com"]
    # Ann withdraws e-mail consent: she leaves
    collect(admin, [{"type": "identify", "userId": "ann", "timestamp": ago(0),
                     "traits": {"email_opt_in": False}}])  # fmt: skip
    admin.ws.profiles.catch_up()
    assert member_emails(admin, "thai-repeat") == ["bob@x.com"]
    changes = [(h["change"], h["reason"]) for h in admin.segment_history("thai-repeat")]
    assert sorted(changes) == sorted([("entered", "evaluation"), ("entered", "realtime"),
                                      ("exited", "realtime")])  # fmt: skip


def test_merged_profile_leaves_and_survivor_is_evaluated(admin):
    ago = people(admin)
    admin.create_segment("japan", 'country = "JP"')
    collect(admin, [{"type": "identify", "anonymousId": "v1", "timestamp": ago(50),
                     "traits": {"country": "JP"}}])  # fmt: skip
    admin.ws.profiles.catch_up()
    assert admin.get_segment("japan")["member_count"] == 2
    visitor = admin.get_profile("anonymous_id:v1")["profile_id"]
    # the visitor turns out to be Bob, whose newer identify says TH: one profile, in TH
    collect(admin, [{"type": "alias", "userId": "bob", "previousId": "v1"}])
    changes = admin.ws.profiles.catch_up()
    bob = admin.get_profile("user_id:bob")["profile_id"]
    assert admin.get_segment("japan")["member_count"] == 1
    assert admin.count_segment("japan")["count"] == 1
    exits = {(h["profile_id"], h["reason"]) for h in admin.segment_history("japan")
             if h["change"] == "exited"}  # fmt: skip
    if visitor == bob:  # the visitor's profile survived and was re-evaluated
        assert exits == {(visitor, "realtime")}
    else:  # the visitor's profile was merged away
        assert changes.removed == [visitor] and exits == {(visitor, "merged")}


def test_segments_using_segments_are_ordered_and_cycles_refused(admin):
    people(admin)
    admin.create_segment("thai", 'country = "TH"')
    admin.create_segment("thai-buyers", 'in_segment("thai") and did("Order Completed", 7d)')
    assert member_emails(admin, "thai-buyers") == ["ann@x.com", "bob@x.com"]
    assert admin.get_segment("thai-buyers")["uses"] == ["thai"]
    with pytest.raises(InvalidSegment, match="itself"):
        admin.update_segment("thai", 'in_segment("thai-buyers")')
    with pytest.raises(InvalidSegment, match="used by"):
        admin.delete_segment("thai")
    with pytest.raises(InvalidSegment):
        admin.create_segment("x", 'in_segment("nope")')
    with pytest.raises(SegmentSyntaxError):
        admin.create_segment("y", 'country = ')
    with pytest.raises(InvalidSegment, match="already exists"):
        admin.create_segment("thai", 'country = "TH"')
    with pytest.raises(SegmentNotFound):
        admin.count_segment("missing")
    evaluated = admin.evaluate_segments()
    assert [t["segment_id"] for t in evaluated] == [
        admin.get_segment("thai")["segment_id"], admin.get_segment("thai-buyers")["segment_id"]]


def test_time_alone_moves_members_out_on_the_schedule(admin):
    from datetime import UTC, datetime, timedelta

    from opencdp.segments import service

    people(admin)
    admin.create_segment("recent-buyers", 'did("Order Completed", 7d)')
    assert admin.get_segment("recent-buyers")["member_count"] == 3
    assert set(admin.ws.schedule.run_once().values()) == {"ok"}
    assert admin.get_segment("recent-buyers")["member_count"] == 3
    later = datetime.now(UTC) + timedelta(days=4)  # Cho (2 and 4 days ago) stays; Bob leaves
    done = admin.ws.write(lambda con: service.evaluate_all(con, now=later))
    assert [(t.entered, t.exited, t.members) for t in done] == [(0, 2, 1)]
    assert member_emails(admin, "recent-buyers") == ["cho@x.jp"]


def test_computed_traits_stay_current_and_segments_use_them(admin):
    from opencdp.profiles.computed import define

    ago = people(admin)
    admin.ws.write(lambda con: define(con, "orders_total", {
        "aggregate": "sum", "event": "Order Completed", "field": "order_amount"}))  # fmt: skip
    admin.ws.profiles.rederive()  # computes every trait for every profile
    admin.create_segment("big-spenders", "orders_total > 100")
    assert member_emails(admin, "big-spenders") == ["bob@x.com"]  # 20 + 99
    collect(admin, [{"type": "track", "userId": "ann", "event": "Order Completed",
                     "properties": {"total": 40}, "timestamp": ago(0)}])  # fmt: skip
    admin.ws.profiles.catch_up()  # 30 + 50 + 40: Ann enters in real time
    assert member_emails(admin, "big-spenders") == ["ann@x.com", "bob@x.com"]
    computed = admin.ws.read(lambda con: con.execute(
        "SELECT computed ->> 'orders_total', computed -> 'rfm' ->> 'segment' FROM profiles"
        " WHERE profile_id = ?", [find_profile_id(con, "ann@x.com")]).fetchone())  # fmt: skip
    assert float(computed[0]) == 120 and computed[1]


def test_realtime_membership_equals_a_full_evaluation_after_every_commit(admin):
    import random

    from opencdp.profiles.event_order import compact

    rng = random.Random(5)
    definitions = {
        "thai": 'country = "TH"',
        "two-orders": 'count("Order Completed", 30d) >= 2',
        "lapsed": 'not did("Order Completed", 7d) and email exists',
        "consented-buyers": 'consent("email") and did("Order Completed")',
        "sum-big": 'sum("Order Completed", "total", 30d) > 60',
    }
    for name, where in definitions.items():
        admin.create_segment(name, where)
    users = [f"u{i}" for i in range(8)]
    for round_ in range(8):
        if round_ == 3:  # the profile tables rebuilt: events in both stored orders
            admin.ws.profiles.rederive()
        if round_ == 6:  # the tail of live events folded back into both orders
            admin.ws.write(lambda con: compact(con, min_share=0.0))
        batch = []
        for _ in range(rng.randrange(1, 8)):
            user = rng.choice(users)
            if rng.random() < 0.4:
                batch.append({"type": "identify", "userId": user, "traits": {
                    "email": f"{user}@x.com", "country": rng.choice(["TH", "JP"]),
                    "email_opt_in": rng.random() < 0.5}})  # fmt: skip
            else:
                batch.append({"type": "track", "userId": user, "event": "Order Completed",
                              "properties": {"total": rng.randrange(5, 50)}})  # fmt: skip
        if rng.random() < 0.3:  # two people turn out to be one
            batch.append({"type": "alias", "userId": rng.choice(users),
                          "previousId": rng.choice(users)})  # fmt: skip
        collect(admin, batch)
        admin.ws.profiles.catch_up()
        for name in definitions:
            live = {m["profile_id"] for m in admin.segment_members(name, limit=1000)["members"]}
            full = set(admin.preview_segment(definitions[name], sample=1000)["sample"])
            assert live == full, name


def test_traits_that_cannot_be_folded_settle_and_move_members(admin):
    from opencdp.profiles.computed import define

    ago = people(admin)
    admin.ws.write(lambda con: define(con, "avg_order", {
        "aggregate": "avg", "event": "Order Completed", "field": "order_amount"}))  # fmt: skip
    admin.ws.profiles.rederive()
    admin.create_segment("big-baskets", "avg_order >= 40")
    assert member_emails(admin, "big-baskets") == ["ann@x.com", "bob@x.com"]  # 40, 59.5
    collect(admin, [{"type": "track", "userId": "ann", "event": "Order Completed",
                     "properties": {"total": 2}, "timestamp": ago(0)}])  # fmt: skip
    admin.ws.profiles.catch_up()  # an average is not folded per commit ...
    assert admin.ws.computed_traits.settle() == 1  # ... but settles for the touched profile
    assert member_emails(admin, "big-baskets") == ["bob@x.com"]  # (30 + 50 + 2) / 3 < 40


def test_the_360_view_shows_computed_traits_segments_and_consents(admin):
    people(admin)
    admin.ws.profiles.rederive()
    admin.create_segment("thai", 'country = "TH"')
    profile = admin.get_profile("user_id:ann")
    assert [s["name"] for s in profile["segments"]] == ["thai"]
    assert profile["consents"] == [{"purpose": "email_marketing", "granted": True,
                                    "stated_at": profile["consents"][0]["stated_at"],
                                    "origin": "event"}]  # fmt: skip
    assert profile["computed_traits"]["rfm"]["frequency"] == 2
    assert profile["predictions"] == {}
