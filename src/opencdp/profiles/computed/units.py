"""Grouped queries for generic definitions: one query per group of traits that read the same
rows, each trait one aggregate column.

A unit is a SELECT returning `profile_id` and, per trait, a value column (`c<i>`) already in
its output type and, for first/last, the (time, seq) of the chosen event (`k<i>`) that the
incremental path needs to decide whether a later-arriving event replaces the value.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlglot
from sqlglot import exp

from opencdp.profiles.computed.definition import TraitDefinition
from opencdp.profiles.computed.sql_parts import (
    Params,
    Relations,
    col,
    not_null,
    order_key,
    scope_filter,
    tag_of,
    value_of,
)

# The value a profile without matching events gets; None means "no value" (key absent).
DEFAULTS: dict[str, object] = {"count": 0, "distinct_count": 0, "sum": 0, "distinct_list": []}


@dataclass(frozen=True)
class Column:
    name: str  # the computed trait
    value: str  # column holding the value
    key: str | None = None  # column holding the (time, seq) of first/last


@dataclass(frozen=True)
class Unit:
    select: exp.Select
    columns: tuple[Column, ...]


def _filtered(agg: exp.Expr, value: exp.Expr) -> exp.Expr:
    return exp.Filter(this=agg, expression=exp.Where(this=not_null(value)))


def aggregate(definition: TraitDefinition, value: exp.Expr) -> exp.Expr:
    kind = definition.aggregate
    if kind == "count":
        return exp.Count(this=exp.Star())
    if kind == "sum":
        return exp.func("coalesce", exp.Sum(this=value), exp.Literal.number(0))
    if kind == "avg":
        return exp.Avg(this=value)
    if kind in ("min", "max"):
        return exp.Min(this=value) if kind == "min" else exp.Max(this=value)
    if kind in ("first", "last"):
        name = "arg_min" if kind == "first" else "arg_max"
        return _filtered(exp.Anonymous(this=name, expressions=[value, order_key()]), value)
    if kind == "distinct_list":
        if definition.tagged:
            return _distinct_by_tag(_filtered(exp.ArrayAgg(this=value), value.copy()))
        agg = exp.ArrayAgg(this=exp.Distinct(expressions=[value]))
        return exp.func("list_sort", _filtered(agg, value))
    if kind == "distinct_count":
        counted = tag_of(value) if definition.tagged else value
        return exp.Count(this=exp.Distinct(expressions=[counted]))
    raise AssertionError(f"no single-pass aggregate for {kind}")


# One token per equality tag (the first in the list), sorted so the stored list is stable.
_FIRST_OF_EACH_TAG = sqlglot.parse_one(
    "list_sort(list_filter(tokens, (x, i) -> list_position(list_transform(tokens,"
    " y -> split_part(y::VARCHAR, '.', 2)), split_part(x::VARCHAR, '.', 2)) = i))",
    read="duckdb",
)


def _distinct_by_tag(tokens: exp.Expr) -> exp.Expr:
    """distinct_list over sealed values: tokens differ per statement, so keep one per tag."""
    return _FIRST_OF_EACH_TAG.transform(
        lambda node: tokens.copy() if isinstance(node, exp.Column) and node.name == "tokens"
        else node)  # fmt: skip


def _key(definition: TraitDefinition, value: exp.Expr) -> exp.Expr:
    agg = exp.Min if definition.aggregate == "first" else exp.Max
    return _filtered(agg(this=order_key()), value)


def scope_unit(
    traits: list[tuple[str, TraitDefinition]], relations: Relations, params: Params, now: datetime
) -> Unit:
    """One grouped query for traits sharing a scope (same rows), one column per trait."""
    first = traits[0][1]
    select = exp.select(col("profile_id").as_("profile_id")).from_(relations.source(first))
    columns = []
    for index, (name, definition) in enumerate(traits):
        value = value_of(definition, params) if definition.aggregate != "count" else exp.Null()
        select = select.select(aggregate(definition, value).as_(f"c{index}"), copy=False)
        key = None
        if definition.aggregate in ("first", "last"):
            key = f"k{index}"
            select = select.select(_key(definition, value).as_(key), copy=False)
        columns.append(Column(name, f"c{index}", key))
    condition = scope_filter(first, params, now)
    if condition is not None:
        select = select.where(condition, copy=False)
    return Unit(select.group_by(col("profile_id"), copy=False), tuple(columns))


def most_frequent_unit(
    name: str, definition: TraitDefinition, relations: Relations, params: Params, now: datetime
) -> Unit:
    """The value seen most often; ties go to the value seen most recently (time, then seq).

    A sealed value (a new token per statement) is counted by its equality tag, and the
    latest token of the winning tag is kept."""
    value = value_of(definition, params)
    group = tag_of(value.copy()) if definition.tagged else value.copy()
    shown = (exp.Anonymous(this="arg_max", expressions=[value.copy(), order_key()])
             if definition.tagged else value)  # fmt: skip
    inner = exp.select(
        col("profile_id").as_("profile_id"), shown.as_("v"),
        exp.Count(this=exp.Star()).as_("n"), exp.Max(this=order_key()).as_("latest"),
    ).from_(relations.source(definition))  # fmt: skip
    condition = scope_filter(definition, params, now)
    inner = inner.where(exp.and_(*(c for c in (condition, not_null(value)) if c is not None)))
    inner = inner.group_by(col("profile_id"), group)
    rank = exp.Tuple(expressions=[exp.column("n"), exp.column("latest")])
    select = (
        exp.select(exp.column("profile_id"),
                   exp.Anonymous(this="arg_max", expressions=[exp.column("v"), rank]).as_("c0"))
        .from_(inner.subquery("f"))
        .group_by(exp.column("profile_id"))
    )  # fmt: skip
    return Unit(select, (Column(name, "c0"),))


def generic_units(
    traits: list[tuple[str, TraitDefinition]], relations: Relations, now: datetime
) -> list[tuple[Unit, Params]]:
    """Units (each with its parameters) for generic definitions, grouping equal scopes."""
    groups: dict[tuple[object, ...], list[tuple[str, TraitDefinition]]] = {}
    units = []
    for name, definition in traits:
        if definition.aggregate == "most_frequent":
            params = Params()
            units.append((most_frequent_unit(name, definition, relations, params, now), params))
        else:
            groups.setdefault(definition.scope(), []).append((name, definition))
    for group in groups.values():
        params = Params()
        units.append((scope_unit(group, relations, params, now), params))
    return units
