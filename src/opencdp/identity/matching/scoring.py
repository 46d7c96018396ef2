"""Match weights, probabilities, explanations and decisions from a fitted model.

A pair's match weight is the prior weight plus, per field, log2(m/u) of its agreement level
(plus, for an exact name, how much rarer than average that name is). Probability is
2^w / (1 + 2^w). The explanation lists each term, so a steward sees why two records merged.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from opencdp.identity.matching.comparisons import level_labels
from opencdp.identity.matching.model import MatchModel
from opencdp.identity.matching.settings import MatchSettings


class Decision(StrEnum):
    AUTO_MERGE = "auto_merge"
    REVIEW = "review"
    NON_MATCH = "non_match"


@dataclass(frozen=True)
class FieldContribution:
    """One field's share of a pair's match weight."""

    field: str
    level: int
    label: str
    m: float
    u: float
    weight: float
    """log2(m/u), including any term-frequency adjustment."""
    term_frequency_adjustment: float = 0.0


@dataclass(frozen=True)
class Explanation:
    """Why a pair scored as it did; `prior_weight` + Σ field weights = `match_weight`."""

    prior_weight: float
    fields: tuple[FieldContribution, ...]
    match_weight: float
    match_probability: float
    decision: Decision


def probability(weight: float) -> float:
    """2^w / (1 + 2^w), without overflow for extreme weights."""
    if weight >= 0:
        return 1.0 / (1.0 + math.pow(2.0, -weight))
    odds = math.pow(2.0, weight)
    return odds / (1.0 + odds)


def decide(match_probability: float, settings: MatchSettings) -> Decision:
    """auto-merge, review or non-match by the settings' thresholds."""
    if match_probability >= settings.auto_merge_probability:
        return Decision.AUTO_MERGE
    if match_probability >= settings.review_probability:
        return Decision.REVIEW
    return Decision.NON_MATCH


def frequency_terms(model: MatchModel, field: str) -> tuple[int, float, float] | None:
    """(exact level, log2 u of it, lowest adjustment) of a term-frequency comparison.

    The adjustment never takes an exact match below the next level down: "John Smith" is
    common, but agreeing on all of it is still more than agreeing on most of it.
    """
    comparison = next(c for c in model.settings.comparisons if c.field == field)
    if not comparison.term_frequency:
        return None
    top = len(level_labels(comparison)) - 1
    lowest = min(0.0, model.weight(field, top - 1) - model.weight(field, top))
    return top, math.log2(model.u[field][top]), lowest


def term_frequency_adjustment(model: MatchModel, field: str, level: int,
                              frequency: float | None) -> float:  # fmt: skip
    """Extra weight of an exact match on a value rarer (or commoner) than average."""
    terms = frequency_terms(model, field)
    if terms is None or level != terms[0] or not frequency or frequency <= 0:
        return 0.0
    return max(terms[1] - math.log2(frequency), terms[2])


def explain(model: MatchModel, levels: Mapping[str, int],
            name_frequency: float | None = None) -> Explanation:  # fmt: skip
    """Each field's level, m, u and weight for one pair's comparison vector."""
    contributions = []
    for comparison in model.settings.comparisons:
        field = comparison.field
        level = int(levels[field])
        adjust = term_frequency_adjustment(model, field, level, name_frequency)
        contributions.append(FieldContribution(
            field, level, level_labels(comparison)[level], model.m[field][level],
            model.u[field][level], model.weight(field, level) + adjust, adjust,
        ))  # fmt: skip
    total = model.prior_weight + sum(c.weight for c in contributions)
    p = probability(total)
    return Explanation(model.prior_weight, tuple(contributions), total, p,
                       decide(p, model.settings))  # fmt: skip


def match_weight(model: MatchModel, levels: Mapping[str, int],
                 name_frequency: float | None = None) -> float:  # fmt: skip
    """The total match weight of one comparison vector."""
    return explain(model, levels, name_frequency).match_weight
