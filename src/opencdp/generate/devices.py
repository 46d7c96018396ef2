"""Browsers, phones and shared machines that web/app events come from.

A device is an anonymousId with its context (library, user agent or device/os/app, IP).
Shared devices — a family tablet, an internet-café PC, the shop's kiosk — are what glue
strangers together when identity resolution trusts anonymousIds blindly.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

WEB_LIBRARY = {"name": "analytics.js", "version": "next-1.70.0"}
SERVER_LIBRARY = {"name": "analytics-python", "version": "2.3.3"}
WEB_AGENTS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/124.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.4 Safari/605.1.15",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/124.0.0.0 Mobile Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:125.0) Gecko/20100101 Firefox/125.0",
    "Mozilla/5.0 (iPad; CPU OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.4 Mobile/15E148 Safari/604.1",
)
APPS = (
    (
        {"name": "analytics-ios", "version": "4.1.8"},
        {"name": "iOS", "version": "17.4"},
        {"manufacturer": "Apple", "model": "iPhone15,2", "type": "ios"},
    ),
    (
        {"name": "analytics-android", "version": "4.11.3"},
        {"name": "Android", "version": "14"},
        {"manufacturer": "samsung", "model": "SM-S918B", "type": "android"},
    ),
)
APP_INFO = {"name": "Shop", "version": "5.2.0", "build": "520"}
ZERO_AD_ID = "00000000-0000-0000-0000-000000000000"
IP_PREFIXES = {
    "TH": (49, 171, 183, 1),
    "JP": (126, 133, 153, 60),
    "US": (24, 73, 98, 68),
    "GB": (81, 86, 90, 31),
}


def uuid4(rng: random.Random) -> str:
    """A version-4 UUID from the seeded random (uuid.uuid4 would not be reproducible)."""
    h = f"{rng.getrandbits(128):032x}"
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{'89ab'[int(h[16], 16) & 3]}{h[17:20]}-{h[20:32]}"


def ip_address(rng: random.Random, country: str) -> str:
    r = rng.random
    prefix = IP_PREFIXES[country][int(r() * 4)]
    return f"{prefix}.{int(r() * 256)}.{int(r() * 256)}.{1 + int(r() * 254)}"


@dataclass(frozen=True, slots=True)
class Device:
    anonymous_id: str
    kind: str  # web or app
    shared: str  # personal, family, cafe or kiosk
    ip: str
    context: dict[str, Any]  # the fixed part of every message's context


def make_device(
    rng: random.Random, kind: str, shared: str, ip: str, blank_ad_id: float = 0.0
) -> Device:
    anonymous_id = uuid4(rng)
    if kind == "web":
        context: dict[str, Any] = {
            "library": WEB_LIBRARY,
            "userAgent": WEB_AGENTS[int(rng.random() * len(WEB_AGENTS))],
        }
    else:
        library, os, device = APPS[int(rng.random() * len(APPS))]
        # Limited ad tracking zeroes the advertising id: a placeholder shared by millions.
        ad_id = ZERO_AD_ID if rng.random() < blank_ad_id else uuid4(rng)
        context = {
            "library": library,
            "os": os,
            "app": APP_INFO,
            "device": {**device, "id": uuid4(rng), "advertisingId": ad_id},
        }
    return Device(anonymous_id, kind, shared, ip, context)
