"""Reading a written date or date-time into its parts, without guessing beyond the formats
customer data really uses: ISO 8601, 2024/03/01, 01/03/2024 (day-first per source),
1 Mar 2024, Mar 1, 2024, 2024年3月1日, 令和6年3月1日, Thai month names, Buddhist-era years,
compact 20240301, and Unix epoch seconds or milliseconds.
"""

from __future__ import annotations

import re
from datetime import datetime, tzinfo
from functools import lru_cache
from typing import NamedTuple
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from opencdp.hygiene.date_words import ERAS, MONTHS, WEEKDAYS, ZONE_ABBREVIATIONS
from opencdp.hygiene.issues import FieldIssue
from opencdp.hygiene.text import DASHES

BUDDHIST_ERA_OFFSET = 543


class Written(NamedTuple):
    """The parts of a written date; `epoch` is set instead when the text was a timestamp."""

    year: int = 1970
    month: int = 1
    day: int = 1
    hour: int = 0
    minute: int = 0
    second: int = 0
    microsecond: int = 0
    zone: tzinfo | None = None
    has_time: bool = False
    two_digit_year: bool = False
    epoch: float | None = None


_TIME = (
    r"(?:[t\s]+|\s*,\s*)(?P<hour>\d{1,2}):(?P<minute>\d{2})(?::(?P<second>\d{2})"
    r"(?:[.,](?P<fraction>\d{1,9}))?)?\s*(?P<ampm>[ap]\.?m\.?)?"
    r"\s*(?P<zone>z|[+-]\d{2}(?::?\d{2})?|(?:utc|gmt)[+-]\d{1,2}(?::?\d{2})?|[a-z]{1,5}|"
    r"[a-z]+/[a-z_]+(?:/[a-z_]+)?)?"
)
_NUMERIC = re.compile(
    rf"(?P<a>\d{{1,4}})(?P<sep>[-/.])(?P<b>\d{{1,2}})(?P=sep)(?P<c>\d{{1,4}})(?:{_TIME})?"
)
_MONTH_WORD = r"(?P<month>[^\W\d_][^\s\d,/-]*)"
_WEEKDAY = r"(?:(?P<weekday>[a-z]+)\.?,?\s+)?"
_DAY_MONTH_YEAR = re.compile(
    rf"{_WEEKDAY}(?P<day>\d{{1,2}})(?:st|nd|rd|th)?[\s/-]*{_MONTH_WORD},?[\s/-]*"
    rf"(?P<year>\d{{2,4}})(?:{_TIME})?"
)
_MONTH_DAY_YEAR = re.compile(
    rf"{_WEEKDAY}{_MONTH_WORD}\s*(?P<day>\d{{1,2}})(?:st|nd|rd|th)?,?\s+(?P<year>\d{{4}})"
    rf"(?:{_TIME})?"
)
_JAPANESE = re.compile(
    r"(?P<era>令和|平成|昭和|大正|明治)?\s*(?P<year>\d{1,4}|元)年\s*(?P<month>\d{1,2})月\s*"
    r"(?P<day>\d{1,2})日\s*(?:[(（][^)）]*[)）])?\s*(?:(?P<ampm>午前|午後)?\s*(?P<hour>\d{1,2})"
    r"(?:時|:)(?:(?P<minute>\d{1,2})(?:分|:)?(?:(?P<second>\d{1,2})秒?)?)?)?"
)
_ERA_LETTER = re.compile(
    r"(?P<era>[mtshr])\.?(?P<year>\d{1,2})[./-](?P<month>\d{1,2})[./-](?P<day>\d{1,2})"
)
_DIGITS = re.compile(r"\d+(?:\.\d+)?")
_DASH_TO_HYPHEN = str.maketrans(DASHES.replace("-", ""), "-" * (len(DASHES) - 1))


def parse_written(text: str, *, day_first: bool, thai: bool) -> Written | FieldIssue:
    """The parts of `text` (already width-folded and trimmed), or why it is not a date."""
    if text[:4].isdigit() and text[4:5] == "-":
        iso = _iso(text)
        if iso is not None:
            return iso
    lowered = text.lower().translate(_DASH_TO_HYPHEN)
    if _DIGITS.fullmatch(lowered):
        return _compact_or_epoch(lowered)
    match = _NUMERIC.fullmatch(lowered)
    if match:
        return _numeric(match, day_first=day_first, thai=thai)
    for pattern in (_DAY_MONTH_YEAR, _MONTH_DAY_YEAR):
        match = pattern.fullmatch(lowered)
        if match:
            word = match["month"]
            month = MONTHS.get(word) or MONTHS.get(word.rstrip("."))
            weekday = match["weekday"]
            if month is None or (weekday is not None and weekday not in WEEKDAYS):
                continue
            year, short = _year(match["year"], thai)
            return _with_time(match, Written(year, month, int(match["day"]), two_digit_year=short))
    match = _JAPANESE.fullmatch(lowered) or _ERA_LETTER.fullmatch(lowered)
    if match:
        return _japanese(match)
    return FieldIssue.DATE_UNPARSEABLE


def _iso(text: str) -> Written | None:
    try:
        value = datetime.fromisoformat(text.replace(" utc", "+00:00").replace(" UTC", "+00:00"))
        if value.year > 2400:  # Buddhist era: 2567 is 2024
            value = value.replace(year=value.year - BUDDHIST_ERA_OFFSET)
    except ValueError:
        return None
    return Written(value.year, value.month, value.day, value.hour, value.minute, value.second,
                   value.microsecond, value.tzinfo, has_time=len(text) > 10)  # fmt: skip


def _year(digits: str, thai: bool) -> tuple[int, bool]:
    """A written year as Gregorian; two-digit years get a century (Buddhist for Thai)."""
    year = int(digits)
    if len(digits) <= 2:
        if thai:
            return 2500 + year - BUDDHIST_ERA_OFFSET, True
        pivot = (datetime.now().year + 5) % 100
        return (2000 + year if year <= pivot else 1900 + year), True
    if year > 2400:  # Buddhist era: 2567 is 2024
        year -= BUDDHIST_ERA_OFFSET
    return year, False


def _numeric(match: re.Match[str], *, day_first: bool, thai: bool) -> Written | FieldIssue:
    a, b, c = match["a"], match["b"], match["c"]
    if len(a) >= 3:
        year, short = _year(a, thai)
        month, day = int(b), int(c)
    elif len(c) in (2, 4):
        year, short = _year(c, thai)
        first, second = int(a), int(b)
        # A part above 12 can only be the day, whatever the source usually writes.
        if first > 12 >= second:
            day_first = True
        elif second > 12 >= first:
            day_first = False
        day, month = (first, second) if day_first else (second, first)
    else:
        return FieldIssue.DATE_UNPARSEABLE
    return _with_time(match, Written(year, month, day, two_digit_year=short))


def _with_time(match: re.Match[str], date_part: Written) -> Written | FieldIssue:
    if match["hour"] is None:
        return date_part
    hour, minute, second = int(match["hour"]), int(match["minute"] or 0), int(match["second"] or 0)
    if hour > 23 or minute > 59 or second > 59:
        return FieldIssue.DATE_IMPOSSIBLE
    ampm = match["ampm"]
    if ampm:
        if hour > 12:
            return FieldIssue.DATE_IMPOSSIBLE
        hour = hour % 12 + (12 if ampm[0] in "p午" and ampm != "午前" else 0)
    fraction = match.groupdict().get("fraction") or ""
    zone_text = match.groupdict().get("zone")
    zone = _zone(zone_text) if zone_text else None
    if zone_text and zone is None:
        return FieldIssue.DATE_UNKNOWN_TIMEZONE
    return date_part._replace(
        hour=hour, minute=minute, second=second,
        microsecond=int(fraction[:6].ljust(6, "0")) if fraction else 0, zone=zone, has_time=True,
    )  # fmt: skip


def _zone(text: str) -> tzinfo | None:
    known = ZONE_ABBREVIATIONS.get(text)
    if known is not None:
        return known
    if text[:3] in ("utc", "gmt") and len(text) > 3:
        text = text[3:]
    if text[0] in "+-":
        digits = text[1:].replace(":", "")
        hours, minutes = int(digits[:2]), int(digits[2:4] or 0)
        if hours > 23 or minutes > 59:
            return None
        iso = f"2000-01-01T00:00:00{text[0]}{hours:02d}:{minutes:02d}"
        return datetime.fromisoformat(iso).tzinfo
    if "/" in text:
        return zone_named("/".join(p.title() for p in text.split("/")))
    return None


@lru_cache(maxsize=256)
def zone_named(name: str) -> tzinfo | None:
    """An IANA zone by name, or None when this machine's zone database lacks it."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def _japanese(match: re.Match[str]) -> Written | FieldIssue:
    groups = match.groupdict()
    era = groups.get("era")
    year_text = match["year"]
    year = 1 if year_text == "元" else int(year_text)
    if era:
        year += ERAS[era] - 1
    elif year > 2400:
        year -= BUDDHIST_ERA_OFFSET
    written = Written(year, int(match["month"]), int(match["day"]))
    return _with_time(match, written) if groups.get("hour") else written


def _compact_or_epoch(digits: str) -> Written | FieldIssue:
    """20240301 and 20240301103000 are dates; other long numbers are Unix timestamps."""
    if "." not in digits and len(digits) in (8, 14) and digits[4:6] <= "12":
        year, _ = _year(digits[:4], thai=False)
        written = Written(year, int(digits[4:6]), int(digits[6:8]))
        if len(digits) == 8:
            return written
        return written._replace(hour=int(digits[8:10]), minute=int(digits[10:12]),
                                second=int(digits[12:14]), has_time=True)  # fmt: skip
    seconds = float(digits)
    if len(digits.partition(".")[0]) < 9:
        return FieldIssue.DATE_UNPARSEABLE
    for scale in (1e9, 1e6, 1e3):  # nanoseconds, microseconds, milliseconds
        if seconds >= scale * 1e8:
            return Written(epoch=seconds / scale, has_time=True)
    return Written(epoch=seconds, has_time=True)
