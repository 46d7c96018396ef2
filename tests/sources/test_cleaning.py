"""Column cleaning agrees with the hygiene rules value by value, fast paths included."""

from __future__ import annotations

from datetime import UTC, datetime

import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from opencdp.hygiene import normalize_value
from opencdp.sources.cleaning import clean_column, hygiene_options
from opencdp.sources.mapping import Mapping

ZONES = st.sampled_from(["UTC", "Asia/Bangkok", "Asia/Tokyo", "America/New_York"])
moments = st.datetimes(min_value=datetime(1801, 1, 2), max_value=datetime(2198, 12, 30))


@st.composite
def iso_texts(draw):
    moment = draw(moments)
    sep = draw(st.sampled_from(["T", " "]))
    text = moment.strftime(f"%Y-%m-%d{sep}%H:%M" + draw(st.sampled_from(["", ":%S", ":%S.%f"])))
    return text + draw(st.sampled_from(["", "Z", "+07:00", "-0500", "+09:00"]))


def _per_value(kind, texts, mapping):
    options = hygiene_options(mapping)
    return [normalize_value(kind, t, options=options).value for t in texts]


@settings(max_examples=100, deadline=None)
@given(texts=st.lists(iso_texts(), min_size=1, max_size=20), zone=ZONES)
def test_datetime_fast_path_agrees_with_hygiene(texts, zone):
    mapping = Mapping(columns=[], timezone=zone)
    column = clean_column("datetime", pa.array(texts), mapping).values.to_pylist()
    expected = _per_value("datetime", texts, mapping)
    assert [c.astimezone(UTC) if c else None for c in column] == expected


@settings(max_examples=100, deadline=None)
@given(
    texts=st.lists(
        st.one_of(
            st.decimals(min_value=0, max_value=10**9, places=2).map(str),
            st.integers(-1000, 10**9).map(str),
            st.sampled_from(["1,234.50", "N/A", "-5", " 7 ", "(12.00)", "฿100"]),
        ),
        min_size=1, max_size=20,
    ),
    kind=st.sampled_from(["number", "quantity", "price"]),
)  # fmt: skip
def test_number_paths_agree_with_hygiene(texts, kind):
    mapping = Mapping(columns=[])
    result = clean_column(kind, pa.array(texts), mapping)
    expected = _per_value(kind, texts, mapping)
    assert result.values.to_pylist() == [None if e is None else float(e) for e in expected]
    refused = [p is not None for p in result.problems.to_pylist()]
    assert refused == [e is None for e in expected]


def test_problems_name_the_reason_and_blanks_are_absent():
    mapping = Mapping(columns=[], default_region="TH")
    result = clean_column("phone", pa.array(["081-234-5678", "0000000000", None, "  "]), mapping)
    assert result.values.to_pylist() == ["+66812345678", None, None, None]
    problems = result.problems.to_pylist()
    assert problems[0] is None and "placeholder" in problems[1]
    assert problems[2] is None and problems[3] is None, "absent is not a problem"
