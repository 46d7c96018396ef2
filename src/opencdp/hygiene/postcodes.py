"""Postcodes in each country's written form (10110, 100-0001, 94105-1234, SW1A 1AA), so
address matching and geographic segments see one spelling per postcode.

The region is the source's default region; postcodes of regions without a rule here are
only tidied (width, case, spacing), never refused.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache

from opencdp.hygiene.issues import FieldIssue
from opencdp.hygiene.options import DEFAULT_OPTIONS, HygieneOptions
from opencdp.hygiene.placeholders import is_placeholder_text
from opencdp.hygiene.result import Normalized, refused
from opencdp.hygiene.text import DASHES, as_text, clean_text

_STRIP = str.maketrans("", "", " 〒" + DASHES)


def _digits(count: int) -> tuple[re.Pattern[str], Callable[[re.Match[str]], str]]:
    return re.compile(rf"\d{{{count}}}"), lambda m: m.group()


def _split(pattern: str, joiner: str) -> tuple[re.Pattern[str], Callable[[re.Match[str]], str]]:
    return re.compile(pattern), lambda m: joiner.join(p for p in m.groups() if p)


# Region → (pattern on the compact form, formatter). Thai province codes run 10–96.
_RULES: dict[str, tuple[re.Pattern[str], Callable[[re.Match[str]], str]]] = {
    "TH": (re.compile(r"(?:[1-8]\d|9[0-6])\d{3}"), lambda m: m.group()),
    "JP": _split(r"(\d{3})(\d{4})", "-"),
    "US": _split(r"(\d{5})(\d{4})?", "-"),
    "GB": _split(r"([A-Z]{1,2}\d[A-Z\d]?|GIR)(\d[A-Z]{2})", " "),
    "CA": _split(r"([A-Z]\d[A-Z])(\d[A-Z]\d)", " "),
    "NL": _split(r"([1-9]\d{3})([A-Z]{2})", " "),
    "KR": _digits(5), "DE": _digits(5), "FR": _digits(5), "IT": _digits(5), "ES": _digits(5),
    "MY": _digits(5), "ID": _digits(5), "SG": _digits(6), "CN": _digits(6), "IN": _digits(6),
    "VN": _digits(6), "AU": _digits(4), "PH": _digits(4), "NZ": _digits(4), "CH": _digits(4),
}  # fmt: skip
# Lengths spreadsheets shorten by dropping leading zeros from numeric cells.
_NUMERIC_LENGTH = {"US": 5, "JP": 7, "DE": 5, "FR": 5, "IT": 5, "ES": 5}


def normalize_postcode(value: object, options: HygieneOptions = DEFAULT_OPTIONS) -> Normalized[str]:
    """A postcode in the written form of `options.default_region`."""
    if value is None:
        return refused(value, FieldIssue.MISSING)
    text = as_text(value)
    if text is None:
        return refused(value, FieldIssue.NOT_TEXT)
    region = options.default_region.upper() if options.default_region else None
    if isinstance(value, int) and region in _NUMERIC_LENGTH:
        text = text.zfill(_NUMERIC_LENGTH[region])
    result = _normalize(text, region)
    return result if value is text else Normalized(result.value, value, result.issues)


@lru_cache(maxsize=16384)
def _normalize(text: str, region: str | None) -> Normalized[str]:
    tidy = clean_text(text).upper().removeprefix("〒").strip()
    if not tidy:
        return refused(text, FieldIssue.MISSING)
    if is_placeholder_text(tidy):
        return refused(text, FieldIssue.PLACEHOLDER)
    rule = _RULES.get(region) if region else None
    if rule is None:
        return Normalized(tidy, text)
    pattern, written = rule
    match = pattern.fullmatch(tidy.translate(_STRIP))
    if match is None:
        return refused(text, FieldIssue.POSTCODE_INVALID)
    return Normalized(written(match), text)
