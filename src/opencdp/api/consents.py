"""Admin API for consent: record statements, read a profile's consent and history, purposes."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from opencdp.admin import Admin
from opencdp.privacy.consent import LEGAL_BASES


class StatementIn(BaseModel):
    identifier: str = Field(min_length=3, max_length=1024,
                            description="The identifier that states it, as type:value"
                                        " (email:ann@example.com, user_id:42)")  # fmt: skip
    purpose: str = Field(min_length=1, max_length=100,
                         description="A built-in or registered purpose, or one of its names")
    granted: bool = Field(strict=True,
                          description="true for a grant, false for a denial (an opt-out)")
    legal_basis: str = Field("consent", description=f"One of {', '.join(LEGAL_BASES)}")
    stated_at: datetime | None = Field(None, description="When it was stated (default: now)")
    policy_version: str | None = Field(None, max_length=500)
    expires_at: datetime | None = Field(None, description="A grant stops counting then")
    jurisdiction: str | None = Field(None, max_length=500,
                                     description="e.g. GDPR, CCPA, PDPA, APPI")  # fmt: skip
    note: str | None = Field(None, max_length=500,
                             description="Evidence: a form number, a call reference")


class StatementsIn(BaseModel):
    statements: list[StatementIn] = Field(min_length=1, max_length=1000)


class PurposeIn(BaseModel):
    name: str = Field(min_length=2, max_length=63)
    description: str | None = Field(None, max_length=500)
    aliases: list[str] = Field(default_factory=list, max_length=100,
                               description="Other names, such as a consent platform's"
                                           " category ids (C0004)")  # fmt: skip


def _plain(statement: StatementIn) -> dict[str, Any]:
    return statement.model_dump()


def consents_router(admin: Admin) -> APIRouter:
    router = APIRouter(tags=["consent"])

    @router.post("/v1/consents", status_code=201)
    def record(body: StatementIn) -> dict[str, Any]:
        """Record one grant or denial; answers with the profile's consent for the purpose."""
        return admin.record_consents([_plain(body)])[0]

    @router.post("/v1/consents/batch", status_code=201)
    def record_many(body: StatementsIn) -> list[dict[str, Any]]:
        """Record many statements at once (all or none)."""
        return admin.record_consents([_plain(s) for s in body.statements])

    @router.get("/v1/consents/purposes")
    def purposes() -> list[dict[str, Any]]:
        return admin.list_purposes()

    @router.post("/v1/consents/purposes", status_code=201)
    def add_purpose(body: PurposeIn) -> dict[str, Any]:
        return admin.add_purpose(body.name, body.description, body.aliases)

    @router.get("/v1/profiles/{identifier:path}/consents")
    def profile_consents(
        identifier: str,
        purpose: str | None = None,
        limit: int = Query(100, ge=1, le=10_000),
    ) -> dict[str, Any]:
        """Consent per purpose (with the deciding statement) and the statement history of
        every identifier of the profile, newest first."""
        return admin.get_consents(identifier, purpose, limit)

    return router
