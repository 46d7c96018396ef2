"""Admin API for predictions: train, refresh, registry, scores, recommendations, trends."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from opencdp.admin import Admin


class TrainIn(BaseModel):
    name: str | None = Field(None, description="Prediction name (default per kind: clv, churn,"
                                               " next_product, sales)")
    options: dict[str, Any] = Field(default_factory=dict,
                                    description="Kind-specific options (docs/predictions.md)")
    refresh_hours: float | None = Field(None, ge=0, description="Retrain on the schedule")
    as_of: str | None = Field(None, description="Train as if it were this ISO time")


class AsOf(BaseModel):
    as_of: str | None = None


Kind = Literal["clv", "propensity", "churn", "recommend", "forecast"]


def predictions_router(admin: Admin) -> APIRouter:
    router = APIRouter(tags=["predictions"])

    @router.get("/v1/predictions")
    def list_all() -> list[dict[str, Any]]:
        return admin.list_predictions()

    @router.post("/v1/predictions/refresh")
    def refresh(body: AsOf | None = None) -> list[dict[str, Any]]:
        return admin.refresh_predictions(body.as_of if body else None)

    @router.get("/v1/predictions/models")
    def models(name: str | None = None,
               limit: int = Query(100, ge=1, le=1000)) -> list[dict[str, Any]]:  # fmt: skip
        return admin.list_prediction_models(name, limit)

    @router.get("/v1/predictions/models/{model_id}")
    def model(model_id: str) -> dict[str, Any]:
        return admin.get_prediction_model(model_id)

    @router.get("/v1/predictions/trends")
    def trends(by: Literal["product", "category"] = "product",
               days: int = Query(30, ge=1, le=3650), limit: int = Query(10, ge=1, le=1000),
               as_of: str | None = None) -> dict[str, Any]:  # fmt: skip
        return admin.prediction_trends(by, days, limit, as_of)

    @router.get("/v1/predictions/lists/{which}")
    def lists(which: Literal["high_value", "declining"], limit: int = Query(100, ge=1, le=100000),
              days: int = Query(30, ge=1, le=3650),
              as_of: str | None = None) -> dict[str, Any]:  # fmt: skip
        return admin.prediction_list(which, limit, days, as_of)

    @router.get("/v1/predictions/recommendations/{identifier:path}")
    def recommendations(identifier: str, name: str = "next_product",
                        limit: int = Query(10, ge=1, le=100)) -> dict[str, Any]:  # fmt: skip
        return admin.profile_recommendations(identifier, name, limit)

    @router.post("/v1/predictions/{kind}", status_code=201)
    def train(kind: Kind, body: TrainIn) -> dict[str, Any]:
        return admin.train_prediction(kind, body.name, body.options, body.refresh_hours,
                                      body.as_of)  # fmt: skip

    @router.get("/v1/predictions/{name}")
    def show(name: str) -> dict[str, Any]:
        return admin.get_prediction(name)

    @router.delete("/v1/predictions/{name}")
    def delete(name: str) -> dict[str, Any]:
        return admin.delete_prediction(name)

    @router.get("/v1/predictions/{name}/scores")
    def scores(name: str, limit: int = Query(100, ge=1, le=100000),
               offset: int = Query(0, ge=0)) -> list[dict[str, Any]]:  # fmt: skip
        return admin.prediction_scores(name, limit, offset)

    return router
