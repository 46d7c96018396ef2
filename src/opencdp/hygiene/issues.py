"""The vocabulary of data problems, shared by every normaliser and validator.

Each problem is a stable code (`FieldIssue`) so the quarantine can store it, the data-quality
report can count it per source and field, and the UI can translate it; the English `reason`
is only the default wording. A code's `Severity` says what the caller should do with the value.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from enum import StrEnum


class Severity(StrEnum):
    """What a problem means for the value."""

    MISSING = "missing"  # nothing there: counts against completeness, not validity
    INVALID = "invalid"  # unusable: the cleaned value is None and the record may be quarantined
    SUSPICIOUS = "suspicious"  # kept, but worth a look in the data-quality report


class FieldIssue(StrEnum):
    """One reason a field value was refused or flagged; the value is the stored code."""

    MISSING = "missing"
    NOT_TEXT = "not_text"
    PLACEHOLDER = "placeholder"
    TOO_LONG = "too_long"

    EMAIL_SYNTAX = "email.syntax"
    EMAIL_DOMAIN = "email.domain"

    PHONE_UNPARSEABLE = "phone.unparseable"
    PHONE_INVALID = "phone.invalid"
    PHONE_NO_REGION = "phone.no_region"
    PHONE_EXTENSION_DROPPED = "phone.extension_dropped"

    NAME_NO_LETTERS = "name.no_letters"
    NAME_HAS_DIGITS = "name.has_digits"

    DATE_UNPARSEABLE = "date.unparseable"
    DATE_IMPOSSIBLE = "date.impossible"
    DATE_OUT_OF_RANGE = "date.out_of_range"
    DATE_TWO_DIGIT_YEAR = "date.two_digit_year"
    DATE_UNKNOWN_TIMEZONE = "date.unknown_timezone"
    BIRTH_DATE_IN_FUTURE = "birth_date.in_future"
    BIRTH_DATE_TOO_OLD = "birth_date.too_old"

    COUNTRY_UNKNOWN = "country.unknown"
    CURRENCY_UNKNOWN = "currency.unknown"
    CURRENCY_SYMBOL_ASSUMED = "currency.symbol_assumed"
    BOOLEAN_UNKNOWN = "boolean.unknown"
    POSTCODE_INVALID = "postcode.invalid"
    GENDER_UNKNOWN = "gender.unknown"

    NUMBER_UNPARSEABLE = "number.unparseable"
    NEGATIVE_QUANTITY = "quantity.negative"
    NEGATIVE_PRICE = "price.negative"

    @property
    def severity(self) -> Severity:
        return _SEVERITY.get(self, Severity.INVALID)

    @property
    def reason(self) -> str:
        """Default English wording for logs, the CLI and quarantine rows."""
        return _REASONS[self]


_SEVERITY = {
    FieldIssue.MISSING: Severity.MISSING,
    FieldIssue.PHONE_EXTENSION_DROPPED: Severity.SUSPICIOUS,
    FieldIssue.NAME_HAS_DIGITS: Severity.SUSPICIOUS,
    FieldIssue.DATE_TWO_DIGIT_YEAR: Severity.SUSPICIOUS,
    FieldIssue.CURRENCY_SYMBOL_ASSUMED: Severity.SUSPICIOUS,
}

_REASONS = {
    FieldIssue.MISSING: "no value",
    FieldIssue.NOT_TEXT: "value of an unexpected type",
    FieldIssue.PLACEHOLDER: "placeholder value (test, N/A, 0000000000 …)",
    FieldIssue.TOO_LONG: "value too long",
    FieldIssue.EMAIL_SYNTAX: "invalid email address",
    FieldIssue.EMAIL_DOMAIN: "invalid email domain",
    FieldIssue.PHONE_UNPARSEABLE: "not a phone number",
    FieldIssue.PHONE_INVALID: "invalid phone number",
    FieldIssue.PHONE_NO_REGION: "phone number without country code and no default region",
    FieldIssue.PHONE_EXTENSION_DROPPED: "phone extension dropped",
    FieldIssue.NAME_NO_LETTERS: "name has no letters",
    FieldIssue.NAME_HAS_DIGITS: "name contains digits",
    FieldIssue.DATE_UNPARSEABLE: "not a recognised date or time",
    FieldIssue.DATE_IMPOSSIBLE: "impossible date or time (e.g. 31 February)",
    FieldIssue.DATE_OUT_OF_RANGE: "date outside the plausible range",
    FieldIssue.DATE_TWO_DIGIT_YEAR: "two-digit year; century assumed",
    FieldIssue.DATE_UNKNOWN_TIMEZONE: "unknown time zone",
    FieldIssue.BIRTH_DATE_IN_FUTURE: "birth date in the future",
    FieldIssue.BIRTH_DATE_TOO_OLD: "birth date implausibly long ago",
    FieldIssue.COUNTRY_UNKNOWN: "unknown country",
    FieldIssue.CURRENCY_UNKNOWN: "unknown currency",
    FieldIssue.CURRENCY_SYMBOL_ASSUMED: "ambiguous currency symbol; currency assumed",
    FieldIssue.BOOLEAN_UNKNOWN: "not a yes/no value",
    FieldIssue.POSTCODE_INVALID: "invalid postcode for the region",
    FieldIssue.GENDER_UNKNOWN: "unrecognised gender value",
    FieldIssue.NUMBER_UNPARSEABLE: "not a number",
    FieldIssue.NEGATIVE_QUANTITY: "negative quantity",
    FieldIssue.NEGATIVE_PRICE: "negative price",
}


def count_issues(issues: Iterable[Iterable[FieldIssue]]) -> Counter[FieldIssue]:
    """How often each problem occurs across many results' issue lists (for quality reports)."""
    counts: Counter[FieldIssue] = Counter()
    for one in issues:
        counts.update(one)
    return counts
