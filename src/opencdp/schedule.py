"""The server's periodic work: what time alone changes, and syncs that are due.

Real-time paths react to events; nothing reacts to the clock. A windowed computed trait
("orders in the last 30 days") and a segment with a time window change as days pass with
no new event, and destinations sync every so many minutes. One thread runs each job in turn
every `schedule_seconds`; a failing job is logged and retried at the next tick.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

log = logging.getLogger(__name__)


@dataclass
class Scheduler:
    interval: float
    jobs: list[tuple[str, Callable[[], object]]] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def run_once(self) -> dict[str, str]:
        """Run every job now; returns each job's outcome ('ok' or the error)."""
        outcome = {}
        for name, job in self.jobs:
            try:
                job()
                outcome[name] = "ok"
            except Exception as exc:  # one failing job must not stop the others
                log.exception("scheduled job failed", extra={"job": name})
                outcome[name] = f"failed: {exc}"
        return outcome

    def start(self) -> None:
        if self.interval <= 0 or self._thread is not None:
            return
        self._thread = threading.Thread(target=self._loop, name="opencdp-schedule", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            self.run_once()
