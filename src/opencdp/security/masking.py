"""Masking personal values in API responses for callers without `pii:read`.

One function, `mask_document`, walks any JSON-ready value and returns a masked copy; the
API applies it to every admin response of such a caller (`api/masking.py`), so a new
endpoint is covered without doing anything. What it masks:

- values under PII field names (`email`, `first_name`, `address`, ...; see `pii.py`);
  for a trait with lineage (`{"value": ..., "rule": ..., "source_id": ...}`) only the value
  and its originals, so lineage stays readable;
- identifiers of PII types (`{"type": "email", "value": ...}`, `{"subject_type": "phone",
  "subject_value": ...}`, `"phone:+66812345678"` as consent subjects and audit targets
  read) and search hits (`"email: jane@example.com"`);
- JSON text held in a string (quarantine payloads) is masked as JSON;
- any e-mail address inside any other string (free text, segment definitions).

A masked text keeps its first character (`J***`); an e-mail keeps its domain
(`j***@example.com`) and an address its city and country: derived, non-identifying values
that segments use.
"""

from __future__ import annotations

import re
from typing import Any

import orjson

from opencdp.security.pii import (
    DERIVED_FIELDS,
    PERSONAL_CONTAINERS,
    PiiSchema,
    normalize_field,
)

MASK = "***"
_EMAIL = re.compile(r"([A-Za-z0-9._%+\-])[A-Za-z0-9._%+\-]*@([A-Za-z0-9.\-]+\.[A-Za-z]{2,})")
# Inside a PII field holding an object, these keys hold the value itself (lineage, fixes).
_VALUE_KEYS = frozenset({"value", "values", "original", "cleaned", "originals", "examples"})
# Search hits and similar `field: value` strings.
_HIT = re.compile(r"^([A-Za-z_][A-Za-z0-9_.\- ]{0,60}): (.*)$", re.DOTALL)
# An identifier written `type:value` (consent subjects, audit targets).
_TYPED = re.compile(r"^([A-Za-z_][A-Za-z0-9_]{0,40}):(\S.*)$", re.DOTALL)


def mask_value(value: Any) -> Any:
    """Mask a PII value whole: texts keep their first character, e-mails their domain."""
    if value is None:
        return None
    if isinstance(value, dict):
        return {
            k: v if normalize_field(k) in DERIVED_FIELDS else mask_value(v)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [mask_value(v) for v in value]
    if isinstance(value, str):
        if not value:
            return value
        at = value.rfind("@")
        if 0 < at < len(value) - 1:
            return f"{value[0]}{MASK}@{value[at + 1 :]}"
        return value[0] + MASK if len(value) > 3 else MASK
    return MASK  # numbers and booleans (a birth year, a house number)


def mask_text(text: str) -> str:
    """Mask e-mail addresses inside free text."""
    if "@" not in text:
        return text
    return _EMAIL.sub(lambda m: f"{m.group(1)}{MASK}@{m.group(2)}", text)


def mask_document(value: Any, schema: PiiSchema, in_person: bool = False) -> Any:
    """A copy of a JSON-ready value with every personal value masked."""
    if isinstance(value, dict):
        return _mask_object(value, schema, in_person)
    if isinstance(value, list):
        return [mask_document(v, schema, in_person) for v in value]
    if isinstance(value, str):
        return _mask_string(value, schema, in_person)
    return value


def _mask_object(obj: dict[str, Any], schema: PiiSchema, in_person: bool) -> dict[str, Any]:
    kind = obj.get("type")
    if (
        isinstance(kind, str)
        and "value" in obj
        and normalize_field(kind) in schema.identifier_types
    ):
        return {**obj, "value": mask_value(obj["value"])}
    out: dict[str, Any] = {}
    for key, item in obj.items():
        if schema.is_pii(key, in_person) or _typed_value(obj, key, schema):
            out[key] = _mask_field(item, schema)
        else:
            out[key] = mask_document(item, schema, in_person or key in PERSONAL_CONTAINERS)
    return out


def _typed_value(obj: dict[str, Any], key: str, schema: PiiSchema) -> bool:
    """`subject_value` next to `subject_type: "phone"` (any `<x>_value` / `<x>_type` pair)."""
    if not key.endswith("_value"):
        return False
    kind = obj.get(key[: -len("value")] + "type")
    return isinstance(kind, str) and normalize_field(kind) in schema.identifier_types


def _mask_field(item: Any, schema: PiiSchema) -> Any:
    """A PII field's content; an object with a value (lineage, a fix) keeps its metadata."""
    if isinstance(item, dict) and _VALUE_KEYS & item.keys():
        return {
            k: mask_value(v) if k in _VALUE_KEYS else mask_document(v, schema, True)
            for k, v in item.items()
        }
    return mask_value(item)


def _mask_string(text: str, schema: PiiSchema, in_person: bool) -> str:
    stripped = text.lstrip()
    if stripped[:1] in ("{", "[") and len(text) < 4_000_000:
        try:
            parsed = orjson.loads(text)
        except orjson.JSONDecodeError:
            pass
        else:
            if isinstance(parsed, (dict, list)):
                return orjson.dumps(mask_document(parsed, schema, True)).decode()
    hit = _HIT.match(text) if in_person else None
    if hit and schema.is_pii(hit.group(1), True):
        return f"{hit.group(1)}: {mask_value(hit.group(2))}"
    typed = _TYPED.match(text) if ":" in text[:42] else None
    if typed and normalize_field(typed.group(1)) in schema.identifier_types:
        return f"{typed.group(1)}:{mask_value(typed.group(2))}"
    return mask_text(text)
