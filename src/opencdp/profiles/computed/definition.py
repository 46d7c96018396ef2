"""Computed-trait definitions: the JSON users write, checked once into a frozen plan.

Everything later (SQL building, incremental updates, expiry) reads a `TraitDefinition`, never
the raw JSON, so a definition that parses here can always be computed. Names of traits and
properties are held to simple patterns because they become JSON keys and JSON paths (bound as
parameters, but a readable key is part of the contract segments rely on).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

AGGREGATES = ("count", "sum", "avg", "min", "max", "first", "last", "most_frequent",
              "distinct_list", "distinct_count")  # fmt: skip
# Aggregates `apply_events` can fold new events into without rescanning history.
INCREMENTAL = frozenset({"count", "sum", "min", "max", "first", "last"})
SOURCES = ("events", "records")
# Columns of an event (or record) a definition can aggregate instead of a property.
# `order_amount` is an order's value: `total`, else `revenue`, else `price` × `quantity`.
FIELDS = ("timestamp", "event", "type", "source_id", "order_amount")
VALUE_TYPES = ("number", "string", "timestamp", "json")
OPERATORS = ("=", "!=", ">", ">=", "<", "<=", "in")
BUILTIN_KINDS = ("rfm", "rate", "nps_category")

NAME_PATTERN = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
PROPERTY_PATTERN = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_ .\-]{0,99}$")
MAX_WINDOW_DAYS = 36_600

Scalar = str | int | float | bool


class InvalidComputedTrait(ValueError):
    """A computed-trait name or definition that cannot be computed, with the reason."""


@dataclass(frozen=True)
class PropertyFilter:
    """`property op value` on an event's properties (a record's traits)."""

    property: str
    op: str
    value: Scalar | tuple[Scalar, ...]
    tagged: bool = False  # the property is sealed: `value` holds equality tags (sealed.py)


@dataclass(frozen=True)
class TraitDefinition:
    """A validated definition. `builtin` kinds carry their options in `options`."""

    aggregate: str
    source: str = "events"
    events: tuple[str, ...] = ()
    types: tuple[str, ...] = ()
    source_ids: tuple[str, ...] = ()
    properties: tuple[str, ...] = ()  # the value: the first of these present
    field: str | None = None
    value_type: str = "json"
    where: tuple[PropertyFilter, ...] = ()
    window_days: int | None = None
    builtin: str | None = None
    options: tuple[tuple[str, str], ...] = ()
    tagged: bool = False  # the value is a sealed property: distinct by equality tag (sealed.py)

    @property
    def incremental(self) -> bool:
        return (self.builtin is None and self.source == "events" and self.window_days is None
                and self.aggregate in INCREMENTAL)  # fmt: skip

    def option(self, key: str) -> str | None:
        return dict(self.options).get(key)

    def scope(self) -> tuple[object, ...]:
        """Traits with equal scopes read the same rows and can share one grouped query."""
        return (self.source, self.events, self.types, self.source_ids, self.where,
                self.window_days)  # fmt: skip


def check_name(name: object) -> str:
    if not isinstance(name, str) or not NAME_PATTERN.match(name):
        raise InvalidComputedTrait(
            "a computed trait name is 1–63 lower-case letters, digits or _ starting with a letter"
        )
    return name


def parse_definition(raw: object) -> TraitDefinition:
    """Validate a JSON definition (a dict) into a `TraitDefinition`; raise InvalidComputedTrait."""
    if not isinstance(raw, dict):
        raise InvalidComputedTrait("a definition is a JSON object")
    if "builtin" in raw:
        from opencdp.profiles.computed.builtin_kinds import parse_builtin

        return parse_builtin(raw)
    known = {"aggregate", "source", "event", "type", "source_id", "property", "field", "as",
             "where", "window_days"}  # fmt: skip
    unknown = sorted(set(raw) - known)
    if unknown:
        raise InvalidComputedTrait(f"unknown keys {unknown}; allowed: {sorted(known)}")
    aggregate = raw.get("aggregate")
    if aggregate not in AGGREGATES:
        raise InvalidComputedTrait(
            f"aggregate must be one of {list(AGGREGATES)}, not {aggregate!r}"
        )
    source = raw.get("source", "events")
    if source not in SOURCES:
        raise InvalidComputedTrait(f"source must be one of {list(SOURCES)}, not {source!r}")
    events = _strings(raw, "event")
    types = _strings(raw, "type")
    if source == "records" and (events or types):
        raise InvalidComputedTrait("records have no event name or type to filter on")
    properties = tuple(check_property(p) for p in _strings(raw, "property"))
    field = raw.get("field")
    if field is not None and field not in FIELDS:
        raise InvalidComputedTrait(f"field must be one of {list(FIELDS)}, not {field!r}")
    if field is not None and properties:
        raise InvalidComputedTrait("give either a property or a field, not both")
    if aggregate == "count" and (field is not None or properties):
        raise InvalidComputedTrait("count counts matching events; filter with 'where' instead")
    if aggregate != "count" and field is None and not properties:
        raise InvalidComputedTrait(f"{aggregate} needs a 'property' or a 'field' to aggregate")
    value_type = _value_type(raw, aggregate, field)
    return TraitDefinition(
        aggregate=aggregate, source=source, events=events, types=types,
        source_ids=_strings(raw, "source_id"), properties=properties, field=field,
        value_type=value_type, where=_filters(raw.get("where", [])),
        window_days=check_window(raw.get("window_days")),
    )  # fmt: skip


def _value_type(raw: dict[str, Any], aggregate: str, field: str | None) -> str:
    natural = {"timestamp": "timestamp", "order_amount": "number"}.get(field or "", "string")
    if field is None:
        natural = "number" if aggregate in ("sum", "avg", "min", "max") else "json"
    value_type = raw.get("as", natural)
    if value_type not in VALUE_TYPES:
        raise InvalidComputedTrait(f"'as' must be one of {list(VALUE_TYPES)}, not {value_type!r}")
    if aggregate in ("sum", "avg") and value_type != "number":
        raise InvalidComputedTrait(f"{aggregate} needs numbers, not {value_type}")
    if aggregate in ("min", "max") and value_type == "json":
        raise InvalidComputedTrait(f"{aggregate} compares numbers, strings or timestamps")
    if field is not None and "as" in raw and value_type != natural:
        raise InvalidComputedTrait(f"field {field} is a {natural}, not a {value_type}")
    return str(value_type)


def _strings(raw: dict[str, Any], key: str) -> tuple[str, ...]:
    value = raw.get(key)
    if value is None:
        return ()
    values = [value] if isinstance(value, str) else value
    if not isinstance(values, list) or not values or not all(isinstance(v, str) and v
                                                                 for v in values):  # fmt: skip
        raise InvalidComputedTrait(f"{key} is a non-empty string or a list of them")
    return tuple(values)


def check_property(name: str) -> str:
    if not PROPERTY_PATTERN.match(name):
        raise InvalidComputedTrait(
            f"property {name!r}: letters, digits, space, _ - . (at most 100), not starting with"
            " a space or punctuation"
        )
    return name


def _filters(raw: object) -> tuple[PropertyFilter, ...]:
    if not isinstance(raw, list):
        raise InvalidComputedTrait("where is a list of {property, op, value} conditions")
    return tuple(_filter(item) for item in raw)


def _filter(item: object) -> PropertyFilter:
    if not isinstance(item, dict) or set(item) - {"property", "op", "value"} or "value" not in item:
        raise InvalidComputedTrait("each where condition is {property, op, value}")
    prop = item.get("property")
    if not isinstance(prop, str):
        raise InvalidComputedTrait("a where condition names a property")
    op = item.get("op", "=")
    if op not in OPERATORS:
        raise InvalidComputedTrait(f"op must be one of {list(OPERATORS)}, not {op!r}")
    value = item["value"]
    if op == "in":
        if not isinstance(value, list) or not value or not all(_scalar(v) for v in value):
            raise InvalidComputedTrait("'in' takes a non-empty list of strings or numbers")
        kinds = {isinstance(v, str) for v in value}
        if len(kinds) > 1:
            raise InvalidComputedTrait("an 'in' list holds only strings or only numbers")
        return PropertyFilter(check_property(prop), op, tuple(value))
    if not _scalar(value):
        raise InvalidComputedTrait(f"{op} compares with a string, number or boolean")
    if op not in ("=", "!=") and isinstance(value, bool):
        raise InvalidComputedTrait(f"{op} does not order booleans")
    return PropertyFilter(check_property(prop), op, value)


def _scalar(value: object) -> bool:
    return isinstance(value, str | int | float | bool)


def check_window(raw: object) -> int | None:
    if raw is None:
        return None
    if isinstance(raw, bool) or not isinstance(raw, int) or not 0 < raw <= MAX_WINDOW_DAYS:
        raise InvalidComputedTrait(f"window_days is a whole number of days, 1..{MAX_WINDOW_DAYS}")
    return raw
