"""The CDNOW sample (Fader, Hardie & Lee), read from the `lifetimes` package that ships it.

2,357 customers who first bought in the first quarter of 1997 and every purchase they made
until the end of June 1998; weeks 1–39 calibrate, weeks 40–78 are the holdout.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from opencdp.predict.btyd.summary import PurchaseSummary, count_purchases, summarize

CALIBRATION_END = date(1997, 9, 30).toordinal()
HOLDOUT_END = date(1998, 6, 30).toordinal()


def sample_path() -> Path:
    """Where the installed `lifetimes` keeps CDNOW_sample.txt (found without importing it)."""
    spec = importlib.util.find_spec("lifetimes")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("install the test extra: pip install -e '.[test]' (lifetimes)")
    return Path(next(iter(spec.submodule_search_locations))) / "datasets" / "CDNOW_sample.txt"


@dataclass(frozen=True)
class Cdnow:
    customer: NDArray[np.int64]
    day: NDArray[np.float64]  # date ordinals
    value: NDArray[np.float64]
    ids: NDArray[np.int64]
    calibration: PurchaseSummary  # in weeks
    holdout: NDArray[np.float64]  # purchases in weeks 40–78, per id


@cache
def cdnow() -> Cdnow:
    # columns: customer id, id within the sample, yyyymmdd, CDs bought, dollars
    raw = np.loadtxt(sample_path(), dtype=str)
    customer = raw[:, 0].astype(np.int64)
    day = np.array([date(int(d[:4]), int(d[4:6]), int(d[6:])).toordinal() for d in raw[:, 2]],
                   dtype=np.float64)  # fmt: skip
    value = raw[:, 4].astype(np.float64)
    ids, calibration = summarize(customer, day, value, end=CALIBRATION_END, unit=7.0)
    holdout = count_purchases(customer, day, ids, start=CALIBRATION_END, end=HOLDOUT_END)
    return Cdnow(customer, day, value, ids, calibration, holdout)
