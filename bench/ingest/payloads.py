"""Realistic Segment traffic, pre-serialised once so the load generator stays cheap.

Each request body is a template: JSON bytes of a batch (or of one message) in which every
`messageId` is a fixed-width slot. Sending a request only writes a fresh request number into
those slots, so every message of the run has its own messageId without re-encoding JSON.

messageId layout (36 characters, like a UUID): `RRRRRRRR-GGGG-WWWW-IIII-NNNNNNNNNNNN`
  R run id · G generator process · W worker (connection) · I message index · N request number.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson

_SLOT = "0" * 12
_PLACEHOLDER = "{prefix}-{index:04x}-" + _SLOT

_TRACK_EVENTS: list[tuple[str, Any]] = [
    ("Product Viewed", lambda r: {"product_id": f"sku-{r.randrange(10**5):05d}",
                                   "category": r.choice(["shoes", "shirts", "bags", "hats"]),
                                   "price": round(r.uniform(5, 300), 2), "currency": "EUR"}),
    ("Product Added", lambda r: {"product_id": f"sku-{r.randrange(10**5):05d}",
                                  "quantity": r.randint(1, 4), "price": round(r.uniform(5, 300), 2),
                                  "cart_id": f"cart-{r.randrange(10**8):08d}"}),
    ("Order Completed", lambda r: {"order_id": f"ord-{r.randrange(10**9):09d}",
                                    "revenue": round(r.uniform(10, 900), 2), "currency": "EUR",
                                    "coupon": r.choice([None, "WELCOME10", "SPRING"]),
                                    "products": [{"product_id": f"sku-{r.randrange(10**5):05d}",
                                                  "quantity": r.randint(1, 3)}
                                                 for _ in range(r.randint(1, 3))]}),
    ("Signed Up", lambda r: {"plan": r.choice(["free", "pro", "team"]), "referrer": "google"}),
    ("Video Played", lambda r: {"video_id": f"v{r.randrange(10**6)}", "position": r.randint(0, 600),
                                 "muted": r.random() < 0.2}),
]  # fmt: skip
_PAGES = [
    ("Home", "/", "Welcome"), ("Pricing", "/pricing", "Pricing plans"),
    ("Docs", "/docs/getting-started", "Getting started"), ("Blog", "/blog/2025/launch", "Launch"),
    ("Checkout", "/checkout", "Checkout"),
]  # fmt: skip
_AGENTS = [
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0.0.0 Safari/537.36",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, "
    "like Gecko) Version/17.5 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.5 Safari/605.1.15",
]


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _context(r: random.Random) -> dict[str, Any]:
    return {
        "library": {"name": "analytics-python", "version": "2.3.3"},
        "ip": f"203.0.{r.randrange(256)}.{r.randrange(1, 255)}",
        "userAgent": r.choice(_AGENTS),
        "locale": r.choice(["en-US", "de-DE", "fr-FR", "nl-NL"]),
        "timezone": r.choice(["Europe/Berlin", "America/New_York", "Europe/Paris"]),
    }


def _message(r: random.Random, index: int, now: datetime) -> dict[str, Any]:
    user = f"user-{r.randrange(10**6):06d}"
    who: dict[str, Any] = (
        {"userId": user} if r.random() < 0.7 else {"anonymousId": f"anon-{r.randrange(10**9)}"}
    )
    base = {
        "messageId": _PLACEHOLDER.format(prefix="{prefix}", index=index),
        **who,
        "timestamp": _iso(now - timedelta(milliseconds=r.randrange(5000))),
        "context": _context(r),
        "integrations": {},
    }
    roll = r.random()
    if roll < 0.6:
        event, props = r.choice(_TRACK_EVENTS)
        return {"type": "track", "event": event, "properties": props(r), **base}
    if roll < 0.85:
        name, path, title = r.choice(_PAGES)
        url = "https://shop.example.com" + path
        return {"type": "page", "name": name, "properties": {"path": path, "url": url,
                "title": title, "referrer": "https://www.google.com/"}, **base}  # fmt: skip
    traits = {
        "email": f"{user}@example.com",
        "name": f"Customer {user[-6:]}",
        "plan": r.choice(["free", "pro", "team"]),
        "createdAt": _iso(now - timedelta(days=30)),
    }
    return {"type": "identify", "traits": traits, **base}


@dataclass
class Template:
    """One request body with its messageId slots; `fill` stamps a request number in."""

    body: bytearray
    slots: list[int]  # offsets of the 12-character request-number slot of each messageId

    def fill(self, request_number: int) -> bytes:
        stamp = b"%012x" % request_number
        body = self.body
        for at in self.slots:
            body[at : at + 12] = stamp
        return bytes(body)


def _template(document: Any, prefix: str) -> Template:
    raw = orjson.dumps(document).decode().replace("{prefix}", prefix).encode()
    slots: list[int] = []
    marker = b"-" + _SLOT.encode() + b'"'
    at = raw.find(marker)
    while at != -1:
        slots.append(at + 1)
        at = raw.find(marker, at + 1)
    return Template(bytearray(raw), slots)


def batch_templates(seed: int, count: int, batch_size: int, prefix: str) -> list[Template]:
    """`count` different /v1/batch bodies of `batch_size` messages each."""
    r = random.Random(seed)
    now = datetime.now(UTC)
    out = []
    for _ in range(count):
        batch = [_message(r, i, now) for i in range(batch_size)]
        out.append(_template({"batch": batch, "sentAt": _iso(now)}, prefix))
    return out


def track_templates(seed: int, count: int, prefix: str) -> list[Template]:
    """`count` different single-message /v1/track bodies."""
    r = random.Random(seed)
    now = datetime.now(UTC)
    out = []
    for _ in range(count):
        event, props = r.choice(_TRACK_EVENTS)
        message = {
            "event": event, "properties": props(r), "userId": f"user-{r.randrange(10**6):06d}",
            "messageId": _PLACEHOLDER.format(prefix="{prefix}", index=0),
            "timestamp": _iso(now), "sentAt": _iso(now), "context": _context(r),
        }  # fmt: skip
        out.append(_template(message, prefix))
    return out
