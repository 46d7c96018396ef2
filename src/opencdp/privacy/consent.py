"""Processing purposes, and the names consent is stated under in traits and events.

Every destination declares one purpose, and a segment's `consent("email")` names one; both
resolve through `canonical_purpose` so that "email", "newsletter" and "email_marketing" mean
the same consent. Traits state consent as `email_opt_in`, `consent_advertising`,
`accepts_analytics` or a `consents` object; events as Segment's
`context.consent.categoryPreferences`. Until the privacy stage keeps a consent ledger, the
profile stage derives `profile_consents` from those statements (latest wins).
"""

from __future__ import annotations

import re

PURPOSES = ("email_marketing", "sms_marketing", "advertising", "analytics", "personalisation",
            "sale_of_data")  # fmt: skip

# Names a purpose goes by, after lower-casing and removing the consent prefix or suffix.
ALIASES: dict[str, str] = {
    **{p: p for p in PURPOSES},
    "email": "email_marketing",
    "marketing_email": "email_marketing",
    "newsletter": "email_marketing",
    "sms": "sms_marketing",
    "marketing_sms": "sms_marketing",
    "ads": "advertising",
    "advertisement": "advertising",
    "targeting": "advertising",
    "marketing_ads": "advertising",
    "performance": "analytics",
    "measurement": "analytics",
    "personalization": "personalisation",
    "functional": "personalisation",
    "preferences": "personalisation",
    "sale": "sale_of_data",
    "data_sale": "sale_of_data",
    "sell_data": "sale_of_data",
}

# `consent_email`, `accepts_advertising`, `email_opt_in`, `newsletter_consent`, `sms_optin`.
_STATEMENT = re.compile(r"^(?:consent_|accepts_)(?P<a>.+)$|^(?P<b>.+?)_(?:opt_in|optin|consent)$")
STATEMENT_PATTERN = _STATEMENT.pattern  # the same rule in SQL (regexp_extract)


class UnknownPurpose(ValueError):
    """A purpose name that is none of `PURPOSES` nor one of their aliases."""


def canonical_purpose(name: str) -> str:
    """The purpose `name` stands for; raises UnknownPurpose with the valid names."""
    key = re.sub(r"[\s\-]+", "_", name.strip().lower())
    if key in ALIASES:
        return ALIASES[key]
    raise UnknownPurpose(f"unknown purpose {name!r}; use one of {', '.join(PURPOSES)}")


def purpose_of_trait(trait: str) -> str | None:
    """The purpose a consent trait such as `email_opt_in` states, or None."""
    match = _STATEMENT.match(trait.strip().lower())
    if match is None:
        return None
    return ALIASES.get(match.group("a") or match.group("b"))
