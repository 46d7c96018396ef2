"""Which fields hold personal data: the PII schema that masking follows.

Field names are compared after normalising (`traits.firstName`, `first_name` and `First
Name` are all `firstname`). Most PII names mean personal data wherever they appear
(`email`, `phone`, `birthday`, `ip`, ...). A bare `name` is personal only inside the
containers that carry a person's data (traits, properties, context, payloads, members):
elsewhere it names a source, a segment, a page or an event. Derived, non-identifying values
(city, country, email domain, age band) are not PII and stay visible, as segments need them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Normalised field names that are personal data wherever they appear.
DEFAULT_FIELDS: frozenset[str] = frozenset(
    {
        # contact
        "email", "emailaddress", "emails", "phone", "phonenumber", "phones", "mobile",
        "mobilephone", "mobilenumber", "telephone", "fax",
        # names
        "firstname", "lastname", "fullname", "middlename", "surname", "givenname",
        "familyname", "nickname", "username", "displayname", "kana", "firstnamekana",
        "lastnamekana",
        # address and precise location
        "address", "street", "streetaddress", "address1", "address2", "addressline1",
        "addressline2", "line1", "line2", "postcode", "postalcode", "zip", "zipcode",
        "latitude", "longitude", "lat", "lon", "lng",
        # birth and government or financial ids
        "birthday", "birthdate", "dateofbirth", "dob", "ssn", "nationalid", "passport",
        "passportnumber", "taxid", "idcard", "creditcard", "cardnumber", "iban",
        # network
        "ip", "ipaddress", "useragent",
    }
)  # fmt: skip
# Personal only inside a person's data (see the module docstring).
CONTEXTUAL_FIELDS: frozenset[str] = frozenset({"name"})
# Keys whose values are a person's data: inside them, CONTEXTUAL_FIELDS are PII too.
PERSONAL_CONTAINERS: frozenset[str] = frozenset(
    {"traits", "properties", "context", "fixes", "payload", "data", "record", "records",
     "extra", "members", "values", "identifiers", "person", "profile", "rows", "sample",
     "matches"}
)  # fmt: skip
# Derived, non-identifying parts that stay visible even inside a PII field (`address.city`).
DERIVED_FIELDS: frozenset[str] = frozenset(
    {"city", "country", "countrycode", "region", "state", "province", "prefecture", "timezone"}
)
# Identifier types whose values are PII (`{"type": "email", "value": ...}`); user ids and
# anonymous ids are pseudonyms that people navigate by, and stay visible.
DEFAULT_IDENTIFIER_TYPES: frozenset[str] = frozenset({"email", "phone"})

_NON_ALNUM = re.compile(r"[^0-9a-z]")


def normalize_field(key: str) -> str:
    """`traits.First_Name` → `firstname`: the last dotted part, lower-case, letters/digits."""
    return _NON_ALNUM.sub("", key.rpartition(".")[2].lower())


@dataclass(frozen=True)
class PiiSchema:
    fields: frozenset[str] = DEFAULT_FIELDS
    identifier_types: frozenset[str] = DEFAULT_IDENTIFIER_TYPES

    @classmethod
    def with_traits(cls, extra: str | list[str] | tuple[str, ...] = "") -> PiiSchema:
        """The default schema plus configured trait names (a comma-separated setting)."""
        names = extra.split(",") if isinstance(extra, str) else list(extra)
        added = frozenset(normalize_field(n) for n in names if n.strip())
        return cls(DEFAULT_FIELDS | added, DEFAULT_IDENTIFIER_TYPES | added)

    def is_pii(self, key: str, in_person: bool) -> bool:
        field = normalize_field(key)
        return field in self.fields or (in_person and field in CONTEXTUAL_FIELDS)
