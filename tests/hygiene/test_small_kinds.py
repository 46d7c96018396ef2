"""Booleans, postcodes, gender, numbers and generic text."""

from __future__ import annotations

import pytest

from opencdp.hygiene import (
    FieldIssue,
    Gender,
    HygieneOptions,
    normalize_boolean,
    normalize_free_text,
    normalize_gender,
    normalize_number,
    normalize_postcode,
    normalize_price,
    normalize_quantity,
    normalize_text,
)

TRUE_WORDS = ["yes", "Y", "TRUE", "t", "1", "on", "ใช่", "จริง", "はい", "あり", "○", 1, True]
FALSE_WORDS = ["no", "N", "false", "F", "0", "off", "ไม่ใช่", "ไม่", "いいえ", "なし", "×", 0, False]


@pytest.mark.parametrize("raw", TRUE_WORDS)
def test_true(raw: object) -> None:
    assert normalize_boolean(raw).value is True


@pytest.mark.parametrize("raw", FALSE_WORDS)
def test_false(raw: object) -> None:
    assert normalize_boolean(raw).value is False


@pytest.mark.parametrize(("raw", "issue"), [("maybe", FieldIssue.BOOLEAN_UNKNOWN),
                                             (2, FieldIssue.BOOLEAN_UNKNOWN),
                                             ("", FieldIssue.MISSING),
                                             (None, FieldIssue.MISSING)])  # fmt: skip
def test_not_boolean(raw: object, issue: FieldIssue) -> None:
    assert normalize_boolean(raw).issues == (issue,)


@pytest.mark.parametrize(
    ("raw", "region", "expected"),
    [
        ("10110", "TH", "10110"), (" 50200 ", "TH", "50200"), ("１０１１０", "TH", "10110"),
        ("100-0001", "JP", "100-0001"), ("〒100-0001", "JP", "100-0001"),
        ("〒１００－０００１", "JP", "100-0001"), ("1000001", "JP", "100-0001"),
        ("100ー0001", "JP", "100-0001"), (600001, "JP", "060-0001"),
        ("94105", "US", "94105"), ("94105-1234", "US", "94105-1234"),
        ("941051234", "US", "94105-1234"), (2134, "US", "02134"),
        ("sw1a1aa", "GB", "SW1A 1AA"), ("SW1A 1AA", "GB", "SW1A 1AA"), ("m1 1ae", "GB", "M1 1AE"),
        ("k1a0b1", "CA", "K1A 0B1"), ("1012ab", "NL", "1012 AB"),
        ("75008", None, "75008"), ("d02 x285", "IE", "D02 X285"),
    ],
)  # fmt: skip
def test_postcodes(raw: object, region: str | None, expected: str) -> None:
    result = normalize_postcode(raw, HygieneOptions(default_region=region))
    assert result.value == expected
    assert result.issues == ()


@pytest.mark.parametrize(
    ("raw", "region"),
    [("00110", "TH"), ("1011", "TH"), ("100-000", "JP"), ("9410", "US"), ("SW1A", "GB")],
)
def test_invalid_postcodes(raw: str, region: str) -> None:
    result = normalize_postcode(raw, HygieneOptions(default_region=region))
    assert result.issues == (FieldIssue.POSTCODE_INVALID,)


@pytest.mark.parametrize(
    ("raw", "gender"),
    [
        ("m", Gender.MALE), ("Male", Gender.MALE), ("ชาย", Gender.MALE), ("男性", Gender.MALE),
        ("男", Gender.MALE), ("f", Gender.FEMALE), ("FEMALE", Gender.FEMALE),
        ("หญิง", Gender.FEMALE), ("女性", Gender.FEMALE), ("ｆ", Gender.FEMALE),
        ("non-binary", Gender.OTHER), ("その他", Gender.OTHER), ("อื่นๆ", Gender.OTHER),
        ("prefer not to say", Gender.UNKNOWN), ("ไม่ระบุ", Gender.UNKNOWN),
        ("不明", Gender.UNKNOWN), ("unknown", Gender.UNKNOWN), (1, Gender.MALE),
        ("2", Gender.FEMALE),
    ],
)  # fmt: skip
def test_gender(raw: object, gender: Gender) -> None:
    assert normalize_gender(raw).value is gender


def test_unrecognised_gender() -> None:
    assert normalize_gender("banana").issues == (FieldIssue.GENDER_UNKNOWN,)
    assert normalize_gender("N/A").issues == (FieldIssue.PLACEHOLDER,)
    assert normalize_gender(" ").issues == (FieldIssue.MISSING,)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("1,234", 1234), ("1,234.50", 1234.5), ("  42 ", 42), ("１２３", 123), ("-3", -3),
        ("(12.00)", -12.0), ("฿1,200", 1200), ("1200 บาท", 1200), ("USD 9.99", 9.99),
        ("1e3", 1000.0), (".5", 0.5), (7, 7), (2.5, 2.5),
    ],
)  # fmt: skip
def test_numbers(raw: object, expected: float) -> None:
    result = normalize_number(raw)
    assert result.value == expected
    assert type(result.value) is type(expected)


def test_decimal_comma_sources() -> None:
    assert normalize_number("1.234,50", HygieneOptions(decimal_comma=True)).value == 1234.5


@pytest.mark.parametrize("raw", ["abc", "1.2.3", "inf", float("nan"), "--1"])
def test_not_numbers(raw: object) -> None:
    assert normalize_number(raw).issues == (FieldIssue.NUMBER_UNPARSEABLE,)


@pytest.mark.parametrize("raw", ["N/A", "-", "null", "nan", "ไม่มี"])
def test_placeholder_numbers(raw: str) -> None:
    assert normalize_number(raw).issues == (FieldIssue.PLACEHOLDER,)
    assert normalize_boolean(raw).issues == (FieldIssue.PLACEHOLDER,)


def test_negative_quantity_and_price_are_refused() -> None:
    assert normalize_quantity("-1").issues == (FieldIssue.NEGATIVE_QUANTITY,)
    assert normalize_price("(5.00)").issues == (FieldIssue.NEGATIVE_PRICE,)
    assert normalize_price(-0.01).original == -0.01
    assert normalize_quantity("3").value == 3
    assert normalize_price("0").value == 0


def test_short_text() -> None:
    assert normalize_text("  Bangkok\u3000 Metropolis ").value == "Bangkok Metropolis"
    assert normalize_text("ＣＵＳＴ－００１").value == "CUST-001"
    assert normalize_text("N/A").issues == (FieldIssue.PLACEHOLDER,)
    assert normalize_text(12345).value == "12345"


def test_free_text_keeps_lines_and_characters() -> None:
    raw = "  Great service!  \r\n\r\n\r\n\r\nส่งของเร็วมาก\u200b ค่ะ\n① ありがとう  "
    assert normalize_free_text(raw).value == "Great service!\n\nส่งของเร็วมาก ค่ะ\n① ありがとう"
    assert normalize_free_text(" - ").issues == (FieldIssue.PLACEHOLDER,)
