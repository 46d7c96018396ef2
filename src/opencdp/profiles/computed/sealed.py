"""Computed traits over sealed personal properties (field encryption on, plan §2).

A personal property is stored as a token `enc1:<subject>.<tag>.<body>`, a new one each time
it is stated. `first`, `last`, `count` and `exists`-style reads copy tokens as they are,
and the 360 view opens them. Aggregates that look inside values cannot: `most_frequent` and
`distinct_count` and `distinct_list` group by the equality tag instead (case-folded,
trimmed; a list keeps one spelling per value, in token order rather than alphabetical),
and `where` filters compare tags with `=`, `!=` or `in`. The rest — sum, avg, min, max,
ordering filters — is refused with the reason when the trait is defined.
"""

from __future__ import annotations

import json
from dataclasses import replace

import duckdb

from opencdp.crypto.personal import PersonalData
from opencdp.profiles.computed.definition import (
    InvalidComputedTrait,
    PropertyFilter,
    TraitDefinition,
    parse_definition,
)
from opencdp.security.pii import DERIVED_FIELDS, normalize_field

_COPYING = frozenset({"first", "last", "count"})
_BY_TAG = frozenset({"most_frequent", "distinct_count", "distinct_list"})


def is_sealed(prop: str, personal: PersonalData) -> bool:
    """Whether ingest seals this property (or record trait) when encryption is on."""
    return (personal.enabled and personal.schema.is_pii(prop, True)
            and normalize_field(prop) not in DERIVED_FIELDS)  # fmt: skip


def check_sealed(definition: TraitDefinition, personal: PersonalData) -> None:
    """Raise InvalidComputedTrait for an aggregate or filter sealed values cannot answer."""
    if definition.builtin is not None or not personal.enabled:
        return
    sealed = [p for p in definition.properties if is_sealed(p, personal)]
    allowed = _COPYING | _BY_TAG
    if sealed and definition.aggregate not in allowed:
        raise InvalidComputedTrait(
            f"{sealed[0]!r} is stored encrypted: {definition.aggregate} cannot read its values; "
            "first, last, count, most_frequent, distinct_count and distinct_list can (the "
            "last three compare whole values, ignoring case)"
        )
    for item in definition.where:
        if is_sealed(item.property, personal) and item.op not in ("=", "!=", "in"):
            raise InvalidComputedTrait(
                f"where on {item.property!r}: it is stored encrypted, so only =, != and in "
                "(whole values, ignoring case) can test it"
            )


def sealed_plan(definition: TraitDefinition, personal: PersonalData) -> TraitDefinition:
    """The definition as the SQL builders run it: sealed filters hold the tags of their
    literals, and by-value aggregates over sealed properties group by tag."""
    if definition.builtin is not None or not personal.enabled:
        return definition
    where = tuple(_tagged(item, personal) for item in definition.where)
    tagged = definition.aggregate in _BY_TAG and any(
        is_sealed(p, personal) for p in definition.properties)  # fmt: skip
    return replace(definition, where=where, tagged=tagged)


def _tagged(item: PropertyFilter, personal: PersonalData) -> PropertyFilter:
    if not is_sealed(item.property, personal) or item.op not in ("=", "!=", "in"):
        return item
    if isinstance(item.value, tuple):
        tags = tuple(personal.tag(item.property, v) for v in item.value)
        return replace(item, value=tags, tagged=True)
    return replace(item, value=personal.tag(item.property, item.value), tagged=True)


def copied_kinds(definition: TraitDefinition, personal: PersonalData) -> tuple[str, ...]:
    """The sealed properties whose tokens a trait's value is a copy of (first, last,
    most_frequent): their names are the tag kinds a segment compares it by."""
    if definition.builtin is not None or definition.aggregate not in _COPYING | _BY_TAG:
        return ()
    if definition.aggregate in ("count", "distinct_count", "distinct_list"):
        return ()  # numbers, or a list (its tokens are not compared one by one)
    return tuple(p for p in definition.properties if is_sealed(p, personal))


def sealed_traits(
    con: duckdb.DuckDBPyConnection, personal: PersonalData
) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """(name, tag kinds) of the computed traits whose values are sealed tokens."""
    if not personal.enabled:
        return ()
    rows = con.execute("SELECT name, definition FROM computed_traits ORDER BY name").fetchall()
    found = []
    for name, text in rows:
        try:
            kinds = copied_kinds(parse_definition(json.loads(text)), personal)
        except InvalidComputedTrait:
            continue
        if kinds:
            found.append((str(name), kinds))
    return tuple(found)
