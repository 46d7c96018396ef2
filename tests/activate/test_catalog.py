"""Creating, reading and deleting destinations; validation; the schedule."""

from __future__ import annotations

from datetime import timedelta

import pytest

from opencdp.activate import (
    DestinationNotFound,
    InvalidDestination,
    create_destination,
    delete_destination,
    due_destinations,
    get_destination,
    list_destinations,
    set_enabled,
    sync,
    sync_history,
)
from tests.activate.conftest import NOW, SEGMENT

HOOK = {"url": "https://example.com/hook", "secret": "s3cret-s3cret-s3cret", "traits": ["email"]}


def test_create_fills_defaults_and_masks_secrets(con):
    made = create_destination(con, "crm-hook", "webhook", "VIP", "newsletter", HOOK)
    assert made["segment_id"] == SEGMENT, "a segment can be named instead of its id"
    assert made["purpose"] == "email_marketing", "purpose aliases resolve"
    assert made["config"]["secret"] == "***"
    assert made["config"]["batch_size"] == 500 and made["config"]["max_attempts"] == 5
    assert [d["name"] for d in list_destinations(con)] == ["crm-hook"]
    db = create_destination(
        con,
        "wh",
        "database",
        SEGMENT,
        "analytics",
        {"url": "postgresql://u:pw@db/x", "table": "audience", "traits": []},
    )
    assert db["config"]["url"] == "postgresql://u:***@db/x"


@pytest.mark.parametrize(
    ("kind", "purpose", "config", "reason"),
    [
        ("carrier-pigeon", "analytics", {}, "unknown kind"),
        ("webhook", "analytics", {**HOOK, "url": "ftp://x"}, "http"),
        ("webhook", "analytics", {**HOOK, "secret": "short"}, "secret"),
        ("webhook", "analytics", {**HOOK, "traits": ["email; DROP"]}, "trait name"),
        ("webhook", "analytics", {**HOOK, "batch_size": 0}, "batch_size"),
        ("webhook", "mind_reading", HOOK, "unknown purpose"),
        ("file", "analytics", {"path": "/tmp/x", "format": "xlsx"}, "format"),
        ("database", "analytics", {"url": "sqlite:///x", "table": "t"}, "postgresql"),
        ("database", "analytics", {"url": "mysql://h/d", "table": "t; drop"}, "table"),
        ("meta_custom_audience", "analytics", {"path": "/tmp/x"}, "advertising"),
        ("email_list", "advertising", {"path": "/tmp/x"}, "email_marketing"),
    ],
)
def test_invalid_definitions_say_why(con, kind, purpose, config, reason):
    with pytest.raises(InvalidDestination, match=reason):
        create_destination(con, "bad", kind, SEGMENT, purpose, config)
    assert list_destinations(con) == []


def test_unknown_segment_duplicate_name_and_delete(con):
    with pytest.raises(InvalidDestination, match="segment"):
        create_destination(con, "x", "webhook", "nope", "analytics", HOOK)
    create_destination(con, "x", "webhook", SEGMENT, "analytics", HOOK)
    with pytest.raises(InvalidDestination, match="already exists"):
        create_destination(con, "x", "webhook", SEGMENT, "analytics", HOOK)
    delete_destination(con, "x")
    with pytest.raises(DestinationNotFound):
        get_destination(con, "x")


def test_due_destinations_follow_schedule_minutes(con, tmp_path):
    config = {"path": str(tmp_path), "format": "csv", "traits": []}
    create_destination(con, "hourly", "file", SEGMENT, "analytics", config, schedule_minutes=60)
    create_destination(con, "manual", "file", SEGMENT, "analytics", config)
    create_destination(con, "off", "file", SEGMENT, "analytics", config, schedule_minutes=5)
    set_enabled(con, "off", False)
    assert due_destinations(con, NOW) == ["hourly"], "never synced: due at once"
    sync(con, "hourly", now=NOW)
    assert due_destinations(con, NOW + timedelta(minutes=59)) == []
    assert due_destinations(con, NOW + timedelta(minutes=60)) == ["hourly"]
    assert [h["status"] for h in sync_history(con, "hourly")] == ["completed"]
