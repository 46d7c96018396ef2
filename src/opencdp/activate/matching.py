"""Normalising and hashing contact details the way ad platforms match them.

Ad platforms match customer lists on SHA-256 digests (lower-case hex) of *normalised* values,
so one stray space or capital letter loses the match. The rules, as published:

- Google Customer Match ("Prepare user data", developers.google.com/display-video/api/guides/
  tasks/upload-customer-match-audience/prepare-data; Google Ads Customer Match CSV template):
  trim, lower-case email and names; phone in E.164 *with* country code and '+'; hash email,
  phone, first and last name with SHA-256; Country (ISO alpha-2) and Zip are sent unhashed.
- Meta custom audiences ("Hashing and Normalizing Data", developers.facebook.com/docs/
  marketing-api/custom-audience-api): every field hashed with SHA-256 after normalising:
  email trimmed and lower-cased; phone digits only with the country code, no '+', no leading
  zeros; first/last name lower-case without punctuation (UTF-8 kept); country lower-case
  ISO alpha-2; zip lower-case without spaces or dashes, US zips as their first five digits.

Phones without a country code are read in the profile's country (else the destination's
`default_region`) by the same hygiene rules used at collection.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata

from opencdp.hygiene.countries import normalize_country
from opencdp.hygiene.options import HygieneOptions
from opencdp.hygiene.phone import normalize_phone


def sha256_hex(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def clean_email(value: object) -> str | None:
    """Trimmed, lower-cased address; None unless it looks like local@domain."""
    if not isinstance(value, str):
        return None
    email = value.strip().lower()
    local, at, domain = email.partition("@")
    return email if at and local and "." in domain and " " not in email else None


def e164(value: object, region: str | None) -> str | None:
    """+<country code><number>, or None when the number cannot be read."""
    if value is None:
        return None
    options = HygieneOptions(default_region=region.upper() if region else None)
    return normalize_phone(str(value), options).value


def meta_phone(value: object, region: str | None) -> str | None:
    """Digits with country code, no '+' and no leading zeros (Meta's PHONE)."""
    number = e164(value, region)
    return number.lstrip("+").lstrip("0") if number else None


def country_code(value: object) -> str | None:
    """ISO 3166-1 alpha-2 (upper case) from a code or a country name."""
    if value is None:
        return None
    return normalize_country(str(value)).value


def google_name(value: object) -> str | None:
    """Trimmed and lower-cased (Google's first and last name)."""
    if not isinstance(value, str) or not value.strip():
        return None
    return value.strip().lower()


def meta_name(value: object) -> str | None:
    """Lower-cased, without punctuation or spaces, letters of any script kept (Meta FN/LN)."""
    if not isinstance(value, str):
        return None
    kept = "".join(
        ch for ch in unicodedata.normalize("NFC", value.lower())
        if not unicodedata.category(ch).startswith(("P", "Z", "C", "S"))
    )  # fmt: skip
    return kept or None


def google_zip(value: object) -> str | None:
    if value is None or not str(value).strip():
        return None
    return str(value).strip()


def meta_zip(value: object, country: str | None) -> str | None:
    """Lower case without spaces or dashes; a US zip as its first five digits."""
    if value is None:
        return None
    text = re.sub(r"[\s\-]", "", str(value)).lower()
    if country == "US":
        text = text[:5]
    return text or None


def hashed(value: str | None) -> str:
    """The SHA-256 digest of a normalised value, or an empty cell when there is none."""
    return sha256_hex(value) if value else ""
