"""Admin API for destinations: define, sync (full or incremental), history, dead letters."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from opencdp.admin import Admin


class DestinationIn(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    kind: str = Field(description="webhook, file, database, google_customer_match, "
                      "meta_custom_audience or email_list")  # fmt: skip
    segment: str = Field(description="The segment's name or id")
    purpose: str = Field(description="email_marketing, advertising, analytics, ...")
    config: dict[str, Any] = Field(default_factory=dict)
    schedule_minutes: int | None = Field(None, ge=1)


class EnabledIn(BaseModel):
    enabled: bool


class ConfigIn(BaseModel):
    config: dict[str, Any] = Field(
        default_factory=dict,
        description="Keys replacing the stored ones (url, path, table, traits, format, ...); "
        "a webhook secret or database password need not be given again",
    )
    purpose: str | None = Field(None, description="A new declared purpose")


class AudienceIn(BaseModel):
    segment: str | None = Field(None, description="The segment's name or id to send")
    schedule_minutes: int | None = Field(None, ge=1, le=525_600)
    unschedule: bool = Field(False, description="Sync only on demand from now on")


def destinations_router(admin: Admin) -> APIRouter:
    router = APIRouter(tags=["destinations"])

    # Creating, reconfiguring and deleting decide where data goes: `destinations:configure`
    # (admins; app.py). Choosing the audience, pausing and syncing: `destinations:write`.
    @router.post("/v1/destinations", status_code=201)
    def create(body: DestinationIn) -> dict[str, Any]:
        return admin.create_destination(body.name, body.kind, body.segment, body.purpose,
                                        body.config, body.schedule_minutes)  # fmt: skip

    @router.get("/v1/destinations")
    def list_all() -> list[dict[str, Any]]:
        return admin.list_destinations()

    @router.get("/v1/destinations/{name}")
    def show(name: str) -> dict[str, Any]:
        return admin.get_destination(name)

    @router.delete("/v1/destinations/{name}")
    def delete(name: str) -> dict[str, Any]:
        return admin.delete_destination(name)

    @router.patch("/v1/destinations/{name}/config")
    def configure(name: str, body: ConfigIn) -> dict[str, Any]:
        return admin.configure_destination(name, body.config, body.purpose)

    @router.patch("/v1/destinations/{name}/audience")
    def audience(name: str, body: AudienceIn) -> dict[str, Any]:
        return admin.set_destination_audience(name, body.segment, body.schedule_minutes,
                                              body.unschedule)  # fmt: skip

    @router.put("/v1/destinations/{name}/enabled")
    def enable(name: str, body: EnabledIn) -> dict[str, Any]:
        return admin.set_destination_enabled(name, body.enabled)

    # Plain `def` endpoints run in the thread pool, so a long delivery never blocks the loop.
    @router.post("/v1/destinations/{name}/sync")
    def sync(name: str, mode: Literal["incremental", "full"] = "incremental") -> dict[str, Any]:
        return admin.sync_destination(name, mode)

    @router.get("/v1/destinations/{name}/syncs")
    def history(name: str, limit: int = Query(100, ge=1, le=10000)) -> list[dict[str, Any]]:
        return admin.destination_history(name, limit)

    @router.get("/v1/destinations/{name}/dead-letters")
    def letters(name: str) -> list[dict[str, Any]]:
        return admin.dead_letters(name)

    @router.post("/v1/destinations/{name}/dead-letters/{letter_id}/replay")
    def replay(name: str, letter_id: str) -> dict[str, Any]:
        return admin.replay_dead_letter(name, letter_id)

    return router
