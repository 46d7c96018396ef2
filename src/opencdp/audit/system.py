"""Audit entries for what the server does by itself: scheduled destination syncs."""

from __future__ import annotations

from datetime import datetime

from opencdp.activate.access import Access
from opencdp.activate.schedule import run_due_syncs
from opencdp.audit.log import AuditLog
from opencdp.audit.model import SCHEDULER, Entry


def scheduled_syncs(log: AuditLog, access: Access, now: datetime) -> dict[str, str]:
    """Run the due destination syncs; each one (an activation) is recorded as
    `system:scheduler`, failed ones with outcome `error`."""
    done = run_due_syncs(access, now)
    for name, status in done.items():
        log.record(Entry(
            "destination.sync", SCHEDULER, "system", target_kind="destination", target=name,
            route="schedule destinations", outcome="ok" if status != "failed" else "error",
            details={"status": status, "mode": "incremental"},
        ))  # fmt: skip
    return done
