"""One entry point by field kind, so importers and the collector apply the same rule to a
field whatever its source: `normalize_value("phone", "081-234-5678", options=thai_crm)`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any, Literal, overload

from opencdp.hygiene.booleans import normalize_boolean
from opencdp.hygiene.countries import normalize_country
from opencdp.hygiene.currencies import normalize_currency
from opencdp.hygiene.dates import normalize_birth_date, normalize_date, normalize_datetime
from opencdp.hygiene.email import normalize_email
from opencdp.hygiene.free_text import normalize_free_text, normalize_text
from opencdp.hygiene.gender import Gender, normalize_gender
from opencdp.hygiene.names import normalize_name
from opencdp.hygiene.numbers import normalize_number, normalize_price, normalize_quantity
from opencdp.hygiene.options import DEFAULT_OPTIONS, HygieneOptions
from opencdp.hygiene.phone import normalize_phone
from opencdp.hygiene.postcodes import normalize_postcode
from opencdp.hygiene.result import Normalized


class UnknownKind(ValueError):
    """A field kind no normaliser handles: a mapping error, found before any row is read."""


Normalizer = Callable[[object, HygieneOptions], Normalized[Any]]

NORMALIZERS: dict[str, Normalizer] = {
    "email": normalize_email,
    "phone": normalize_phone,
    "name": normalize_name,
    "date": normalize_date,
    "birth_date": normalize_birth_date,
    "datetime": normalize_datetime,
    "country": normalize_country,
    "currency": normalize_currency,
    "boolean": normalize_boolean,
    "postcode": normalize_postcode,
    "gender": normalize_gender,
    "number": normalize_number,
    "quantity": normalize_quantity,
    "price": normalize_price,
    "text": normalize_text,
    "free_text": normalize_free_text,
}
ALIASES = {"bool": "boolean", "timestamp": "datetime", "zip": "postcode", "amount": "price",
           "birthdate": "birth_date", "dob": "birth_date"}  # fmt: skip
KINDS = frozenset(NORMALIZERS) | frozenset(ALIASES)
"""Every kind `normalize_value` accepts; mappings are checked against it up front."""

StrKind = Literal[
    "email", "phone", "name", "country", "currency", "postcode", "text", "free_text", "zip"
]
DateKind = Literal["date", "birth_date", "birthdate", "dob"]
NumberKind = Literal["number", "quantity", "price", "amount"]


@overload
def normalize_value(
    kind: StrKind, value: object, *, options: HygieneOptions = ...
) -> Normalized[str]: ...
@overload
def normalize_value(
    kind: DateKind, value: object, *, options: HygieneOptions = ...
) -> Normalized[date]: ...
@overload
def normalize_value(
    kind: Literal["datetime", "timestamp"], value: object, *, options: HygieneOptions = ...
) -> Normalized[datetime]: ...
@overload
def normalize_value(
    kind: Literal["boolean", "bool"], value: object, *, options: HygieneOptions = ...
) -> Normalized[bool]: ...
@overload
def normalize_value(
    kind: Literal["gender"], value: object, *, options: HygieneOptions = ...
) -> Normalized[Gender]: ...
@overload
def normalize_value(
    kind: NumberKind, value: object, *, options: HygieneOptions = ...
) -> Normalized[int | float]: ...
@overload
def normalize_value(
    kind: str, value: object, *, options: HygieneOptions = ...
) -> Normalized[Any]: ...
def normalize_value(
    kind: str, value: object, *, options: HygieneOptions = DEFAULT_OPTIONS
) -> Normalized[Any]:
    """Clean `value` by the rule of its field kind; never raises for any value.

    Raises `UnknownKind` only for a kind not in `KINDS`, which is a mapping error.
    """
    return normalizer_for(kind)(value, options)


def normalizer_for(kind: str) -> Normalizer:
    """The normaliser of a kind, to look up once per column instead of once per value."""
    normalizer = NORMALIZERS.get(kind) or NORMALIZERS.get(ALIASES.get(kind, ""))
    if normalizer is None:
        raise UnknownKind(f"unknown field kind {kind!r}; known: {', '.join(sorted(KINDS))}")
    return normalizer
