"""The segment language: who is in an audience, written once, evaluated in SQL.

A segment is a tree of conditions (`tree`) with two spellings — a short text form for people
(`parse`, `to_text`) and a JSON form for the API and UI (`from_json`, `to_json`) — and one
meaning, the SQL `compile_segment` generates. Marketers' definitions are data, never SQL,
so they are validated (`InvalidSegment`, `SegmentSyntaxError`) and every value is bound.

    country = "TH" and count("Order Completed", 30d) >= 2 and did("Email Opened", 7d)
      and consent("email") and not in_segment("churn-risk")

The full grammar and semantics are in `docs/segments.md`.
"""

from __future__ import annotations

from opencdp.segments.compiler import CompiledSegment, compile_segment
from opencdp.segments.errors import InvalidSegment, SegmentSyntaxError
from opencdp.segments.json_form import from_json, to_json
from opencdp.segments.parser import parse
from opencdp.segments.references import depends_on_time, referenced_events, referenced_segments
from opencdp.segments.text import to_text
from opencdp.segments.tree import Node
from opencdp.segments.validate import check

__all__ = [
    "CompiledSegment",
    "InvalidSegment",
    "Node",
    "SegmentSyntaxError",
    "check",
    "compile_segment",
    "depends_on_time",
    "from_json",
    "parse",
    "referenced_events",
    "referenced_segments",
    "to_json",
    "to_text",
]
