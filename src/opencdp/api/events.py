"""Admin API for the event log: counts, recent events, exports; and the quarantine."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Body, Query, Request
from starlette.responses import FileResponse

from opencdp.admin import Admin
from opencdp.api.export_files import MEDIA_TYPES, file_response
from opencdp.api.masking import export_masking


def events_router(admin: Admin) -> APIRouter:
    router = APIRouter(tags=["events"])

    @router.get("/v1/events/count")
    def count(source: str | None = None) -> dict[str, Any]:
        return admin.count_events(source)

    @router.get("/v1/events")
    def recent(source: str | None = None, limit: int = Query(20, ge=1, le=1000)) -> list[Any]:
        return admin.recent_events(source, limit)

    @router.get(
        "/v1/events/export", response_class=FileResponse,
        responses={200: {"description": "The events as a file (X-Row-Count: how many)",
                         "content": {media: {} for media in MEDIA_TYPES.values()}}},
    )  # fmt: skip
    def export(
        request: Request,
        format: Literal["jsonl", "csv", "parquet"] = "jsonl",
        source: str | None = None,
        purpose: str | None = Query(
            None, description="Only the events of people consenting to this purpose"
        ),
    ) -> FileResponse:
        return file_response("events", format, lambda path: admin.export_events(
            path, format, source, export_masking(request), purpose=purpose))  # fmt: skip

    @router.get("/v1/quarantine", tags=["quarantine"])
    def list_quarantine(
        source: str | None = None,
        status: Literal["pending", "replayed", "discarded", "all"] = "pending",
        limit: int = Query(100, ge=1, le=10_000),
    ) -> list[dict[str, Any]]:
        return admin.list_quarantine(source, None if status == "all" else status, limit)

    @router.post("/v1/quarantine/{quarantine_id}/replay", tags=["quarantine"])
    def replay(
        quarantine_id: int, payload: dict[str, Any] | None = Body(None, embed=True)
    ) -> dict[str, Any]:
        return admin.replay_quarantined(quarantine_id, payload)

    @router.post("/v1/quarantine/{quarantine_id}/discard", tags=["quarantine"])
    def discard(quarantine_id: int) -> dict[str, Any]:
        return admin.discard_quarantined(quarantine_id)

    return router
