"""SQL for one value test: a trait, a property, an identifier or a prediction against a value.

Every test reads the value as text (JSON `->>`) and casts as the literal asks: numbers with
TRY_CAST to DOUBLE, dates with TRY_CAST to TIMESTAMPTZ, texts as they are. A missing or
uncastable value makes the test false (never NULL, so `not` means what it says). Values are
bound parameters; the reference time is the parameter `now`.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from sqlglot import exp

from opencdp.segments import tree as t

_SIMPLE_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_UNITS = {"m": ("MINUTE", 1), "h": ("HOUR", 1), "d": ("DAY", 1), "w": ("DAY", 7), "y": ("YEAR", 1)}
_OPS: dict[str, type[exp.Binary]] = {"=": exp.EQ, "!=": exp.NEQ, "<": exp.LT, "<=": exp.LTE,
                                     ">": exp.GT, ">=": exp.GTE}  # fmt: skip


class Params:
    """The bound parameters of one compiled segment: `p1`, `p2`, … and `now`."""

    def __init__(self) -> None:
        self.values: dict[str, Any] = {}
        self._names: dict[tuple[type, Any], str] = {}
        self.uses_now = False

    def bind(self, value: Any) -> exp.Placeholder:
        key = (type(value), value)
        name = self._names.get(key)
        if name is None:
            name = self._names[key] = f"p{len(self._names) + 1}"
            self.values[name] = value
        return exp.Placeholder(this=name)

    def now(self) -> exp.Expr:
        self.uses_now = True
        return timestamp(exp.Placeholder(this="now"))

    def ago(self, duration: t.Duration) -> exp.Expr:
        """`now` minus the duration (calendar years for `y`)."""
        return exp.Sub(this=self.now(), expression=interval(duration))


def interval(duration: t.Duration) -> exp.Interval:
    unit, factor = _UNITS[duration.unit]
    return exp.Interval(this=exp.Literal.string(str(duration.amount * factor)),
                        unit=exp.Var(this=unit))  # fmt: skip


def timestamp(value: exp.Expr) -> exp.Expr:
    return exp.Cast(this=value, to=exp.DataType.build("TIMESTAMPTZ"))


def try_cast(value: exp.Expr, to: str) -> exp.Expr:
    return exp.TryCast(this=value, to=exp.DataType.build(to), safe=True)


def json_path(name: str) -> str:
    """The JSON path of a dotted name, quoting keys that are not plain identifiers."""
    parts = []
    for key in name.split("."):
        if _SIMPLE_KEY.fullmatch(key):
            parts.append("." + key)
        else:
            parts.append('."' + key.replace("\\", "\\\\").replace('"', '\\"') + '"')
    return "$" + "".join(parts)


def json_text(column: exp.Expr, name: str, params: Params) -> exp.Expr:
    """The text of the JSON value at the dotted `name` inside `column` (NULL when missing)."""
    return exp.JSONExtractScalar(this=column, expression=params.bind(json_path(name)))


def bound_time(iso: str, params: Params) -> exp.Expr:
    moment = datetime.fromisoformat(iso)
    return timestamp(params.bind(moment if moment.tzinfo else moment.replace(tzinfo=UTC)))


def comparison(op: str, left: exp.Expr, right: exp.Expr) -> exp.Expr:
    test: exp.Expr = _OPS[op](this=left, expression=right)
    return test


def value_test(node: t.FieldCondition, text: exp.Expr, params: Params,
               number: exp.Expr | None = None) -> exp.Expr:  # fmt: skip
    """The condition `node` states about a value whose text is `text` (never NULL)."""
    num = number if number is not None else try_cast(text.copy(), "DOUBLE")
    time = try_cast(text.copy(), "TIMESTAMPTZ")
    test: exp.Expr
    if isinstance(node, t.Exists):
        missing = text.is_(exp.null())
        return missing if node.negated else missing.not_()
    if isinstance(node, t.Compare):
        test = _compare(node, text, num, time, params)
    elif isinstance(node, t.InList):
        if all(isinstance(v, str) for v in node.values):
            subject = _case(text, node.ignore_case)
            items = [_case(params.bind(v), node.ignore_case) for v in node.values]
        else:
            subject, items = num, [params.bind(v) for v in node.values]
        test = exp.In(this=subject, expressions=items)
        test = exp.Not(this=exp.Paren(this=test)) if node.negated else test
    elif isinstance(node, t.Between):
        low, high = node.low, node.high
        if isinstance(low, t.DateValue) and isinstance(high, t.DateValue):
            test = exp.Between(this=time, low=bound_time(low.iso, params),
                               high=bound_time(high.iso, params))  # fmt: skip
        else:
            test = exp.Between(this=num, low=params.bind(low), high=params.bind(high))
    else:
        test = relative_time(node, time, params)
    return exp.Coalesce(this=exp.Paren(this=test), expressions=[exp.false()])


def relative_time(node: t.RelativeTime, time: exp.Expr, params: Params) -> exp.Expr:
    cutoff = params.ago(node.duration)
    if node.op == "before":
        return exp.LT(this=time, expression=cutoff)
    if node.op == "after":
        return exp.GT(this=time, expression=cutoff)
    return exp.And(this=exp.GTE(this=time, expression=cutoff),
                   expression=exp.LTE(this=time.copy(), expression=params.now()))  # fmt: skip


def _case(value: exp.Expr, ignore_case: bool) -> exp.Expr:
    return exp.Lower(this=value) if ignore_case else value


def _compare(node: t.Compare, text: exp.Expr, num: exp.Expr, time: exp.Expr,
             params: Params) -> exp.Expr:  # fmt: skip
    value = node.value
    if isinstance(value, bool):
        return comparison(node.op, text, params.bind("true" if value else "false"))
    if isinstance(value, t.DateValue):
        return comparison(node.op, time, bound_time(value.iso, params))
    if isinstance(value, int | float):
        return comparison(node.op, num, params.bind(value))
    left, right = _case(text, node.ignore_case), _case(params.bind(value), node.ignore_case)
    if node.op == "contains":
        position = exp.StrPosition(this=left, substr=right)
        return exp.GT(this=position, expression=exp.Literal.number(0))
    if node.op == "starts_with":
        return exp.StartsWith(this=left, expression=right)
    if node.op == "ends_with":
        return exp.EndsWith(this=left, expression=right)
    return comparison(node.op, left, right)
