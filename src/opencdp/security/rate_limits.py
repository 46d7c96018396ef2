"""Token-bucket rate limits kept in memory: per API token, per write key, per login name.

Each key's bucket holds up to `burst` units and refills at `rate` units per second. Taking
costs one clock read, a dictionary lookup and a little arithmetic under an uncontended lock,
so it can sit on the collector's hot path. Limits are per server process and start full
after a restart, which is what a guard against floods and runaway scripts needs.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable


class TokenBuckets:
    """Buckets by key; `take` answers 0.0 (allowed) or the seconds to wait before retrying."""

    def __init__(
        self,
        rate: float,
        burst: float,
        *,
        max_keys: int = 100_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if rate <= 0 or burst < 1:
            raise ValueError("a rate limit needs rate > 0 and burst >= 1")
        self.rate = float(rate)
        self.burst = float(burst)
        self._max_keys = max_keys
        self._clock = clock
        self._buckets: dict[str, list[float]] = {}  # key → [units left, last refill time]
        self._lock = threading.Lock()

    def take(self, key: str, cost: float = 1.0) -> float:
        # A request bigger than the whole bucket costs the whole bucket: it can pass when
        # the bucket is full instead of never.
        cost = min(cost, self.burst)
        now = self._clock()
        with self._lock:
            bucket = self._buckets.get(key)
            if bucket is None:
                if len(self._buckets) >= self._max_keys:
                    self._forget_full(now)
                bucket = self._buckets[key] = [self.burst, now]
            units = min(self.burst, bucket[0] + (now - bucket[1]) * self.rate)
            bucket[1] = now
            if units >= cost:
                bucket[0] = units - cost
                return 0.0
            bucket[0] = units
            return (cost - units) / self.rate

    def _forget_full(self, now: float) -> None:
        """Drop buckets that have refilled completely: forgetting them changes nothing."""
        full_after = self.burst / self.rate
        stale = [k for k, (_, last) in self._buckets.items() if now - last >= full_after]
        for key in stale:
            del self._buckets[key]
        if len(self._buckets) >= self._max_keys:  # still full of busy keys: start over
            self._buckets.clear()


def retry_after(wait: float) -> str:
    """A `Retry-After` header value: whole seconds, at least 1."""
    return str(max(1, math.ceil(wait)))


def optional_buckets(rate: float, burst: float) -> TokenBuckets | None:
    """Buckets for a configured limit; a rate of 0 means no limit."""
    return TokenBuckets(rate, max(burst, 1.0)) if rate > 0 else None
