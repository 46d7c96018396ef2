"""Admin API for identity and the 360° profile."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field

from opencdp.admin import Admin
from opencdp.api.masking import needs_masking


class UnmergeIn(BaseModel):
    origin: str = Field(min_length=1, description="The merge's origin, from the merge history")


class PairIn(BaseModel):
    record_l: str = Field(min_length=1, description="source_id:record_id")
    record_r: str = Field(min_length=1, description="source_id:record_id")


def profiles_router(admin: Admin) -> APIRouter:
    router = APIRouter(tags=["profiles"])

    @router.get("/v1/profiles")
    def search(
        request: Request, q: str = Query(min_length=2), limit: int = Query(20, ge=1, le=200)
    ) -> Any:
        # Fragment search needs pii:read: `q=Somc` would confirm masked names letter by
        # letter. Other callers find a profile by a whole identifier only.
        masked = needs_masking(getattr(request.state, "principal", None))
        return admin.search_profiles(q, limit, exact_only=masked)

    @router.get("/v1/profiles/{identifier:path}")
    def get_profile(
        identifier: str,
        limit: int = Query(50, ge=1, le=1000),
        before: int | None = None,
        event: str | None = None,
    ) -> dict[str, Any]:
        return admin.get_profile(identifier, limit=limit, before=before, event=event)

    @router.post("/v1/profiles/{identifier:path}/unmerge")
    def unmerge(identifier: str, body: UnmergeIn) -> dict[str, Any]:
        return admin.unmerge(identifier, body.origin)

    @router.post("/v1/identity/rebuild")
    def rebuild() -> dict[str, Any]:
        return admin.rebuild_identity()

    @router.post("/v1/identity/resolve")
    def resolve() -> dict[str, Any]:
        return admin.resolve_matches()

    @router.get("/v1/identity/review")
    def review(limit: int = Query(50, ge=1, le=1000)) -> list[dict[str, Any]]:
        return admin.review_queue(limit)

    @router.post("/v1/identity/review/{decision}")
    def decide(decision: Literal["accept", "reject"], body: PairIn) -> dict[str, Any]:
        return admin.decide_match(body.record_l, body.record_r, decision == "accept")

    @router.get("/v1/identity/clusters")
    def clusters(source: str | None = None) -> list[dict[str, Any]]:
        return admin.identity_clusters(source)

    return router
