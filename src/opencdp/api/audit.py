"""The audit API: entries, the two reports, unusual-access alerts and chain verification."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query

from opencdp.admin import Admin

_SINCE = Query(None, description="A date, an ISO time, or a span back from now: 30m, 24h, 7d")


def audit_router(admin: Admin) -> APIRouter:
    router = APIRouter(prefix="/v1/audit", tags=["audit"])

    @router.get("/log")
    def entries(
        user: str | None = Query(None, description="User name, or kind:name (cli:alice)"),
        profile: str | None = Query(None, description="Profile id or any identifier"),
        since: str | None = _SINCE,
        action: str | None = Query(None, description="An action or family: profile.read"),
        limit: int = Query(100, ge=1, le=10_000),
    ) -> list[dict[str, Any]]:
        return admin.audit_log(user, profile, since, action, limit)

    @router.get("/report")
    def report(
        profile: str | None = Query(None, description="Who accessed this customer's data"),
        user: str | None = Query(None, description="What this user accessed"),
        since: str | None = _SINCE,
        limit: int = Query(100, ge=1, le=10_000),
    ) -> dict[str, Any]:
        return admin.audit_report(profile, user, since, limit)

    @router.get("/alerts")
    def alerts(
        since: str | None = _SINCE, limit: int = Query(100, ge=1, le=10_000)
    ) -> list[dict[str, Any]]:
        return admin.audit_alerts(since, limit)

    @router.get("/verify")
    def verify() -> dict[str, Any]:
        return admin.audit_verify()

    return router
