"""The scheduler's prediction job, importable without loading the numerical libraries (the
CLI opens a workspace for every command; scipy and scikit-learn load only when a job runs)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def refresh_job(read: Callable[..., Any], write: Callable[..., Any]) -> Callable[[], object]:
    """Retrain the predictions whose refresh interval has passed."""

    def job() -> object:
        from opencdp.predict.service import refresh_due

        return refresh_due(read, write)

    return job
