"""Collecting messages through a workspace's real collector, as the HTTP API would."""

from __future__ import annotations

from typing import Any

import orjson


def collect(admin: Any, messages: list[dict[str, Any]], source: str = "web") -> None:
    """Send `messages` as one batch with `source`'s write key; returns after the commit."""
    key = admin.get_source(source)["write_key"]
    body = orjson.dumps({"batch": messages, "writeKey": key})
    _, ingest = admin.ws.collector.prepare(
        body, authorization=None, content_encoding=None, type_hint=None, client_ip=None
    )
    admin.ws.collector.submit(ingest).result()
