"""Signing webhook bodies so receivers can tell our batches from forgeries and replays.

The scheme follows Stripe's: header `OpenCDP-Signature: t=<unix seconds>,v1=<hex>` where
v1 is HMAC-SHA256 with the destination's secret over `"<t>.<body>"`. Signing the timestamp
with the body lets a receiver reject old captured requests (`tolerance`); each retry is
signed afresh. `verify` is what a receiver (and our tests) run.
"""

from __future__ import annotations

import hashlib
import hmac

SIGNATURE_HEADER = "OpenCDP-Signature"
IDEMPOTENCY_HEADER = "Idempotency-Key"


def signature(secret: str, body: bytes, timestamp: int) -> str:
    """The header value for `body` sent at `timestamp`."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


def verify(secret: str, body: bytes, header: str, now: int, tolerance: int = 300) -> bool:
    """True when `header` signs `body` with `secret` within `tolerance` seconds of `now`."""
    parts = dict(p.split("=", 1) for p in header.split(",") if "=" in p)
    try:
        timestamp = int(parts["t"])
    except (KeyError, ValueError):
        return False
    if abs(now - timestamp) > tolerance:
        return False
    expected = signature(secret, body, timestamp).split("v1=", 1)[1]
    return hmac.compare_digest(expected, parts.get("v1", ""))
