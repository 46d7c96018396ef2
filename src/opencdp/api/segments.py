"""Admin API for segments: define, preview, count, members, history, evaluate."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field

from opencdp.admin import Admin
from opencdp.api.masking import masked_schema


class DefinitionIn(BaseModel):
    where: str | None = Field(None, description="The segment in its text form")
    definition: dict[str, Any] | None = Field(None, description="The segment as a JSON tree")


class SegmentIn(DefinitionIn):
    name: str = Field(min_length=1, max_length=200)
    description: str | None = None
    realtime: bool = Field(True, description="Update membership as events arrive")


class PreviewIn(DefinitionIn):
    sample: int = Field(10, ge=0, le=1000)
    purpose: str | None = Field(
        None, description="Count only those who may be activated for this purpose"
    )


def segments_router(admin: Admin) -> APIRouter:
    router = APIRouter(tags=["segments"])

    # Definitions from callers without pii:read may not test personal values (an oracle
    # on what masking hides): `masked_schema` is then the schema to check against.
    @router.post("/v1/segments", status_code=201)
    def create(body: SegmentIn, request: Request) -> dict[str, Any]:
        return admin.create_segment(body.name, body.where, body.definition, body.description,
                                    body.realtime, masked=masked_schema(request))  # fmt: skip

    @router.get("/v1/segments")
    def list_all() -> list[dict[str, Any]]:
        return admin.list_segments()

    @router.post("/v1/segments/preview")
    def preview(body: PreviewIn, request: Request) -> dict[str, Any]:
        return admin.preview_segment(body.where, body.definition, body.sample, body.purpose,
                                     masked=masked_schema(request))  # fmt: skip

    @router.post("/v1/segments/evaluate")
    def evaluate_all() -> list[dict[str, Any]]:
        return admin.evaluate_segments()

    @router.get("/v1/segments/{name}")
    def show(name: str) -> dict[str, Any]:
        return admin.get_segment(name)

    @router.put("/v1/segments/{name}")
    def update(name: str, body: DefinitionIn, request: Request) -> dict[str, Any]:
        return admin.update_segment(name, body.where, body.definition,
                                    masked=masked_schema(request))  # fmt: skip

    @router.delete("/v1/segments/{name}")
    def delete(name: str) -> dict[str, Any]:
        return admin.delete_segment(name)

    @router.get("/v1/segments/{name}/count")
    def count(name: str, sample: int = Query(0, ge=0, le=1000)) -> dict[str, Any]:
        return admin.count_segment(name, sample)

    @router.get("/v1/segments/{name}/members")
    def members(
        name: str,
        limit: int = Query(100, ge=1, le=10000),
        offset: int = Query(0, ge=0),
        purpose: str | None = Query(
            None, description="Only members who may be activated for this purpose"
        ),
    ) -> dict[str, Any]:
        return admin.segment_members(name, limit, offset, purpose)

    @router.get("/v1/segments/{name}/history")
    def history(
        name: str, profile_id: str | None = None, limit: int = Query(100, ge=1, le=10000)
    ) -> list[dict[str, Any]]:
        return admin.segment_history(name, profile_id, limit)

    @router.post("/v1/segments/{name}/evaluate")
    def evaluate(name: str) -> list[dict[str, Any]]:
        return admin.evaluate_segments(name)

    return router
