"""Unusual access: a burst far above an actor's own baseline raises one alert; normal use,
however busy, does not."""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from opencdp.admin import Admin
from opencdp.audit.model import Actor, Entry
from opencdp.workspace import Workspace

ANN = Actor("user", "ann", "analyst")
BOB = Actor("user", "bob", "analyst")


@pytest.fixture
def alert_settings(settings):
    return replace(settings, audit_alert_factor=4.0, audit_alert_min_reads=20,
                   audit_alert_min_exports=3)  # fmt: skip


def _reads(ws: Workspace, actor: Actor, n: int, when: datetime | None = None,
           action: str = "profile.read") -> None:  # fmt: skip
    for i in range(n):
        at = (when + timedelta(seconds=i)) if when else datetime.now(UTC)
        ws.audit.record(Entry(action, actor, "api", occurred_at=at, profile_ids=[f"p{i}"]))


def _history(ws: Workspace, actor: Actor, per_day: int, days: int = 7) -> None:
    today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    for back in range(1, days + 1):
        _reads(ws, actor, per_day, today - timedelta(days=back) + timedelta(hours=10))
    ws.audit.flush()


def test_a_burst_of_reads_raises_one_alert_and_normal_use_none(alert_settings, caplog):
    with Workspace(alert_settings) as ws:
        _history(ws, ANN, 10)
        _history(ws, BOB, 10)
        with caplog.at_level(logging.WARNING, logger="opencdp.audit.log"):
            _reads(ws, BOB, 39)  # a busy day: under 4 × 10
            _reads(ws, ANN, 39)
            assert Admin(ws).audit_alerts() == []
            _reads(ws, ANN, 30)  # 40th read crosses the line; the rest raise nothing more
            alerts = Admin(ws).audit_alerts()
        assert len(alerts) == 1
        alert = alerts[0]
        assert alert["actor"] == "user:ann" and alert["kind"] == "reads"
        assert alert["accesses"] == 40 and alert["threshold"] == 40
        assert alert["usual_per_day"] == 10.0
        assert [r.getMessage() for r in caplog.records if "unusual" in r.getMessage()] == [
            f"unusual access by user:ann: 40 reads on {alert['day']} (usual 10.0 a day, "
            "alert at 40)"]  # fmt: skip
        chained = Admin(ws).audit_log(action="audit.alert")
        assert len(chained) == 1 and chained[0]["target"] == "user:ann"
        assert chained[0]["actor"] == "system:audit"
        assert chained[0]["details"]["alert_id"] == alert["alert_id"]
        assert Admin(ws).audit_verify()["ok"]


def test_a_new_user_is_held_to_the_minimum_and_exports_count_apart(alert_settings):
    with Workspace(alert_settings) as ws:
        _reads(ws, ANN, 19)
        _reads(ws, ANN, 2, action="events.export")
        assert Admin(ws).audit_alerts() == []
        _reads(ws, ANN, 1, action="events.export")
        alerts = Admin(ws).audit_alerts()
        assert [(a["kind"], a["accesses"]) for a in alerts] == [("exports", 3)]
        _reads(ws, ANN, 1)
        assert {a["kind"] for a in Admin(ws).audit_alerts()} == {"exports", "reads"}


def test_the_system_and_configuration_changes_never_alert(alert_settings):
    with Workspace(alert_settings) as ws:
        _reads(ws, Actor("system", "scheduler"), 50, action="destination.sync")
        _reads(ws, ANN, 50, action="config.change")
        assert Admin(ws).audit_alerts() == []


def test_an_alert_is_raised_once_per_day_across_restarts(alert_settings):
    with Workspace(alert_settings) as ws:
        _reads(ws, ANN, 25)
        assert len(Admin(ws).audit_alerts()) == 1
    with Workspace(alert_settings) as ws:  # counts today's reads from the log again
        _reads(ws, ANN, 5)
        assert len(Admin(ws).audit_alerts()) == 1
        _reads(ws, BOB, 19)
        assert len(Admin(ws).audit_alerts()) == 1
