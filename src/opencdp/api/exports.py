"""Admin API exports of people for a purpose: consented profiles, or a segment's for activation.

Like destinations, these name a purpose and carry only the people whose consent for it holds
(privacy/enforce.py).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any, Literal

from fastapi import APIRouter, Query
from starlette.background import BackgroundTask
from starlette.responses import FileResponse

from opencdp.admin import Admin

_MEDIA = {
    "jsonl": "application/x-ndjson",
    "csv": "text/csv",
    "parquet": "application/vnd.apache.parquet",
}
Format = Literal["jsonl", "csv", "parquet"]
# The schema names the file types a download can have (X-Row-Count: how many rows).
_FILE: dict[int | str, dict[str, Any]] = {
    200: {"description": "The people as a file", "content": {m: {} for m in _MEDIA.values()}}
}
_PURPOSE = Query(min_length=1, description="Only people consenting to this purpose")


def exports_router(admin: Admin) -> APIRouter:
    router = APIRouter(tags=["profiles"])

    def respond(name: str, fmt: str, purpose: str, segment: str | None) -> FileResponse:
        handle, temp = tempfile.mkstemp(prefix="opencdp-export-", suffix=f".{fmt}")
        os.close(handle)
        path = Path(temp)
        try:
            rows = admin.export_people(path, fmt, purpose, segment)
        except Exception:
            path.unlink(missing_ok=True)
            raise
        return FileResponse(
            path, media_type=_MEDIA[fmt], filename=f"{name}.{fmt}",
            headers={"X-Row-Count": str(rows)},
            background=BackgroundTask(path.unlink, missing_ok=True),
        )  # fmt: skip

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
