"""Data hygiene: normalisers and validators for customer data, pure and framework-free.

Every normaliser takes any value and returns a `Normalized` result (cleaned value, original,
issue codes) and never raises; `normalize_value(kind, value, options=...)` picks one by the
field's kind. See `issues.FieldIssue` for the shared vocabulary of problems.
"""

from opencdp.hygiene.booleans import normalize_boolean
from opencdp.hygiene.countries import normalize_country
from opencdp.hygiene.currencies import normalize_currency
from opencdp.hygiene.dates import normalize_birth_date, normalize_date, normalize_datetime
from opencdp.hygiene.dispatch import KINDS, UnknownKind, normalize_value, normalizer_for
from opencdp.hygiene.email import email_for_display, normalize_email
from opencdp.hygiene.free_text import normalize_free_text, normalize_text
from opencdp.hygiene.gender import Gender, normalize_gender
from opencdp.hygiene.issues import FieldIssue, Severity, count_issues
from opencdp.hygiene.name_order import PersonName, person_name
from opencdp.hygiene.names import normalize_name
from opencdp.hygiene.numbers import normalize_number, normalize_price, normalize_quantity
from opencdp.hygiene.options import DEFAULT_OPTIONS, HygieneOptions
from opencdp.hygiene.phone import normalize_phone
from opencdp.hygiene.placeholders import (
    is_placeholder_digits,
    is_placeholder_email,
    is_placeholder_text,
)
from opencdp.hygiene.postcodes import normalize_postcode
from opencdp.hygiene.result import Normalized
from opencdp.hygiene.titles import split_name_title
from opencdp.hygiene.validators import (
    check_birth_date,
    check_price,
    check_quantity,
    check_year_range,
)

__all__ = [
    "DEFAULT_OPTIONS", "KINDS", "FieldIssue", "Gender", "HygieneOptions", "Normalized",
    "PersonName", "Severity", "UnknownKind", "check_birth_date", "check_price",
    "check_quantity", "check_year_range", "count_issues", "email_for_display",
    "is_placeholder_digits", "is_placeholder_email", "is_placeholder_text",
    "normalize_birth_date", "normalize_boolean", "normalize_country", "normalize_currency",
    "normalize_date", "normalize_datetime", "normalize_email", "normalize_free_text",
    "normalize_gender", "normalize_name", "normalize_number", "normalize_phone",
    "normalize_postcode", "normalize_price", "normalize_quantity", "normalize_text",
    "normalize_value", "normalizer_for", "person_name", "split_name_title",
]  # fmt: skip
