"""Which fields hold personal data: the PII schema that masking and the PII guards follow.

Field names are compared after normalising (`traits.firstName`, `first_name` and `First
Name` are all `firstname`; letters of any script are kept, so `電話番号` stays itself). Most
PII names mean personal data wherever they appear (`email`, `phone`, `birthday`, `ip`, ...).
Inside the containers that carry a person's data (traits, properties, context, payloads,
members, computed traits) more keys are personal:

- a bare `name` (elsewhere it names a source, a segment, a page or an event);
- keys whose words say so: a contact word (`shipping_phone`, `workEmail`, `tel`,
  `mobile_no`), a person's name (`recipient`, `customer_name`, but not `product_name`), an
  address or birth date (`billing_address`, `home_zip`) — unless a further word makes the
  key a fact *about* the contact (`email_opt_in`, `phone_verified`, `email_domain`);
- names a workspace declares personal (`WorkspacePii`): trait and event columns an import
  mapping cleans as email, phone, name, birth date, postcode or free text (`tel`,
  `電話番号`), and computed traits whose definition reads a personal field
  (`last(last_name)` under any name).

Derived, non-identifying values (city, country, email domain, age band) are not PII and
stay visible, as segments need them.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Any, TypeVar

import duckdb
import orjson

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
        # free text people write about a person (consent notes, support notes)
        "note", "notes",
    }
)  # fmt: skip
# Personal only inside a person's data (see the module docstring).
CONTEXTUAL_FIELDS: frozenset[str] = frozenset({"name"})
# Keys whose values are a person's data: inside them, contextual names are PII too.
PERSONAL_CONTAINERS: frozenset[str] = frozenset(
    {"traits", "properties", "context", "fixes", "payload", "data", "record", "records",
     "extra", "members", "values", "identifiers", "person", "profile", "rows", "sample",
     "matches", "computed", "computed_traits", "original"}
)  # fmt: skip
# Derived, non-identifying parts that stay visible even inside a PII field (`address.city`).
DERIVED_FIELDS: frozenset[str] = frozenset(
    {"city", "country", "countrycode", "region", "state", "province", "prefecture", "timezone"}
)
# What a caller without `pii:read` may segment on instead of personal values.
DERIVED_HINT = "email_domain, city, region, country"
# Identifier types whose values are PII (`{"type": "email", "value": ...}`); user ids and
# anonymous ids are pseudonyms that people navigate by, and stay visible.
DEFAULT_IDENTIFIER_TYPES: frozenset[str] = frozenset({"email", "phone"})
# Hygiene kinds of import columns that hold a person's data (sources/mapping.py).
PERSONAL_KINDS: frozenset[str] = frozenset(
    {"email", "phone", "name", "birth_date", "birthdate", "dob", "postcode", "zip", "free_text"}
)

# Words of a key inside a person's data that make it personal (see the module docstring).
_CONTACT_WORDS = frozenset({"email", "mail", "phone", "tel", "telephone", "mobile", "fax",
                            "msisdn", "whatsapp", "cellphone", "recipient", "addressee",
                            "surname", "forename", "furigana"})  # fmt: skip
_PLACE_WORDS = frozenset({"address", "addr", "street", "postcode", "postal", "zip", "zipcode",
                          "birthday", "birthdate", "dob", "passport", "ssn"})  # fmt: skip
# `<qualifier> name` is a person's name; `product_name`, `page_name` are not.
_NAME_QUALIFIERS = frozenset({
    "first", "last", "full", "middle", "given", "family", "maiden", "nick", "display", "user",
    "real", "legal", "recipient", "customer", "contact", "billing", "shipping", "sender",
    "receiver", "buyer", "owner", "holder", "cardholder", "member", "guardian", "parent",
    "spouse", "emergency", "person", "patient", "account", "kana", "kanji"})  # fmt: skip
# A further word that makes a contact-named key a fact about the contact, not the contact.
_ABOUT_WORDS = frozenset({
    "opt", "optin", "optout", "in", "out", "consent", "consents", "verified", "valid",
    "validity", "subscribed", "unsubscribed", "subscription", "status", "type", "kind",
    "domain", "country", "region", "count", "sent", "opens", "opened", "clicks", "clicked",
    "bounce", "bounced", "bounces", "rate", "enabled", "allowed", "permission", "preference",
    "preferences", "marketing", "campaign", "template", "provider", "carrier", "format",
    "at", "date", "time", "id"})  # fmt: skip
_NON_WORD = re.compile(r"[\W_]+")
_WORDS = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])|[0-9]+")


@lru_cache(maxsize=8192)
def normalize_field(key: str) -> str:
    """`traits.First_Name` → `firstname`: the last dotted part, case-folded, letters/digits."""
    return _NON_WORD.sub("", key.rpartition(".")[2].casefold())


@lru_cache(maxsize=4096)
def looks_personal(key: str) -> bool:
    """Whether the words of a key inside a person's data name personal data
    (`shipping_phone`, `recipientName`, `tel`), not a fact about it (`email_opt_in`)."""
    words = [w.lower() for w in _WORDS.findall(key.rpartition(".")[2])]
    if not words or _ABOUT_WORDS.intersection(words):
        return False
    if _CONTACT_WORDS.intersection(words) or _PLACE_WORDS.intersection(words):
        return True
    joined = "".join(words)
    if "phone" in joined or "email" in joined:
        return True
    return any(w in ("name", "names") and i and words[i - 1] in _NAME_QUALIFIERS
               for i, w in enumerate(words))  # fmt: skip


@dataclass(frozen=True)
class PiiSchema:
    fields: frozenset[str] = DEFAULT_FIELDS
    identifier_types: frozenset[str] = DEFAULT_IDENTIFIER_TYPES
    contextual: frozenset[str] = CONTEXTUAL_FIELDS

    @classmethod
    def with_traits(cls, extra: str | list[str] | tuple[str, ...] = "") -> PiiSchema:
        """The default schema plus configured trait names (a comma-separated setting)."""
        names = extra.split(",") if isinstance(extra, str) else list(extra)
        added = frozenset(normalize_field(n) for n in names if n.strip()) - {""}
        return cls(DEFAULT_FIELDS | added, DEFAULT_IDENTIFIER_TYPES | added)

    def with_personal(self, names: Iterable[str]) -> PiiSchema:
        """This schema plus names that are personal inside a person's data."""
        added = frozenset(normalize_field(n) for n in names) - {""}
        return replace(self, contextual=self.contextual | added) if added else self

    def is_pii(self, key: str, in_person: bool) -> bool:
        return _is_pii(self, key, in_person)

    def is_pii_path(self, name: str) -> bool:
        """Whether a dotted trait or property path inside a person's data reaches personal
        data: any part is personal, unless the last part is a derived one (`address.city`)."""
        parts = [p for p in name.split(".") if p]
        if not parts or normalize_field(parts[-1]) in DERIVED_FIELDS:
            return False
        return any(self.is_pii(part, True) for part in parts)


@lru_cache(maxsize=16384)
def _is_pii(schema: PiiSchema, key: str, in_person: bool) -> bool:
    """`PiiSchema.is_pii`, memoised: collection asks it for every key of every message."""
    field = normalize_field(key)
    if field in schema.fields:
        return True
    return in_person and (field in schema.contextual or looks_personal(key))


# --- what a workspace declares personal --------------------------------------------------

T = TypeVar("T")
Reader = Callable[[Callable[[duckdb.DuckDBPyConnection], Any]], Any]
_FINGERPRINT = (
    "SELECT (SELECT count(*) FROM imports WHERE mapping IS NOT NULL),"
    " (SELECT max(started_at) FROM imports WHERE mapping IS NOT NULL),"
    " (SELECT count(*) FROM computed_traits),"
    " (SELECT sum(hash(name || definition::VARCHAR)) FROM computed_traits)"
)


def mapping_personal_names(document: Any) -> set[str]:
    """Trait and event fields an import mapping fills from personal columns (email, phone,
    name, birth date, postcode or free-text kinds); nothing for an unreadable mapping."""
    from opencdp.sources.mapping import MappingError, parse_mapping

    try:
        mapping = parse_mapping(document)
    except (MappingError, TypeError, ValueError):
        return set()
    return {rule.name for rule in mapping.columns
            if rule.role in ("trait", "event") and rule.kind in PERSONAL_KINDS}  # fmt: skip


def personal_reads(definition: Any, schema: PiiSchema) -> list[str]:
    """The personal fields a computed-trait definition aggregates (its value copies them)."""
    from opencdp.profiles.computed.definition import parse_definition

    try:
        parsed = parse_definition(definition)
    except ValueError:
        return []
    return [p for p in parsed.properties if schema.is_pii_path(p)]


def personal_filters(definition: Any, schema: PiiSchema) -> list[str]:
    """The personal fields a computed-trait definition compares with values (`where`)."""
    from opencdp.profiles.computed.definition import parse_definition

    try:
        parsed = parse_definition(definition)
    except ValueError:
        return []
    return [f.property for f in parsed.where if schema.is_pii_path(f.property)]


def workspace_schema(con: duckdb.DuckDBPyConnection, base: PiiSchema) -> PiiSchema:
    """`base` plus the names this workspace's import mappings and computed traits declare
    personal (see the module docstring)."""
    names: set[str] = set()
    for (text,) in con.execute(
        "SELECT DISTINCT mapping::VARCHAR FROM imports WHERE mapping IS NOT NULL"
    ).fetchall():
        names |= mapping_personal_names(orjson.loads(text))
    schema = base.with_personal(names)
    traits = con.execute("SELECT name, definition::VARCHAR FROM computed_traits").fetchall()
    personal = [name for name, text in traits if personal_reads(orjson.loads(text), schema)]
    return schema.with_personal(personal)


class WorkspacePii:
    """The PII schema of one workspace, re-read when its import mappings or computed traits
    change (a small fingerprint query per use; the full read only after a change)."""

    def __init__(self, base: PiiSchema, read: Reader) -> None:
        self.base = base
        self._read = read
        self._lock = threading.Lock()
        self._key: tuple[Any, ...] | None = None
        self._schema = base

    def current(self) -> PiiSchema:
        key = tuple(self._read(lambda con: con.execute(_FINGERPRINT).fetchone()) or ())
        with self._lock:
            if key == self._key:
                return self._schema
        schema: PiiSchema = self._read(lambda con: workspace_schema(con, self.base))
        with self._lock:
            self._key, self._schema = key, schema
        return schema
