"""The published CDNOW results, reproduced to three significant figures.

BG/NBD: Fader, Hardie & Lee (2005), "Counting your customers the easy way", Marketing
Science 24(2). Pareto/NBD: the same paper's comparison and Fader & Hardie's notes. Gamma-Gamma:
Fader, Hardie & Lee (2005), "RFM and CLV: using iso-value curves", JMR 42(4).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from opencdp.predict.btyd import fit_bgnbd, fit_gamma_gamma, fit_pareto_nbd
from tests.predict.cdnow import cdnow


def same(value: float, published: float, figures: int = 3) -> bool:
    def rounded(v: float) -> float:
        return round(v, figures - 1 - math.floor(math.log10(abs(v))))

    return rounded(value) == rounded(published)


def test_the_calibration_summary_matches_the_papers():
    data = cdnow()
    assert len(data.ids) == 2357
    assert int((data.calibration.frequency > 0).sum()) == 946
    assert data.calibration.age.max() == pytest.approx(38.86, abs=0.005)


def test_bgnbd_reproduces_the_published_parameters_and_log_likelihood():
    model = fit_bgnbd(cdnow().calibration)
    published = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
    for name, value in published.items():
        assert same(model.params[name], value), (name, model.params[name])
    assert round(model.log_likelihood, 1) == -9582.4


def test_bgnbd_holdout_correlation_reaches_the_published_figure():
    data = cdnow()
    model = fit_bgnbd(data.calibration)
    s = data.calibration
    predicted = model.expected_purchases(39.0, s.frequency, s.recency, s.age)
    correlation = float(np.corrcoef(predicted, data.holdout)[0, 1])
    assert round(correlation, 3) >= 0.626


def test_pareto_nbd_reproduces_the_published_parameters():
    model = fit_pareto_nbd(cdnow().calibration)
    published = {"r": 0.553, "alpha": 10.578, "s": 0.606, "beta": 11.669}
    for name, value in published.items():
        assert same(model.params[name], value), (name, model.params[name])
    assert round(model.log_likelihood, 1) == -9595.0


def test_gamma_gamma_reproduces_the_published_parameters():
    repeat = cdnow().calibration.repeat_buyers()
    assert len(repeat) == 946
    model = fit_gamma_gamma(repeat)
    for name, value in {"p": 6.25, "q": 3.74, "gamma": 15.44}.items():
        assert same(model.params[name], value), (name, model.params[name])
    # the population mean order value p·γ/(q-1) the paper reports as $35
    assert model.population_mean == pytest.approx(35.2, abs=0.1)


def test_pareto_and_bgnbd_agree_on_the_holdout_total():
    data = cdnow()
    s = data.calibration
    bg = fit_bgnbd(s).expected_purchases(39.0, s.frequency, s.recency, s.age).sum()
    pn = fit_pareto_nbd(s).expected_purchases(39.0, s.frequency, s.recency, s.age).sum()
    assert bg == pytest.approx(pn, rel=0.05)
    assert bg == pytest.approx(data.holdout.sum(), rel=0.15)
