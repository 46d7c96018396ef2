"""SQLGlot pieces shared by every computed-trait query: bound parameters, the rows a trait
reads (events, or imported records reached through identity links), value and filter
expressions.

Both sources are read through one row shape — profile_id, seq, source_id, type, event,
"timestamp", properties — so a definition over records compiles exactly like one over events
(a record's traits stand in for properties and its `updated_at` for the time).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlglot
from sqlglot import exp

from opencdp.profiles.computed.definition import PropertyFilter, TraitDefinition

ISO_FORMAT = "%Y-%m-%dT%H:%M:%S.%gZ"  # lexicographic order is time order

EVENTS_TABLE = "profile_events"
RECORDS_SELECT = (
    "SELECT l.profile_id, r.seq, r.source_id, 'record' AS type, CAST(NULL AS VARCHAR) AS event,"
    ' r.updated_at AS "timestamp", r.traits AS properties'
    " FROM source_records AS r JOIN identity_links AS l"
    " ON l.identifier_type = 'source_record'"
    " AND l.identifier_value = r.source_id || ':' || r.record_id"
)


@dataclass
class Params:
    """Named parameters ($p0, $p1, …) collected while an AST is built."""

    values: dict[str, object] = field(default_factory=dict)

    def bind(self, value: object) -> exp.Placeholder:
        key = f"p{len(self.values)}"
        self.values[key] = value
        return exp.Placeholder(this=key)


@dataclass(frozen=True)
class Relations:
    """Where the events and the records of the profiles being computed are read from."""

    events: str = EVENTS_TABLE
    records: str | None = None  # a table name, or None for the live records join

    def source(self, definition: TraitDefinition) -> exp.Expr:
        if definition.source == "events":
            return exp.to_table(self.events).as_("e")
        if self.records is not None:
            return exp.to_table(self.records).as_("e")
        return exp.Subquery(this=sqlglot.parse_one(RECORDS_SELECT, read="duckdb"),
                            alias=exp.TableAlias(this=exp.to_identifier("e")))  # fmt: skip


def col(name: str) -> exp.Column:
    return exp.column(name, table="e", quoted=True)


def json_path(prop: str) -> str:
    return '$."' + prop + '"'


def _text(prop: str, params: Params) -> exp.Expr:
    return exp.func("json_extract_string", col("properties"), params.bind(json_path(prop)))


def _number(expr: exp.Expr) -> exp.Expr:
    return exp.TryCast(this=expr, to=exp.DataType.build("DOUBLE"))


def iso_time(expr: exp.Expr) -> exp.Expr:
    utc = exp.func("timezone", exp.Literal.string("UTC"), expr)
    return exp.func("strftime", utc, exp.Literal.string(ISO_FORMAT))


def order_amount(params: Params) -> exp.Expr:
    total, revenue = _number(_text("total", params)), _number(_text("revenue", params))
    price, quantity = _number(_text("price", params)), _number(_text("quantity", params))
    each = exp.Mul(this=price, expression=quantity)
    return exp.func("coalesce", total, revenue, each)


def property_value(prop: str, value_type: str, params: Params) -> exp.Expr:
    if value_type == "json":
        raw = exp.func("json_extract", col("properties"), params.bind(json_path(prop)))
        return exp.Nullif(this=raw, expression=exp.cast(exp.Literal.string("null"), "JSON"))
    text = _text(prop, params)
    if value_type == "number":
        return _number(text)
    if value_type == "timestamp":
        return iso_time(exp.TryCast(this=text, to=exp.DataType.build("TIMESTAMPTZ")))
    return text


def value_of(definition: TraitDefinition, params: Params) -> exp.Expr:
    """The value a definition aggregates, in its output type (timestamps as ISO strings)."""
    if definition.field == "order_amount":
        return order_amount(params)
    if definition.field == "timestamp":
        return iso_time(col("timestamp"))
    if definition.field is not None:
        return col(definition.field)
    parts = [property_value(p, definition.value_type, params) for p in definition.properties]
    return parts[0] if len(parts) == 1 else exp.func("coalesce", *parts)


def _in(expr: exp.Expr, values: tuple[object, ...], params: Params) -> exp.Expr:
    return exp.In(this=expr, expressions=[params.bind(v) for v in values])


def tag_of(value: exp.Expr) -> exp.Expr:
    """The equality tag of a sealed token (`enc1:<subject>.<tag>.<body>`), as text or JSON."""
    text = exp.cast(value, "VARCHAR")
    return exp.func("split_part", text, exp.Literal.string("."), exp.Literal.number(2))


def _condition(item: PropertyFilter, params: Params) -> exp.Expr:
    if item.tagged:  # a sealed property: its tag against the literals' tags
        subject = tag_of(_text(item.property, params))
        if isinstance(item.value, tuple):
            return _in(subject, item.value, params)
        operator = exp.EQ if item.op == "=" else exp.NEQ
        return operator(this=subject, expression=params.bind(item.value))
    sample = item.value[0] if isinstance(item.value, tuple) else item.value
    numeric = isinstance(sample, int | float) and not isinstance(sample, bool)
    subject = _number(_text(item.property, params)) if numeric else _text(item.property, params)
    if isinstance(item.value, tuple):
        return _in(subject, item.value, params)
    value: object = str(item.value).lower() if isinstance(item.value, bool) else item.value
    ops: dict[str, type[exp.Binary]] = {"=": exp.EQ, "!=": exp.NEQ, ">": exp.GT, ">=": exp.GTE,
                                        "<": exp.LT, "<=": exp.LTE}  # fmt: skip
    return ops[item.op](this=subject, expression=params.bind(value))


def scope_filter(
    definition: TraitDefinition, params: Params, now: datetime
) -> exp.Expr | None:
    """The WHERE of a definition: event names, types, sources, property conditions, window."""
    parts: list[exp.Expr] = []
    if definition.events:
        parts.append(_in(col("event"), definition.events, params))
    if definition.types:
        parts.append(_in(col("type"), definition.types, params))
    if definition.source_ids:
        parts.append(_in(col("source_id"), definition.source_ids, params))
    if definition.window_days is not None:
        cutoff = now - timedelta(days=definition.window_days)
        parts.append(exp.GTE(this=col("timestamp"), expression=params.bind(cutoff)))
    parts.extend(_condition(item, params) for item in definition.where)
    return exp.and_(*parts) if parts else None


def order_key() -> exp.Expr:
    """Which of two events came first: time, then log sequence."""
    return exp.Tuple(expressions=[col("timestamp"), col("seq")])


def not_null(expr: exp.Expr) -> exp.Expr:
    return exp.Not(this=exp.Is(this=expr.copy(), expression=exp.Null()))
