"""Writing a tree in the text form, so that `parse(to_text(tree)) == tree`.

Parentheses are written only where precedence needs them (`not` > `and` > `or`), plus around
a nested `and`/`or` of the same kind, which keeps the grouping the tree has.
"""

from __future__ import annotations

import json

from opencdp.segments import tree as t
from opencdp.segments.words import is_bare


def to_text(node: t.Node) -> str:
    """The text form of a (valid) tree."""
    if isinstance(node, t.Or):
        return " or ".join(_grouped(arg, t.Or) for arg in node.args)
    if isinstance(node, t.And):
        return " and ".join(_grouped(arg, t.And | t.Or) for arg in node.args)
    if isinstance(node, t.Not):
        return "not " + _grouped(node.arg, t.And | t.Or)
    if isinstance(node, t.Did):
        return f"did({_event_arguments(node.event, None, node.window, node.where)})"
    if isinstance(node, t.Aggregate):
        args = _event_arguments(node.event, node.property, node.window, node.where)
        return f"{node.function}({args}) {node.op} {value_text(node.value)}"
    if isinstance(node, t.Sequence):
        steps = " then ".join(to_text(step) for step in node.steps)
        return steps + (f" within {node.within}" if node.within else "")
    if isinstance(node, t.Consent):
        return f"consent({_quote(node.purpose)})"
    if isinstance(node, t.InSegment):
        return f"in_segment({_quote(node.name)})"
    return _field_condition(node)


def _grouped(node: t.Node, needs_parens: type | object) -> str:
    text = to_text(node)
    return f"({text})" if isinstance(node, needs_parens) else text  # type: ignore[arg-type]


def _event_arguments(event: str, prop: str | None, window: t.Duration | None,
                     where: t.Node | None) -> str:  # fmt: skip
    text = _quote(event)
    if prop is not None:
        text += ", " + _quote(prop)
    if window is not None:
        text += f", {window}"
    if where is not None:
        text += " where " + to_text(where)
    return text


def _field_condition(node: t.FieldCondition) -> str:
    field = field_text(node.field)
    if isinstance(node, t.Compare):
        return f"{field} {node.op} {value_text(node.value)}{_case(node.ignore_case)}"
    if isinstance(node, t.InList):
        values = ", ".join(value_text(v) for v in node.values)
        negation = "not " if node.negated else ""
        return f"{field} {negation}in [{values}]{_case(node.ignore_case)}"
    if isinstance(node, t.Exists):
        return f"{field} not exists" if node.negated else f"{field} exists"
    if isinstance(node, t.Between):
        return f"{field} between {value_text(node.low)} and {value_text(node.high)}"
    if node.op == "within":
        return f"{field} within {node.duration}"
    return f"{field} {node.op} {node.duration} ago"


def _case(ignore_case: bool) -> str:
    return " ignore_case" if ignore_case else ""


def field_text(field: t.Field) -> str:
    """A field as written: bare names for traits and properties when possible."""
    if field.kind in ("auto", "property") and is_bare(field.name):
        return field.name
    return f"{field.kind}({_quote(field.name)})"


def value_text(value: t.Value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, t.DateValue):
        return f"date({_quote(value.iso)})"
    if isinstance(value, str):
        return _quote(value)
    return repr(value)


def _quote(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)
