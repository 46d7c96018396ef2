"""Definition kinds beyond a single aggregate: RFM, a rate between two events, NPS category.

They are stored like any definition (`{"builtin": "rate", ...}`) so users can define their own
rates (say, 'Product Viewed' per 'Session Started'); the named built-in traits in
`builtins.py` are instances of them.
"""

from __future__ import annotations

from datetime import datetime

from sqlglot import exp

from opencdp.profiles.computed.definition import (
    BUILTIN_KINDS,
    InvalidComputedTrait,
    PropertyFilter,
    TraitDefinition,
    check_property,
    check_window,
)
from opencdp.profiles.computed.sql_parts import Params, Relations, col, scope_filter
from opencdp.profiles.computed.units import Column, Unit, scope_unit

NPS_CATEGORIES = ((9, "promoter"), (7, "passive"), (0, "detractor"))


def parse_builtin(raw: dict[str, object]) -> TraitDefinition:
    kind = raw["builtin"]
    if kind not in BUILTIN_KINDS:
        raise InvalidComputedTrait(f"builtin must be one of {list(BUILTIN_KINDS)}, not {kind!r}")
    allowed = {"rfm": {"event", "window_days"}, "rate": {"event", "per", "distinct_property",
               "window_days"}, "nps_category": {"property"}}[str(kind)]  # fmt: skip
    unknown = sorted(set(raw) - allowed - {"builtin"})
    if unknown:
        raise InvalidComputedTrait(f"{kind} takes only {sorted(allowed)}, not {unknown}")
    if kind == "nps_category":
        prop = check_property(_text(raw, "property", "nps"))
        return TraitDefinition(aggregate="last", source="records", properties=(prop,),
                               value_type="number", builtin="nps_category", where=(
                                   PropertyFilter(prop, ">=", 0), PropertyFilter(prop, "<=", 10)))
    window = check_window(raw.get("window_days"))
    if kind == "rfm":
        event = _text(raw, "event", "Order Completed")
        return TraitDefinition(aggregate="rfm", events=(event,), window_days=window, builtin="rfm")
    event, per = _text(raw, "event", None), _text(raw, "per", None)
    if event == per:
        raise InvalidComputedTrait("a rate compares two different events")
    options = [("event", event), ("per", per)]
    if "distinct_property" in raw:
        options.append(("distinct_property", check_property(_text(raw, "distinct_property", None))))
    return TraitDefinition(aggregate="rate", events=(event, per), window_days=window,
                           builtin="rate", options=tuple(options))  # fmt: skip


def _text(raw: dict[str, object], key: str, default: str | None) -> str:
    value = raw.get(key, default)
    if not isinstance(value, str) or not value:
        raise InvalidComputedTrait(f"{raw['builtin']} needs {key} as a non-empty string")
    return value


def rate_unit(name: str, definition: TraitDefinition, relations: Relations, params: Params,
              now: datetime) -> Unit:  # fmt: skip
    """Distinct `event` occurrences per distinct `per` occurrence, capped at 1; no value when
    nothing was `per`. Occurrences are told apart by `distinct_property` (e.g. campaign_id)
    when the event has it, else each event counts on its own."""
    prop = definition.option("distinct_property")
    seq = exp.cast(col("seq"), "VARCHAR")
    key: exp.Expr = seq
    if prop is not None:
        text = exp.func("json_extract_string", col("properties"), params.bind('$."' + prop + '"'))
        key = exp.func("coalesce", text, exp.DPipe(this=exp.Literal.string("seq:"), expression=seq))

    def distinct(event: str | None) -> exp.Expr:
        count = exp.Count(this=exp.Distinct(expressions=[key.copy()]))
        match = exp.EQ(this=col("event"), expression=params.bind(event))
        return exp.Filter(this=count, expression=exp.Where(this=match))

    per = exp.Nullif(this=distinct(definition.option("per")), expression=exp.Literal.number(0))
    ratio = exp.Div(this=exp.cast(distinct(definition.option("event")), "DOUBLE"), expression=per)
    over = exp.GT(this=ratio.copy(), expression=exp.Literal.number(1))
    value = exp.Case().when(over, exp.Literal.number(1.0)).else_(ratio)  # NULL stays NULL
    select = exp.select(col("profile_id").as_("profile_id"), value.as_("c0")).from_(
        relations.source(definition))
    condition = scope_filter(definition, params, now)
    assert condition is not None  # a rate always filters on its two events
    select = select.where(condition).group_by(col("profile_id"))
    return Unit(select, (Column(name, "c0"),))


def nps_category_unit(name: str, definition: TraitDefinition, relations: Relations,
                      params: Params, now: datetime) -> Unit:  # fmt: skip
    """The category of the latest 0–10 score: 9–10 promoter, 7–8 passive, 0–6 detractor."""
    latest = scope_unit([(name, definition)], relations, params, now).select.subquery("n")
    case = exp.Case()
    for floor, label in NPS_CATEGORIES:
        case = case.when(exp.GTE(this=exp.column("c0"), expression=exp.Literal.number(floor)),
                         exp.Literal.string(label))  # fmt: skip
    select = exp.select(exp.column("profile_id"), case.as_("c0")).from_(latest)
    return Unit(select, (Column(name, "c0"),))
