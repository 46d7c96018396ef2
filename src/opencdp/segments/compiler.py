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
from opencdp.segments.sealed import PLAIN_DATA, Sealing, in_test, listed, tag_of
from opencdp.segments.sql_events import EventSQL, where_test
from opencdp.segments.sql_values import Params, json_path, json_text, try_cast, value_test
from opencdp.segments.validate import check, check_sealed

PROFILES = "profiles"
# Bare names computed from personal values, for callers who may not test the values
# themselves (segments/pii_conditions.py) and for sealed values (segments/sealed.py); a
# computed trait of the same name wins.
DERIVED_FIELDS = ("email_domain", "birth_year", "age_band")
# Trait keys a birth date is stored under (a plain one's year is its first four characters).
_BIRTH_KEYS = ("birthday", "birth_date", "birthDate", "date_of_birth", "dob")
# Age bands: (label, lowest age) from the oldest down; `age_band` is computed from
# `birth_year` when read (±1 year, as no stored band goes stale).
AGE_BANDS = (("65+", 65), ("55-64", 55), ("45-54", 45), ("35-44", 35), ("25-34", 25),
             ("18-24", 18), ("<18", 0))  # fmt: skip
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
                    restrict_to: str | None = None,
                    sealing: Sealing = PLAIN_DATA) -> CompiledSegment:  # fmt: skip
    """Compile `tree`. `computed`: names of computed traits (bare names resolve to them);
    `segments`: segment name → segment_id for `in_segment`; `restrict_to`: a table whose
    `profile_id`s are the only profiles evaluated; `sealing`: the data directory's
    encryption (identifiers pseudonymous, personal values sealed: segments/sealed.py).
    InvalidSegment for unknown segment names and tests sealed values cannot answer."""
    check(tree)
    if sealing.enabled:
        check_sealed(tree, sealing, computed)
    if restrict_to is not None and not _TABLE_NAME.fullmatch(restrict_to):
        raise ValueError(f"not a table name: {restrict_to!r}")
    compiler = _Compiler(computed, dict(segments or {}), restrict_to, sealing)
    condition: exp.Expr = compiler.condition(tree, "")
    pid = exp.column("profile_id", PROFILES)
    restriction = compiler.restrict(pid.copy())
    if restriction is not None:
        condition = exp.and_(restriction, condition)
    select = exp.select(pid).from_(PROFILES).where(condition)
    return CompiledSegment(select, dict(compiler.params.values), compiler.params.uses_now)


class _Compiler:
    def __init__(self, computed: frozenset[str], segments: dict[str, str],
                 restrict_to: str | None, sealing: Sealing) -> None:  # fmt: skip
        self.computed = computed
        self.segments = segments
        self.restrict_to = restrict_to
        self.sealing = sealing
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
        if self.sealing.is_sealed(node.field) and not isinstance(node, t.Exists):
            text = exp.JSONExtractScalar(this=exp.column("properties", alias),
                                         expression=self.params.bind(json_path(node.field.name)))
            return self.tag_test(node, text)  # fmt: skip
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
            if isinstance(node, t.Compare | t.InList) and self.by_forms(node):
                # the stored forms of the normalised literals (pseudonyms when encrypted)
                literals, negated = listed(node)
                forms = self.sealing.identifier_forms(field.name, literals)
                return self.member_of(query.where(in_test(value, forms, negated, self.params)))
            return self.member_of(query.where(value_test(node, value, self.params)))
        if field.kind == "prediction":
            return self.prediction(node)
        if field.kind == "auto" and field.name in DERIVED_FIELDS and not self.is_computed(field):
            return self.derived(node)
        is_computed = self.is_computed(field)
        column = "computed" if is_computed else "traits"
        text = json_text(exp.column(column, PROFILES), field.name, self.params)
        if self.sealing.is_sealed(field, is_computed) and not isinstance(node, t.Exists):
            return self.tag_test(node, text, is_computed)
        return value_test(node, text, self.params)

    def by_forms(self, node: t.Compare | t.InList) -> bool:
        """Whether an identifier test compares stored forms: equality with texts, and not
        ignoring case unless encrypted (pseudonyms have no case; e-mails are normalised)."""
        return _texts(node) and (not node.ignore_case or self.sealing.enabled)

    def tag_test(self, node: t.FieldCondition, text: exp.Expr,
                 is_computed: bool = False) -> exp.Expr:  # fmt: skip
        """`=`, `!=`, `in` on a sealed value: its tag against the literals' tags (the only
        tests `check_sealed` lets through)."""
        assert isinstance(node, t.Compare | t.InList)
        literals, negated = listed(node)
        tags = self.sealing.tags(node.field, literals, is_computed)
        return in_test(tag_of(text), tags, negated, self.params)

    def derived(self, node: t.FieldCondition) -> exp.Expr:
        if node.field.name == "email_domain":
            return self.email_domain(node)
        year = self.birth_year()
        if node.field.name == "birth_year":
            return value_test(node, exp.Cast(this=year, to=exp.DataType.build("VARCHAR")),
                              self.params)  # fmt: skip
        age = exp.Sub(this=exp.Anonymous(this="year", expressions=[self.params.now()]),
                      expression=year)  # fmt: skip
        band = exp.Case(ifs=[exp.If(this=exp.GTE(this=age.copy(), expression=exp.Literal.number(
            low)), true=exp.Literal.string(label)) for label, low in AGE_BANDS])  # fmt: skip
        return value_test(node, band, self.params)

    def birth_year(self) -> exp.Expr:
        """The plain `birth_year` kept beside a sealed birth date, else the year of a plain
        one (encryption off): what `birth_year` and `age_band` test."""
        traits = exp.column("traits", PROFILES)
        years = [try_cast(json_text(traits, "birth_year", self.params), "INTEGER")]
        for key in _BIRTH_KEYS:
            text = json_text(traits.copy(), key, self.params)
            first = exp.Substring(this=text, start=exp.Literal.number(1),
                                  length=exp.Literal.number(4))  # fmt: skip
            years.append(try_cast(first, "INTEGER"))
        return exp.Coalesce(this=years[0], expressions=years[1:])

    def email_domain(self, node: t.FieldCondition) -> exp.Expr:
        """`email_domain`: the lower-case domain of any of the profile's e-mail identifiers
        or of its `email` trait; with encryption on, the plain `email_domain` trait kept
        beside the sealed e-mail (the golden record's, so the latest address's domain)."""
        if self.sealing.enabled:
            text = json_text(exp.column("traits", PROFILES), "email_domain", self.params)
            return value_test(node, exp.Lower(this=text), self.params)
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


def _texts(node: t.Compare | t.InList) -> bool:
    """An equality test with text literals (what identifiers are compared with)."""
    if isinstance(node, t.Compare):
        return node.op in ("=", "!=") and isinstance(node.value, str)
    return all(isinstance(v, str) for v in node.values)


def _domain(address: exp.Expr) -> exp.Expr:
    """The lower-case part after the last `@`, NULL when there is none."""
    found = exp.RegexpExtract(this=address, expression=exp.Literal.string("@([^@]+)$"),
                              group=exp.Literal.number(1))  # fmt: skip
    return exp.Nullif(this=exp.Lower(this=found), expression=exp.Literal.string(""))
