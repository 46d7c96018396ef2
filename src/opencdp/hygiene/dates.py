"""Dates and date-times from any written form to one representation: an aware UTC
`datetime` for moments (event times), a plain `date` for calendar days (birth dates).

A time written without an offset is read in the source's time zone; a Thai source's
Buddhist-era years and a Japanese source's era years become Gregorian.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, tzinfo
from functools import lru_cache

from opencdp.hygiene.date_parsing import Written, parse_written, zone_named
from opencdp.hygiene.issues import FieldIssue
from opencdp.hygiene.options import DEFAULT_OPTIONS, HygieneOptions
from opencdp.hygiene.placeholders import is_placeholder_text
from opencdp.hygiene.result import Normalized, refused
from opencdp.hygiene.text import as_text, clean_text
from opencdp.hygiene.validators import check_birth_date, check_year_range


def normalize_datetime(
    value: object, options: HygieneOptions = DEFAULT_OPTIONS
) -> Normalized[datetime]:
    """A moment as an aware UTC datetime; naive input is read in `options.timezone`."""
    if isinstance(value, datetime):
        return _from_datetime(value, options.timezone)
    text = value.isoformat() if isinstance(value, date) else _text_of(value)
    if isinstance(text, FieldIssue):
        return refused(value, text)
    result = _datetime(text, options.day_first, _is_thai(options), options.timezone)
    return result if value is text else Normalized(result.value, value, result.issues)


def normalize_date(value: object, options: HygieneOptions = DEFAULT_OPTIONS) -> Normalized[date]:
    """A calendar day as written (a time part is ignored; a timestamp is read in the zone)."""
    if isinstance(value, datetime):
        moment = _from_datetime(value, options.timezone)
        if moment.value is None:
            return refused(value, *moment.issues)
        zone = zone_named(options.timezone) or UTC
        day = (value if value.tzinfo is None else moment.value.astimezone(zone)).date()
        return Normalized(day, value)
    if isinstance(value, date):
        issue = check_year_range(value.year)
        return refused(value, issue) if issue else Normalized(value, value)
    text = _text_of(value)
    if isinstance(text, FieldIssue):
        return refused(value, text)
    result = _date(text, options.day_first, _is_thai(options), options.timezone)
    return result if value is text else Normalized(result.value, value, result.issues)


def normalize_birth_date(
    value: object, options: HygieneOptions = DEFAULT_OPTIONS
) -> Normalized[date]:
    """A date of birth: a calendar day, not in the future, at most `max_age_years` ago."""
    result = normalize_date(value, options)
    if result.value is None:
        return result
    issue = check_birth_date(result.value, today=options.today, max_age_years=options.max_age_years)
    return refused(value, issue) if issue else result


def _is_thai(options: HygieneOptions) -> bool:
    return (options.locale or "").lower().startswith("th")


def _text_of(value: object) -> str | FieldIssue:
    if value is None:
        return FieldIssue.MISSING
    text = as_text(value)
    return FieldIssue.NOT_TEXT if text is None else text


def _from_datetime(value: datetime, timezone: str) -> Normalized[datetime]:
    if value.tzinfo is None:
        zone = zone_named(timezone)
        if zone is None:
            return refused(value, FieldIssue.DATE_UNKNOWN_TIMEZONE)
        value_utc = value.replace(tzinfo=zone).astimezone(UTC)
    else:
        value_utc = value.astimezone(UTC)
    issue = check_year_range(value_utc.year)
    return refused(value, issue) if issue else Normalized(value_utc, value)


@lru_cache(maxsize=32768)
def _parsed(text: str, day_first: bool, thai: bool) -> Written | FieldIssue:
    cleaned = clean_text(text)
    if not cleaned:
        return FieldIssue.MISSING
    if is_placeholder_text(cleaned):
        return FieldIssue.PLACEHOLDER
    return parse_written(cleaned, day_first=day_first, thai=thai)


@lru_cache(maxsize=32768)
def _datetime(text: str, day_first: bool, thai: bool, timezone: str) -> Normalized[datetime]:
    written = _parsed(text, day_first, thai)
    if isinstance(written, FieldIssue):
        return refused(text, written)
    if written.epoch is not None:
        try:
            moment = datetime.fromtimestamp(written.epoch, UTC)
        except (OverflowError, OSError, ValueError):
            return refused(text, FieldIssue.DATE_OUT_OF_RANGE)
    else:
        zone: tzinfo | None = written.zone or zone_named(timezone)
        if zone is None:
            return refused(text, FieldIssue.DATE_UNKNOWN_TIMEZONE)
        try:
            moment = datetime(*written[:7], tzinfo=zone).astimezone(UTC)
        except (ValueError, OverflowError):
            return refused(text, _impossible_or_out_of_range(written.year))
    issue = check_year_range(moment.year)
    if issue:
        return refused(text, issue)
    return Normalized(moment, text, _two_digit(written))


@lru_cache(maxsize=32768)
def _date(text: str, day_first: bool, thai: bool, timezone: str) -> Normalized[date]:
    written = _parsed(text, day_first, thai)
    if isinstance(written, FieldIssue):
        return refused(text, written)
    if written.epoch is not None:
        moment = _datetime(text, day_first, thai, timezone).value
        zone = zone_named(timezone) or UTC
        if moment is None:
            return refused(text, FieldIssue.DATE_OUT_OF_RANGE)
        return Normalized(moment.astimezone(zone).date(), text)
    try:
        day = date(written.year, written.month, written.day)
    except ValueError:
        return refused(text, _impossible_or_out_of_range(written.year))
    issue = check_year_range(day.year)
    return refused(text, issue) if issue else Normalized(day, text, _two_digit(written))


def _impossible_or_out_of_range(year: int) -> FieldIssue:
    return check_year_range(year) or FieldIssue.DATE_IMPOSSIBLE


def _two_digit(written: Written) -> tuple[FieldIssue, ...]:
    return (FieldIssue.DATE_TWO_DIGIT_YEAR,) if written.two_digit_year else ()
