"""The model registry: what each prediction is (its spec, refreshed on a schedule) and every
model trained for it — data window, parameters, quality figures, time taken."""

from __future__ import annotations

import json
import re
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import duckdb

KINDS = ("clv", "propensity", "churn", "recommend", "forecast")
_NAME = re.compile(r"[a-z][a-z0-9_]{0,62}")


class PredictionNotFound(LookupError):
    """No prediction (spec) or model of that name."""


@dataclass
class ModelRecord:
    """One training run, filled in by a job and stored once it ends."""

    name: str
    kind: str
    algorithm: str
    options: dict[str, Any]
    data_to: datetime
    data_from: datetime | None = None
    cutoff: datetime | None = None
    parameters: dict[str, Any] = field(default_factory=dict)
    metrics: dict[str, Any] = field(default_factory=dict)
    rows_trained: int = 0
    profiles_scored: int = 0
    seconds: float = 0.0
    model_id: str = field(default_factory=lambda: f"mdl_{secrets.token_hex(6)}")


def check_name(name: str) -> None:
    if not _NAME.fullmatch(name) or name.endswith("_percentile"):
        raise ValueError(f"a prediction name is lower-case letters, digits and _ (not ending in"
                         f" _percentile), starting with a letter: {name!r}")  # fmt: skip


def save_spec(con: duckdb.DuckDBPyConnection, name: str, kind: str, options: dict[str, Any],
              refresh_hours: float | None, now: datetime) -> None:  # fmt: skip
    check_name(name)
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {list(KINDS)}, not {kind!r}")
    found = con.execute("SELECT kind FROM prediction_specs WHERE name = ?", [name]).fetchone()
    if found is not None and found[0] != kind:
        raise ValueError(f"{name!r} is already a {found[0]} prediction; choose another name")
    text = json.dumps(options, sort_keys=True, default=str)
    if found is None:
        con.execute("INSERT INTO prediction_specs VALUES (?, ?, ?, ?, ?, ?)",
                    [name, kind, text, refresh_hours, now, now])  # fmt: skip
    else:
        con.execute("UPDATE prediction_specs SET options = ?, refresh_hours = ?, updated_at = ?"
                    " WHERE name = ?", [text, refresh_hours, now, name])  # fmt: skip


def record_model(con: duckdb.DuckDBPyConnection, record: ModelRecord, trained_at: datetime,
                 *, error: str | None = None) -> str:  # fmt: skip
    """Store a run; a successful one becomes the active model of its name."""
    status = "failed" if error else "active"
    if not error:
        con.execute("UPDATE prediction_models SET status = 'superseded' WHERE name = ?"
                    " AND status = 'active'", [record.name])  # fmt: skip
    con.execute(
        "INSERT INTO prediction_models VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [record.model_id, record.name, record.kind, record.algorithm, status,
         json.dumps(record.options, sort_keys=True, default=str), record.data_from,
         record.cutoff, record.data_to, json.dumps(record.parameters, default=_json),
         json.dumps(record.metrics, default=_json), record.rows_trained,
         record.profiles_scored, error, trained_at, round(record.seconds, 3)],
    )  # fmt: skip
    return record.model_id


_COLUMNS = ("model_id, name, kind, algorithm, status, options, data_from, cutoff, data_to,"
            " parameters, metrics, rows_trained, profiles_scored, error, trained_at, seconds")


def _row(row: tuple[Any, ...]) -> dict[str, Any]:
    keys = [c.strip() for c in _COLUMNS.split(",")]
    out = dict(zip(keys, row, strict=True))
    for key in ("options", "parameters", "metrics"):
        out[key] = json.loads(out[key]) if out[key] else {}
    for key in ("data_from", "cutoff", "data_to", "trained_at"):
        out[key] = out[key].isoformat() if out[key] else None
    return out


def list_models(con: duckdb.DuckDBPyConnection, name: str | None = None,
                limit: int = 100) -> list[dict[str, Any]]:  # fmt: skip
    """Training runs, newest first (metrics without the per-decile tables, to stay short)."""
    where = "WHERE name = ?" if name else ""
    rows = con.execute(f"SELECT {_COLUMNS} FROM prediction_models {where}"
                       " ORDER BY trained_at DESC LIMIT ?", [*([name] if name else []), limit]
                       ).fetchall()  # fmt: skip
    out = [_row(r) for r in rows]
    for model in out:
        model["metrics"] = {k: v for k, v in model["metrics"].items()
                            if not isinstance(v, list)}  # fmt: skip
    return out


def get_model(con: duckdb.DuckDBPyConnection, name_or_id: str) -> dict[str, Any]:
    """A model by id, or the active model of a prediction name (the latest run if none is)."""
    row = con.execute(
        f"SELECT {_COLUMNS} FROM prediction_models WHERE model_id = $k OR name = $k"
        " ORDER BY model_id = $k DESC, status = 'active' DESC, trained_at DESC LIMIT 1",
        {"k": name_or_id},
    ).fetchone()  # fmt: skip
    if row is None:
        raise PredictionNotFound(f"no prediction model named {name_or_id!r}")
    return _row(row)


def list_specs(con: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    rows = con.execute(
        "SELECT s.name, s.kind, s.options, s.refresh_hours, s.updated_at, m.model_id,"
        " m.trained_at, m.status FROM prediction_specs s LEFT JOIN (SELECT * FROM"
        " prediction_models QUALIFY row_number() OVER (PARTITION BY name ORDER BY trained_at"
        " DESC) = 1) m USING (name) ORDER BY s.name").fetchall()  # fmt: skip
    return [{"name": n, "kind": k, "options": json.loads(o), "refresh_hours": h,
             "updated_at": u.isoformat(), "last_model": m, "last_trained_at":
             t.isoformat() if t else None, "last_status": st}
            for n, k, o, h, u, m, t, st in rows]  # fmt: skip


def get_spec(con: duckdb.DuckDBPyConnection, name: str) -> dict[str, Any]:
    for spec in list_specs(con):
        if spec["name"] == name:
            return spec
    raise PredictionNotFound(f"no prediction named {name!r}")


def due_specs(con: duckdb.DuckDBPyConnection, now: datetime) -> list[dict[str, Any]]:
    """Specs with a refresh interval whose last run (successful or not) is that old."""
    due = []
    for spec in list_specs(con):
        hours = spec["refresh_hours"]
        if hours is None or hours <= 0:
            continue
        last = spec["last_trained_at"]
        if last is None or datetime.fromisoformat(last) + timedelta(hours=hours) <= now:
            due.append(spec)
    return due


def delete_spec(con: duckdb.DuckDBPyConnection, name: str) -> None:
    """Forget a prediction: its spec and scores; the models stay in the registry's history."""
    get_spec(con, name)
    con.execute("DELETE FROM prediction_specs WHERE name = ?", [name])
    con.execute("UPDATE prediction_models SET status = 'superseded' WHERE name = ?"
                " AND status = 'active'", [name])  # fmt: skip


def _json(value: object) -> object:
    if isinstance(value, datetime):
        return value.isoformat()
    if hasattr(value, "item"):
        return value.item()
    raise TypeError(f"not JSON-serialisable: {type(value).__name__}")
