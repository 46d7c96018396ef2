"""Checks that a tree means something: types fit operators, names and purposes exist.

Both spellings (text and JSON) build a tree and run `check` on it, so the compiler only ever
sees valid trees. Errors carry the JSON path of the bad node (`args[1].where.value`).
"""

from __future__ import annotations

import math
from datetime import datetime
from typing import TYPE_CHECKING

from opencdp.privacy.consent import UnknownPurpose, canonical_purpose
from opencdp.segments import tree as t
from opencdp.segments.errors import InvalidSegment
from opencdp.segments.words import is_bare

if TYPE_CHECKING:
    from opencdp.segments.sealed import Sealing

MAX_AMOUNT = 100_000
# Kept in step with segments/sealed.SEALED_HINT (imported lazily: sealed imports lookup).
_SEALED_HINT = "email_domain, birth_year (or age_band), city, country"
_DERIVED = frozenset({"email_domain", "birth_year", "age_band"})


def check(node: t.Node, path: str = "", *, in_where: bool = False) -> None:
    """Raise InvalidSegment (with the node's path) unless `node` is a valid segment tree."""
    if isinstance(node, t.And | t.Or):
        if len(node.args) < 2:
            raise InvalidSegment("needs at least two conditions", path)
        for i, arg in enumerate(node.args):
            check(arg, f"{path}.args[{i}]".lstrip("."), in_where=in_where)
    elif isinstance(node, t.Not):
        check(node.arg, f"{path}.arg".lstrip("."), in_where=in_where)
    elif isinstance(node, t.FIELD_CONDITIONS):
        _check_field(node.field, _join(path, "field"), in_where=in_where)
        _check_condition(node, path)
    elif in_where:
        raise InvalidSegment("a where filter can only test event properties", path)
    elif isinstance(node, t.Did):
        _check_did(node, path)
    elif isinstance(node, t.Aggregate):
        _check_aggregate(node, path)
    elif isinstance(node, t.Sequence):
        if len(node.steps) < 2:
            raise InvalidSegment("a sequence needs at least two steps", path)
        for i, step in enumerate(node.steps):
            step_path = _join(path, f"steps[{i}]")
            if not isinstance(step, t.Did):
                raise InvalidSegment("each step of a sequence is a did(...)", step_path)
            _check_did(step, step_path)
        _check_duration(node.within, _join(path, "within"))
    elif isinstance(node, t.Consent):
        try:
            canonical_purpose(_text(node.purpose, _join(path, "purpose")))
        except UnknownPurpose as exc:
            raise InvalidSegment(str(exc), _join(path, "purpose")) from exc
    elif isinstance(node, t.InSegment):
        _text(node.name, _join(path, "segment"))
    else:
        raise InvalidSegment(f"not a segment condition: {type(node).__name__}", path)


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _text(value: object, path: str) -> str:
    if not isinstance(value, str) or not value:
        raise InvalidSegment("must be a non-empty string", path)
    return value


def _check_field(field: t.Field, path: str, *, in_where: bool) -> None:
    if field.kind not in t.FIELD_KINDS:
        raise InvalidSegment(f"unknown field kind {field.kind!r}", _join(path, "kind"))
    name = _text(field.name, _join(path, "name"))
    if field.kind in ("auto", "trait", "computed", "property") and "" in name.split("."):
        raise InvalidSegment(f"empty part in dotted name {name!r}", _join(path, "name"))
    if field.kind == "auto" and not is_bare(name):
        raise InvalidSegment(f"{name!r} cannot be written bare; use trait(...) or computed(...)",
                             _join(path, "name"))  # fmt: skip
    if in_where and field.kind != "property":
        raise InvalidSegment("a where filter can only test event properties", path)
    if not in_where and field.kind == "property":
        raise InvalidSegment("event properties can only be tested inside where", path)


def _check_condition(node: t.FieldCondition, path: str) -> None:
    if isinstance(node, t.Compare):
        _check_value(node.value, _join(path, "value"))
        if node.op not in t.COMPARISONS + t.TEXT_MATCHES:
            raise InvalidSegment(f"unknown operator {node.op!r}", _join(path, "op"))
        if isinstance(node.value, bool) and node.op not in ("=", "!="):
            raise InvalidSegment("true/false only compare with = or !=", _join(path, "op"))
        text_only = node.op in t.TEXT_MATCHES or node.ignore_case
        if text_only and not isinstance(node.value, str):
            message = f"{node.op} and ignore_case need a text value"
            raise InvalidSegment(message, _join(path, "value"))
        if node.ignore_case and node.op not in ("=", "!=", *t.TEXT_MATCHES):
            raise InvalidSegment("ignore_case only applies to = != and text matches", path)
        _no_prediction_date(node.field, node.value, path)
    elif isinstance(node, t.InList):
        if not node.values:
            raise InvalidSegment("the list is empty", _join(path, "values"))
        for i, value in enumerate(node.values):
            _check_value(value, _join(path, f"values[{i}]"))
        all_text = all(isinstance(v, str) for v in node.values)
        if not all_text and not all(_is_number(v) for v in node.values):
            raise InvalidSegment("a list holds only texts or only numbers", _join(path, "values"))
        if node.ignore_case and not all_text:
            raise InvalidSegment("ignore_case needs text values", _join(path, "values"))
    elif isinstance(node, t.Between):
        _check_value(node.low, _join(path, "low"))
        _check_value(node.high, _join(path, "high"))
        numbers = _is_number(node.low) and _is_number(node.high)
        dates = isinstance(node.low, t.DateValue) and isinstance(node.high, t.DateValue)
        if not (numbers or dates):
            raise InvalidSegment("between takes two numbers or two dates", path)
        _no_prediction_date(node.field, node.low, path)
    elif isinstance(node, t.RelativeTime):
        if node.op not in t.RELATIVE:
            raise InvalidSegment(f"unknown time operator {node.op!r}", _join(path, "op"))
        if node.field.kind == "prediction":
            raise InvalidSegment("a prediction is not a time", path)
        _check_duration(node.duration, _join(path, "duration"), required=True)


def _no_prediction_date(field: t.Field, value: t.Value, path: str) -> None:
    if field.kind == "prediction" and isinstance(value, t.DateValue):
        raise InvalidSegment("a prediction is a number or a label, not a date", path)


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _check_value(value: object, path: str) -> None:
    if isinstance(value, t.DateValue):
        try:
            datetime.fromisoformat(value.iso)
        except (TypeError, ValueError) as exc:
            raise InvalidSegment(f"not an ISO 8601 date or time: {value.iso!r}", path) from exc
    elif isinstance(value, float) and not math.isfinite(value):
        raise InvalidSegment("numbers must be finite", path)
    elif not isinstance(value, str | int | float):
        raise InvalidSegment("a value is a text, number, true/false or date(...)", path)


def _check_duration(duration: t.Duration | None, path: str, *, required: bool = False) -> None:
    if duration is None:
        if required:
            raise InvalidSegment("a duration is required", path)
        return
    if duration.unit not in t.UNITS:
        raise InvalidSegment(f"unknown unit {duration.unit!r}; use one of m h d w y", path)
    amount = duration.amount
    if isinstance(amount, bool) or not isinstance(amount, int) or not 0 < amount <= MAX_AMOUNT:
        raise InvalidSegment(f"a duration is a whole number from 1 to {MAX_AMOUNT}", path)


def _check_did(node: t.Did, path: str) -> None:
    _text(node.event, _join(path, "event"))
    _check_duration(node.window, _join(path, "window"))
    if node.where is not None:
        check(node.where, _join(path, "where"), in_where=True)


def _check_aggregate(node: t.Aggregate, path: str) -> None:
    if node.function not in t.AGGREGATES:
        raise InvalidSegment(f"unknown aggregate {node.function!r}", _join(path, "function"))
    _check_did(t.Did(node.event, node.window, node.where), path)
    if node.function == "count" and node.property is not None:
        raise InvalidSegment("count takes no property", _join(path, "property"))
    if node.function != "count":
        _text(node.property, _join(path, "property"))
    if node.op not in t.COMPARISONS:
        raise InvalidSegment(f"unknown operator {node.op!r}", _join(path, "op"))
    if not _is_number(node.value):
        raise InvalidSegment("an aggregate compares with a number", _join(path, "value"))
    _check_value(node.value, _join(path, "value"))


def check_sealed(
    node: t.Node, sealing: Sealing, computed: frozenset[str] = frozenset(), path: str = ""
) -> None:
    """With field encryption on: raise InvalidSegment at the first test a pseudonym or a
    sealed value cannot answer. Identifiers take `exists`, `=`, `!=` and `in` (texts);
    sealed fields `exists`, and at their top level `=`, `!=` and `in` (by equality tag);
    anything else — `contains`, `starts_with`, ranges, times, aggregates — is refused with
    a hint at the plain derived fields."""
    if isinstance(node, t.And | t.Or):
        for i, arg in enumerate(node.args):
            check_sealed(arg, sealing, computed, _join(path, f"args[{i}]"))
    elif isinstance(node, t.Not):
        check_sealed(node.arg, sealing, computed, _join(path, "arg"))
    elif isinstance(node, t.FIELD_CONDITIONS):
        reason = _sealed_refusal(node, sealing, computed)
        if reason:
            raise InvalidSegment(f"{reason}; use derived fields instead ({_SEALED_HINT})",
                                 _join(path, "field"))  # fmt: skip
    elif isinstance(node, t.Did | t.Aggregate):
        prop = node.property if isinstance(node, t.Aggregate) else None
        if prop is not None and sealing.is_sealed(t.Field("property", prop)):
            raise InvalidSegment(
                f"{prop!r} is stored encrypted: a segment cannot aggregate its values; "
                f"use derived fields instead ({_SEALED_HINT})",
                _join(path, "property"),
            )
        if node.where is not None:
            check_sealed(node.where, sealing, computed, _join(path, "where"))
    elif isinstance(node, t.Sequence):
        for i, step in enumerate(node.steps):
            check_sealed(step, sealing, computed, _join(path, f"steps[{i}]"))


def _sealed_refusal(node: t.FieldCondition, sealing: Sealing, computed: frozenset[str]) -> str:
    """Why `node` cannot be answered on encrypted data ('' when it can)."""
    field = node.field
    literals = _literals(node)
    equality = isinstance(node, t.InList) or (
        isinstance(node, t.Compare) and node.op in ("=", "!="))  # fmt: skip
    if field.kind == "identifier":
        if isinstance(node, t.Exists):
            return ""
        if not (equality and all(isinstance(v, str) for v in literals)):
            return (f"identifier {field.name!r} is stored as a pseudonym: only exists, =, != and "
                    "in with texts can test it")  # fmt: skip
        if getattr(node, "ignore_case", False) and field.name != "email":
            return (f"identifier {field.name!r} is stored as a pseudonym: ignore_case applies "
                    "only to e-mails (stored lower-case)")  # fmt: skip
        return ""
    is_computed = field.kind == "computed" or (
        field.kind == "auto" and field.name.split(".")[0] in computed)
    if field.kind == "auto" and field.name in _DERIVED and not is_computed:
        return ""
    if not sealing.is_sealed(field, is_computed):
        return ""
    if "." in field.name:
        return f"{field.name!r} lies inside a value stored encrypted: a segment cannot read it"
    if isinstance(node, t.Exists):
        return ""
    if equality and all(isinstance(v, str | int) and not isinstance(v, bool) for v in literals):
        return ""
    return (f"{field.name!r} is stored encrypted: only exists, =, != and in (whole values, "
            "case-insensitive) can test it")


def _literals(node: t.FieldCondition) -> tuple[t.Value, ...]:
    if isinstance(node, t.Compare):
        return (node.value,)
    return node.values if isinstance(node, t.InList) else ()
