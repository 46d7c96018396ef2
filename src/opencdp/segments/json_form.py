"""The JSON spelling of a segment tree, as the API and UI exchange and `segments.definition`
stores it. `from_json` refuses anything malformed with InvalidSegment naming the node's path.

    {"type": "and", "args": [...]}          {"type": "not", "arg": {...}}
    {"type": "compare", "field": {"kind": "auto", "name": "country"}, "op": "=", "value": "TH"}
    {"type": "did", "event": "Order Completed", "window": "30d", "where": {...}}
"""

from __future__ import annotations

import re
from typing import Any, cast

from opencdp.segments import tree as t
from opencdp.segments.errors import InvalidSegment
from opencdp.segments.validate import check

JsonDict = dict[str, Any]
_DURATION = re.compile(r"(\d+)([mhdwy])")


def to_json(node: t.Node) -> JsonDict:
    """The JSON form of a tree (plain dicts, lists, strings, numbers and booleans)."""
    match node:
        case t.And(args) | t.Or(args):
            return {"type": "and" if isinstance(node, t.And) else "or",
                    "args": [to_json(a) for a in args]}  # fmt: skip
        case t.Not(arg):
            return {"type": "not", "arg": to_json(arg)}
        case t.Compare(field, op, value, ignore_case):
            return {"type": "compare", "field": _field(field), "op": op, "value": _value(value),
                    "ignore_case": ignore_case}  # fmt: skip
        case t.InList(field, values, negated, ignore_case):
            return {"type": "in", "field": _field(field), "values": [_value(v) for v in values],
                    "negated": negated, "ignore_case": ignore_case}  # fmt: skip
        case t.Exists(field, negated):
            return {"type": "exists", "field": _field(field), "negated": negated}
        case t.Between(field, low, high):
            return {"type": "between", "field": _field(field), "low": _value(low),
                    "high": _value(high)}  # fmt: skip
        case t.RelativeTime(field, op, duration):
            return {"type": "relative_time", "field": _field(field), "op": op,
                    "duration": str(duration)}  # fmt: skip
        case t.Did():
            return {"type": "did", **_events(node.event, node.window, node.where)}
        case t.Aggregate():
            return {"type": "aggregate", "function": node.function, "property": node.property,
                    **_events(node.event, node.window, node.where), "op": node.op,
                    "value": node.value}  # fmt: skip
        case t.Sequence(steps, within):
            return {"type": "sequence", "steps": [to_json(s) for s in steps],
                    "within": str(within) if within else None}  # fmt: skip
        case t.Consent(purpose):
            return {"type": "consent", "purpose": purpose}
        case t.InSegment(name):
            return {"type": "in_segment", "segment": name}
    raise TypeError(f"not a segment node: {node!r}")


def _field(field: t.Field) -> JsonDict:
    return {"kind": field.kind, "name": field.name}


def _value(value: t.Value) -> Any:
    return {"date": value.iso} if isinstance(value, t.DateValue) else value


def _events(event: str, window: t.Duration | None, where: t.Node | None) -> JsonDict:
    return {"event": event, "window": str(window) if window else None,
            "where": to_json(where) if where is not None else None}  # fmt: skip


def from_json(data: object) -> t.Node:
    """The tree a JSON form describes, validated; InvalidSegment with the bad node's path."""
    node = _Reader().node(data, "")
    check(node)
    return node


class _Reader:
    def node(self, data: object, path: str) -> t.Node:
        obj = self.obj(data, path)
        kind = obj.get("type")
        reader = getattr(self, f"read_{kind}", None) if isinstance(kind, str) else None
        if reader is None:
            raise InvalidSegment(f"unknown node type {kind!r}", _at(path, "type"))
        return cast(t.Node, reader(obj, path))

    def obj(self, data: object, path: str) -> JsonDict:
        if not isinstance(data, dict):
            raise InvalidSegment("must be an object", path)
        return cast(JsonDict, data)

    def get(self, obj: JsonDict, key: str, path: str, types: type | tuple[type, ...]) -> Any:
        value = obj.get(key)
        if not isinstance(value, types) or (isinstance(value, bool) and bool not in _tuple(types)):
            raise InvalidSegment(f"missing or of the wrong type ({_names(types)})", _at(path, key))
        return value

    def list(self, obj: JsonDict, key: str, path: str) -> list[Any]:
        return cast(list[Any], self.get(obj, key, path, list))

    def read_and(self, obj: JsonDict, path: str) -> t.Node:
        items = self.list(obj, "args", path)
        args = tuple(self.node(a, _at(path, f"args[{i}]")) for i, a in enumerate(items))
        return t.And(args) if obj["type"] == "and" else t.Or(args)

    read_or = read_and

    def read_not(self, obj: JsonDict, path: str) -> t.Node:
        return t.Not(self.node(obj.get("arg"), _at(path, "arg")))

    def field(self, obj: JsonDict, path: str) -> t.Field:
        data = self.obj(obj.get("field"), _at(path, "field"))
        kind = self.get(data, "kind", _at(path, "field"), str)
        name = self.get(data, "name", _at(path, "field"), str)
        return t.Field(kind, name)

    def value(self, data: object, path: str) -> t.Value:
        if isinstance(data, dict) and set(data) == {"date"} and isinstance(data["date"], str):
            return t.DateValue(data["date"])
        if isinstance(data, str | int | float):
            return data
        raise InvalidSegment('a value is a text, number, true/false or {"date": "..."}', path)

    def flag(self, obj: JsonDict, key: str, path: str) -> bool:
        return bool(self.get(obj, key, path, bool)) if key in obj else False

    def read_compare(self, obj: JsonDict, path: str) -> t.Node:
        return t.Compare(self.field(obj, path), self.get(obj, "op", path, str),
                         self.value(obj.get("value"), _at(path, "value")),
                         self.flag(obj, "ignore_case", path))  # fmt: skip

    def read_in(self, obj: JsonDict, path: str) -> t.Node:
        items = self.list(obj, "values", path)
        values = tuple(self.value(v, _at(path, f"values[{i}]")) for i, v in enumerate(items))
        return t.InList(self.field(obj, path), values, self.flag(obj, "negated", path),
                        self.flag(obj, "ignore_case", path))  # fmt: skip

    def read_exists(self, obj: JsonDict, path: str) -> t.Node:
        return t.Exists(self.field(obj, path), self.flag(obj, "negated", path))

    def read_between(self, obj: JsonDict, path: str) -> t.Node:
        return t.Between(self.field(obj, path), self.value(obj.get("low"), _at(path, "low")),
                         self.value(obj.get("high"), _at(path, "high")))  # fmt: skip

    def read_relative_time(self, obj: JsonDict, path: str) -> t.Node:
        duration = self.duration(obj, "duration", path)
        if duration is None:
            raise InvalidSegment("a duration such as 30d is required", _at(path, "duration"))
        return t.RelativeTime(self.field(obj, path), self.get(obj, "op", path, str), duration)

    def duration(self, obj: JsonDict, key: str, path: str) -> t.Duration | None:
        text = obj.get(key)
        if text is None:
            return None
        match = _DURATION.fullmatch(text) if isinstance(text, str) else None
        if match is None:
            raise InvalidSegment("a duration such as 30d, 12h, 2w or 18y", _at(path, key))
        return t.Duration(int(match.group(1)), cast(t.Unit, match.group(2)))

    def read_did(self, obj: JsonDict, path: str) -> t.Did:
        where = obj.get("where")
        return t.Did(self.get(obj, "event", path, str), self.duration(obj, "window", path),
                     None if where is None else self.node(where, _at(path, "where")))  # fmt: skip

    def read_aggregate(self, obj: JsonDict, path: str) -> t.Node:
        did = self.read_did(obj, path)
        prop = obj.get("property")
        if prop is not None and not isinstance(prop, str):
            raise InvalidSegment("must be a string or null", _at(path, "property"))
        value = self.get(obj, "value", path, (int, float))
        return t.Aggregate(self.get(obj, "function", path, str), did.event, prop, did.window,
                           did.where, self.get(obj, "op", path, str), value)  # fmt: skip

    def read_sequence(self, obj: JsonDict, path: str) -> t.Node:
        steps = []
        for i, item in enumerate(self.list(obj, "steps", path)):
            step_path = _at(path, f"steps[{i}]")
            if self.obj(item, step_path).get("type") != "did":
                raise InvalidSegment("each step of a sequence is a did", step_path)
            steps.append(self.read_did(item, step_path))
        return t.Sequence(tuple(steps), self.duration(obj, "within", path))

    def read_consent(self, obj: JsonDict, path: str) -> t.Node:
        return t.Consent(self.get(obj, "purpose", path, str))

    def read_in_segment(self, obj: JsonDict, path: str) -> t.Node:
        return t.InSegment(self.get(obj, "segment", path, str))


def _at(path: str, key: str) -> str:
    return f"{path}.{key}" if path and not key.startswith("[") else f"{path}{key}"


def _tuple(types: type | tuple[type, ...]) -> tuple[type, ...]:
    return types if isinstance(types, tuple) else (types,)


def _names(types: type | tuple[type, ...]) -> str:
    return " or ".join(k.__name__ for k in _tuple(types))
