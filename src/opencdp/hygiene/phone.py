"""Phone numbers to E.164 (+66812345678), so one number written many ways is one identifier.

A number without a country code is read in the source's default region. Common shapes
(digits with separators) take a fast path through the numbering-plan metadata; anything
else goes through the full `phonenumbers` parser, which is three to five times slower.
"""

from __future__ import annotations

import re
from functools import lru_cache

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumber, PhoneNumberFormat

from opencdp.hygiene.issues import FieldIssue
from opencdp.hygiene.options import DEFAULT_OPTIONS, HygieneOptions
from opencdp.hygiene.phone_metadata import is_valid, national_reading
from opencdp.hygiene.placeholders import is_placeholder_digits, is_placeholder_text
from opencdp.hygiene.result import Normalized, refused
from opencdp.hygiene.text import DASHES, as_text, fold_width

# Separators people put between digits; removing them leaves "+" and digits on the fast path.
_SEPARATORS = str.maketrans("", "", " \t()[]./\\\u3000\u00a0\u30fb" + DASHES)
_FAST_SHAPE = re.compile(r"\+?[0-9]{4,17}")
# Words for "extension" that phonenumbers does not know.
_EXTENSION_WORDS = re.compile("内線|ต่อ|กด")
_E164 = PhoneNumberFormat.E164


def normalize_phone(value: object, options: HygieneOptions = DEFAULT_OPTIONS) -> Normalized[str]:
    """Any written phone number to E.164, reading national numbers in `default_region`."""
    if value is None:
        return refused(value, FieldIssue.MISSING)
    text = as_text(value)
    if text is None:
        return refused(value, FieldIssue.NOT_TEXT)
    region = options.default_region.upper() if options.default_region else None
    result = _normalize(text, region, options.phone_accept_possible)
    return result if value is text else Normalized(result.value, value, result.issues)


@lru_cache(maxsize=32768)
def _normalize(text: str, region: str | None, accept_possible: bool) -> Normalized[str]:
    folded = fold_width(text).strip()
    if not folded:
        return refused(text, FieldIssue.MISSING)
    compact = folded.translate(_SEPARATORS)
    if _FAST_SHAPE.fullmatch(compact):
        if is_placeholder_digits(compact.lstrip("+")):
            return refused(text, FieldIssue.PLACEHOLDER)
        e164 = _fast(compact, region)
        if e164 is not None:
            return Normalized(e164, text)
    elif is_placeholder_text(folded):
        return refused(text, FieldIssue.PLACEHOLDER)
    return _slow(text, _EXTENSION_WORDS.sub(" ext ", folded), region, accept_possible)


def _fast(compact: str, region: str | None) -> str | None:
    """A valid number in E.164 read straight from the metadata, or None to let the full
    parser try.

    It reads a number only the way the full parser would (a property test checks this):
    "+" and a country code, or a national number with the region's trunk prefix stripped.
    """
    if compact[0] == "+":
        if compact[1] == "0":  # no country code starts with 0
            return None
        for size in (1, 2, 3):
            code = int(compact[1 : 1 + size])
            if code in phonenumbers.COUNTRY_CODE_TO_REGION_CODE:
                return _valid(code, compact[1 + size :])
        return None
    reading = national_reading(region) if region else None
    if reading is None:
        return None
    if reading.international_prefix is not None and reading.international_prefix.match(compact):
        return None  # 00…, 010…, 011…: an international number, for the full parser
    if compact.startswith(reading.country_code_digits):
        return None  # "66 81…": maybe a country code without "+", which the full parser weighs
    if reading.national_prefix is not None:
        match = reading.national_prefix.match(compact)
        if match:
            # With a transform rule the library rewrites the number when the prefix's last
            # group took part (Argentina, Brazil, Japan's special ranges): leave that to it.
            groups = match.re.groups
            if reading.transform and (groups == 0 or match.group(groups) is not None):
                return None
            compact = compact[match.end() :]
    return _valid(reading.country_code, compact)


def _valid(country_code: int, national: str) -> str | None:
    # A leading zero that survives is significant (Italy) or a typo: the full parser decides.
    if not national or national[0] == "0" or is_placeholder_digits(national):
        return None
    return f"+{country_code}{national}" if is_valid(country_code, national) else None


def _slow(original: str, folded: str, region: str | None, accept_possible: bool) -> Normalized[str]:
    try:
        number = phonenumbers.parse(folded, region)
    except NumberParseException as exc:
        if exc.error_type == NumberParseException.INVALID_COUNTRY_CODE and region is None:
            return refused(original, FieldIssue.PHONE_NO_REGION)
        return refused(original, FieldIssue.PHONE_UNPARSEABLE)
    if not phonenumbers.is_valid_number(number):
        retried = _international_prefix_retry(folded)
        if retried is not None:
            number = retried
        elif not (accept_possible and phonenumbers.is_possible_number(number)):
            return refused(original, FieldIssue.PHONE_INVALID)
    e164 = phonenumbers.format_number(number, _E164)
    if is_placeholder_digits(str(number.national_number)):
        return refused(original, FieldIssue.PLACEHOLDER)
    if number.extension:
        return Normalized(e164, original, (FieldIssue.PHONE_EXTENSION_DROPPED,))
    return Normalized(e164, original)


def _international_prefix_retry(folded: str) -> PhoneNumber | None:
    """Read a leading 00 as the international prefix, which it is almost everywhere, even
    where the region's own prefix would swallow more digits (Thailand's 00[1-9])."""
    compact = folded.translate(_SEPARATORS)
    if not compact.startswith("00"):
        return None
    try:
        number = phonenumbers.parse("+" + compact[2:], None)
    except NumberParseException:
        return None
    return number if phonenumbers.is_valid_number(number) else None
