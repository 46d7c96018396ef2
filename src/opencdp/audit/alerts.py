"""Unusual access: an actor reading or exporting far more than their own usual.

Each actor's accesses today are counted in memory as entries are recorded (seeded once per
actor and day from the log, so restarts and one-shot commands see the whole day), against a
baseline read from the log: their average per active day over the trailing `BASELINE_DAYS`.
Today's count reaching `max(minimum, factor × baseline)` raises one alert per actor, kind
and day. Reads and exports are counted apart: an export moves many people at once.
"""

from __future__ import annotations

import math
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, TypeVar

import duckdb

from opencdp.audit.actions import EXPORT_ACTIONS, READ_ACTIONS
from opencdp.audit.model import Entry

T = TypeVar("T")
Reader = Callable[[Callable[[duckdb.DuckDBPyConnection], T]], T]
BASELINE_DAYS = 14
KINDS = {"reads": READ_ACTIONS, "exports": EXPORT_ACTIONS}


@dataclass(frozen=True)
class Thresholds:
    factor: float
    min_reads: int
    min_exports: int

    def minimum(self, kind: str) -> int:
        return self.min_reads if kind == "reads" else self.min_exports


@dataclass(frozen=True)
class Alert:
    alert_id: str
    raised_at: datetime
    actor_kind: str
    actor_name: str
    kind: str
    day: date
    accesses: int
    baseline: float
    threshold: int

    def row(self) -> tuple[Any, ...]:
        return (self.alert_id, self.raised_at, self.actor_kind, self.actor_name, self.kind,
                self.day, self.accesses, self.baseline, self.threshold)  # fmt: skip

    def describe(self) -> str:
        return (f"unusual access by {self.actor_kind}:{self.actor_name}: {self.accesses} "
                f"{self.kind} on {self.day} (usual {self.baseline:.1f} a day, "
                f"alert at {self.threshold})")  # fmt: skip


def access_kind(action: str) -> str | None:
    return next((kind for kind, actions in KINDS.items() if action in actions), None)


@dataclass
class _Day:
    count: int
    baseline: float
    threshold: int
    alerted: bool


class UnusualAccess:
    """Counts each actor's reads and exports of today and says when one is unusual."""

    def __init__(self, thresholds: Thresholds, read: Reader[Any]) -> None:
        self.thresholds = thresholds
        self._read = read
        self._days: dict[tuple[str, str, str, date], _Day] = {}
        self._lock = threading.Lock()

    def observe(self, entry: Entry) -> Alert | None:
        """Count `entry`; an alert when it takes its actor past today's threshold."""
        kind = access_kind(entry.action)
        if kind is None or entry.actor.kind == "system":
            return None
        day = entry.occurred_at.astimezone(UTC).date()
        if day != datetime.now(UTC).date():
            return None  # back-dated entries (imports of old logs, tests) are history
        key = (entry.actor.kind, entry.actor.name, kind, day)
        with self._lock:
            state = self._days.get(key)
            if state is None:
                state = self._days[key] = self._seed(*key)
            state.count += 1
            if state.alerted or state.count < state.threshold:
                return None
            state.alerted = True
        return Alert(
            "alrt_" + secrets.token_hex(8), datetime.now(UTC), entry.actor.kind,
            entry.actor.name, kind, day, state.count, state.baseline, state.threshold,
        )  # fmt: skip

    def _seed(self, actor_kind: str, actor_name: str, kind: str, day: date) -> _Day:
        start = datetime.combine(day, time(), UTC)
        params = {"kind": actor_kind, "name": actor_name, "actions": sorted(KINDS[kind]),
                  "start": start, "from": start - timedelta(days=BASELINE_DAYS),
                  "end": start + timedelta(days=1), "alert_kind": kind, "day": day}  # fmt: skip

        def query(con: duckdb.DuckDBPyConnection) -> tuple[Any, ...]:
            row = con.execute(
                "SELECT count(*) FILTER (WHERE occurred_at >= $start),"
                " count(*) FILTER (WHERE occurred_at < $start),"
                " min(occurred_at),"
                " (SELECT count(*) FROM audit_alerts WHERE actor_kind = $kind"
                "   AND actor_name = $name AND kind = $alert_kind AND day = $day)"
                " FROM audit_log WHERE actor_kind = $kind AND actor_name = $name"
                " AND list_contains($actions, action)"
                " AND occurred_at >= $from AND occurred_at < $end",
                params,
            ).fetchone()
            assert row is not None
            return tuple(row)

        today, before, first, alerted = self._read(query)
        baseline = 0.0
        if before:
            active_days = max(1, (day - first.astimezone(UTC).date()).days)
            baseline = before / min(active_days, BASELINE_DAYS)
        minimum = self.thresholds.minimum(kind)
        threshold = max(minimum, math.ceil(self.thresholds.factor * baseline))
        return _Day(int(today), baseline, threshold, bool(alerted))
