"""The prediction endpoints of a running server's admin API, as `Admin`'s prediction methods."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote


class RemotePredictions:
    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        raise NotImplementedError

    def train_prediction(self, kind: str, name: str | None = None,
                         options: dict[str, Any] | None = None,
                         refresh_hours: float | None = None,
                         as_of: str | None = None) -> dict[str, Any]:  # fmt: skip
        body = {"name": name, "options": options or {}, "refresh_hours": refresh_hours,
                "as_of": as_of}  # fmt: skip
        return dict(self._call("POST", f"/v1/predictions/{kind}", json=body))

    def refresh_predictions(self, as_of: str | None = None) -> list[dict[str, Any]]:
        return list(self._call("POST", "/v1/predictions/refresh", json={"as_of": as_of}))

    def list_predictions(self) -> list[dict[str, Any]]:
        return list(self._call("GET", "/v1/predictions"))

    def get_prediction(self, name: str) -> dict[str, Any]:
        return dict(self._call("GET", f"/v1/predictions/{name}"))

    def delete_prediction(self, name: str) -> dict[str, Any]:
        return dict(self._call("DELETE", f"/v1/predictions/{name}"))

    def list_prediction_models(self, name: str | None = None,
                               limit: int = 100) -> list[dict[str, Any]]:  # fmt: skip
        params: dict[str, Any] = {"limit": limit}
        if name is not None:
            params["name"] = name
        return list(self._call("GET", "/v1/predictions/models", params=params))

    def get_prediction_model(self, model_id: str) -> dict[str, Any]:
        return dict(self._call("GET", f"/v1/predictions/models/{model_id}"))

    def prediction_scores(self, name: str, limit: int = 100,
                          offset: int = 0) -> list[dict[str, Any]]:  # fmt: skip
        params = {"limit": limit, "offset": offset}
        return list(self._call("GET", f"/v1/predictions/{name}/scores", params=params))

    def profile_recommendations(self, identifier: str, name: str = "next_product",
                                limit: int = 10) -> dict[str, Any]:  # fmt: skip
        path = f"/v1/predictions/recommendations/{quote(identifier, safe='')}"
        return dict(self._call("GET", path, params={"name": name, "limit": limit}))

    def prediction_trends(self, by: str = "product", days: int = 30, limit: int = 10,
                          as_of: str | None = None) -> dict[str, Any]:  # fmt: skip
        params: dict[str, Any] = {"by": by, "days": days, "limit": limit}
        if as_of is not None:
            params["as_of"] = as_of
        return dict(self._call("GET", "/v1/predictions/trends", params=params))

    def prediction_list(self, which: str, limit: int = 100, days: int = 30,
                        as_of: str | None = None) -> dict[str, Any]:  # fmt: skip
        params: dict[str, Any] = {"limit": limit, "days": days}
        if as_of is not None:
            params["as_of"] = as_of
        return dict(self._call("GET", f"/v1/predictions/lists/{which}", params=params))
