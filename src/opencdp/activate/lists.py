"""Audience lists in the shapes ad platforms and email tools import.

Google Customer Match and Meta custom-audience uploads take hashed contact columns (see
`matching` for the published rules); email tools such as Mailchimp import plain
"Email Address, First Name, Last Name, Tags" CSVs. A member with nothing to match on (no
email, no phone and no full name-and-address) is left out of the list.
"""

from __future__ import annotations

from collections.abc import Sequence

from opencdp.activate.audience import Change
from opencdp.activate.matching import (
    clean_email,
    country_code,
    e164,
    google_name,
    google_zip,
    hashed,
    meta_name,
    meta_phone,
    meta_zip,
)  # fmt: skip

GOOGLE_HEADERS = ["Email", "Phone", "First Name", "Last Name", "Country", "Zip"]
META_HEADERS = ["EMAIL", "PHONE", "FN", "LN", "ZIP", "COUNTRY"]
EMAIL_LIST_HEADERS = ["Email Address", "First Name", "Last Name", "Tags"]

Rows = list[list[str]]


def google_customer_match(changes: Sequence[Change], default_region: str | None) -> Rows:
    rows = []
    for change in changes:
        v = change.values
        country = country_code(v.get("country"))
        email, phone = clean_email(v.get("email")), e164(v.get("phone"), country or default_region)
        first, last = google_name(v.get("first_name")), google_name(v.get("last_name"))
        zip_code = google_zip(v.get("postcode") or v.get("zip"))
        if _matchable(email, phone, first, last, country, zip_code):
            rows.append([hashed(email), hashed(phone), hashed(first), hashed(last),
                         country or "", zip_code or ""])  # fmt: skip
    return rows


def meta_custom_audience(changes: Sequence[Change], default_region: str | None) -> Rows:
    rows = []
    for change in changes:
        v = change.values
        country = country_code(v.get("country"))
        email = clean_email(v.get("email"))
        phone = meta_phone(v.get("phone"), country or default_region)
        first, last = meta_name(v.get("first_name")), meta_name(v.get("last_name"))
        zip_code = meta_zip(v.get("postcode") or v.get("zip"), country)
        if _matchable(email, phone, first, last, country, zip_code):
            lower_country = country.lower() if country else None
            rows.append([hashed(email), hashed(phone), hashed(first), hashed(last),
                         hashed(zip_code), hashed(lower_country)])  # fmt: skip
    return rows


def email_list(changes: Sequence[Change], tags: Sequence[str]) -> Rows:
    """Mailchimp-style rows; members without a usable email address are left out."""
    rows = []
    for change in changes:
        email = clean_email(change.values.get("email"))
        if email:
            rows.append([email, _text(change.values.get("first_name")),
                         _text(change.values.get("last_name")), ",".join(tags)])  # fmt: skip
    return rows


def _matchable(email: str | None, phone: str | None, *address: str | None) -> bool:
    return bool(email or phone or all(address))


def _text(value: object) -> str:
    return "" if value is None else str(value).strip()
