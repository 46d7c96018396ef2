"""A fitted linkage model: m, u and λ per comparison level, saved as JSON to score later.

Scoring new records (a nightly import) with a stored model skips the random-pair sample
and EM entirely, and keeps decisions stable between runs until someone chooses to refit.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from opencdp.identity.matching.comparisons import level_labels
from opencdp.identity.matching.em import Probabilities
from opencdp.identity.matching.settings import MatchSettings

FORMAT = "opencdp.identity.matching/1"


@dataclass(frozen=True)
class MatchModel:
    """Per compared field, the probability of each agreement level among matches (m) and
    non-matches (u); index 0 is "missing" with m = u = 1, so it weighs nothing."""

    settings: MatchSettings
    m: dict[str, tuple[float, ...]]
    u: dict[str, tuple[float, ...]]
    match_probability: float
    """λ: the prior that two random records (of different sources, when linking across
    sources) are the same person."""
    iterations: int
    converged: bool
    untrained: tuple[str, ...] = ()
    """Fields EM could not learn m for (used by every blocking rule); starting m kept."""
    notes: tuple[str, ...] = ()
    """Training sessions left out, and why."""

    def __post_init__(self) -> None:
        for c in self.settings.comparisons:
            n = len(level_labels(c))
            if len(self.m.get(c.field, ())) != n or len(self.u.get(c.field, ())) != n:
                raise ValueError(f"model has no {n} levels of m and u for {c.field!r}")
        if not 0.0 < self.match_probability < 1.0:
            raise ValueError("match_probability must lie in (0, 1)")

    @property
    def prior_weight(self) -> float:
        """log2 of the prior odds: where every pair starts before any field is compared."""
        return math.log2(self.match_probability / (1.0 - self.match_probability))

    def weight(self, field: str, level: int) -> float:
        """log2 Bayes factor m/u of one level of one field (0 for missing)."""
        return math.log2(self.m[field][level] / self.u[field][level])

    def arrays(self) -> tuple[Probabilities, Probabilities]:
        """m and u as (fields × levels) arrays in settings order, padded with 1.0."""
        fields = [c.field for c in self.settings.comparisons]
        width = max(len(self.m[f]) for f in fields)
        m, u = np.ones((len(fields), width)), np.ones((len(fields), width))
        for i, f in enumerate(fields):
            m[i, : len(self.m[f])] = self.m[f]
            u[i, : len(self.u[f])] = self.u[f]
        return m, u

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "settings": self.settings.to_dict(),
            "m": {k: list(v) for k, v in self.m.items()},
            "u": {k: list(v) for k, v in self.u.items()},
            "match_probability": self.match_probability,
            "iterations": self.iterations,
            "converged": self.converged,
            "untrained": list(self.untrained),
            "notes": list(self.notes),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> MatchModel:
        if data.get("format") != FORMAT:
            raise ValueError(f"not a {FORMAT} model")
        return cls(
            settings=MatchSettings.from_dict(data["settings"]),
            m={k: tuple(float(x) for x in v) for k, v in data["m"].items()},
            u={k: tuple(float(x) for x in v) for k, v in data["u"].items()},
            match_probability=float(data["match_probability"]),
            iterations=int(data["iterations"]),
            converged=bool(data["converged"]),
            untrained=tuple(data["untrained"]),
            notes=tuple(data.get("notes", ())),
        )

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=2)

    @classmethod
    def from_json(cls, text: str) -> MatchModel:
        return cls.from_dict(json.loads(text))

    def save(self, path: Path) -> None:
        path.write_text(self.to_json(), encoding="utf-8")

    @classmethod
    def load(cls, path: Path) -> MatchModel:
        return cls.from_json(path.read_text(encoding="utf-8"))
