"""Recency, frequency and monetary value with quintile scores and named RFM groups.

Scores: among profiles with at least one order, a value's score is 1 + floor(5·b/n), where b
is how many profiles have a strictly lower value (so ties share a score and the top fifth
scores 5). Recency is ranked by the time of the last order, so the most recent buy scores 5.
The same rule is stored as four thresholds per measure (`score = 1 + #thresholds below the
value`), which lets `compute_for` score a few profiles against the population of the last
full computation without ranking everyone again.

Groups: the widely published R×F grid (the "RFM segments" regex table popularised by Kaggle's
RFM notebooks and the Putler/Omniconvert segment names): R and F scores
  R1–2 F1–2 Hibernating, R1–2 F3–4 At risk, R1–2 F5 Cannot lose them, R3 F1–2 About to sleep,
  R3 F3 Need attention, R3–4 F4–5 Loyal, R4 F1 Promising, R5 F1 New, R4–5 F2–3 Potential
  loyalist, R5 F4–5 Champions;
with one adaptation to name all eleven groups: R1 F1 (oldest and rarest) is Lost rather than
Hibernating. The monetary score is reported but, as in that grid, does not move the group.
"""

from __future__ import annotations

import math
from datetime import datetime

import duckdb
from sqlglot import exp

from opencdp.profiles.computed.definition import TraitDefinition
from opencdp.profiles.computed.sql_parts import Params, Relations, col, order_amount, scope_filter
from opencdp.profiles.computed.units import Column, Unit

MEASURES = ("recency", "frequency", "monetary")


def segment_for(r: int, f: int) -> str:
    """The named group of R and F scores (1–5 each)."""
    if r <= 2:
        if f <= 2:
            return "Lost" if r == 1 and f == 1 else "Hibernating"
        return "Cannot lose them" if f == 5 else "At risk"
    if r == 3:
        return {1: "About to sleep", 2: "About to sleep", 3: "Need attention"}.get(f, "Loyal")
    if f == 1:
        return "New" if r == 5 else "Promising"
    if f <= 3:
        return "Potential loyalist"
    return "Champions" if r == 5 else "Loyal"


GRID = [segment_for(r, f) for r in range(1, 6) for f in range(1, 6)]


def score(value: float, thresholds: list[float]) -> int:
    """The plain-Python form of the score rule (used by tests and documentation)."""
    return 1 + sum(1 for t in thresholds if value > t)


def thresholds_of(values: list[float]) -> list[float]:
    """The four thresholds of a population: the values at sorted positions ⌈j·n/5⌉, j=1..4."""
    ordered = sorted(values)
    return [ordered[math.ceil(j * len(ordered) / 5) - 1] for j in range(1, 5)]


def base(definition: TraitDefinition, relations: Relations, params: Params,
         now: datetime) -> exp.Select:  # fmt: skip
    """Per profile with orders: epoch of the last order, order count, order value total."""
    last = exp.Max(this=col("timestamp"))
    select = exp.select(
        col("profile_id").as_("profile_id"),
        exp.func("epoch", last).as_("recency"),
        exp.Count(this=exp.Star()).as_("frequency"),
        exp.func("coalesce", exp.Sum(this=order_amount(params)),
                 exp.Literal.number(0)).as_("monetary"),
    ).from_(relations.source(definition))  # fmt: skip
    condition = scope_filter(definition, params, now)
    if condition is not None:
        select = select.where(condition)
    return select.group_by(col("profile_id"))


def population_thresholds(
    con: duckdb.DuckDBPyConnection, definition: TraitDefinition, now: datetime
) -> dict[str, list[float]] | None:
    """Thresholds over every profile's orders (None when nobody has ordered)."""
    params = Params()
    inner = base(definition, Relations(), params, now).subquery("b")
    n = exp.Count(this=exp.Star())
    picks = []
    for measure in MEASURES:
        ordered = exp.func("list_sort", exp.ArrayAgg(this=exp.column(measure)))
        for j in range(1, 5):
            index = exp.cast(exp.func("ceil", exp.Div(this=exp.Mul(this=exp.Literal.number(j),
                             expression=n.copy()), expression=exp.Literal.number(5))), "BIGINT")
            picks.append(exp.Anonymous(this="list_extract", expressions=[ordered.copy(), index]))
    row = con.execute(exp.select(n.copy(), *picks).from_(inner).sql("duckdb"),
                      params.values).fetchone()  # fmt: skip
    if row is None or not row[0]:
        return None
    return {m: [float(v) for v in row[1 + 4 * i : 5 + 4 * i]] for i, m in enumerate(MEASURES)}


def _score(measure: str, thresholds: list[float], params: Params) -> exp.Expr:
    total: exp.Expr = exp.Literal.number(1)
    for t in thresholds:
        above = exp.GT(this=exp.column(measure), expression=params.bind(t))
        total = exp.Add(this=total, expression=exp.cast(above, "INTEGER"))
    return total


def rfm_unit(name: str, definition: TraitDefinition, relations: Relations, params: Params,
             now: datetime, thresholds: dict[str, list[float]]) -> Unit:  # fmt: skip
    """A unit whose value is the RFM object of each profile with orders."""
    inner = base(definition, relations, params, now).subquery("b")
    r, f, m = (_score(measure, thresholds[measure], params) for measure in MEASURES)
    age = exp.Paren(this=exp.Sub(this=params.bind(now.timestamp()),
                                 expression=exp.column("recency")))
    days = exp.cast(exp.func("floor", exp.Div(this=age, expression=exp.Literal.number(86400))),
                    "BIGINT")  # fmt: skip
    cell = exp.Add(this=exp.Mul(this=exp.Paren(this=exp.Sub(this=r.copy(),
                   expression=exp.Literal.number(1))), expression=exp.Literal.number(5)),
                   expression=f.copy())  # fmt: skip
    fields: list[tuple[str, exp.Expr]] = [
        ("recency_days", days), ("frequency", exp.column("frequency")),
        ("monetary", exp.column("monetary")), ("r", r), ("f", f), ("m", m),
        ("score", exp.func("concat", r.copy(), f.copy(), m.copy())),
        ("segment", exp.Anonymous(this="list_extract", expressions=[params.bind(GRID), cell])),
    ]  # fmt: skip
    args: list[exp.Expr] = []
    for key, value in fields:
        args.extend([exp.Literal.string(key), value])
    value = exp.Anonymous(this="json_object", expressions=args)
    select = exp.select(exp.column("profile_id"), value.as_("c0")).from_(inner)
    return Unit(select, (Column(name, "c0"),))
