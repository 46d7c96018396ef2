"""Admin API for batch imports: upload a file, import a database table, see the history."""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path
from typing import Any

from fastapi import APIRouter, File, Form, Query, UploadFile
from pydantic import BaseModel, Field

from opencdp.admin import Admin
from opencdp.api.errors import ApiError


class DatabaseImportIn(BaseModel):
    url: str = Field(description="postgresql://… or mysql://… (MariaDB too)")
    table: str | None = None
    query: str | None = None
    cursor: str | None = Field(None, description="column for incremental runs: updated_at, id")
    mapping: dict[str, Any]


def imports_router(admin: Admin) -> APIRouter:
    router = APIRouter(prefix="/v1/sources/{name}/imports", tags=["imports"])

    @router.post("")
    def upload(
        name: str,
        file: UploadFile = File(...),
        mapping: str = Form(..., description="the mapping as JSON"),
        format: str | None = Query(None),
        encoding: str | None = Query(None),
        delimiter: str | None = Query(None),
    ) -> dict[str, Any]:
        try:
            mapping_document = json.loads(mapping)
        except json.JSONDecodeError as exc:
            raise ApiError(400, "invalid_mapping", f"mapping is not JSON: {exc}") from None
        suffix = Path(file.filename or "upload").suffix
        with tempfile.TemporaryDirectory(prefix="opencdp-import-") as folder:
            path = Path(folder) / f"upload{suffix}"
            with open(path, "wb") as sink:
                shutil.copyfileobj(file.file, sink)
            return admin.import_file(
                name, path, mapping_document, format, encoding, delimiter,
                location=f"upload:{file.filename or 'file'}",
            )  # fmt: skip

    @router.post("/database")
    def from_database(name: str, body: DatabaseImportIn) -> dict[str, Any]:
        return admin.import_database(
            name, body.url, body.mapping, body.table, body.query, body.cursor
        )

    @router.get("")
    def history(name: str, limit: int = Query(50, ge=1, le=1000)) -> list[dict[str, Any]]:
        return admin.list_imports(name, limit)

    return router
