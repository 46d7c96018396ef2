"""The numbering-plan rules the phone fast path needs, compiled once per region.

`phonenumbers.is_valid_number` tries ten number types in a fixed order (premium rate first,
mobile last) with uncompiled-pattern lookups on every call; for customer data, which is
mostly mobile and fixed-line numbers, checking those first with compiled patterns is about
three times cheaper. The answer is the library's: a number is valid when its region's
general pattern and any one type pattern match (a property test compares the two).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import phonenumbers
from phonenumbers import PhoneMetadata

# Most common first; validity only needs one match.
_TYPES = ("mobile", "fixed_line", "toll_free", "voip", "uan", "shared_cost", "premium_rate",
          "personal_number", "pager", "voicemail")  # fmt: skip
_NON_GEO = "001"

Desc = tuple[frozenset[int], re.Pattern[str]]


@dataclass(frozen=True, slots=True)
class RegionRules:
    country_code: int
    leading_digits: re.Pattern[str] | None
    general: Desc
    types: tuple[Desc, ...]


@dataclass(frozen=True, slots=True)
class NationalReading:
    """How a region's national numbers are written: trunk prefix, international prefix."""

    country_code: int
    country_code_digits: str
    national_prefix: re.Pattern[str] | None
    transform: bool
    international_prefix: re.Pattern[str] | None


def _desc(desc: object) -> Desc | None:
    pattern = getattr(desc, "national_number_pattern", None)
    if not pattern:
        return None
    return frozenset(getattr(desc, "possible_length", ()) or ()), re.compile(pattern)


def _rules(metadata: PhoneMetadata) -> RegionRules | None:
    general = _desc(metadata.general_desc)
    if general is None or metadata.country_code is None:
        return None
    types = tuple(d for d in (_desc(getattr(metadata, t)) for t in _TYPES) if d is not None)
    leading = re.compile(metadata.leading_digits) if metadata.leading_digits else None
    return RegionRules(metadata.country_code, leading, general, types)


@lru_cache(maxsize=512)
def rules_for_code(country_code: int) -> tuple[tuple[str, RegionRules], ...]:
    regions = phonenumbers.COUNTRY_CODE_TO_REGION_CODE.get(country_code, ())
    found = []
    for region in regions:
        if region == _NON_GEO:
            metadata = PhoneMetadata.metadata_for_nongeo_region(country_code)
        else:
            metadata = PhoneMetadata.metadata_for_region(region)
        rules = _rules(metadata) if metadata is not None else None
        if rules is not None:
            found.append((region, rules))
    return tuple(found)


def _matches(desc: Desc, number: str) -> bool:
    lengths, pattern = desc
    return (not lengths or len(number) in lengths) and pattern.fullmatch(number) is not None


def _valid_in(rules: RegionRules, number: str) -> bool:
    return _matches(rules.general, number) and any(
        _matches(d, number) for d in rules.types if not d[0] or len(number) in d[0]
    )


def is_valid(country_code: int, number: str) -> bool:
    """Same answer as `phonenumbers.is_valid_number` for a number without leading zeros."""
    regions = rules_for_code(country_code)
    if len(regions) == 1:
        return _valid_in(regions[0][1], number)
    for _, rules in regions:  # shared codes (+1, +7, +44): the region is found as the library does
        if rules.leading_digits is not None:
            if rules.leading_digits.match(number):
                return _valid_in(rules, number)
        elif _valid_in(rules, number):
            return True
    return False


@lru_cache(maxsize=512)
def national_reading(region: str) -> NationalReading | None:
    metadata = PhoneMetadata.metadata_for_region(region)
    if metadata is None or metadata.country_code is None:
        return None
    prefix = metadata.national_prefix_for_parsing or metadata.national_prefix
    idd = metadata.international_prefix
    return NationalReading(
        metadata.country_code,
        str(metadata.country_code),
        re.compile(prefix) if prefix else None,
        bool(metadata.national_prefix_transform_rule),
        re.compile(idd) if idd else None,
    )
