"""Management operations for predictions, returning plain JSON-ready data (part of `Admin`).

Training reads through a cursor and fits with no database handle held, so collection goes
on meanwhile; scores and the registry entry are written through the single writer at the
end. `as_of` trains as if it were that moment (backtests, reproducible runs). The numerical
modules (scipy, scikit-learn) are imported inside the methods that need them: every CLI
command imports `Admin`, and they would add a second to each one.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from opencdp.predict import registry
from opencdp.profiles.lookup import find_profile_id
from opencdp.workspace import Workspace


def _moment(as_of: str | None) -> datetime:
    if as_of is None:
        return datetime.now(UTC)
    moment = datetime.fromisoformat(as_of)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


class PredictionAdmin:
    ws: Workspace

    def train_prediction(self, kind: str, name: str | None = None,
                         options: dict[str, Any] | None = None,
                         refresh_hours: float | None = None,
                         as_of: str | None = None) -> dict[str, Any]:  # fmt: skip
        """Define (or redefine) a prediction and train it now; the registry entry."""
        from opencdp.predict import service
        now = _moment(as_of)
        service.check_options(kind, {k: v for k, v in (options or {}).items() if v is not None})
        if not self.ws.stitching:  # the server's stitcher keeps profiles current itself
            self.ws.bring_current()
        return service.train(self.ws.read, self.ws.write, kind, name, options or {}, now,
                             refresh_hours)  # fmt: skip

    def refresh_predictions(self, as_of: str | None = None) -> list[dict[str, Any]]:
        from opencdp.predict import service
        return service.refresh_due(self.ws.read, self.ws.write, _moment(as_of))

    def list_predictions(self) -> list[dict[str, Any]]:
        return self.ws.read(registry.list_specs)

    def get_prediction(self, name: str) -> dict[str, Any]:
        """The spec and its latest model with every quality figure."""

        def read(con: Any) -> dict[str, Any]:
            spec = registry.get_spec(con, name)
            spec["model"] = registry.get_model(con, name) if spec["last_model"] else None
            return spec

        return self.ws.read(read)

    def delete_prediction(self, name: str) -> dict[str, Any]:
        from opencdp.predict.scores import remove_scores

        def delete(con: Any) -> dict[str, Any]:
            registry.delete_spec(con, name)
            remove_scores(con, name)
            for suffix in ("_alive", "_purchases", "_order_value"):
                remove_scores(con, name + suffix)
            return {"deleted": name}

        return self.ws.write(delete)

    def list_prediction_models(self, name: str | None = None,
                               limit: int = 100) -> list[dict[str, Any]]:  # fmt: skip
        return self.ws.read(lambda con: registry.list_models(con, name, limit))

    def get_prediction_model(self, model_id: str) -> dict[str, Any]:
        return self.ws.read(lambda con: registry.get_model(con, model_id))

    def prediction_scores(self, name: str, limit: int = 100,
                          offset: int = 0) -> list[dict[str, Any]]:  # fmt: skip
        from opencdp.predict import service
        return self.ws.read(lambda con: service.top_scores(con, name, limit, offset))

    def profile_recommendations(self, identifier: str, name: str = "next_product",
                                limit: int = 10) -> dict[str, Any]:  # fmt: skip
        def read(con: Any) -> dict[str, Any]:
            from opencdp.admin import NotFound
            from opencdp.predict import service

            profile_id = find_profile_id(con, identifier) or (identifier if con.execute(
                "SELECT 1 FROM profiles WHERE profile_id = ?", [identifier]).fetchone() else None)
            if profile_id is None:
                raise NotFound(f"no profile found for {identifier!r}")
            return {"profile_id": profile_id, "prediction": name,
                    "items": service.recommendations(con, profile_id, name, limit)}  # fmt: skip

        return self.ws.read(read)

    def prediction_trends(self, by: str = "product", days: int = 30, limit: int = 10,
                          as_of: str | None = None) -> dict[str, Any]:  # fmt: skip
        from opencdp.predict import trends
        now = _moment(as_of)
        return self.ws.read(lambda con: trends.trends(con, now, by=by, days=days, limit=limit))

    def prediction_list(self, which: str, limit: int = 100, days: int = 30,
                        as_of: str | None = None) -> dict[str, Any]:  # fmt: skip
        """'high_value' or 'declining' customers, for retention campaigns."""
        from opencdp.predict import trends
        now = _moment(as_of)
        if which == "high_value":
            return self.ws.read(lambda con: trends.high_value(con, now, limit=limit))
        if which == "declining":
            return self.ws.read(lambda con: trends.declining(con, now, days=days, limit=limit))
        raise ValueError("the list is 'high_value' or 'declining'")
