"""A direct Python reading of a segment tree over a `World`: the meaning the SQL must have.

Written for clarity, not speed: every condition is evaluated per profile by looking at the
data, with the semantics documented in docs/segments.md.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from opencdp.privacy.consent import canonical_purpose
from opencdp.segments import tree as t
from tests.segments.world import Event, World

OPS: dict[str, Callable[[Any, Any], bool]] = {
    "=": operator.eq, "!=": operator.ne, "<": operator.lt, "<=": operator.le, ">": operator.gt,
    ">=": operator.ge}  # fmt: skip
UNIT = {"m": timedelta(minutes=1), "h": timedelta(hours=1), "d": timedelta(days=1),
        "w": timedelta(weeks=1)}  # fmt: skip


def duration(d: t.Duration) -> timedelta:
    return d.amount * UNIT[d.unit]  # years are tested by hand, not here


def as_text(value: Any) -> str | None:
    if value is None or isinstance(value, dict | list):
        return None if value is None else "<json>"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def as_number(text: str | None) -> float | None:
    try:
        return float(text) if text is not None else None
    except ValueError:
        return None


def as_time(text: str | None) -> datetime | None:
    try:
        moment = datetime.fromisoformat(text) if text is not None else None
    except ValueError:
        return None
    return moment.replace(tzinfo=UTC) if moment and moment.tzinfo is None else moment


def date_value(value: t.DateValue) -> datetime:
    moment = datetime.fromisoformat(value.iso)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def lookup(data: Mapping[str, Any], name: str) -> Any:
    value: Any = data
    for key in name.split("."):
        value = value.get(key) if isinstance(value, dict) else None
    return value


def test_value(node: t.FieldCondition, text: str | None, now: datetime,
               number: float | None = None, use_number: bool = False) -> bool:  # fmt: skip
    """The leaf semantics: missing or uncastable values make the test false."""
    num = number if use_number else as_number(text)
    if isinstance(node, t.Exists):
        return (text is None) if node.negated else (text is not None)
    if isinstance(node, t.Compare):
        value = node.value
        if isinstance(value, bool):
            return text is not None and OPS[node.op](text, "true" if value else "false")
        if isinstance(value, t.DateValue):
            moment = as_time(text)
            return moment is not None and OPS[node.op](moment, date_value(value))
        if isinstance(value, int | float):
            return num is not None and OPS[node.op](num, value)
        if text is None:
            return False
        left, right = (text.lower(), value.lower()) if node.ignore_case else (text, value)
        matches = {"contains": lambda a, b: b in a, "starts_with": str.startswith,
                   "ends_with": str.endswith}  # fmt: skip
        return bool((matches.get(node.op) or OPS[node.op])(left, right))
    if isinstance(node, t.InList):
        if all(isinstance(v, str) for v in node.values):
            if text is None:
                return False
            subject = text.lower() if node.ignore_case else text
            found = subject in [v.lower() if node.ignore_case else v for v in node.values]  # type: ignore[union-attr]
        else:
            if num is None:
                return False
            found = num in node.values
        return not found if node.negated else found
    if isinstance(node, t.Between):
        if isinstance(node.low, t.DateValue) and isinstance(node.high, t.DateValue):
            moment = as_time(text)
            return moment is not None and date_value(node.low) <= moment <= date_value(node.high)
        return num is not None and node.low <= num <= node.high  # type: ignore[operator]
    moment = as_time(text)
    if moment is None:
        return False
    cutoff = now - duration(node.duration)
    if node.op == "before":
        return moment < cutoff
    if node.op == "after":
        return moment > cutoff
    return cutoff <= moment <= now


def where_holds(node: t.Node, event: Event, now: datetime) -> bool:
    if isinstance(node, t.And):
        return all(where_holds(a, event, now) for a in node.args)
    if isinstance(node, t.Or):
        return any(where_holds(a, event, now) for a in node.args)
    if isinstance(node, t.Not):
        return not where_holds(node.arg, event, now)
    assert isinstance(node, t.FIELD_CONDITIONS)
    return test_value(node, as_text(lookup(event.properties, node.field.name)), now)


def step_events(world: World, pid: str, step: t.Did, now: datetime) -> list[Event]:
    found = []
    for e in world.events:
        if e.profile_id != pid or e.event != step.event:
            continue
        if step.window and not now - duration(step.window) <= e.timestamp <= now:
            continue
        if step.where is None or where_holds(step.where, e, now):
            found.append(e)
    return found


def chain(world: World, pid: str, steps: tuple[t.Did, ...], after: datetime | None,
          start: datetime | None, within: t.Duration | None, now: datetime) -> bool:  # fmt: skip
    if not steps:
        return True
    for e in step_events(world, pid, steps[0], now):
        if after is not None and e.timestamp <= after:
            continue
        first = start or e.timestamp
        if within is not None and e.timestamp - first > duration(within):
            continue
        if chain(world, pid, steps[1:], e.timestamp, first, within, now):
            return True
    return False


def holds(node: t.Node, world: World, pid: str, now: datetime, *, computed: frozenset[str],
          segments: Mapping[str, str]) -> bool:  # fmt: skip
    def again(n: t.Node) -> bool:
        return holds(n, world, pid, now, computed=computed, segments=segments)

    if isinstance(node, t.And):
        return all(again(a) for a in node.args)
    if isinstance(node, t.Or):
        return any(again(a) for a in node.args)
    if isinstance(node, t.Not):
        return not again(node.arg)
    if isinstance(node, t.Did):
        return bool(step_events(world, pid, node, now))
    if isinstance(node, t.Aggregate):
        events = step_events(world, pid, t.Did(node.event, node.window, node.where), now)
        if node.function == "count":
            return OPS[node.op](len(events), node.value)
        texts = [as_text(lookup(e.properties, node.property or "")) for e in events]
        numbers = [n for n in map(as_number, texts) if n is not None]
        if node.function == "sum":
            return OPS[node.op](sum(numbers), node.value)
        if not numbers:
            return False
        agg = {"avg": lambda xs: sum(xs) / len(xs), "min": min, "max": max}[node.function]
        return OPS[node.op](agg(numbers), node.value)
    if isinstance(node, t.Sequence):
        return chain(world, pid, node.steps, None, None, node.within, now)
    if isinstance(node, t.Consent):
        purpose = canonical_purpose(node.purpose)
        return any(p == pid and c == purpose and g for p, c, g in world.consents)
    if isinstance(node, t.InSegment):
        return pid in world.members.get(segments[node.name], set())
    assert isinstance(node, t.FIELD_CONDITIONS)
    field = node.field
    if field.kind == "identifier":
        values = [v for kind, v, p in world.identifiers if p == pid and kind == field.name]
        if isinstance(node, t.Exists):
            return not values if node.negated else bool(values)
        return any(test_value(node, v, now) for v in values)
    if field.kind == "prediction":
        rows = [r for r in world.predictions if r[0] == pid and r[1] == field.name]
        if isinstance(node, t.Exists):
            return not rows if node.negated else bool(rows)
        if not rows:
            return False
        _, _, value, label, _ = max(rows, key=lambda r: r[4])
        return test_value(node, label, now, number=value, use_number=True)
    first = field.name.split(".")[0]
    is_computed = field.kind == "computed" or (
        field.kind == "auto" and (field.name in computed or first in computed))
    data = (world.computed if is_computed else world.traits).get(pid, {})
    return test_value(node, as_text(lookup(data, field.name)), now)


def evaluate(tree: t.Node, world: World, now: datetime, *, computed: frozenset[str] = frozenset(),
             segments: Mapping[str, str] | None = None) -> set[str]:  # fmt: skip
    chosen = segments or {}
    return {pid for pid in world.profile_ids()
            if holds(tree, world, pid, now, computed=computed, segments=chosen)}  # fmt: skip
