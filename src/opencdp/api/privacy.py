"""Admin API for data-subject requests (access, erasure), suppression and retention."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from opencdp.admin import Admin


class SubjectIn(BaseModel):
    identifier: str = Field(min_length=1, max_length=1000,
                            description="Any identifier of the person: e-mail, phone, user id, "
                            "`type:value`, or a profile id")  # fmt: skip


class RetentionIn(BaseModel):
    max_age: str = Field(min_length=1, max_length=20,
                         description="Maximum age: days (`90`, `90d`), weeks (`12w`), months "
                         "(`6m`, 30 days) or years (`2y`, 365 days)")  # fmt: skip
    source: str | None = Field(None, description="Only this source's events and records")
    event: str | None = Field(None, description="Only events of this name or type")


class ApplyIn(BaseModel):
    names: list[str] | None = Field(None, description="Policies to apply (default: all)")


def privacy_router(admin: Admin) -> APIRouter:
    router = APIRouter(tags=["privacy"])

    @router.post("/v1/privacy/access")
    def access(body: SubjectIn) -> dict[str, Any]:
        """An access / portability request: the request and everything held, as JSON."""
        return admin.privacy_export(body.identifier)

    @router.post("/v1/privacy/erasure")
    def erasure(body: SubjectIn) -> dict[str, Any]:
        """An erasure request, run to completion: the request with its receipt."""
        return admin.privacy_erase(body.identifier)

    @router.get("/v1/privacy/requests")
    def requests(
        status: Literal["received", "running", "completed", "failed"] | None = None,
        kind: Literal["access", "erasure"] | None = None,
        overdue: bool = False,
        limit: int = Query(100, ge=1, le=10_000),
    ) -> list[dict[str, Any]]:
        return admin.privacy_requests(status, kind, overdue, limit)

    @router.get("/v1/privacy/requests/{request_id}")
    def request(request_id: str) -> dict[str, Any]:
        return admin.privacy_request(request_id)

    @router.get("/v1/privacy/requests/{request_id}/export")
    def stored_export(request_id: str) -> dict[str, Any]:
        """The export an access request produced (until the person is erased)."""
        return admin.privacy_request_export(request_id)

    @router.get("/v1/privacy/suppression")
    def suppression() -> dict[str, Any]:
        """How many identifiers are suppressed, and messages dropped per source and day."""
        return admin.suppression_status()

    @router.get("/v1/privacy/retention")
    def policies() -> list[dict[str, Any]]:
        return admin.retention_policies()

    @router.put("/v1/privacy/retention/{name}")
    def set_policy(name: str, body: RetentionIn) -> dict[str, Any]:
        return admin.set_retention_policy(name, body.max_age, body.source, body.event)

    @router.delete("/v1/privacy/retention/{name}")
    def delete_policy(name: str) -> dict[str, Any]:
        return admin.delete_retention_policy(name)

    @router.post("/v1/privacy/retention/apply")
    def apply(body: ApplyIn | None = None) -> list[dict[str, Any]]:
        return admin.apply_retention(body.names if body else None)

    return router
