"""Admin API for backups: make one while collection goes on, list them, download one.

The server makes backups because it owns the database file (DuckDB allows one read-write
process); `opencdp backup` calls `POST /v1/backups` when a server runs and, given `-o`,
downloads the file it made. Restores run only offline (`opencdp restore`).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from starlette.responses import FileResponse

from opencdp.admin import Admin


def backups_router(admin: Admin) -> APIRouter:
    router = APIRouter(tags=["backups"])

    @router.post("/v1/backups", status_code=201)
    def create() -> dict[str, Any]:
        """Write an encrypted snapshot of the database as of now into the backup directory."""
        return admin.create_backup()

    @router.get("/v1/backups")
    def list_all() -> list[dict[str, Any]]:
        return admin.list_backups()

    @router.get("/v1/backups/{name}", response_class=FileResponse)
    def download(name: str) -> FileResponse:
        """The backup file itself (encrypted; useless without the master key)."""
        return FileResponse(
            admin.backup_file(name), media_type="application/octet-stream", filename=name
        )

    return router
