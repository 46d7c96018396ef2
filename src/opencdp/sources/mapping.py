"""Column mappings: what each column of a source file or table means for a customer.

A mapping says, per column, whether it is an **identifier** (email, phone, customer id …),
a profile **trait** (name, birth date, city …), a **consent** statement for a purpose
(`consent:email_marketing`: yes/no answers the consent ledger records, docs/consent.md) or
part of an **event** (time, order id, price …), and which hygiene rule cleans it. One file
can yield profile records, events or both. Mappings are YAML or JSON, short form
`column: "identifier:email"`, long form `column: {role: trait, name: birth_date, kind: date}`,
or a list of rules when one column plays two parts
(`customer_no: [identifier:customer_id, record_id]`).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from opencdp.hygiene import KINDS
from opencdp.privacy.consent import ALIASES, check_legal_basis, normal_name

ROLES = ("identifier", "trait", "consent", "event", "record_id", "ignore")
# Details a consent column may carry in its long form, recorded with each statement.
CONSENT_DETAILS = ("legal_basis", "policy_version", "jurisdiction", "expires_at")
IDENTIFIER_TYPES = (
    "email", "phone", "customer_id", "user_id", "loyalty_id", "line_id", "device_id",
    "anonymous_id", "social_handle", "external_id",
)  # fmt: skip
EVENT_FIELDS = (
    "event", "time", "order_id", "product", "product_id", "category", "quantity", "price",
    "revenue", "currency", "channel", "campaign", "rating", "nps", "text", "action", "subject",
)  # fmt: skip
# The hygiene rule a field gets unless the mapping names one.
DEFAULT_KINDS = {
    "email": "email", "phone": "phone", "birth_date": "birth_date", "gender": "gender",
    "country": "country", "postcode": "postcode", "currency": "currency", "time": "datetime",
    "first_name": "name", "last_name": "name", "full_name": "name", "name": "name",
    "quantity": "quantity", "price": "price", "revenue": "price", "rating": "number",
    "nps": "number", "updated_at": "datetime", "created_at": "datetime",
    "text": "free_text", "subject": "free_text",
}  # fmt: skip


class MappingError(ValueError):
    """The mapping cannot be used; the message names the column and the problem."""


@dataclass(frozen=True)
class ColumnRule:
    column: str
    role: str
    name: str  # identifier type, trait name or event field
    kind: str  # hygiene rule: email, phone, name, date, datetime, number, text …
    details: tuple[tuple[str, str], ...] = ()  # consent: legal basis, policy version …

    @property
    def trait(self) -> str:
        """The trait a trait or consent column fills (`consent_<purpose>` for consent)."""
        return f"consent_{self.name}" if self.role == "consent" else self.name


@dataclass
class Mapping:
    columns: list[ColumnRule]
    event_name: str | None = None  # a constant event name for every row, e.g. "Order Completed"
    default_region: str | None = None  # phone numbers without country code
    day_first: bool = False  # 01/03/2024 is 1 March
    timezone: str = "UTC"  # naive times are in this zone
    options: dict[str, Any] = field(default_factory=dict)

    @property
    def record_id_column(self) -> str | None:
        return next((c.column for c in self.columns if c.role == "record_id"), None)

    def by_role(self, role: str) -> list[ColumnRule]:
        return [c for c in self.columns if c.role == role]

    @property
    def yields_events(self) -> bool:
        return bool(self.event_name) or any(c.role == "event" for c in self.columns)

    @property
    def yields_profiles(self) -> bool:
        return any(c.role in ("identifier", "trait", "consent") for c in self.columns)

    def to_json(self) -> dict[str, Any]:
        return {
            "columns": {
                c.column: {"role": c.role, "name": c.name, "kind": c.kind, **dict(c.details)}
                for c in self.columns
            },
            "event_name": self.event_name, "default_region": self.default_region,
            "day_first": self.day_first, "timezone": self.timezone,
        }  # fmt: skip


def _rule(column: str, spec: Any) -> ColumnRule:
    if isinstance(spec, str):
        short_role, _, short_name = spec.partition(":")
        spec = {"role": short_role, "name": short_name or None}
    if not isinstance(spec, dict):
        raise MappingError(f"column {column!r}: expected 'role:name' or an object")
    role = spec.get("role")
    if role not in ROLES:
        raise MappingError(f"column {column!r}: role must be one of {', '.join(ROLES)}")
    if role == "consent":
        return _consent_rule(column, spec)
    name = str(spec.get("name") or (column if role in ("trait", "event") else role))
    if role == "identifier" and name not in IDENTIFIER_TYPES:
        raise MappingError(
            f"column {column!r}: identifier type must be one of {', '.join(IDENTIFIER_TYPES)}"
        )
    kind = str(spec.get("kind") or DEFAULT_KINDS.get(name, "text"))
    if kind not in KINDS:
        raise MappingError(
            f"column {column!r}: unknown kind {kind!r}; known: {', '.join(sorted(KINDS))}"
        )
    return ColumnRule(column, role, str(name), str(kind))


def _consent_rule(column: str, spec: dict[str, Any]) -> ColumnRule:
    """`consent:<purpose>`: a built-in purpose or alias, or a name the workspace registers
    (checked when the import starts: `consent_purposes`)."""
    name = spec.get("name")
    if not isinstance(name, str) or not name.strip():
        raise MappingError(f"column {column!r}: a consent column names its purpose,"
                           " e.g. consent:email_marketing")  # fmt: skip
    key = normal_name(name)
    purpose = ALIASES.get(key, key)
    if not re.fullmatch(r"[a-z0-9][a-z0-9_.:]{0,62}", purpose):
        raise MappingError(f"column {column!r}: {name!r} is not a purpose name")
    details = []
    for detail in CONSENT_DETAILS:
        value = spec.get(detail)
        if value is None:
            continue
        if not isinstance(value, str | int | float) or isinstance(value, bool):
            raise MappingError(f"column {column!r}: {detail} must be a text")
        text = str(value).strip()
        if detail == "legal_basis":
            try:
                text = check_legal_basis(text)
            except ValueError as exc:
                raise MappingError(f"column {column!r}: {exc}") from None
        details.append((detail, text))
    kind = str(spec.get("kind") or "boolean")
    if kind not in KINDS:
        raise MappingError(
            f"column {column!r}: unknown kind {kind!r}; known: {', '.join(sorted(KINDS))}"
        )
    return ColumnRule(column, "consent", purpose, kind, tuple(details))


def parse_mapping(document: Any) -> Mapping:
    if not isinstance(document, dict) or not isinstance(document.get("columns"), dict):
        raise MappingError("a mapping needs a `columns` object: column → rule")
    rules = [
        _rule(str(column), one)
        for column, spec in document["columns"].items()
        for one in (spec if isinstance(spec, list) else [spec])
    ]
    if sum(r.role == "record_id" for r in rules) > 1:
        raise MappingError("only one column can be the record_id")
    mapping = Mapping(
        columns=rules,
        event_name=document.get("event_name"),
        default_region=document.get("default_region"),
        day_first=bool(document.get("day_first", False)),
        timezone=str(document.get("timezone", "UTC")),
        options=dict(document.get("options") or {}),
    )
    if not mapping.yields_events and not mapping.yields_profiles:
        raise MappingError("the mapping maps no identifier, trait or event column")
    return mapping


def load_mapping(path: Path) -> Mapping:
    text = path.read_text(encoding="utf-8")
    try:
        document = json.loads(text) if path.suffix.lower() == ".json" else yaml.safe_load(text)
    except (json.JSONDecodeError, yaml.YAMLError) as exc:
        raise MappingError(f"{path.name} is not valid YAML/JSON: {exc}") from None
    return parse_mapping(document)


def check_columns(mapping: Mapping, columns: list[str]) -> None:
    """Every mapped column must exist in the file (header case and spacing ignored)."""
    present = {c.strip().lower() for c in columns}
    missing = [r.column for r in mapping.columns if r.column.strip().lower() not in present]
    if missing:
        raise MappingError(f"mapped columns not in the file: {', '.join(missing)}")
