from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from opencdp.identity.matching.comparisons import level_labels
from opencdp.identity.matching.settings import DEFAULT_COMPARISONS, Comparison, MatchSettings

from .helpers import levels_of

LABELS = {c.field: level_labels(c) for c in DEFAULT_COMPARISONS}


def label(rows: list[dict[str, Any]], field: str) -> str:
    return LABELS[field][levels_of(rows, [(0, 1)])[0][field]]


def test_transposed_and_split_names_agree_exactly() -> None:
    given_first = {"first_name": "John", "last_name": "Smith"}
    assert label([given_first, {"full_name": "SMITH, John"}], "name") == "exact"
    assert (
        label([{"first_name": "太郎", "last_name": "山田"}, {"full_name": "山田太郎"}], "name")
        == "exact"
    )
    assert (
        label([{"full_name": "ヤマダ タロウ"}, {"full_name": "やまだ たろう"}], "name") == "exact"
    )


def test_typos_and_nicknames_fall_to_lower_levels() -> None:
    assert (
        label([{"full_name": "Jonathan Smith"}, {"full_name": "Smith Jonathon"}], "name")
        == "similarity ≥ 0.92"
    )
    assert (
        label([{"full_name": "William Smith"}, {"full_name": "Bill Smith"}], "name")
        == "shares a name word"
    )
    assert label([{"full_name": "Ann Lee"}, {"full_name": "Bob Kowalczyk"}], "name") == "different"
    assert label([{"full_name": "Ann Lee"}, {}], "name") == "missing"


def test_birth_dates_swapped_or_one_digit_off_are_near() -> None:
    near = "day and month swapped, or one digit differs"
    assert label([{"birth_date": "1985-03-04"}, {"birth_date": "1985-04-03"}], "birth_date") == near
    assert label([{"birth_date": "1985-03-14"}, {"birth_date": "1986-03-14"}], "birth_date") == near
    assert (
        label([{"birth_date": "1985-03-14"}, {"birth_date": "1985-03-14"}], "birth_date") == "exact"
    )
    assert (
        label([{"birth_date": "1985-03-14"}, {"birth_date": "1992-11-02"}], "birth_date")
        == "different"
    )
    assert (
        label([{"birth_date": "not a date"}, {"birth_date": "1992-11-02"}], "birth_date")
        == "missing"
    )


def test_phone_email_and_postcode_partial_levels() -> None:
    assert label([{"phone": "+66812345678"}, {"phone": "0812345678"}], "phone") == (
        "same last 8 digits"
    )
    assert label([{"phone": "+66812345678"}, {"phone": "+66 81 234 5678"}], "phone") == "exact"
    assert label([{"email": "ann@mail.com"}, {"email": "ann@gmial.com"}], "email") == (
        "same local part"
    )
    assert label([{"email": "Ann@Mail.com "}, {"email": "ann@mail.com"}], "email") == "exact"
    assert label([{"postcode": "SW1A 1AA"}, {"postcode": "SW1P 3BT"}], "location") == (
        "same first 3 postcode characters"
    )
    assert label([{"postcode": "100-0001"}, {"postcode": "1000001"}], "location") == (
        "same postcode"
    )
    home = {"address": "12 High St", "postcode": "SW1A 1AA"}
    assert label([home, {**home, "address": "12 HIGH ST."}], "location") == "same address"
    moved = [{"postcode": "10110", "city": "Bangkok"}, {"postcode": "10500", "city": "BANGKOK"}]
    assert label(moved, "location") == "same city"
    assert label([{"city": "Bangkok"}, {"postcode": "10110"}], "location") == "missing"


NAMES = st.sampled_from(
    ["John Smith", "Smith John", "Jon Smith", "Smith", "山田 太郎", "山田太郎", "太朗山田",
     "やまだ たろう", "สมชาย ใจดี", "ชาย ใจดี", "Mary Ann Lee", None]
)  # fmt: skip
DATES = st.sampled_from(["1985-03-04", "1985-04-03", "1985-03-05", "2001-12-31", None])
PHONES = st.sampled_from(["+66812345678", "0812345678", "+819012345678", None])
EMAILS = st.sampled_from(["ann@mail.com", "ann@gmial.com", "anne@mail.com", None])
PEOPLE = st.fixed_dictionaries(
    {
        "full_name": NAMES,
        "birth_date": DATES,
        "phone": PHONES,
        "email": EMAILS,
        "postcode": st.sampled_from(["10110", "10120", None]),
        "city": st.sampled_from(["Bangkok", "bangkok", None]),
    }
)


@settings(max_examples=30, deadline=None)
@given(st.lists(PEOPLE, min_size=2, max_size=6))
def test_levels_are_symmetric_in_left_and_right(people: list[dict[str, Any]]) -> None:
    n = len(people)
    forward = [(i, j) for i in range(n) for j in range(n) if i != j]
    found = levels_of(people, forward, MatchSettings())
    by_pair = dict(zip(forward, found, strict=True))
    for i, j in forward:
        assert by_pair[i, j] == by_pair[j, i]


def test_fields_can_also_be_compared_apart() -> None:
    separate = MatchSettings(
        comparisons=(
            Comparison("postcode", "postcode"),
            Comparison("city", "exact"),
            Comparison("address", "text", (0.9,)),
        )
    )
    rows = [
        {"postcode": "SW1A 1AA", "city": "London", "address": "10 Downing Street"},
        {"postcode": "SW1A 2AA", "city": "london", "address": "10 Downing Str"},
    ]
    assert levels_of(rows, [(0, 1)], separate) == [{"postcode": 2, "city": 2, "address": 2}]


@pytest.mark.parametrize(
    "comparison",
    [
        Comparison("email", "phone"),
        Comparison("surname", "exact"),
        Comparison("name", "date"),
        Comparison("city", "location"),
        Comparison("email", "email", term_frequency=True),
    ],
)
def test_comparisons_a_kind_cannot_read_are_refused(comparison: Comparison) -> None:
    with pytest.raises(ValueError):
        levels_of([{}, {}], [(0, 1)], MatchSettings(comparisons=(comparison,)))


def test_thresholds_must_run_strongest_first() -> None:
    with pytest.raises(ValueError, match="strongest first"):
        Comparison("name", "name", (0.8, 0.92))
