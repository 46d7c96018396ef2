"""Admin API for computed traits: define, list, delete, recompute."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body, Request
from pydantic import BaseModel

from opencdp.admin import Admin
from opencdp.api.masking import masked_schema


class ComputeIn(BaseModel):
    names: list[str] | None = None


def computed_traits_router(admin: Admin) -> APIRouter:
    router = APIRouter(tags=["computed traits"])

    @router.get("/v1/computed-traits")
    def list_all() -> list[dict[str, Any]]:
        return admin.list_computed_traits()

    @router.post("/v1/computed-traits/compute")
    def compute(body: ComputeIn | None = None) -> dict[str, Any]:
        return admin.compute_traits(body.names if body else None)

    @router.get("/v1/computed-traits/{name}")
    def show(name: str) -> dict[str, Any]:
        return admin.get_computed_trait(name)

    @router.put("/v1/computed-traits/{name}")
    def define(
        name: str, request: Request, definition: dict[str, Any] = Body(...)
    ) -> dict[str, Any]:
        # without pii:read, `where` filters may not compare personal values (a count would
        # answer yes or no about them); a trait reading one is masked like its source
        return admin.define_computed_trait(name, definition, masked=masked_schema(request))

    @router.delete("/v1/computed-traits/{name}")
    def delete(name: str) -> dict[str, Any]:
        return admin.delete_computed_trait(name)

    return router
