"""Admin API for the data-quality report."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from opencdp.admin import Admin


def quality_router(admin: Admin) -> APIRouter:
    router = APIRouter(tags=["quality"])

    @router.get("/v1/quality")
    def quality(source: str | None = None) -> dict[str, Any]:
        return admin.quality_report(source)

    return router
