"""What every job shares: the workspace's read and write doors, and recording a run."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar

import duckdb

from opencdp.predict import registry

T = TypeVar("T")
Read = Callable[[Callable[[duckdb.DuckDBPyConnection], Any]], Any]
Write = Callable[[Callable[[duckdb.DuckDBPyConnection], Any]], Any]


def reading(read: Read, fn: Callable[[duckdb.DuckDBPyConnection], T]) -> T:
    result: T = read(fn)
    return result


def finish(write: Write, record: registry.ModelRecord, started: float, now: datetime,
           store: Callable[[duckdb.DuckDBPyConnection], None]) -> dict[str, Any]:  # fmt: skip
    """Store the scores (`store`) and the registry entry in one transaction; return the entry."""
    record.seconds = time.perf_counter() - started

    def commit(con: duckdb.DuckDBPyConnection) -> dict[str, Any]:
        store(con)
        model_id = registry.record_model(con, record, now)
        return registry.get_model(con, model_id)

    result: dict[str, Any] = write(commit)
    return result


def run_recorded(
    write: Write,
    record: registry.ModelRecord,
    now: datetime,
    body: Callable[[float], dict[str, Any]],
    failures: tuple[type[Exception], ...] = (ValueError,),
) -> dict[str, Any]:
    """Run a job's `body(started)`; a refusal or failed fit is kept in the registry (so a
    model's history shows why it did not train) before it reaches the caller."""
    started = time.perf_counter()
    try:
        return body(started)
    except failures as exc:
        record.seconds = time.perf_counter() - started
        error = str(exc)
        write(lambda con: registry.record_model(con, record, now, error=error))
        raise


def round_floats(values: dict[str, float], digits: int = 6) -> dict[str, float]:
    return {k: float(f"{v:.{digits}g}") for k, v in values.items()}
