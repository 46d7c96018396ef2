"""Collection endpoints compatible with the Segment HTTP Tracking API.

Hot path: no pydantic, no JSON response encoding; the body is read with a size cap,
handed to the collector, and the answer is sent only once the commit holding it is durable.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from fastapi import APIRouter, Request
from starlette.responses import Response

from opencdp.api.errors import error_response
from opencdp.collect.body import RequestRejected, too_large
from opencdp.collect.collector import Collector
from opencdp.collect.sources import HARD_LIMIT_BYTES
from opencdp.db.writer import WriterSaturated, WriterStopped

log = logging.getLogger(__name__)
SUCCESS = b'{"success": true}'
# Endpoint → message type it implies (None: a batch whose messages name their own type).
# The one-letter paths are the ones analytics.js posts to.
ENDPOINTS: dict[str, str | None] = {
    "identify": "identify", "track": "track", "page": "page", "screen": "screen",
    "group": "group", "alias": "alias", "batch": None, "import": None,
    "i": "identify", "t": "track", "p": "page", "s": "screen", "g": "group", "a": "alias",
    "b": None,
}  # fmt: skip
_ALLOWED_HEADERS = "Authorization, Content-Type, Content-Encoding"


def _cors(request: Request) -> dict[str, str]:
    origin = request.headers.get("origin")
    if not origin:
        return {}
    return {
        "Access-Control-Allow-Origin": origin,
        "Access-Control-Allow-Credentials": "true",
        "Vary": "Origin",
    }


def _preflight(request: Request) -> Response:
    headers = _cors(request)
    headers.update(
        {
            "Access-Control-Allow-Methods": "POST, OPTIONS",
            "Access-Control-Allow-Headers": request.headers.get(
                "access-control-request-headers", _ALLOWED_HEADERS
            ),
            "Access-Control-Max-Age": "86400",
        }
    )
    return Response(status_code=204, headers=headers)


async def _read_body(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise too_large(limit)
    chunks = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise too_large(limit)
        chunks.append(chunk)
    return b"".join(chunks)


def _client_ip(request: Request) -> str | None:
    return request.client.host if request.client else None


def collection_router(collector: Collector) -> APIRouter:
    router = APIRouter(tags=["collect"])

    async def collect(request: Request, type_hint: str | None) -> Response:
        if request.method == "OPTIONS":
            return _preflight(request)
        cors = _cors(request)
        try:
            body = await _read_body(request, HARD_LIMIT_BYTES)
            _, ingest = collector.prepare(
                body,
                authorization=request.headers.get("authorization"),
                content_encoding=request.headers.get("content-encoding"),
                type_hint=type_hint,
                client_ip=_client_ip(request),
                gpc=request.headers.get("sec-gpc") == "1",
            )
            future = collector.submit(ingest)
        except RequestRejected as exc:
            headers = {**cors, **exc.headers} if exc.headers else cors
            return error_response(exc.status, exc.code, exc.message, headers)
        except (WriterSaturated, WriterStopped):
            return error_response(
                503, "overloaded", "too busy to accept events now; retry later",
                {**cors, "Retry-After": "1"},
            )  # fmt: skip
        try:
            result = await asyncio.wrap_future(future)
        except Exception as exc:
            log.error("commit failed", extra={"error": type(exc).__name__})
            return error_response(
                503, "store_unavailable", "events could not be stored; retry later",
                {**cors, "Retry-After": "1"},
            )  # fmt: skip
        if not ingest.records and ingest.rejections:
            reasons = "; ".join(sorted(set(result.reasons)))
            return error_response(
                400, "invalid_message", f"no valid message, kept in quarantine: {reasons}", cors
            )
        return Response(SUCCESS, media_type="application/json", headers=cors)

    def endpoint(type_hint: str | None) -> Callable[[Request], Awaitable[Response]]:
        async def handle(request: Request) -> Response:
            return await collect(request, type_hint)

        return handle

    for path, type_hint in ENDPOINTS.items():
        # Plain Starlette routes: the handlers take the raw request and build their own
        # responses, so FastAPI's per-request dependency machinery would be pure overhead
        # (about half the framework cost of a request).
        router.add_route(
            f"/v1/{path}", endpoint(type_hint), methods=["POST", "OPTIONS"],
            include_in_schema=False,
        )  # fmt: skip
    return router
