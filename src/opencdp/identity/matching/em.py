"""Expectation-maximisation for the Fellegi–Sunter model, over distinct comparison patterns.

A million candidate pairs show only a few thousand distinct comparison vectors, so EM runs
over patterns weighted by their counts: each iteration is a handful of numpy gathers and
`bincount`s, whatever the number of pairs. Probabilities are (fields × levels) arrays whose
column 0 is 1.0: a missing value is equally likely for matches and non-matches.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

Levels = npt.NDArray[np.int64]
"""(patterns × fields) agreement levels; 0 = missing."""
Probabilities = npt.NDArray[np.float64]
"""(fields × levels) probabilities of each level; column 0 = 1.0, unused columns = 1.0."""

_FLOOR = 1e-9


@dataclass(frozen=True)
class EmFit:
    """The fitted mixture: m (matches), u (non-matches) and λ, the share of matches."""

    m: Probabilities
    u: Probabilities
    match_share: float
    iterations: int
    converged: bool


def level_counts(levels: Levels, weights: npt.NDArray[np.float64], width: int) -> Probabilities:
    """(fields × width) weighted counts of each level, column 0 (missing) zeroed."""
    counts = np.stack(
        [
            np.bincount(levels[:, f], weights, minlength=width)[:width].astype(np.float64)
            for f in range(levels.shape[1])
        ]
    ).reshape(levels.shape[1], width)
    counts[:, 0] = 0.0
    return counts


def normalise_levels(counts: Probabilities, n_levels: npt.NDArray[np.int64]) -> Probabilities:
    """Counts → probabilities over each field's real levels, floored, with column 0 = 1."""
    width = counts.shape[1]
    real = np.arange(width)[None, :] <= n_levels[:, None] - 1
    real[:, 0] = False
    values = np.where(real, np.maximum(counts, 0.0), 0.0)
    totals = values.sum(axis=1, keepdims=True)
    share = np.where(
        totals > 0, values / np.where(totals > 0, totals, 1.0), 1.0 / (n_levels[:, None] - 1)
    )
    share = np.where(real, np.maximum(share, _FLOOR), 0.0)
    share /= share.sum(axis=1, keepdims=True)
    return np.where(real, share, 1.0)


def log_likelihood_ratio(
    levels: Levels, m: Probabilities, u: Probabilities, active: npt.NDArray[np.bool_]
) -> npt.NDArray[np.float64]:
    """Σ over active fields of ln(m/u) for each pattern (natural log)."""
    fields = np.arange(levels.shape[1])
    ratio = np.log(m[fields, levels]) - np.log(u[fields, levels])
    return np.asarray(ratio[:, active].sum(axis=1), dtype=np.float64)


def fit_em(
    levels: Levels,
    counts: npt.NDArray[np.float64],
    n_levels: npt.NDArray[np.int64],
    m: Probabilities,
    u: Probabilities,
    match_share: float,
    *,
    active: npt.NDArray[np.bool_] | None = None,
    fix_m: bool = False,
    fix_u: bool = True,
    tolerance: float = 1e-5,
    max_iterations: int = 200,
) -> EmFit:
    """Run EM from the given start; fields outside `active` neither inform nor get updated.

    `fix_u` keeps u as measured on random pairs (the usual way: blocked pairs are not a
    random sample of non-matches); with `fix_m` too only λ is estimated.
    """
    active = np.ones(levels.shape[1], bool) if active is None else active
    if counts.sum() <= 0:
        return EmFit(m, u, match_share, 0, True)
    width = m.shape[1]
    share = float(np.clip(match_share, 1e-6, 1 - 1e-6))
    iterations, converged = 0, False
    while iterations < max_iterations:
        iterations += 1
        prior = np.log(share) - np.log1p(-share)
        score = np.clip(prior + log_likelihood_ratio(levels, m, u, active), -700, 700)
        posterior = 1.0 / (1.0 + np.exp(-score))
        matched = counts * posterior
        new_share = float(np.clip(matched.sum() / counts.sum(), 1e-9, 1 - 1e-9))
        new_m = m if fix_m else _update(levels, matched, n_levels, width, active, m)
        new_u = u if fix_u else _update(levels, counts - matched, n_levels, width, active, u)
        change = max(
            abs(new_share - share), float(np.abs(new_m - m).max()), float(np.abs(new_u - u).max())
        )
        m, u, share = new_m, new_u, new_share
        if change < tolerance:
            converged = True
            break
    return EmFit(m, u, share, iterations, converged)


def _update(
    levels: Levels,
    weights: npt.NDArray[np.float64],
    n_levels: npt.NDArray[np.int64],
    width: int,
    active: npt.NDArray[np.bool_],
    old: Probabilities,
) -> Probabilities:
    """New probabilities for active fields that were observed; the others keep theirs."""
    counts = level_counts(levels, weights, width)
    changed = active & (counts.sum(axis=1) > 0)
    return np.where(changed[:, None], normalise_levels(counts, n_levels), old)


def monotone_bayes_factors(
    m: Probabilities, u: Probabilities, n_levels: npt.NDArray[np.int64]
) -> Probabilities:
    """m adjusted so that closer agreement never weighs less (pool adjacent violators).

    Levels whose m/u falls as agreement rises are pooled to their joint ratio Σm/Σu; each
    keeps its u, and the pooled m still sums to the same total, so m stays a distribution.
    """
    out = m.copy()
    for f, count in enumerate(n_levels):
        blocks: list[list[int]] = []
        for level in range(1, int(count)):
            blocks.append([level])
            while len(blocks) > 1 and _ratio(m, u, f, blocks[-2]) > _ratio(m, u, f, blocks[-1]):
                last = blocks.pop()
                blocks[-1].extend(last)
        for block in blocks:
            ratio = _ratio(m, u, f, block)
            for level in block:
                out[f, level] = ratio * u[f, level]
    return out


def _ratio(m: Probabilities, u: Probabilities, f: int, block: list[int]) -> float:
    return float(m[f, block].sum() / u[f, block].sum())


def fit_prior(
    levels: Levels,
    counts: npt.NDArray[np.float64],
    m: Probabilities,
    u: Probabilities,
    all_pairs: float,
    *,
    tolerance: float = 1e-5,
    max_iterations: int = 200,
) -> EmFit:
    """λ over all record pairs, with m and u fixed, treating pairs outside `levels` (those
    blocking never proposed) as non-matches: λ = Σ P(match | γ, λ) / all pairs, to a fixed
    point. Unlike a share of the candidates, this λ is the prior the weights are relative to.
    """
    ratio = log_likelihood_ratio(levels, m, u, np.ones(levels.shape[1], bool))
    share = float(np.clip(counts.sum() / (2.0 * all_pairs), 1e-15, 0.5))
    iterations, converged = 0, False
    while iterations < max_iterations and counts.sum() > 0:
        iterations += 1
        score = np.clip(np.log(share) - np.log1p(-share) + ratio, -700, 700)
        new = float(np.clip((counts / (1.0 + np.exp(-score))).sum() / all_pairs, 1e-15, 0.5))
        change = abs(new - share) / share
        share = new
        if change < tolerance:
            converged = True
            break
    return EmFit(m, u, share, iterations, converged or counts.sum() == 0)
