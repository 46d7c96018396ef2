"""The issue vocabulary, placeholders, validators and the single entry point."""

from __future__ import annotations

from datetime import date

import pytest

from opencdp.hygiene import (
    KINDS,
    FieldIssue,
    Gender,
    HygieneOptions,
    Normalized,
    Severity,
    UnknownKind,
    check_birth_date,
    check_price,
    check_quantity,
    count_issues,
    is_placeholder_digits,
    is_placeholder_text,
    normalize_value,
    normalizer_for,
)

THAI_CRM = HygieneOptions(default_region="TH", locale="th", day_first=True,
                          timezone="Asia/Bangkok", default_currency="THB")  # fmt: skip


def test_every_issue_has_a_reason_and_a_severity() -> None:
    for issue in FieldIssue:
        assert issue.reason
        assert isinstance(issue.severity, Severity)
    assert len({issue.value for issue in FieldIssue}) == len(FieldIssue)


def test_result_helpers() -> None:
    fixed = Normalized("+66812345678", "081-234-5678")
    assert fixed.ok and fixed.changed and fixed.problem is None
    bad: Normalized[str] = Normalized(None, "x", (FieldIssue.EMAIL_SYNTAX,))
    assert not bad.ok and not bad.changed
    assert bad.problem == "email.syntax: invalid email address"
    warned = Normalized("Jo 2", "Jo 2", (FieldIssue.NAME_HAS_DIGITS,))
    assert warned.warnings == (FieldIssue.NAME_HAS_DIGITS,)
    assert not warned.changed


def test_count_issues_aggregates_results() -> None:
    results = [normalize_value("email", v) for v in ["x", "test@test.com", "a@b.co", "y"]]
    counts = count_issues(r.issues for r in results)
    assert counts == {FieldIssue.EMAIL_SYNTAX: 2, FieldIssue.PLACEHOLDER: 1}


@pytest.mark.parametrize(
    "text",
    ["N/A", "n/a", "NULL", "none", "-", "---", "unknown", "asdf", "?", "ไม่มี", "なし", "xxxxx"],
)
def test_placeholder_text(text: str) -> None:
    assert is_placeholder_text(text)


def test_real_values_are_not_placeholders() -> None:
    for text in ["Bangkok", "Na", "Oo", "Ng", "山田"]:
        assert not is_placeholder_text(text)
    assert is_placeholder_text("Na") is False and is_placeholder_text("na", name=True)


@pytest.mark.parametrize("digits", ["0000000000", "1111111", "1234567890", "0123456789",
                                    "9876543210", "123456"])  # fmt: skip
def test_placeholder_digits(digits: str) -> None:
    assert is_placeholder_digits(digits)


def test_real_numbers_are_not_placeholder_digits() -> None:
    for digits in ["0812345678", "09012345678", "4155552671", "12345"]:
        assert not is_placeholder_digits(digits)


def test_validators() -> None:
    today = date(2024, 6, 1)
    assert check_birth_date(date(1990, 1, 1), today=today) is None
    assert check_birth_date(date(2030, 1, 1), today=today) is FieldIssue.BIRTH_DATE_IN_FUTURE
    assert check_birth_date(date(1850, 1, 1), today=today) is FieldIssue.BIRTH_DATE_TOO_OLD
    assert check_quantity(-1) is FieldIssue.NEGATIVE_QUANTITY
    assert check_quantity(0) is None
    assert check_price(-0.5) is FieldIssue.NEGATIVE_PRICE


@pytest.mark.parametrize(
    ("kind", "raw", "expected"),
    [
        ("email", " Somchai@Hotmail.com", "somchai@hotmail.com"),
        ("phone", "081-234-5678", "+66812345678"),
        ("name", "นายสมชาย  ใจดี", "นายสมชาย ใจดี"),
        ("date", "01/03/2567", date(2024, 3, 1)),
        ("birth_date", "15/08/2530", date(1987, 8, 15)),
        ("dob", "15/08/2530", date(1987, 8, 15)),
        ("country", "ประเทศไทย", "TH"),
        ("currency", "฿", "THB"),
        ("boolean", "ใช่", True),
        ("postcode", "10110", "10110"),
        ("zip", "10110", "10110"),
        ("gender", "หญิง", Gender.FEMALE),
        ("number", "1,200", 1200),
        ("price", "1,200.50", 1200.5),
        ("quantity", "2", 2),
        ("text", " Sukhumvit ", "Sukhumvit"),
    ],
)
def test_normalize_value_by_kind(kind: str, raw: str, expected: object) -> None:
    result = normalize_value(kind, raw, options=THAI_CRM)
    assert result.value == expected
    assert result.original == raw


def test_datetime_kind() -> None:
    result = normalize_value("datetime", "01/03/2567 17:00", options=THAI_CRM)
    assert result.value is not None
    assert result.value.isoformat() == "2024-03-01T10:00:00+00:00"


def test_unknown_kind_is_a_mapping_error() -> None:
    with pytest.raises(UnknownKind):
        normalize_value("shoe_size", "42")
    with pytest.raises(UnknownKind):
        normalizer_for("shoe_size")
    assert {"email", "phone", "name", "date", "datetime", "country", "currency", "boolean",
            "postcode", "gender"} <= KINDS  # fmt: skip
