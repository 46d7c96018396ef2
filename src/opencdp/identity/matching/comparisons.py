"""Comparison vectors: for each record pair, one small agreement level per compared field.

Level 0 means a value is missing on either side (it weighs nothing), 1 that the values
disagree, and higher levels rising agreement up to an exact match. Everything runs in one
DuckDB statement over a table of pairs; thresholds are bound parameters. Names are compared
word by word whatever the order, so "Smith, John" meets "John Smith", and run together in
both orders when one has no spaces, so 山田太郎 meets 太郎 / 山田.
"""

from __future__ import annotations

from dataclasses import dataclass

from opencdp.identity.matching.scratch import quote_identifier
from opencdp.identity.matching.settings import Comparison, MatchSettings

_TEXT_COLUMNS = frozenset({"email", "phone", "postcode", "city", "address", "gender"})
_JW = "jaro_winkler_similarity"


def _worst_word(a: str, b: str) -> str:
    """How well the worst-matched word of `a` finds its best partner among words of `b`."""
    return (f"list_min(list_transform({a}, lambda x: list_max(list_transform({b},"
            f" lambda y: {_JW}(x, y)))))")  # fmt: skip


# Word by word when both names have words (so a shared family name alone stays low: that is
# a relative, not a typo); as whole strings in both orders when one is written without
# spaces (山田太郎 against 山田 / 太郎).
_NAME_SIMILARITY = (
    "CASE WHEN len(l.nm_tokens) > 1 AND len(r.nm_tokens) > 1 THEN greatest("
    + _worst_word("l.nm_tokens", "r.nm_tokens") + ", "
    + _worst_word("r.nm_tokens", "l.nm_tokens") + ")"
    f" ELSE greatest({_JW}(l.nm_fwd, r.nm_fwd), {_JW}(l.nm_fwd, r.nm_rev),"
    f" {_JW}(l.nm_rev, r.nm_fwd)) END"
)  # fmt: skip


def level_labels(comparison: Comparison) -> tuple[str, ...]:
    """Human names of a comparison's levels, index = level."""
    fuzzy = tuple(f"similarity ≥ {t:g}" for t in reversed(comparison.thresholds))
    middle: tuple[str, ...] = {
        "name": ("shares a name word", *fuzzy),
        "date": ("day and month swapped, or one digit differs",),
        "email": (*fuzzy, "same local part"),
        "phone": (f"same last {comparison.suffix_digits} digits",),
        "postcode": (f"same first {comparison.prefix_length} characters",),
        "location": (
            f"same first {comparison.prefix_length} postcode characters",
            "same city",
            "same postcode",
        ),
        "text": fuzzy,
        "exact": (),
    }[comparison.kind]
    return ("missing", "different", *middle, "same address" if comparison.kind == "location"
            else "exact")  # fmt: skip


@dataclass(frozen=True)
class _Sql:
    features: str
    """A similarity computed once per pair as `f<i>_sim`, which the levels then read."""
    level: str
    """CASE expression over the features and the two records `l` and `r`."""


def _ladder(missing: str, exact: str, steps: list[str], top: int) -> str:
    """CASE: missing → 0, exact → top, then `steps` (strongest first) down to 1."""
    whens = [f"WHEN {missing} THEN 0", f"WHEN {exact} THEN {top}"]
    whens += [f"WHEN {cond} THEN {top - 1 - i}" for i, cond in enumerate(steps)]
    return "CASE " + " ".join(whens) + " ELSE 1 END"


def _comparison_sql(index: int, c: Comparison, params: dict[str, object]) -> _Sql:
    top = len(level_labels(c)) - 1
    sim = f"f{index}_sim"
    cuts = []
    for k, threshold in enumerate(c.thresholds):
        params[f"t{index}_{k}"] = threshold
        cuts.append(f"{sim} >= $t{index}_{k}")
    if c.kind == "name":
        missing = "l.nm_tokens IS NULL OR r.nm_tokens IS NULL"
        exact = ("l.nm_sorted = r.nm_sorted OR l.nm_fwd = r.nm_fwd OR l.nm_fwd = r.nm_rev"
                 " OR l.nm_rev = r.nm_fwd")  # fmt: skip
        features = f"{_NAME_SIMILARITY} AS {sim}"
        shared = "len(list_intersect(l.nm_tokens, r.nm_tokens)) > 0"
        return _Sql(features, _ladder(missing, exact, [*cuts, shared], top))
    if c.kind == "date":
        near = ("(month(l.birth_date) = day(r.birth_date) AND day(l.birth_date) ="
                " month(r.birth_date) AND year(l.birth_date) = year(r.birth_date))"
                " OR hamming(l.bd_digits, r.bd_digits) = 1")  # fmt: skip
        missing = "l.birth_date IS NULL OR r.birth_date IS NULL"
        return _Sql("", _ladder(missing, "l.birth_date = r.birth_date", [near], top))
    column = quote_identifier(c.field)
    left, right = f"l.{column}", f"r.{column}"
    missing = f"{left} IS NULL OR {right} IS NULL"
    features = f"{_JW}({left}, {right}) AS {sim}" if c.thresholds else ""
    if c.kind == "email":
        steps = ["l.email_local = r.email_local", *cuts]
        return _Sql(features, _ladder(missing, f"{left} = {right}", steps, top))
    if c.kind == "phone":
        params[f"n{index}"] = c.suffix_digits
        same_end = f"right({left}, $n{index}) = right({right}, $n{index})"
        return _Sql("", _ladder(missing, f"{left} = {right}", [same_end], top))
    if c.kind == "location":
        params[f"n{index}"] = c.prefix_length
        missing = " AND ".join(f"(l.{f} IS NULL OR r.{f} IS NULL)"
                               for f in ("address", "postcode", "city"))  # fmt: skip
        steps = ["l.postcode = r.postcode", "l.city = r.city",
                 f"left(l.postcode, $n{index}) = left(r.postcode, $n{index})"]  # fmt: skip
        return _Sql("", _ladder(missing, "l.address = r.address", steps, top))
    if c.kind == "postcode":
        params[f"n{index}"] = c.prefix_length
        same_start = f"left({left}, $n{index}) = left({right}, $n{index})"
        return _Sql("", _ladder(missing, f"{left} = {right}", [same_start], top))
    return _Sql(features, _ladder(missing, f"{left} = {right}", cuts, top))


def check_comparison(c: Comparison) -> None:
    """Refuse a comparison whose field the kind cannot read (found before any SQL runs)."""
    if c.kind == "name" and c.field != "name":
        raise ValueError("the name comparison reads the field 'name'")
    if (c.kind == "location") != (c.field == "location"):
        raise ValueError("the location comparison (address, postcode, city) is 'location'")
    if c.kind == "date" and c.field != "birth_date":
        raise ValueError("the date comparison reads the field 'birth_date'")
    if c.kind not in ("name", "date", "location") and c.field not in _TEXT_COLUMNS:
        raise ValueError(f"cannot compare field {c.field!r} as {c.kind}")
    if c.kind in ("email", "phone", "postcode") and c.field != c.kind:
        raise ValueError(f"the {c.kind} comparison reads the field {c.kind!r}")
    if c.term_frequency and c.kind != "name":
        raise ValueError("term-frequency adjustment is only kept for names")


def gamma_column(c: Comparison) -> str:
    """The output column of a comparison's level."""
    return f"g_{c.field}"


def comparison_select(settings: MatchSettings, records: str, pairs: str
                      ) -> tuple[str, dict[str, object]]:  # fmt: skip
    """SELECT of `pairs` (rid_l, rid_r, …) with a level column per comparison and `name_tf`."""
    params: dict[str, object] = {}
    parts = []
    for index, comparison in enumerate(settings.comparisons):
        check_comparison(comparison)
        parts.append(_comparison_sql(index, comparison, params))
    features = [p.features for p in parts if p.features]
    levels = [
        f"({p.level})::TINYINT AS {quote_identifier(gamma_column(c))}"
        for p, c in zip(parts, settings.comparisons, strict=True)
    ]
    helpers = [f.rsplit(" AS ", 1)[1] for f in features]
    sql = (
        f"SELECT * EXCLUDE ({', '.join(['_', *helpers])}) FROM ("
        f" SELECT p.*, 0 AS _, {', '.join([*features, *levels])},"
        f"   greatest(l.nm_tf, r.nm_tf) AS name_tf"
        f" FROM {pairs} p JOIN {records} l ON l.rid = p.rid_l JOIN {records} r ON r.rid = p.rid_r)"
    )
    return sql, params
