"""Decode a collection request body: decompress within limits, parse JSON, find messages."""

from __future__ import annotations

import json
import math
import zlib
from decimal import Decimal
from typing import Any

import orjson


class RequestRejected(Exception):
    """The request as a whole cannot be accepted; becomes a JSON error with this status."""

    def __init__(
        self, status: int, code: str, message: str, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers or {}


def too_large(limit: int) -> RequestRejected:
    return RequestRejected(413, "payload_too_large", f"request body is over {limit} bytes")


def decompress(body: bytes, encoding: str | None, limit: int) -> bytes:
    """Undo `Content-Encoding` (gzip or deflate), never inflating past `limit` bytes."""
    encoding = (encoding or "identity").strip().lower()
    if encoding in ("", "identity"):
        if len(body) > limit:
            raise too_large(limit)
        return body
    if encoding not in ("gzip", "x-gzip", "deflate"):
        raise RequestRejected(415, "unsupported_encoding", f"Content-Encoding {encoding!r}")
    wbits = 16 + zlib.MAX_WBITS if "gzip" in encoding else zlib.MAX_WBITS
    out = bytearray()
    rest = body
    while True:  # gzip allows several members one after another; inflate them all
        inflater = zlib.decompressobj(wbits)
        try:
            out += inflater.decompress(rest, limit + 1 - len(out))
        except zlib.error:
            raise RequestRejected(
                400, "bad_encoding", f"body is not valid {encoding} data"
            ) from None
        if len(out) > limit or inflater.unconsumed_tail:
            raise too_large(limit)
        if not inflater.eof:
            raise RequestRejected(400, "bad_encoding", f"{encoding} body is truncated")
        rest = inflater.unused_data
        if not rest or "gzip" not in encoding:
            break
    if rest:
        raise RequestRejected(400, "bad_encoding", f"data after the end of the {encoding} body")
    return bytes(out)


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _finite_or_decimal(text: str) -> float | Decimal:
    # A float beyond double range is kept exact so the message holding it is quarantined
    # with a reason instead of being stored as a silently wrong value.
    value = float(text)
    return value if math.isfinite(value) else Decimal(text)


def parse_json(data: bytes) -> Any:
    """Parse a JSON body. orjson first; the standard library for what orjson refuses but
    JSON allows (integers beyond 64 bits), so one odd number costs one message, not the batch.
    """
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError:
        pass
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise RequestRejected(400, "invalid_json", "body is not valid UTF-8") from None
    try:
        return json.loads(text, parse_constant=_reject_constant, parse_float=_finite_or_decimal)
    except RecursionError:
        raise RequestRejected(400, "invalid_json", "JSON is nested too deeply") from None
    except ValueError as exc:
        raise RequestRejected(400, "invalid_json", f"body is not valid JSON: {exc}") from None


def batch_messages(document: Any) -> list[Any]:
    """The messages of a `/v1/batch` or `/v1/import` body."""
    if not isinstance(document, dict):
        raise RequestRejected(400, "invalid_request", "batch body must be a JSON object")
    batch = document.get("batch")
    if not isinstance(batch, list):
        raise RequestRejected(400, "invalid_request", "batch body needs a `batch` array")
    if not batch:
        raise RequestRejected(400, "invalid_request", "batch is empty: no message to store")
    return batch


def object_field(document: dict[str, Any], name: str) -> dict[str, Any] | None:
    value = document.get(name)
    if value is None:
        return None
    if not isinstance(value, dict):
        raise RequestRejected(400, "invalid_request", f"batch {name} must be an object")
    return value


def quarantine_text(message: Any) -> str:
    """Serialise a rejected message exactly enough to fix and replay it, whatever it holds."""
    try:
        return orjson.dumps(message).decode()
    except (TypeError, orjson.JSONEncodeError):
        return json.dumps(message, default=str, ensure_ascii=True)
