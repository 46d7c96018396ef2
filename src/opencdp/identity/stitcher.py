"""Real-time stitching: a thread that resolves identities right after each commit.

The writer wakes it after every commit; it then observes what was committed and writes the
changed links, so a profile shows new identifiers well within a second. Resolution runs
beside collection, never inside a request, and at most once per `batch_seconds`: under load
one pass takes in hundreds of commits instead of competing with each of them.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Protocol

log = logging.getLogger(__name__)


class CatchesUp(Protocol):
    def catch_up(self) -> object: ...


class IdentityStitcher:
    """Runs `resolver.catch_up()` (identities, then the profiles derived from them)."""

    def __init__(
        self,
        resolver: CatchesUp,
        batch_seconds: float = 0.2,
        share: float = 0.25,
        busy: Callable[[], bool] = lambda: True,
    ) -> None:
        self._resolver = resolver
        self._batch = batch_seconds
        # A pass runs derived work (identity, profiles, computed traits, segments) in the
        # single writer; while collection waits for it (`busy`), the stitcher rests
        # d·(1-share)/share after a pass of d seconds, so that work takes at most `share` of
        # the writer and batches grow instead, where the per-event cost is lowest. When
        # nothing waits, it does not rest: profiles stay current within the batch interval.
        self._rest_factor = (1 - share) / share
        self._busy = busy
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="opencdp-identity", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def notify(self) -> None:
        """Something was committed: resolve it soon."""
        self._wake.set()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread.is_alive():
            self._thread.join()

    def _loop(self) -> None:
        while not self._stop.is_set():
            self._wake.wait()
            if self._stop.wait(self._batch):  # let commits gather; returns early on stop
                return
            self._wake.clear()
            started = time.perf_counter()
            try:
                self._resolver.catch_up()
            except Exception:  # keep stitching; the next commit retries from the same seq
                log.exception("identity stitching failed")
            rest = (time.perf_counter() - started) * self._rest_factor - self._batch
            if rest > 0 and self._busy() and self._stop.wait(rest):
                return
