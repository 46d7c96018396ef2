"""Learning m: one EM session per blocking rule, blind to the fields that rule biases.

Pairs found by "same phone ending" agree on phone whether or not they are one person, so
inside that rule's pairs phone agreement says nothing about m. Worse, pairs found by a
family name or a postcode are mostly relatives: they share family name, home and often a
mailbox, so a session of such a rule that still looked at those fields would learn "same
household" as its match class. A rule on any household field therefore leaves all of them
out (`MatchSettings.household_fields`). A field's m is the average of the sessions that
could see it, weighted by the matches they found (as Splink does).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from opencdp.identity.matching.em import (
    EmFit,
    Levels,
    Probabilities,
    fit_em,
    fit_prior,
    monotone_bayes_factors,
)
from opencdp.identity.matching.settings import MatchSettings

MIN_SESSION_FIELDS = 2
"""With u fixed, one field cannot tell λ from m (any mix of m and u fits it): two at least."""
MAX_DISAGREEMENT_RATIO = 0.5
"""Matches disagree on a useful field far less often than random pairs; a field where a
session's "matches" disagree at least half as often does not tell people apart there."""


@dataclass(frozen=True)
class SessionsFit:
    """m from the sessions, and λ fitted over all pairs with that m and the given u."""

    m: Probabilities
    trained: npt.NDArray[np.bool_]
    prior: float
    iterations: int
    converged: bool
    notes: tuple[str, ...]
    """Sessions not used, and why."""


def starting_m(n_levels: npt.NDArray[np.int64]) -> Probabilities:
    """Matches mostly agree exactly, sometimes nearly, rarely not at all."""
    m = np.ones((len(n_levels), int(n_levels.max())))
    for f, count in enumerate(n_levels):
        middle = int(count) - 3
        m[f, 1] = 0.05
        m[f, 2 : count - 1] = 0.25 / middle if middle else 0.0
        m[f, count - 1] = 0.70 if middle else 0.95
    return m


def _session(levels: Levels, counts: npt.NDArray[np.float64], n_levels: npt.NDArray[np.int64],
             u: Probabilities, active: npt.NDArray[np.bool_], settings: MatchSettings
             ) -> tuple[EmFit, npt.NDArray[np.bool_]] | str:  # fmt: skip
    """EM over one rule's pairs on the fields it does not bias, or why it was not used.

    A field whose "matches" disagree nearly as often as random pairs is dropped and EM rerun
    without it (a gender written three ways, or a split by gender rather than by person).
    """
    fields = active & (levels > 0).any(axis=0)
    while fields.sum() >= MIN_SESSION_FIELDS:
        fit = fit_em(
            levels, counts, n_levels, starting_m(n_levels), u, 0.1, active=fields,
            tolerance=settings.em_tolerance, max_iterations=settings.em_max_iterations,
        )  # fmt: skip
        unlike = fields & (fit.m[:, 1] >= MAX_DISAGREEMENT_RATIO * u[:, 1])
        if not unlike.any():
            return fit, fields
        fields = fields & ~unlike
    return f"fewer than {MIN_SESSION_FIELDS} unbiased fields that tell matches apart"


def fit_sessions(
    levels: Levels,
    masks: npt.NDArray[np.int64],
    counts: npt.NDArray[np.float64],
    n_levels: npt.NDArray[np.int64],
    u: Probabilities,
    all_pairs: float,
    settings: MatchSettings,
) -> SessionsFit:
    """m from one session per blocking rule (bit i of `masks`: found by rule i); then λ."""
    start = starting_m(n_levels)
    found, seen = np.zeros_like(start), np.zeros(len(n_levels))
    iterations, converged, notes = 0, True, []
    for index, rule in enumerate(settings.blocking_rules):
        chosen = (masks & (1 << index)) != 0
        masked = settings.masked_by(rule)
        active = np.array([not (c.reads & masked) for c in settings.comparisons])
        if not chosen.any():
            continue
        session = _session(levels[chosen], counts[chosen], n_levels, u, active, settings)
        if isinstance(session, str):
            notes.append(f"{rule.name}: not used, {session}")
            continue
        fit, fields = session
        iterations, converged = iterations + fit.iterations, converged and fit.converged
        matches = fit.match_share * counts[chosen].sum()
        found[fields] += matches * fit.m[fields]
        seen[fields] += matches
    trained = seen > 0
    m = np.where(trained[:, None], found / np.where(trained, seen, 1.0)[:, None], start)
    m = monotone_bayes_factors(m, u, n_levels) if settings.monotone_levels else m
    prior = fit_prior(levels, counts, m, u, all_pairs, tolerance=settings.em_tolerance,
                      max_iterations=settings.em_max_iterations)  # fmt: skip
    return SessionsFit(m, trained, prior.match_share, iterations + prior.iterations,
                       converged and prior.converged, tuple(notes))  # fmt: skip
