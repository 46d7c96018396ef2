"""Checks on values that parsed fine but cannot be true: a birth date next year, a person
aged 130, a negative quantity or price. Each returns the issue, or None when plausible.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from opencdp.hygiene.issues import FieldIssue

EARLIEST_YEAR = 1800
LATEST_YEAR = 2200


def check_year_range(year: int) -> FieldIssue | None:
    """Dates outside 1800–2200 are typing errors or placeholders (0001-01-01, 9999-12-31)."""
    if EARLIEST_YEAR <= year <= LATEST_YEAR:
        return None
    return FieldIssue.DATE_OUT_OF_RANGE


def check_birth_date(
    born: date, *, today: date | None = None, max_age_years: int = 120
) -> FieldIssue | None:
    """A birth date must lie in the past, and at most `max_age_years` ago."""
    today = today or datetime.now(UTC).date()
    if born > today:
        return FieldIssue.BIRTH_DATE_IN_FUTURE
    if today.year - born.year - ((today.month, today.day) < (born.month, born.day)) > max_age_years:
        return FieldIssue.BIRTH_DATE_TOO_OLD
    return None


def check_quantity(quantity: float) -> FieldIssue | None:
    """Quantities ordered are never negative (returns are their own events)."""
    return FieldIssue.NEGATIVE_QUANTITY if quantity < 0 else None


def check_price(price: float) -> FieldIssue | None:
    """Prices are never negative (discounts and refunds are their own fields)."""
    return FieldIssue.NEGATIVE_PRICE if price < 0 else None
