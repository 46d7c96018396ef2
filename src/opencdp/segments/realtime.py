"""Real-time membership: after profiles change, evaluate the real-time segments for them.

The profile refresher calls this with the profiles whose events or records just arrived and
those merged away; the evaluation is restricted to them, so its cost follows the traffic,
not the number of profiles. Time-based conditions (windows that expire while nobody acts)
are caught by the scheduled full evaluation.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import duckdb

from opencdp.profiles.materialize import ProfileChanges
from opencdp.segments import service

Write = Callable[[Callable[[duckdb.DuckDBPyConnection], Any]], Any]


def segment_listener(write: Write) -> Callable[[ProfileChanges], None]:
    def on_profiles_changed(changes: ProfileChanges) -> None:
        now = datetime.now(UTC)
        write(lambda con: service.evaluate_profiles(con, changes.touched, changes.removed,
                                                    now=now))  # fmt: skip

    return on_profiles_changed


def scheduled_evaluation(write: Write) -> None:
    """Every segment again, for conditions time alone changes (a window moving past an event)."""
    now = datetime.now(UTC)
    write(lambda con: service.evaluate_all(con, now=now))
