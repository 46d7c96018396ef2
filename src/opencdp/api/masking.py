"""PII masking of admin API responses, in one place: an ASGI middleware.

After the route ran, the principal it authenticated is in the request state. When that
caller lacks `pii:read`, the JSON body is masked with `security.masking.mask_document`
before it leaves, whatever router produced it — so an endpoint added later is covered too.
The schema is the workspace's (`security.pii.WorkspacePii`: configured names plus what
import mappings and computed traits declare personal), looked up per masked response.
File downloads (event exports) mask while they are written (`api/events.py`).
Collection endpoints pass straight through (a set lookup), keeping the hot path cheap.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

import orjson
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request

from opencdp.security.masking import mask_document
from opencdp.security.pii import PiiSchema, WorkspacePii
from opencdp.security.principal import Principal

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


def needs_masking(principal: object) -> bool:
    return isinstance(principal, Principal) and not principal.sees_pii()


class PiiMaskingMiddleware:
    def __init__(self, app: ASGIApp, schemas: WorkspacePii, skip_paths: frozenset[str]) -> None:
        self.app = app
        self.schemas = schemas
        self.skip_paths = skip_paths

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in self.skip_paths:
            await self.app(scope, receive, send)
            return
        state = scope.setdefault("state", {})
        start: Message | None = None
        chunks: list[bytes] = []

        async def masking_send(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                if needs_masking(state.get("principal")) and _is_json(message):
                    start = message
                    return
                await send(message)
                return
            if start is None or message["type"] != "http.response.body":
                await send(message)
                return
            chunks.append(message.get("body", b""))
            if message.get("more_body", False):
                return
            schema = await run_in_threadpool(self.schemas.current)  # a database read
            body = _mask(b"".join(chunks), schema)
            headers = [h for h in start.get("headers", []) if h[0].lower() != b"content-length"]
            headers.append((b"content-length", str(len(body)).encode()))
            await send({**start, "headers": headers})
            await send({"type": "http.response.body", "body": body})

        await self.app(scope, receive, masking_send)


def _mask(body: bytes, schema: PiiSchema) -> bytes:
    try:
        document = orjson.loads(body)
    except orjson.JSONDecodeError:
        return body
    return orjson.dumps(mask_document(document, schema))


def _is_json(start: Message) -> bool:
    for key, value in start.get("headers", []):
        if key.lower() == b"content-type":
            return bytes(value).split(b";")[0].strip() == b"application/json"
    return False


def export_masking(request: Request) -> Callable[[dict[str, Any]], dict[str, Any]] | None:
    """The row transform a file export applies for this caller: masking, or none."""
    if not needs_masking(getattr(request.state, "principal", None)):
        return None
    schema = pii_schema(request)

    def mask_row(row: dict[str, Any]) -> dict[str, Any]:
        masked: dict[str, Any] = mask_document(row, schema)
        return masked

    return mask_row


def pii_schema(request: Request) -> PiiSchema:
    """The workspace's current PII schema (for a route running in the thread pool)."""
    schemas: WorkspacePii = request.app.state.pii
    return schemas.current()


def masked_schema(request: Request) -> PiiSchema | None:
    """The PII schema when this request's caller lacks `pii:read` (their definitions may
    not test personal values), else None."""
    return pii_schema(request) if needs_masking(getattr(request.state, "principal", None)) \
        else None
