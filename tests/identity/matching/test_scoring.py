"""Properties of match weights: monotone in agreement, explanations that add up."""

from __future__ import annotations

import itertools
import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from opencdp.identity.matching.comparisons import level_labels
from opencdp.identity.matching.em import monotone_bayes_factors, normalise_levels
from opencdp.identity.matching.model import MatchModel
from opencdp.identity.matching.scoring import Decision, decide, explain, match_weight, probability
from opencdp.identity.matching.settings import MatchSettings

SETTINGS = MatchSettings()
FIELDS = [c.field for c in SETTINGS.comparisons]
N_LEVELS = np.array([len(level_labels(c)) for c in SETTINGS.comparisons])


def random_model(seed: int, monotone: bool, prior: float = 0.001) -> MatchModel:
    rng = np.random.default_rng(seed)
    width = int(N_LEVELS.max())
    m = normalise_levels(rng.random((len(FIELDS), width)) ** 3, N_LEVELS)
    u = normalise_levels(rng.random((len(FIELDS), width)) ** 3, N_LEVELS)
    if monotone:
        m = monotone_bayes_factors(m, u, N_LEVELS)
    return MatchModel(
        SETTINGS,
        {f: tuple(m[i, : N_LEVELS[i]]) for i, f in enumerate(FIELDS)},
        {f: tuple(u[i, : N_LEVELS[i]]) for i, f in enumerate(FIELDS)},
        prior,
        1,
        True,
    )


def level_vectors() -> st.SearchStrategy[dict[str, int]]:
    return st.fixed_dictionaries(
        {f: st.integers(0, int(n) - 1) for f, n in zip(FIELDS, N_LEVELS, strict=True)}
    )


@settings(max_examples=200, deadline=None)
@given(
    st.integers(0, 2**32 - 1),
    level_vectors(),
    st.sampled_from(FIELDS),
    st.data(),
    st.none() | st.floats(1e-6, 0.5),
)
def test_better_agreement_never_lowers_the_weight(
    seed: int, levels: dict[str, int], field: str, data: st.DataObject, frequency: float | None
) -> None:
    model = random_model(seed, monotone=True)
    top = len(model.m[field]) - 1
    start = data.draw(st.integers(1, top))
    better = data.draw(st.integers(start, top))
    lower = match_weight(model, {**levels, field: start}, frequency)
    higher = match_weight(model, {**levels, field: better}, frequency)
    assert higher >= lower - 1e-9


def test_without_pooling_a_model_can_break_monotonicity() -> None:
    """The property above holds because of the pooling, not by construction."""
    broken = 0
    for seed in range(50):
        model = random_model(seed, monotone=False)
        weights = [model.weight("name", k) for k in range(1, len(model.m["name"]))]
        broken += any(b < a for a, b in itertools.pairwise(weights))
    assert broken > 0


@settings(max_examples=200, deadline=None)
@given(st.integers(0, 2**32 - 1), level_vectors(), st.none() | st.floats(1e-6, 0.5))
def test_explanation_terms_sum_to_the_match_weight(
    seed: int, levels: dict[str, int], frequency: float | None
) -> None:
    model = random_model(seed, monotone=True)
    why = explain(model, levels, frequency)
    assert math.isclose(
        why.prior_weight + sum(f.weight for f in why.fields), why.match_weight, abs_tol=1e-9
    )
    assert math.isclose(why.match_probability, probability(why.match_weight))
    for contribution in why.fields:
        expected = 0.0 if contribution.level == 0 else math.log2(contribution.m / contribution.u)
        assert math.isclose(
            contribution.weight - contribution.term_frequency_adjustment, expected, abs_tol=1e-9
        )


def test_rare_exact_names_weigh_more_than_common_ones() -> None:
    model = random_model(3, monotone=True)
    exact = {f: 0 for f in FIELDS} | {"name": len(model.m["name"]) - 1}
    assert match_weight(model, exact, 1e-5) > match_weight(model, exact, 1e-2)


def test_decisions_follow_the_thresholds() -> None:
    assert decide(0.995, SETTINGS) is Decision.AUTO_MERGE
    assert decide(0.99, SETTINGS) is Decision.AUTO_MERGE
    assert decide(0.9, SETTINGS) is Decision.REVIEW
    assert decide(0.5, SETTINGS) is Decision.NON_MATCH
    assert probability(2000.0) == 1.0 and probability(-2000.0) == 0.0
    assert math.isclose(probability(0.0), 0.5)
