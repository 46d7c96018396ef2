"""Segment conditions a caller without `pii:read` may not write: value tests on PII.

A preview, a count or a stored segment's members answer yes or no about a value, so
`email starts_with "s"`, then `"so"`, and so on reads an address that masking hides, and
`phone = "+66812345678"` confirms one in a single call. For such callers a personal field
(a trait, event property or computed trait the PII schema marks, an e-mail or phone
identifier) may only be tested with `exists` / `missing`; derived fields (email_domain,
city, region, country) and everything else stay open.
"""

from __future__ import annotations

from opencdp.security.pii import DERIVED_HINT, PiiSchema, normalize_field
from opencdp.segments import tree as t
from opencdp.segments.errors import InvalidSegment


class PersonalValueCondition(InvalidSegment):
    """A value test on a personal field by a caller who may not read personal data."""


def refuse_personal_values(node: t.Node, schema: PiiSchema, path: str = "") -> None:
    """Raise PersonalValueCondition (with the node's path) at the first value test of a
    personal field in `node`."""
    if isinstance(node, t.And | t.Or):
        for i, arg in enumerate(node.args):
            refuse_personal_values(arg, schema, _join(path, f"args[{i}]"))
    elif isinstance(node, t.Not):
        refuse_personal_values(node.arg, schema, _join(path, "arg"))
    elif isinstance(node, t.FIELD_CONDITIONS):
        if not isinstance(node, t.Exists) and is_personal(node.field, schema):
            kind = "identifier" if node.field.kind == "identifier" else "field"
            raise PersonalValueCondition(
                f"{node.field.name!r} is a personal {kind}: without pii:read a segment may only "
                f"test whether it exists; use derived fields instead ({DERIVED_HINT})",
                _join(path, "field"),
            )
    elif isinstance(node, t.Did):
        _where(node.where, schema, path)
    elif isinstance(node, t.Aggregate):
        if node.property is not None and schema.is_pii_path(node.property):
            raise PersonalValueCondition(
                f"{node.property!r} is personal: without pii:read a segment may not "
                f"aggregate its values, only test whether it exists; use derived fields "
                f"instead ({DERIVED_HINT})",
                _join(path, "property"),
            )
        _where(node.where, schema, path)
    elif isinstance(node, t.Sequence):
        for i, step in enumerate(node.steps):
            refuse_personal_values(step, schema, _join(path, f"steps[{i}]"))


def is_personal(field: t.Field, schema: PiiSchema) -> bool:
    if field.kind == "identifier":
        return normalize_field(field.name) in schema.identifier_types
    if field.kind == "prediction":
        return False
    return schema.is_pii_path(field.name)


def _where(where: t.Node | None, schema: PiiSchema, path: str) -> None:
    if where is not None:
        refuse_personal_values(where, schema, _join(path, "where"))


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key
