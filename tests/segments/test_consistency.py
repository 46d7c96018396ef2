"""Derived state stays right across failures, restarts and segments built on segments."""

from __future__ import annotations

import pytest

from opencdp.admin import Admin
from opencdp.config import load_settings
from opencdp.profiles import materialize
from opencdp.profiles.computed import define
from opencdp.segments.errors import InvalidSegment
from opencdp.workspace import Workspace
from tests.collecting import collect


@pytest.fixture
def admin(workspace):
    admin = Admin(workspace)
    admin.create_source("web")
    return admin


def rows(admin, sql, params=None):
    return admin.ws.read(lambda con: con.execute(sql, params or []).fetchall())


def test_a_failed_pass_is_replayed_not_skipped(admin, monkeypatch):
    collect(admin, [{"type": "identify", "userId": "u1", "traits": {"country": "TH"}}])
    admin.ws.profiles.catch_up()
    real = materialize.catch_up
    failures = iter([RuntimeError("disk full")])

    def flaky(con, through):
        for failure in failures:
            raise failure
        return real(con, through)

    monkeypatch.setattr(materialize, "catch_up", flaky)
    collect(admin, [{"type": "identify", "userId": "u2", "traits": {"country": "JP"}},
                    {"type": "track", "userId": "u2", "event": "Signed In"}])  # fmt: skip
    with pytest.raises(RuntimeError, match="disk full"):
        admin.ws.profiles.catch_up()
    collect(admin, [{"type": "track", "userId": "u1", "event": "Signed In"}])
    admin.ws.profiles.catch_up()
    u2 = "SELECT count(*) FROM identity_links WHERE identifier_value = ?"
    # the stored form of user id u2: a pseudonym when field encryption is on
    assert rows(admin, u2, [admin.ws.personal.id_value("user_id", "u2")]) == [(1,)]
    assert rows(admin, "SELECT count(*) FROM profile_events") == [(4,)]
    assert sorted(r[0] for r in rows(admin, "SELECT traits ->> 'country' FROM profiles")) == [
        "JP", "TH"]  # fmt: skip


def test_traits_recomputed_in_batches_are_settled_before_a_restart(tmp_path):
    settings = load_settings(env={}, data_dir=tmp_path / "data")
    with Workspace(settings) as ws:
        admin = Admin(ws)
        admin.create_source("web")
        ws.write(lambda con: define(con, "avg_order", {
            "aggregate": "avg", "event": "Order Completed", "field": "order_amount"}))  # fmt: skip
        for total in (10, 30):
            collect(admin, [{"type": "track", "userId": "u1", "event": "Order Completed",
                             "properties": {"total": total}}])  # fmt: skip
            ws.profiles.catch_up()
    with Workspace(settings) as ws:
        value = ws.read(lambda con: con.execute(
            "SELECT computed ->> 'avg_order' FROM profiles").fetchall())  # fmt: skip
    assert [float(v[0]) for v in value] == [20.0]


def test_segments_on_segments_follow_in_the_same_real_time_pass(admin):
    collect(admin, [{"type": "identify", "userId": "u1", "traits": {"country": "TH"}},
                    {"type": "track", "userId": "u1", "event": "Order Completed"}])  # fmt: skip
    admin.ws.profiles.catch_up()
    admin.create_segment("thai", 'country = "TH"')
    admin.create_segment("thai-buyers", 'in_segment("thai") and did("Order Completed")')
    assert admin.get_segment("thai-buyers")["member_count"] == 1
    collect(admin, [{"type": "identify", "userId": "u1", "traits": {"country": "JP"}}])
    admin.ws.profiles.catch_up()
    assert admin.get_segment("thai")["member_count"] == 0
    assert admin.get_segment("thai-buyers")["member_count"] == 0
    admin.update_segment("thai", 'country = "JP"')  # redefining re-evaluates its users too
    assert admin.get_segment("thai-buyers")["member_count"] == 1


def test_a_segment_a_destination_sends_cannot_be_deleted(admin, tmp_path):
    admin.create_segment("everyone", "not country exists or country exists")
    admin.create_destination("export", "file", "everyone", "analytics",
                             {"path": str(tmp_path), "format": "csv"})  # fmt: skip
    with pytest.raises(InvalidSegment, match="destination export"):
        admin.delete_segment("everyone")
