"""Per-source settings that change how values are read.

A Thai CRM export and a US web form need different defaults (phone region, day-first dates,
Buddhist-era years, the meaning of "$"), so each source carries one `HygieneOptions`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True, slots=True)
class HygieneOptions:
    """How to read one source's values; every field has a neutral default."""

    default_region: str | None = None
    """ISO 3166-1 alpha-2 region for phone numbers without a country code and for postcodes."""
    locale: str | None = None
    """Language of the source ("en", "th", "ja"): Buddhist-era years, name order, month names."""
    timezone: str = "UTC"
    """IANA zone in which date-times without an offset are read."""
    day_first: bool = False
    """Read 01/03/2024 as 1 March (most of the world) rather than 3 January (US)."""
    default_currency: str | None = None
    """ISO 4217 code that ambiguous symbols ("$", "¥") mean for this source."""
    email_provider_rules: bool = False
    """Canonicalise by provider: Gmail ignores dots and +tags, googlemail.com is gmail.com."""
    email_strip_tags: bool = False
    """Drop "+tag" from the local part for every provider, not only Gmail."""
    name_strip_titles: bool = False
    """Remove honorifics (Mr, นาย, นางสาว, คุณ, 様, さん …) from names."""
    phone_accept_possible: bool = False
    """Accept numbers of a possible length that fail the region's number-range check."""
    decimal_comma: bool = False
    """Read "1.234,50" as 1234.5 (continental Europe) rather than "1,234.50"."""
    today: date | None = None
    """Reference day for birth-date checks; None means the current UTC day."""
    max_age_years: int = 120
    """Birth dates longer ago than this are refused as implausible."""


DEFAULT_OPTIONS = HygieneOptions()
