from __future__ import annotations

import pytest

from opencdp.hygiene import FieldIssue, HygieneOptions, normalize_phone

TH = HygieneOptions(default_region="TH")
JP = HygieneOptions(default_region="JP")
US = HygieneOptions(default_region="US")


@pytest.mark.parametrize(
    ("raw", "options", "expected"),
    [
        ("081-234-5678", TH, "+66812345678"),
        ("+66 81 234 5678", TH, "+66812345678"),
        ("0812345678", TH, "+66812345678"),
        ("+66 081 234 5678", TH, "+66812345678"),  # trunk zero kept after the country code
        ("66812345678", TH, "+66812345678"),
        ("0066812345678", TH, "+66812345678"),
        ("812345678", TH, "+66812345678"),  # spreadsheet dropped the leading zero
        (812345678, TH, "+66812345678"),
        (66812345678.0, TH, "+66812345678"),
        ("02-123-4567", TH, "+6621234567"),  # Bangkok landline
        ("(02) 123 4567", TH, "+6621234567"),
        ("090-1234-5678", JP, "+819012345678"),
        ("０９０－１２３４－５６７８", JP, "+819012345678"),  # full-width digits and dashes
        ("０９０ー１２３４ー５６７８", JP, "+819012345678"),  # long-vowel mark typed as a dash
        ("03-1234-5678", JP, "+81312345678"),
        ("+81 90 1234 5678", TH, "+819012345678"),  # explicit country code wins
        ("(415) 555-2671", US, "+14155552671"),
        ("1 415 555 2671", US, "+14155552671"),
        ("+1.415.555.2671", None, "+14155552671"),
        ("tel: +44 20 7946 0958", None, "+442079460958"),
    ],
)
def test_to_e164(raw: object, options: HygieneOptions | None, expected: str) -> None:
    result = normalize_phone(raw, options or HygieneOptions())
    assert result.value == expected
    assert result.issues == ()
    assert result.original == raw


def test_extension_is_dropped_with_a_warning() -> None:
    for raw in ("081-234-5678 ext 12", "081-234-5678 ต่อ 12", "081-234-5678 内線12"):
        result = normalize_phone(raw, TH)
        assert result.value == "+66812345678"
        assert result.issues == (FieldIssue.PHONE_EXTENSION_DROPPED,)
        assert result.ok
        assert result.problem is None


@pytest.mark.parametrize(
    ("raw", "options", "issue"),
    [
        ("0812345678", HygieneOptions(), FieldIssue.PHONE_NO_REGION),
        ("hello", TH, FieldIssue.PHONE_UNPARSEABLE),
        ("12", TH, FieldIssue.PHONE_INVALID),
        ("081-234", TH, FieldIssue.PHONE_INVALID),
        ("+66 0000 0000", TH, FieldIssue.PHONE_INVALID),
        ("0000000000", TH, FieldIssue.PLACEHOLDER),
        ("1234567890", US, FieldIssue.PLACEHOLDER),
        ("111-111-1111", US, FieldIssue.PLACEHOLDER),
        ("N/A", TH, FieldIssue.PLACEHOLDER),
        ("-", JP, FieldIssue.PLACEHOLDER),
        ("", TH, FieldIssue.MISSING),
        ([], TH, FieldIssue.NOT_TEXT),
    ],
)
def test_refuses(raw: object, options: HygieneOptions, issue: FieldIssue) -> None:
    result = normalize_phone(raw, options)
    assert result.value is None
    assert result.issues == (issue,)


def test_accept_possible_numbers_when_asked() -> None:
    # Right length for Thailand, but in no allocated range.
    assert normalize_phone("05 123 4567", TH).issues == (FieldIssue.PHONE_INVALID,)
    lenient = HygieneOptions(default_region="TH", phone_accept_possible=True)
    assert normalize_phone("05 123 4567", lenient).value == "+6651234567"
