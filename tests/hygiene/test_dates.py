from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from opencdp.hygiene import (
    FieldIssue,
    HygieneOptions,
    normalize_birth_date,
    normalize_date,
    normalize_datetime,
)

UTC_ = HygieneOptions()
THAI = HygieneOptions(locale="th", day_first=True, timezone="Asia/Bangkok")
JAPAN = HygieneOptions(locale="ja", timezone="Asia/Tokyo")
US = HygieneOptions(timezone="America/New_York")
DAY_FIRST = HygieneOptions(day_first=True)
BANGKOK = HygieneOptions(timezone="Asia/Bangkok")
MARCH_1 = date(2024, 3, 1)


@pytest.mark.parametrize(
    ("raw", "options"),
    [
        ("2024-03-01", UTC_),
        ("2024-3-1", UTC_),
        ("2024/03/01", UTC_),
        ("2024.03.01", UTC_),
        ("20240301", UTC_),
        (20240301, UTC_),
        ("01/03/2024", DAY_FIRST),
        ("03/01/2024", UTC_),
        ("01-03-2024", DAY_FIRST),
        ("01.03.2024", DAY_FIRST),
        ("1 Mar 2024", UTC_),
        ("1 March 2024", UTC_),
        ("01-Mar-2024", UTC_),
        ("Mar 1, 2024", UTC_),
        ("March 1st 2024", UTC_),
        ("Friday, 1 March 2024", UTC_),
        ("2024年3月1日", JAPAN),
        ("２０２４年３月１日", JAPAN),
        ("2024年03月01日(金)", JAPAN),
        ("令和6年3月1日", JAPAN),
        ("R6.3.1", JAPAN),
        ("01/03/2567", THAI),  # Buddhist era
        ("2567-03-01", UTC_),  # a year past 2400 is Buddhist era whatever the locale
        ("1 มีนาคม 2567", THAI),
        ("1 มี.ค. 2567", THAI),
        ("2024-03-01T09:00:00+09:00", UTC_),
        (date(2024, 3, 1), UTC_),
        (datetime(2024, 3, 1, 23, 0), UTC_),
    ],
)
def test_dates(raw: object, options: HygieneOptions) -> None:
    result = normalize_date(raw, options)
    assert result.value == MARCH_1, result
    assert result.issues == ()


def test_day_and_month_that_cannot_be_swapped_are_read_either_way() -> None:
    assert normalize_date("13/03/2024").value == date(2024, 3, 13)
    assert normalize_date("03/13/2024", DAY_FIRST).value == date(2024, 3, 13)


def test_japanese_first_year_of_an_era() -> None:
    assert normalize_date("平成元年1月8日", JAPAN).value == date(1989, 1, 8)
    assert normalize_date("昭和60年5月3日", JAPAN).value == date(1985, 5, 3)


def test_two_digit_years_are_flagged() -> None:
    result = normalize_date("01/03/85", DAY_FIRST)
    assert result.value == date(1985, 3, 1)
    assert result.issues == (FieldIssue.DATE_TWO_DIGIT_YEAR,)
    thai = normalize_date("1 มี.ค. 67", THAI)  # Thai short years are Buddhist era
    assert thai.value == MARCH_1
    assert thai.issues == (FieldIssue.DATE_TWO_DIGIT_YEAR,)


@pytest.mark.parametrize(
    ("raw", "options", "expected"),
    [
        ("2024-03-01T10:00:00Z", UTC_, datetime(2024, 3, 1, 10, tzinfo=UTC)),
        ("2024-03-01 17:00", THAI, datetime(2024, 3, 1, 10, tzinfo=UTC)),
        ("2024-03-01 19:00", JAPAN, datetime(2024, 3, 1, 10, tzinfo=UTC)),
        ("2024-03-01 05:00", US, datetime(2024, 3, 1, 10, tzinfo=UTC)),
        ("2024-03-01T17:00:00+07:00", US, datetime(2024, 3, 1, 10, tzinfo=UTC)),
        ("2024-03-01 19:00 JST", UTC_, datetime(2024, 3, 1, 10, tzinfo=UTC)),
        ("2024-03-01 17:00 Asia/Bangkok", UTC_, datetime(2024, 3, 1, 10, tzinfo=UTC)),
        ("01/03/2567 17:00", THAI, datetime(2024, 3, 1, 10, tzinfo=UTC)),
        (
            "03/01/2024 5:00 PM",
            BANGKOK,
            datetime(2024, 3, 1, 10, tzinfo=UTC),
        ),
        ("２０２４年３月１日 19時00分", JAPAN, datetime(2024, 3, 1, 10, tzinfo=UTC)),
        ("2024年3月1日 午後7時", JAPAN, datetime(2024, 3, 1, 10, tzinfo=UTC)),
        ("Fri, 01 Mar 2024 10:00:00 +0000", JAPAN, datetime(2024, 3, 1, 10, tzinfo=UTC)),
        ("1709287200", JAPAN, datetime(2024, 3, 1, 10, tzinfo=UTC)),  # epoch seconds
        ("1709287200000", UTC_, datetime(2024, 3, 1, 10, tzinfo=UTC)),  # epoch milliseconds
        (1709287200, UTC_, datetime(2024, 3, 1, 10, tzinfo=UTC)),
        (1709287200.5, UTC_, datetime(2024, 3, 1, 10, 0, 0, 500000, tzinfo=UTC)),
        ("2024-03-01", JAPAN, datetime(2024, 2, 29, 15, tzinfo=UTC)),  # midnight in Tokyo
        (datetime(2024, 3, 1, 19), JAPAN, datetime(2024, 3, 1, 10, tzinfo=UTC)),
        (
            datetime(2024, 3, 1, 17, tzinfo=timezone(timedelta(hours=7))),
            US,
            datetime(2024, 3, 1, 10, tzinfo=UTC),
        ),
    ],
)
def test_datetimes_become_aware_utc(
    raw: object, options: HygieneOptions, expected: datetime
) -> None:
    result = normalize_datetime(raw, options)
    assert result.value == expected, result
    assert result.value is not None and result.value.utcoffset() == timedelta(0)
    assert result.issues == ()


def test_epoch_date_is_the_day_in_the_source_zone() -> None:
    assert normalize_date("1709251200", UTC_).value == MARCH_1  # 2024-03-01T00:00Z
    assert normalize_date("1709251200", US).value == date(2024, 2, 29)


@pytest.mark.parametrize(
    ("raw", "issue"),
    [
        ("31/02/2024", FieldIssue.DATE_IMPOSSIBLE),
        ("2024-13-01", FieldIssue.DATE_IMPOSSIBLE),
        ("2024-03-01 25:00", FieldIssue.DATE_IMPOSSIBLE),
        ("0001-01-01", FieldIssue.DATE_OUT_OF_RANGE),
        ("9999-12-31", FieldIssue.DATE_OUT_OF_RANGE),
        ("soon", FieldIssue.DATE_UNPARSEABLE),
        ("1 Foo 2024", FieldIssue.DATE_UNPARSEABLE),
        ("2024-03-01 10:00 Mars/Olympus", FieldIssue.DATE_UNKNOWN_TIMEZONE),
        ("N/A", FieldIssue.PLACEHOLDER),
        ("", FieldIssue.MISSING),
        (None, FieldIssue.MISSING),
        (["2024-03-01"], FieldIssue.NOT_TEXT),
    ],
)
def test_refuses(raw: object, issue: FieldIssue) -> None:
    assert normalize_date(raw).issues == (issue,)
    assert normalize_datetime(raw).issues == (issue,)


def test_unknown_source_zone_refuses_naive_times_only() -> None:
    broken = HygieneOptions(timezone="Nowhere/Special")
    assert normalize_datetime("2024-03-01 10:00", broken).issues == (
        FieldIssue.DATE_UNKNOWN_TIMEZONE,
    )
    assert normalize_datetime("2024-03-01T10:00Z", broken).ok


class TestBirthDate:
    TODAY = HygieneOptions(today=date(2024, 6, 1))

    def test_plausible(self) -> None:
        assert normalize_birth_date("1985-05-03", self.TODAY).value == date(1985, 5, 3)
        thai = HygieneOptions(locale="th", day_first=True, today=date(2024, 6, 1))
        assert normalize_birth_date("15/08/2530", thai).value == date(1987, 8, 15)
        assert normalize_birth_date("昭和60年5月3日", self.TODAY).value == date(1985, 5, 3)

    def test_in_future(self) -> None:
        result = normalize_birth_date("2024-06-02", self.TODAY)
        assert result.value is None
        assert result.issues == (FieldIssue.BIRTH_DATE_IN_FUTURE,)
        assert result.original == "2024-06-02"

    def test_implausibly_old(self) -> None:
        assert normalize_birth_date("1903-06-01", self.TODAY).issues == (
            FieldIssue.BIRTH_DATE_TOO_OLD,
        )
        assert normalize_birth_date("1903-06-02", self.TODAY).ok  # 120 until tomorrow

    def test_bad_input_keeps_its_reason(self) -> None:
        assert normalize_birth_date("31/02/1990", self.TODAY).issues == (
            FieldIssue.DATE_IMPOSSIBLE,
        )
