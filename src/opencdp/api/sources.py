"""Admin API for sources: create, list, enable/disable, limits, write-key rotation."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from opencdp.admin import Admin
from opencdp.security.principal import Principal


class SourceIn(BaseModel):
    name: str = Field(min_length=1, max_length=100)
    max_message_bytes: int | None = Field(default=None, ge=1024, le=4 * 1024 * 1024)
    max_batch_bytes: int | None = Field(default=None, ge=1024, le=4 * 1024 * 1024)
    default_region: str | None = Field(default=None, max_length=60)


class RegionIn(BaseModel):
    default_region: str | None = Field(default=None, max_length=60)


class LimitsIn(BaseModel):
    max_message_bytes: int | None = Field(default=None, ge=1024, le=4 * 1024 * 1024)
    max_batch_bytes: int | None = Field(default=None, ge=1024, le=4 * 1024 * 1024)


def _key_for(request: Request, source: dict[str, Any]) -> dict[str, Any]:
    """A write key lets its holder ingest, so only callers who may change sources see it."""
    principal = getattr(request.state, "principal", None)
    if isinstance(principal, Principal) and not principal.can("sources:write"):
        return {**source, "write_key": None}
    return source


def sources_router(admin: Admin) -> APIRouter:
    router = APIRouter(prefix="/v1/sources", tags=["sources"])

    @router.get("")
    def list_sources(request: Request) -> list[dict[str, Any]]:
        return [_key_for(request, s) for s in admin.list_sources()]

    @router.post("", status_code=201)
    def create_source(body: SourceIn) -> dict[str, Any]:
        return admin.create_source(
            body.name, body.max_message_bytes, body.max_batch_bytes, body.default_region
        )

    @router.get("/{name}")
    def get_source(name: str, request: Request) -> dict[str, Any]:
        return _key_for(request, admin.get_source(name))

    @router.post("/{name}/disable")
    def disable_source(name: str) -> dict[str, Any]:
        return admin.set_source_enabled(name, False)

    @router.post("/{name}/enable")
    def enable_source(name: str) -> dict[str, Any]:
        return admin.set_source_enabled(name, True)

    @router.post("/{name}/rotate-key")
    def rotate_key(name: str) -> dict[str, Any]:
        return admin.rotate_write_key(name)

    @router.put("/{name}/limits")
    def set_limits(name: str, body: LimitsIn) -> dict[str, Any]:
        return admin.set_source_limits(name, body.max_message_bytes, body.max_batch_bytes)

    @router.put("/{name}/region")
    def set_region(name: str, body: RegionIn) -> dict[str, Any]:
        return admin.set_source_region(name, body.default_region)

    return router
