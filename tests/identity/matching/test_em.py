"""EM recovers the parameters that generated the data, and stays a proper model."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from hypothesis import given, settings
from hypothesis import strategies as st

from opencdp.identity.matching.em import fit_em, monotone_bayes_factors, normalise_levels
from opencdp.identity.matching.sessions import starting_m

Array = npt.NDArray[np.float64]


def true_model(rng: np.random.Generator, n_levels: npt.NDArray[np.int64]) -> tuple[Array, Array]:
    """m leaning to the top levels, u to the bottom, as real fields do."""
    width = int(n_levels.max())
    m, u = np.ones((len(n_levels), width)), np.ones((len(n_levels), width))
    for f, n in enumerate(n_levels):
        rising = np.arange(1, n, dtype=np.float64) ** 2
        m[f, 1:n] = rng.dirichlet(rising * 3)
        u[f, 1:n] = rng.dirichlet(rising[::-1] * 3)
    return m, u


def simulate(
    rng: np.random.Generator,
    m: Array,
    u: Array,
    n_levels: npt.NDArray[np.int64],
    share: float,
    pairs: int,
    missing: float,
) -> tuple[npt.NDArray[np.int64], Array]:
    """Comparison patterns and their counts drawn from the Fellegi–Sunter model."""
    is_match = rng.random(pairs) < share
    levels = np.zeros((pairs, len(n_levels)), dtype=np.int64)
    for f, n in enumerate(n_levels):
        for group, probabilities in ((is_match, m[f, 1:n]), (~is_match, u[f, 1:n])):
            drawn = rng.choice(np.arange(1, n), size=int(group.sum()), p=probabilities)
            levels[group, f] = drawn
        levels[rng.random(pairs) < missing, f] = 0
    patterns, counts = np.unique(levels, axis=0, return_counts=True)
    return patterns, counts.astype(np.float64)


MODELS = st.tuples(
    st.integers(0, 2**32 - 1),
    st.lists(st.integers(3, 5), min_size=4, max_size=6),
    st.floats(0.05, 0.5),
)


@settings(max_examples=20, deadline=None)
@given(MODELS)
def test_em_recovers_m_and_lambda_with_u_known(model: tuple[int, list[int], float]) -> None:
    seed, sizes, share = model
    rng = np.random.default_rng(seed)
    n_levels = np.array(sizes, dtype=np.int64)
    m, u = true_model(rng, n_levels)
    patterns, counts = simulate(rng, m, u, n_levels, share, 100_000, missing=0.1)
    fit = fit_em(patterns, counts, n_levels, starting_m(n_levels), u, 0.3, max_iterations=500)
    assert fit.converged
    assert abs(fit.match_share - share) < 0.02
    assert np.abs(fit.m - m).max() < 0.05


@settings(max_examples=15, deadline=None)
@given(
    st.integers(0, 2**32 - 1),
    st.lists(st.integers(3, 5), min_size=5, max_size=6),
    st.floats(0.1, 0.5),
)
def test_em_recovers_m_u_and_lambda_together(seed: int, sizes: list[int], share: float) -> None:
    """With u free too the model is identified only with enough fields and matches."""
    rng = np.random.default_rng(seed)
    n_levels = np.array(sizes, dtype=np.int64)
    m, u = true_model(rng, n_levels)
    patterns, counts = simulate(rng, m, u, n_levels, share, 100_000, missing=0.0)
    flat_u = normalise_levels(np.ones_like(m), n_levels)
    fit = fit_em(
        patterns,
        counts,
        n_levels,
        starting_m(n_levels),
        flat_u,
        0.3,
        fix_u=False,
        max_iterations=1000,
    )
    assert abs(fit.match_share - share) < 0.03
    assert np.abs(fit.m - m).max() < 0.07
    assert np.abs(fit.u - u).max() < 0.07


def test_missing_values_inform_neither_class() -> None:
    n_levels = np.array([3, 3])
    m, u = starting_m(n_levels), normalise_levels(np.ones((2, 3)), n_levels)
    all_missing = np.array([[0, 2], [0, 1]])
    fit = fit_em(all_missing, np.array([10.0, 90.0]), n_levels, m, u, 0.3, fix_u=False)
    assert fit.m[0].tolist() == m[0].tolist()  # the never-seen field keeps its start
    assert fit.u[0].tolist() == u[0].tolist()


@settings(max_examples=50, deadline=None)
@given(st.integers(0, 2**32 - 1), st.lists(st.integers(3, 6), min_size=1, max_size=4))
def test_monotone_pooling_keeps_distributions_and_orders_weights(
    seed: int, sizes: list[int]
) -> None:
    rng = np.random.default_rng(seed)
    n_levels = np.array(sizes, dtype=np.int64)
    m = normalise_levels(rng.random((len(sizes), max(sizes))), n_levels)
    u = normalise_levels(rng.random((len(sizes), max(sizes))), n_levels)
    pooled = monotone_bayes_factors(m, u, n_levels)
    for f, n in enumerate(n_levels):
        assert abs(pooled[f, 1:n].sum() - 1.0) < 1e-9
        ratios = pooled[f, 1:n] / u[f, 1:n]
        assert np.all(np.diff(ratios) >= -1e-9 * ratios[1:])
        if np.all(np.diff(m[f, 1:n] / u[f, 1:n]) >= 0):
            assert np.allclose(pooled[f], m[f])  # already monotone: left alone
