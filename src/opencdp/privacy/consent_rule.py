"""The rule that turns a profile's consent statements into its consent, in plain Python.

This is the specification: `privacy/ledger.py` applies the same rule in SQL to many profiles
at once, and a property test checks both agree on random statements (tests/privacy). The
rule, for one profile and one purpose (docs/consent.md explains why):

1. Each identifier of the profile *stands by* its newest statement; at equal times a denial
   is newer than a grant. A grant past its expiry stands as lapsed: it grants nothing, and
   the identifier's older statements do not come back.
2. A standing grant *prevails* when no identifier stands by a denial, or when it is newer
   than every standing denial and was stated through an identifier of the person themself
   (`PERSON_IDENTIFIERS`: the account id, of which a profile has at most one). A grant
   through another identifier — a device, a cookie, an address a household shares — never
   lifts a denial, however new.
3. Consent is granted when a standing grant prevails; the deciding statement is the newest
   prevailing grant, and the consent holds until the last prevailing grant lapses.
   Otherwise the newest standing denial decides (denied); otherwise the newest lapsed grant
   (expired). A profile whose identifiers stated nothing has no consent for the purpose.

The rule reads the set of statements and the identifiers they came from, never the order in
which profiles merged, so merging in any order gives the same consent; and since only newer
statements can prevail, a denial never loses to an older grant.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from opencdp.privacy.consent import PERSON_IDENTIFIERS

GRANTED, DENIED, EXPIRED = "granted", "denied", "expired"


@dataclass(frozen=True)
class Statement:
    statement_id: int
    subject: str  # `type:value` of the identifier that stated it
    granted: bool
    stated_at: datetime
    expires_at: datetime | None = None

    @property
    def subject_type(self) -> str:
        return self.subject.partition(":")[0]

    def lapsed(self, now: datetime) -> bool:
        return self.granted and self.expires_at is not None and self.expires_at <= now


@dataclass(frozen=True)
class Decision:
    status: str  # GRANTED | DENIED | EXPIRED
    statement: Statement  # the deciding statement
    holds_until: datetime | None = None  # when a granted consent lapses (None: it does not)

    @property
    def granted(self) -> bool:
        return self.status == GRANTED


def standing(statements: Iterable[Statement]) -> dict[str, Statement]:
    """Each identifier's newest statement (a denial wins a tie, then the later recorded)."""
    found: dict[str, Statement] = {}
    for s in statements:
        held = found.get(s.subject)
        if held is None or _newness(s) > _newness(held):
            found[s.subject] = s
    return found


def decide(statements: Iterable[Statement], now: datetime) -> Decision | None:
    """The consent of one profile for one purpose, from its identifiers' statements."""
    stand = list(standing(statements).values())
    if not stand:
        return None
    denials = [s for s in stand if not s.granted]
    last_denial = max((s.stated_at for s in denials), default=None)
    prevailing = [
        s for s in stand
        if s.granted and not s.lapsed(now)
        and (last_denial is None
             or (s.stated_at > last_denial and s.subject_type in PERSON_IDENTIFIERS))
    ]  # fmt: skip
    if prevailing:
        until = None
        if all(s.expires_at is not None for s in prevailing):
            until = max(s.expires_at for s in prevailing if s.expires_at is not None)
        return Decision(GRANTED, max(prevailing, key=_order), until)
    if denials:
        return Decision(DENIED, max(denials, key=_order))
    return Decision(EXPIRED, max(stand, key=_order))


def _newness(s: Statement) -> tuple[datetime, bool, int]:
    return (s.stated_at, not s.granted, s.statement_id)


def _order(s: Statement) -> tuple[datetime, int]:
    return (s.stated_at, s.statement_id)
