"""Posting one signed batch with retries: exponential backoff, honouring Retry-After.

Retried: network errors, timeouts, 408, 429 and 5xx — the receiver may succeed later. Other
answers (4xx, redirects) will not change on retry and fail at once. The wait before retry n
is `backoff_seconds * 2**(n-1)` unless the receiver said how long (Retry-After, seconds or
an HTTP date), never more than `max_retry_after_seconds`. The idempotency key is the same on
every attempt so a receiver that processed a batch whose answer was lost can skip it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from opencdp.activate.signing import IDEMPOTENCY_HEADER, SIGNATURE_HEADER, signature

RETRYABLE = frozenset({408, 429})
Sleep = Callable[[float], None]


@dataclass(frozen=True)
class Attempts:
    ok: bool
    attempts: int
    last_error: str


def post_batch(
    client: httpx.Client, config: dict[str, Any], body: bytes, key: str, sleep: Sleep
) -> Attempts:
    error = ""
    for attempt in range(1, int(config["max_attempts"]) + 1):
        stamp = int(time.time())
        headers = {"Content-Type": "application/json", IDEMPOTENCY_HEADER: key,
                   SIGNATURE_HEADER: signature(config["secret"], body, stamp),
                   "User-Agent": "opencdp-activate"}  # fmt: skip
        wait: float | None = None
        try:
            response = client.post(config["url"], content=body, headers=headers,
                                   timeout=float(config["timeout_seconds"]))  # fmt: skip
        except httpx.HTTPError as exc:
            error = f"network error: {type(exc).__name__}"
        else:
            status = response.status_code
            if 200 <= status < 300:
                return Attempts(True, attempt, "")
            error = f"HTTP {status}"
            if status not in RETRYABLE and status < 500:
                return Attempts(False, attempt, error)
            wait = retry_after(response.headers.get("Retry-After"), datetime.now(UTC))
        if attempt < int(config["max_attempts"]):
            delay = wait if wait is not None else config["backoff_seconds"] * 2 ** (attempt - 1)
            sleep(min(float(delay), float(config["max_retry_after_seconds"])))
    return Attempts(False, int(config["max_attempts"]), error)


def retry_after(value: str | None, now: datetime) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or HTTP-date), else None."""
    if value is None:
        return None
    text = value.strip()
    if text.isdigit():
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds())
