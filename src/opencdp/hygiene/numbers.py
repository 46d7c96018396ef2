"""Numbers from exports and forms ("1,234.50", "１２３", "(12.00)", "1.234,50"), and the
quantity and price checks orders need."""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from functools import lru_cache

from opencdp.hygiene.issues import FieldIssue
from opencdp.hygiene.options import DEFAULT_OPTIONS, HygieneOptions
from opencdp.hygiene.placeholders import is_placeholder_text
from opencdp.hygiene.result import Normalized, refused
from opencdp.hygiene.text import as_text, clean_text
from opencdp.hygiene.validators import check_price, check_quantity

_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?")
# Currency symbols and codes often left in amount cells.
_MONEY = re.compile(r"^(?:[a-z]{3}|[$€£¥฿₩₹]|us\$)\s*|\s*(?:[a-z]{3}|[$€£¥฿₩₹]|บาท|円)$")


def normalize_number(
    value: object, options: HygieneOptions = DEFAULT_OPTIONS
) -> Normalized[int | float]:
    """An int when the number is whole, else a float; thousands separators are dropped."""
    if value is None:
        return refused(value, FieldIssue.MISSING)
    if isinstance(value, int | float) and not isinstance(value, bool):
        if isinstance(value, float) and not math.isfinite(value):
            return refused(value, FieldIssue.NUMBER_UNPARSEABLE)
        return Normalized(value, value)
    text = as_text(value)
    if text is None:
        return refused(value, FieldIssue.NOT_TEXT)
    result = _normalize(text, options.decimal_comma)
    return result if value is text else Normalized(result.value, value, result.issues)


def normalize_quantity(
    value: object, options: HygieneOptions = DEFAULT_OPTIONS
) -> Normalized[int | float]:
    """A number that is not negative."""
    return _checked(normalize_number(value, options), check_quantity)


def normalize_price(
    value: object, options: HygieneOptions = DEFAULT_OPTIONS
) -> Normalized[int | float]:
    """An amount of money that is not negative (currency symbols around it are ignored)."""
    return _checked(normalize_number(value, options), check_price)


def _checked(
    result: Normalized[int | float], check: Callable[[float], FieldIssue | None]
) -> Normalized[int | float]:
    if result.value is None:
        return result
    issue = check(result.value)
    return refused(result.original, issue) if issue else result


@lru_cache(maxsize=32768)
def _normalize(text: str, decimal_comma: bool) -> Normalized[int | float]:
    cleaned = clean_text(text).lower()
    if not cleaned:
        return refused(text, FieldIssue.MISSING)
    cleaned = _MONEY.sub("", cleaned).replace(" ", "").replace("_", "")
    negative = cleaned.startswith("(") and cleaned.endswith(")")  # accounting negatives
    if negative:
        cleaned = cleaned[1:-1]
    if decimal_comma:
        cleaned = cleaned.replace(".", "").replace(",", ".")
    else:
        cleaned = cleaned.replace(",", "")
    if not _NUMBER.fullmatch(cleaned):
        placeholder = is_placeholder_text(clean_text(text))
        return refused(
            text, FieldIssue.PLACEHOLDER if placeholder else FieldIssue.NUMBER_UNPARSEABLE
        )
    number = float(cleaned)
    if not math.isfinite(number):
        return refused(text, FieldIssue.NUMBER_UNPARSEABLE)
    number = -number if negative else number
    if number.is_integer() and "." not in cleaned and "e" not in cleaned:
        return Normalized(int(cleaned) * (-1 if negative else 1), text)
    return Normalized(number, text)
