"""Admin API exports of people for a purpose: consented profiles, or a segment's for activation.

Like destinations, these name a purpose and carry only the people whose consent for it holds
(privacy/enforce.py).
"""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Query
from starlette.responses import FileResponse

from opencdp.admin import Admin
from opencdp.api.export_files import MEDIA_TYPES, file_response

Format = Literal["jsonl", "csv", "parquet"]
# The schema names the file types a download can have (X-Row-Count: how many rows).
_FILE: dict[int | str, dict[str, Any]] = {
    200: {"description": "The people as a file", "content": {m: {} for m in MEDIA_TYPES.values()}}
}
_PURPOSE = Query(min_length=1, description="Only people consenting to this purpose")


def exports_router(admin: Admin) -> APIRouter:
    router = APIRouter(tags=["profiles"])

    def respond(name: str, fmt: str, purpose: str, segment: str | None) -> FileResponse:
        return file_response(
            name, fmt, lambda path: admin.export_people(path, fmt, purpose, segment)
        )

    @router.get("/v1/profiles/export", response_class=FileResponse, responses=_FILE)
    def export_profiles(
        purpose: str = _PURPOSE, segment: str | None = None, format: Format = "jsonl"
    ) -> FileResponse:
        """Golden records of the people consenting to `purpose` (of one segment if given)."""
        return respond("profiles", format, purpose, segment)

    @router.get("/v1/segments/{name}/export", response_class=FileResponse, responses=_FILE)
    def export_segment(
        name: str, purpose: str = _PURPOSE, format: Format = "jsonl"
    ) -> FileResponse:
        """A segment's members who may be activated for `purpose`, as a file."""
        return respond(name, format, purpose, name)

    return router
