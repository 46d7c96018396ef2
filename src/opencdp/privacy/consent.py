"""Processing purposes, the names consent is stated under, and the words a statement uses.

Every destination declares one purpose, every purpose export names one, and a segment's
`consent("email")` names one; all resolve through `canonical_purpose` so that "email",
"newsletter" and "email_marketing" mean the same consent. Besides the built-in purposes a
workspace may register its own, and extra names for any purpose (a consent platform's
category ids such as "C0004"), in `consent_purposes` (privacy/purposes.py); callers that can
read the workspace pass those in as `registered`.

Statements arrive as Segment's `context.consent.categoryPreferences`, as consent traits
(`email_opt_in`, `consent_advertising`, `accepts_analytics`, a `consents` object), as
imported consent columns, through the API, and as the `Sec-GPC: 1` header; the consent
ledger (privacy/ledger.py) records each one.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar

PURPOSES = ("email_marketing", "sms_marketing", "advertising", "analytics", "personalisation",
            "sale_of_data")  # fmt: skip

# Names a purpose goes by, after normalising (`normal_name`) and removing the consent prefix
# or suffix. Segment's example categories ("Advertising", "Analytics", "Functional",
# "DataSharing") are among them.
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
    "data_sharing": "sale_of_data",
    "sharing": "sale_of_data",
    "sale_or_sharing": "sale_of_data",
}

LEGAL_BASES = ("consent", "contract", "legal_obligation", "vital_interest", "public_task",
               "legitimate_interest")  # fmt: skip
SOURCES = ("event", "import", "api", "gpc")
# A Global Privacy Control signal opts out of the sale and the sharing of personal data;
# "sharing" in the CPRA is sharing for cross-context behavioural advertising, which is what
# the `advertising` purpose covers, so both are denied (docs/consent.md).
GPC_DENIES = ("sale_of_data", "advertising")
# Identifier types that stand for the person themself rather than a device, a cookie or an
# address others may share: identity links at most one per profile, so a newer grant through
# it can lift a denial stated through another identifier of the profile (docs/consent.md).
PERSON_IDENTIFIERS = ("user_id",)

# `consent_email`, `accepts_advertising`, `email_opt_in`, `newsletter_consent`, `sms_optin`.
_STATEMENT = re.compile(r"^(?:consent_|accepts_)(?P<a>.+)$|^(?P<b>.+?)_(?:opt_in|optin|consent)$")
STATEMENT_PATTERN = _STATEMENT.pattern  # the same rule in SQL (regexp_extract)
# camelCase → snake_case, then spaces and dashes → "_" (the same steps in SQL).
CAMEL_PATTERN = r"([a-z0-9])([A-Z])"
SEPARATOR_PATTERN = r"[\s\-]+"
_CAMEL = re.compile(CAMEL_PATTERN)
_SEPARATOR = re.compile(SEPARATOR_PATTERN)
_PURPOSE_NAME = re.compile(r"^[a-z][a-z0-9_]{1,62}$")
_ALIAS_NAME = re.compile(r"^[a-z0-9][a-z0-9_.:]{0,62}$")

GRANT_WORDS = ("true", "yes", "y", "1", "granted", "grant", "on", "opt_in", "opted_in")
DENY_WORDS = ("false", "no", "n", "0", "denied", "deny", "off", "opt_out", "opted_out")


# The workspace's registered names while a segment definition is read (`purposes_scope`):
# parsing validates purposes deep inside the segment language, which has no workspace.
_SCOPE: ContextVar[Mapping[str, str] | None] = ContextVar("registered_purposes", default=None)


@contextmanager
def purposes_scope(registered: Mapping[str, str]) -> Iterator[None]:
    """Within the block, `canonical_purpose` also knows `registered` names."""
    token = _SCOPE.set(registered)
    try:
        yield
    finally:
        _SCOPE.reset(token)


class ConsentNotFound(LookupError, ValueError):
    """Nothing is known about that identifier: no profile, no statement."""


class UnknownPurpose(ValueError):
    """A purpose name that is none of `PURPOSES`, their aliases, or a registered purpose."""


def normal_name(name: str) -> str:
    """`DataSharing`, `data-sharing`, ` Data sharing ` → `data_sharing`."""
    return _SEPARATOR.sub("_", _CAMEL.sub(r"\1_\2", name.strip())).lower()


def canonical_purpose(name: str, registered: Mapping[str, str] | None = None) -> str:
    """The purpose `name` stands for; raises UnknownPurpose with the valid names.

    `registered` maps the workspace's own purpose names and aliases to their purpose
    (`purposes.registered`); by default those of the current `purposes_scope`."""
    names = (_SCOPE.get() or {}) if registered is None else registered
    key = normal_name(name)
    found = ALIASES.get(key) or names.get(key)
    if found is not None:
        return found
    known = sorted({*PURPOSES, *names.values()})
    raise UnknownPurpose(f"unknown purpose {name!r}; use one of {', '.join(known)}")


def purpose_of_trait(trait: str, registered: Mapping[str, str] | None = None) -> str | None:
    """The purpose a consent trait such as `email_opt_in` states, or None."""
    match = _STATEMENT.match(normal_name(trait))
    if match is None:
        return None
    key = match.group("a") or match.group("b")
    return ALIASES.get(key) or (registered or {}).get(key)


def check_purpose_name(name: str) -> str:
    """A new purpose's name: lower-case letters, digits and `_`, not a built-in name."""
    key = normal_name(name)
    if not _PURPOSE_NAME.fullmatch(key):
        raise ValueError("a purpose name is 2 to 63 lower-case letters, digits or '_',"
                         " starting with a letter")  # fmt: skip
    if key in ALIASES:
        raise ValueError(f"{key!r} already names the built-in purpose {ALIASES[key]!r}")
    return key


def check_alias(name: str) -> str:
    """An extra name for a purpose, as a consent platform's category id may be (`C0004`)."""
    key = normal_name(name)
    if not _ALIAS_NAME.fullmatch(key):
        raise ValueError(f"alias {name!r}: use up to 63 letters, digits, '_', '.' or ':'")
    if key in ALIASES:
        raise ValueError(f"{key!r} already names the built-in purpose {ALIASES[key]!r}")
    return key


def check_legal_basis(basis: str) -> str:
    key = normal_name(basis)
    if key not in LEGAL_BASES:
        raise ValueError(f"unknown legal basis {basis!r}; use one of {', '.join(LEGAL_BASES)}")
    return key


def granted_of(value: object) -> bool | None:
    """True for a grant, False for a denial, None when `value` states neither."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return {1: True, 0: False}.get(int(value)) if value in (0, 1) else None
    if isinstance(value, str):
        word = normal_name(value)
        if word in GRANT_WORDS:
            return True
        if word in DENY_WORDS:
            return False
    return None
