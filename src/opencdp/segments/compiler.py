"""Compiling a segment tree to one SQL query over the profile tables.

The query selects `profile_id` from `profiles`; every condition is either a test of the
profile row (traits, computed traits) or membership in an uncorrelated subquery (events,
identifiers, consents, predictions, other segments), which DuckDB runs as hash semi-joins.
With `restrict_to`, the profiles to evaluate are read from that table and every subquery is
restricted to them as well, so evaluating a handful of profiles touches only their rows.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlglot import exp

from opencdp.privacy.consent import canonical_purpose
from opencdp.segments import tree as t
from opencdp.segments.errors import InvalidSegment
from opencdp.segments.sql_events import EventSQL, where_test
from opencdp.segments.sql_values import Params, json_text, value_test
from opencdp.segments.validate import check

PROFILES = "profiles"
# Bare names computed from personal values, for callers who may not test the values
# themselves (segments/pii_conditions.py); a computed trait of the same name wins.
DERIVED_FIELDS = ("email_domain",)
_TABLE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)?")


@dataclass(frozen=True)
class CompiledSegment:
    """A segment as SQL: `select` returns the members' `profile_id`s once bound with `bind`."""

    select: exp.Select
    params: dict[str, Any] = field(default_factory=dict)  # all but `now`
    uses_now: bool = False

    def sql(self, dialect: str = "duckdb", *, pretty: bool = False) -> str:
        """The query text with named placeholders ($p1 in DuckDB, :p1 in Spark)."""
        return self.select.sql(dialect=dialect, pretty=pretty)

    def bind(self, now: datetime) -> dict[str, Any]:
        """The parameters to execute with at reference time `now` (timezone-aware)."""
        if now.tzinfo is None:
            raise ValueError("now must be timezone-aware")
        return {**self.params, "now": now} if self.uses_now else dict(self.params)


def compile_segment(tree: t.Node, *, computed: frozenset[str] = frozenset(),
                    segments: Mapping[str, str] | None = None,
                    restrict_to: str | None = None) -> CompiledSegment:  # fmt: skip
    """Compile `tree`. `computed`: names of computed traits (bare names resolve to them);
    `segments`: segment name → segment_id for `in_segment`; `restrict_to`: a table whose
    `profile_id`s are the only profiles evaluated. InvalidSegment for unknown segment names."""
    check(tree)
    if restrict_to is not None and not _TABLE_NAME.fullmatch(restrict_to):
        raise ValueError(f"not a table name: {restrict_to!r}")
    compiler = _Compiler(computed, dict(segments or {}), restrict_to)
    condition: exp.Expr = compiler.condition(tree, "")
    pid = exp.column("profile_id", PROFILES)
    restriction = compiler.restrict(pid.copy())
    if restriction is not None:
        condition = exp.and_(restriction, condition)
    select = exp.select(pid).from_(PROFILES).where(condition)
    return CompiledSegment(select, dict(compiler.params.values), compiler.params.uses_now)


class _Compiler:
    def __init__(self, computed: frozenset[str], segments: dict[str, str],
                 restrict_to: str | None) -> None:  # fmt: skip
        self.computed = computed
        self.segments = segments
        self.restrict_to = restrict_to
        self.params = Params()
        self.events = EventSQL(self.params, self.where, self.restrict)

    def restrict(self, profile_id: exp.Expr) -> exp.Expr | None:
        if self.restrict_to is None:
            return None
        return profile_id.isin(query=exp.select("profile_id").from_(exp.to_table(self.restrict_to)))

    def where(self, node: t.Node, alias: str) -> exp.Expr:
        """A property filter on the events table `alias`."""
        if isinstance(node, t.And | t.Or):
            parts = [self.where(arg, alias) for arg in node.args]
            joined = exp.and_(*parts) if isinstance(node, t.And) else exp.or_(*parts)
            return exp.Paren(this=joined)
        if isinstance(node, t.Not):
            return exp.Not(this=exp.Paren(this=self.where(node.arg, alias)))
        assert isinstance(node, t.FIELD_CONDITIONS)
        return where_test(node, alias, self.params)

    def condition(self, node: t.Node, path: str) -> exp.Expr:
        if isinstance(node, t.And | t.Or):
            parts = [self.condition(a, f"{path}.args[{i}]") for i, a in enumerate(node.args)]
            return exp.Paren(this=exp.and_(*parts) if isinstance(node, t.And) else exp.or_(*parts))
        if isinstance(node, t.Not):
            return exp.Not(this=exp.Paren(this=self.condition(node.arg, f"{path}.arg")))
        if isinstance(node, t.FIELD_CONDITIONS):
            return self.field_condition(node)
        if isinstance(node, t.Did):
            return self.member_of(*self.events.did(node))
        if isinstance(node, t.Aggregate):
            return self.member_of(*self.events.aggregate(node))
        if isinstance(node, t.Sequence):
            return self.member_of(*self.events.sequence(node))
        if isinstance(node, t.Consent):
            # granted and not lapsed: the ledger-derived consent (privacy/ledger.py)
            query = self.lookup("profile_consents", "purpose", canonical_purpose(node.purpose))
            expires = exp.column("expires_at", "c")
            holds = exp.or_(exp.Is(this=expires, expression=exp.Null()),
                            exp.GT(this=expires.copy(), expression=self.params.now()))
            return self.member_of(query.where(exp.column("granted", "c")).where(holds))
        assert isinstance(node, t.InSegment)
        segment_id = self.segments.get(node.name)
        if segment_id is None:
            raise InvalidSegment(f"unknown segment {node.name!r}", f"{path}.segment".lstrip("."))
        return self.member_of(self.lookup("segment_members", "segment_id", segment_id))

    def member_of(self, query: exp.Select, negated: bool = False) -> exp.Expr:
        test = exp.column("profile_id", PROFILES).isin(query=query)
        return exp.Not(this=test) if negated else test

    def lookup(self, table: str, key: str, value: str) -> exp.Select:
        """SELECT c.profile_id FROM table AS c WHERE c.key = value [AND restricted]."""
        query = exp.select(exp.column("profile_id", "c")).from_(exp.to_table(table).as_("c"))
        query = query.where(exp.EQ(this=exp.column(key, "c"), expression=self.params.bind(value)))
        restriction = self.restrict(exp.column("profile_id", "c"))
        return query if restriction is None else query.where(restriction)

    def field_condition(self, node: t.FieldCondition) -> exp.Expr:
        field = node.field
        if field.kind == "identifier":
            query = self.lookup("identity_links", "identifier_type", field.name)
            if isinstance(node, t.Exists):
                return self.member_of(query, node.negated)
            value: exp.Expr = exp.column("identifier_value", "c")
            return self.member_of(query.where(value_test(node, value, self.params)))
        if field.kind == "prediction":
            return self.prediction(node)
        if field.kind == "auto" and field.name in DERIVED_FIELDS and not self.is_computed(field):
            return self.email_domain(node)
        column = "computed" if self.is_computed(field) else "traits"
        text = json_text(exp.column(column, PROFILES), field.name, self.params)
        return value_test(node, text, self.params)

    def email_domain(self, node: t.FieldCondition) -> exp.Expr:
        """`email_domain`: the lower-case domain of any of the profile's e-mail identifiers
        or of its `email` trait."""
        links = self.lookup("identity_links", "identifier_type", "email")
        linked = _domain(exp.column("identifier_value", "c"))
        trait = _domain(json_text(exp.column("traits", PROFILES), "email", self.params))
        if isinstance(node, t.Exists):
            present = exp.or_(self.member_of(links.where(linked.is_(exp.null()).not_())),
                              trait.is_(exp.null()).not_())  # fmt: skip
            return exp.Not(this=exp.Paren(this=present)) if node.negated else exp.Paren(
                this=present)
        return exp.Paren(this=exp.or_(
            self.member_of(links.where(value_test(node, linked, self.params))),
            value_test(node, trait, self.params)))  # fmt: skip

    def is_computed(self, field: t.Field) -> bool:
        if field.kind != "auto":
            return field.kind == "computed"
        return field.name in self.computed or field.name.split(".")[0] in self.computed

    def prediction(self, node: t.FieldCondition) -> exp.Expr:
        """The latest score of the named prediction: numbers test `value`, texts `label`."""
        query = self.lookup("profile_predictions", "prediction", node.field.name)
        if isinstance(node, t.Exists):
            return self.member_of(query, node.negated)
        latest = query.select(
            exp.ArgMax(this=exp.column("value", "c"), expression=exp.column("scored_at", "c"))
            .as_("value"),
            exp.ArgMax(this=exp.column("label", "c"), expression=exp.column("scored_at", "c"))
            .as_("label"),
        ).group_by(exp.column("profile_id", "c"))
        test = value_test(node, exp.column("label", "s"), self.params,
                          number=exp.column("value", "s"))  # fmt: skip
        scores = exp.select(exp.column("profile_id", "s")).from_(latest.subquery("s")).where(test)
        return self.member_of(scores)


def _domain(address: exp.Expr) -> exp.Expr:
    """The lower-case part after the last `@`, NULL when there is none."""
    found = exp.RegexpExtract(this=address, expression=exp.Literal.string("@([^@]+)$"),
                              group=exp.Literal.number(1))  # fmt: skip
    return exp.Nullif(this=exp.Lower(this=found), expression=exp.Literal.string(""))
