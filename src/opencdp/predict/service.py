"""Training by kind, scheduled refreshes, and reading what the predictions produced."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

import duckdb

from opencdp.predict import registry
from opencdp.predict.btyd.mle import FitFailed
from opencdp.predict.jobs import clv, forecast, propensity, recommend
from opencdp.predict.jobs.common import Read, Write
from opencdp.predict.propensity import NotEnoughExamples

log = logging.getLogger(__name__)
DEFAULT_NAMES = {"clv": "clv", "churn": "churn", "recommend": "next_product",
                 "forecast": "sales"}  # fmt: skip


def check_options(kind: str, options: dict[str, Any]) -> dict[str, Any]:
    """The full options of a prediction (defaults filled in); ValueError when invalid."""
    if kind == "clv":
        return clv.options_of(options)
    if kind in ("propensity", "churn"):
        return propensity.options_of(kind, options)
    if kind == "recommend":
        return recommend.options_of(options)
    if kind == "forecast":
        return forecast.options_of(options)
    raise ValueError(f"kind must be one of {list(registry.KINDS)}, not {kind!r}")


def train(read: Read, write: Write, kind: str, name: str | None, options: dict[str, Any],
          now: datetime, refresh_hours: float | None = None) -> dict[str, Any]:  # fmt: skip
    """Save the prediction's spec and train it now; returns the registry entry."""
    if name is None:
        if kind not in DEFAULT_NAMES:
            raise ValueError(f"a {kind} prediction needs a name")
        name = DEFAULT_NAMES[kind]
    registry.check_name(name)
    given = {k: v for k, v in options.items() if v is not None}
    check_options(kind, given)
    write(lambda con: registry.save_spec(con, name, kind, given, refresh_hours, now))
    return run(read, write, kind, name, given, now)


def run(read: Read, write: Write, kind: str, name: str, options: dict[str, Any],
        now: datetime) -> dict[str, Any]:  # fmt: skip
    if kind == "clv":
        return clv.run(read, write, name, options, now)
    if kind in ("propensity", "churn"):
        return propensity.run(read, write, name, kind, options, now)
    if kind == "recommend":
        return recommend.run(read, write, name, options, now)
    return forecast.run(read, write, name, options, now)


def refresh_due(read: Read, write: Write, now: datetime | None = None) -> list[dict[str, Any]]:
    """Retrain every prediction whose refresh interval has passed (the scheduler's job); a
    failure is recorded in the registry and does not stop the others."""
    now = now or datetime.now(UTC)
    done = []
    for spec in read(lambda con: registry.due_specs(con, now)):
        try:
            model = run(read, write, spec["kind"], spec["name"], spec["options"], now)
            done.append({"name": spec["name"], "model_id": model["model_id"], "status": "active"})
        except (FitFailed, NotEnoughExamples, ValueError) as exc:
            log.warning("prediction refresh failed", extra={"prediction": spec["name"]})
            done.append({"name": spec["name"], "status": "failed", "error": str(exc)})
    return done


def recommendations(con: duckdb.DuckDBPyConnection, profile_id: str, name: str,
                    limit: int = 10) -> list[dict[str, Any]]:  # fmt: skip
    rows = con.execute(
        "SELECT r.rank, r.item, r.score FROM profile_recommendations r JOIN prediction_models m"
        " USING (model_id) WHERE m.name = ? AND m.status = 'active' AND r.profile_id = ?"
        " ORDER BY r.rank LIMIT ?", [name, profile_id, limit]).fetchall()  # fmt: skip
    return [{"rank": k, "item": i, "score": round(s, 6)} for k, i, s in rows]


def top_scores(con: duckdb.DuckDBPyConnection, name: str, limit: int = 100,
               offset: int = 0) -> list[dict[str, Any]]:  # fmt: skip
    rows = con.execute(
        "SELECT s.profile_id, s.value, s.label, p.value FROM profile_predictions s"
        " LEFT JOIN profile_predictions p ON p.profile_id = s.profile_id AND p.prediction = ?"
        " WHERE s.prediction = ? ORDER BY s.value DESC, s.profile_id LIMIT ? OFFSET ?",
        [name + "_percentile", name, limit, offset]).fetchall()  # fmt: skip
    return [{"profile_id": p, "value": v, "label": la, "percentile": pct}
            for p, v, la, pct in rows]  # fmt: skip
