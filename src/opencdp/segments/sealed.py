"""Value tests on what field encryption keeps unreadable: pseudonymous identifiers and
sealed personal fields (plan §2 "Segments", R5).

- An identifier is stored as the pseudonym of its hygiene-normalised value, so `email =
  "Ann@Mail.com"` binds the stored forms of the literal normalised as ingest would (the
  plaintext forms when encryption is off, so both modes select the same people).
- A personal trait or property is a token `enc1:<subject>.<tag>.<body>`; `=`, `!=` and `in`
  compare its equality tag (`split_part(value, '.', 2)`) with the tags of the literals. Tags
  are case-folded and trimmed, so these comparisons ignore case.
- Everything else on those fields (`contains`, `starts_with`, ranges, times) cannot work on
  a pseudonym or token and is refused by `validate.check_sealed` with a hint at the plain
  derived fields kept beside them.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlglot import exp

from opencdp.crypto.personal import PLAIN, PersonalData
from opencdp.profiles.lookup import plain_candidates
from opencdp.security.pii import DERIVED_FIELDS, normalize_field
from opencdp.segments import tree as t
from opencdp.segments.sql_values import Params

# Plain fields derived from personal values, what a segment tests instead.
SEALED_HINT = "email_domain, birth_year (or age_band), city, country"


@dataclass(frozen=True)
class Sealing:
    """What the compiler needs to know about the data directory's encryption: the
    `PersonalData` (identity-hashed, one per directory) and the computed traits whose values
    are copies of sealed tokens, with the tag kinds (source properties) they compare by."""

    personal: PersonalData = PLAIN
    computed: tuple[tuple[str, tuple[str, ...]], ...] = ()

    @property
    def enabled(self) -> bool:
        return self.personal.enabled

    def is_sealed(self, field: t.Field, is_computed: bool = False) -> bool:
        """Whether values of `field` are read from sealed tokens: a computed trait copying
        them, or a trait or property whose top-level key the PII schema names (ingest seals
        such a key's value whole, and keeps derived names such as `city` plain)."""
        if not self.enabled or field.kind in ("identifier", "prediction"):
            return False
        top = field.name.split(".")[0]
        if is_computed:
            return top in dict(self.computed)
        schema = self.personal.schema
        return schema.is_pii(top, True) and normalize_field(top) not in DERIVED_FIELDS

    def identifier_forms(self, kind: str, values: tuple[t.Value, ...]) -> list[str]:
        """The stored identifier values a literal list stands for."""
        forms: list[str] = []
        for value in values:
            for plain in plain_candidates(kind, str(value)):
                forms.append(self.personal.identifier(f"{kind}:{plain}").partition(":")[2])
        return list(dict.fromkeys(forms))

    def tags(self, field: t.Field, values: tuple[t.Value, ...], is_computed: bool) -> list[str]:
        """The equality tags of literals for a sealed top-level field (for a computed trait,
        under each property it copies)."""
        name = field.name.split(".")[0]
        kinds = dict(self.computed).get(name, ()) if is_computed else (name,)
        return list(dict.fromkeys(self.personal.tag(k, v) for k in kinds for v in values))


PLAIN_DATA = Sealing()  # a connection without field encryption (the default)


def listed(node: t.Compare | t.InList) -> tuple[tuple[t.Value, ...], bool]:
    """(literals, negated) of an equality test: `=`/`!=` as a one-element list."""
    if isinstance(node, t.Compare):
        return (node.value,), node.op == "!="
    return node.values, node.negated


def in_test(value: exp.Expr, items: list[str], negated: bool, params: Params) -> exp.Expr:
    """`value [NOT] IN (items)`, false (never NULL) when `value` is missing."""
    if not items:  # nothing to be equal to
        return value.is_(exp.null()).not_() if negated else exp.false()
    bound: list[exp.Expr] = [params.bind(item) for item in items]
    test: exp.Expr = exp.In(this=value, expressions=bound)
    if negated:
        test = exp.Not(this=exp.Paren(this=test))
    return exp.Coalesce(this=exp.Paren(this=test), expressions=[exp.false()])


def tag_of(text: exp.Expr) -> exp.Expr:
    """The equality tag inside a token: `split_part(text, '.', 2)`."""
    return exp.Anonymous(this="split_part", expressions=[text, exp.Literal.string("."),
                                                         exp.Literal.number(2)])  # fmt: skip
