"""SQL for event conditions: did, count/sum/avg/min/max, and sequences of steps.

Each condition becomes one uncorrelated subquery over `profile_events` filtered by event name
and time (a hash semi-join, or anti-join, against `profiles`), grouped per profile where it
aggregates. Conditions that hold for a profile without any matching event (`count(...) < 2`,
`sum(...) = 0`) are written as "not among the profiles whose aggregate fails", so profiles
without events take part without scanning anything for them.
"""

from __future__ import annotations

import operator
from collections.abc import Callable

from sqlglot import exp

from opencdp.segments import tree as t
from opencdp.segments.sql_values import (
    Params,
    comparison,
    interval,
    json_path,
    try_cast,
    value_test,
)

EVENTS = "profile_events"
_PY_OPS: dict[str, Callable[[float, float], bool]] = {
    "=": operator.eq, "!=": operator.ne, "<": operator.lt, "<=": operator.le, ">": operator.gt,
    ">=": operator.ge}  # fmt: skip

# A condition on event properties, given the alias of the events table.
WhereCompiler = Callable[[t.Node, str], exp.Expr]


class EventSQL:
    """Builds event subqueries for one compiled segment."""

    def __init__(self, params: Params, where: WhereCompiler,
                 restrict: Callable[[exp.Expr], exp.Expr | None]) -> None:  # fmt: skip
        self.params = params
        self.where = where
        self.restrict = restrict

    def matching(self, step: t.Did, alias: str) -> exp.Select:
        """FROM profile_events AS alias WHERE event name, window, property filter, restriction."""
        conditions: list[exp.Expr] = [
            exp.EQ(this=exp.column("event", alias), expression=self.params.bind(step.event))]
        ts = exp.column("timestamp", alias, quoted=True)
        if step.window is not None:
            conditions.append(exp.GTE(this=ts, expression=self.params.ago(step.window)))
            conditions.append(exp.LTE(this=ts.copy(), expression=self.params.now()))
        if step.where is not None:
            conditions.append(self.where(step.where, alias))
        restriction = self.restrict(exp.column("profile_id", alias))
        if restriction is not None:
            conditions.append(restriction)
        return exp.select().from_(exp.to_table(EVENTS).as_(alias)).where(*conditions)

    def did(self, node: t.Did) -> tuple[exp.Select, bool]:
        """Profiles that did it; the flag says whether members are those NOT in the query."""
        return self.matching(node, "e").select(exp.column("profile_id", "e")), False

    def aggregate(self, node: t.Aggregate) -> tuple[exp.Select, bool]:
        query = self.matching(t.Did(node.event, node.window, node.where), "e")
        if node.function == "count":
            agg: exp.Expr = exp.Count(this=exp.Star())
        else:
            assert node.property is not None
            path = self.params.bind(json_path(node.property))
            prop = exp.JSONExtractScalar(this=exp.column("properties", "e"), expression=path)
            function = {"sum": exp.Sum, "avg": exp.Avg, "min": exp.Min, "max": exp.Max}
            agg = function[node.function](this=try_cast(prop, "DOUBLE"))
        zero_passes = node.function in ("count", "sum") and _PY_OPS[node.op](0, node.value)
        if node.function == "sum":
            agg = exp.Coalesce(this=agg, expressions=[exp.Literal.number(0)])
        test = comparison(node.op, agg, self.params.bind(node.value))
        having = exp.Not(this=exp.Paren(this=test)) if zero_passes else test
        grouped = query.select(exp.column("profile_id", "e")).group_by(
            exp.column("profile_id", "e")).having(having)
        return grouped, zero_passes

    def sequence(self, node: t.Sequence) -> tuple[exp.Select, bool]:
        """Greedy matching: from each start (or the earliest, without `within`), take the
        earliest later event of each next step; a profile matches if all steps are found."""
        pid = "profile_id"
        first = self.matching(node.steps[0], "e")
        ts = exp.column("timestamp", "e", quoted=True)
        if node.within is None:
            current = first.select(exp.column(pid, "e"), exp.Min(this=ts).as_("t")).group_by(
                exp.column(pid, "e"))
        else:
            current = first.select(exp.column(pid, "e"), ts.as_("start"), ts.copy().as_("t"))
            current = current.distinct()
        for i, step in enumerate(node.steps[1:], start=2):
            prev = f"s{i - 1}"
            query = self.matching(step, "e")
            step_ts = exp.column("timestamp", "e", quoted=True)
            keys = [exp.column(pid, prev)] + ([exp.column("start", prev)] if node.within else [])
            joined = query.join(current.subquery(prev), on=exp.and_(
                exp.EQ(this=exp.column(pid, "e"), expression=exp.column(pid, prev)),
                exp.GT(this=step_ts, expression=exp.column("t", prev)),
                *([exp.LTE(this=step_ts.copy(), expression=exp.Add(
                    this=exp.column("start", prev), expression=interval(node.within)))]
                  if node.within else [])))  # fmt: skip
            outputs: list[exp.Expr] = [k.copy() for k in keys]
            current = joined.select(*outputs, exp.Min(this=step_ts.copy()).as_("t")).group_by(
                *keys)
        last = f"s{len(node.steps)}"
        return exp.select(exp.column(pid, last)).from_(current.subquery(last)), False


def where_test(node: t.FieldCondition, alias: str, params: Params) -> exp.Expr:
    """One property test of a `where` filter on the events table `alias`."""
    text = exp.JSONExtractScalar(this=exp.column("properties", alias),
                                 expression=params.bind(json_path(node.field.name)))  # fmt: skip
    return value_test(node, text, params)
