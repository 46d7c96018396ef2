"""The scheduled job that lets consent lapse: grants with an expiry stop counting on time.

Every exit point already refuses a grant past its `expires_at` (privacy/enforce.py), so the
job is not what protects people; it rewrites the lapsed rows of `profile_consents` (another
grant may now decide, or none) and re-evaluates the real-time segments of those profiles, so
counts and `consent(...)` conditions follow the clock as well.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import duckdb

from opencdp.privacy import ledger
from opencdp.profiles.refresh import ProfileRefresher
from opencdp.segments.realtime import evaluate_touched

Write = Callable[[Callable[[duckdb.DuckDBPyConnection], Any]], Any]


def expiry_job(refresher: ProfileRefresher, write: Write) -> Callable[[], int]:
    """A scheduler job: re-derive the profiles whose grants lapsed; returns how many."""

    def sweep() -> int:
        now = datetime.now(UTC)
        lapsed: list[str] = write(lambda con: ledger.expire_grants(con, now=now))
        if lapsed:
            write(lambda con: evaluate_touched(con, lapsed, [], now=now))
        return len(lapsed)

    return lambda: refresher.exclusive(sweep)
