"""E-mail campaign activity (CSV): sends, opens, clicks, bounces and unsubscribes by address.

The e-mail tool knows people only by the address they subscribed with — their own, the
family mailbox, or a mistyped one that bounces — which is exactly what resolution must link.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from datetime import UTC, datetime

from opencdp.generate.config import PERIOD_END, PERIOD_START
from opencdp.generate.formats import format_datetime
from opencdp.generate.people import Person
from opencdp.generate.purchases import Purchase
from opencdp.generate.writer import CsvSourceWriter, WriterContext

HEADER = ("activity_id", "email", "campaign_id", "campaign", "action", "occurred_at")
SEASONAL = {
    "US": ((7, "4th of July Sale"), (11, "Black Friday"), (12, "Holiday Gift Guide")),
    "GB": ((6, "Summer Sale"), (11, "Black Friday"), (12, "Boxing Day Sale")),
    "TH": ((4, "โปรสงกรานต์"), (11, "11.11 ลดแรง"), (12, "ส่งท้ายปีเก่า")),
    "JP": ((5, "ゴールデンウィークセール"), (8, "お盆セール"), (12, "年末セール")),
}
NEWSLETTER = {"US": "Newsletter", "GB": "Newsletter", "TH": "จดหมายข่าว", "JP": "メールマガジン"}


def _campaigns(country: str) -> list[tuple[str, str, int]]:
    """(id, name, send time) of every campaign sent to one country in the period."""
    out = []
    for year in range(time.gmtime(PERIOD_START).tm_year, time.gmtime(PERIOD_END - 1).tm_year + 1):
        for month in range(1, 13):
            sent = int(datetime(year, month, 5, 2, tzinfo=UTC).timestamp())
            name = f"{NEWSLETTER[country]} {year}-{month:02d}"
            out.append((f"{country}-{year}{month:02d}-NL", name, sent))
        for month, promo in SEASONAL[country]:
            sent = int(datetime(year, month, 20, 2, tzinfo=UTC).timestamp())
            out.append((f"{country}-{year}{month:02d}-PR", f"{promo} {year}", sent))
    return sorted((c for c in out if PERIOD_START <= c[2] < PERIOD_END), key=lambda c: c[2])


class EmailWriter(CsvSourceWriter):
    header = HEADER
    source = "email"
    file_name = "email_activity.csv"
    record_id = "activity_id"

    def __init__(self, ctx: WriterContext) -> None:
        super().__init__(ctx)
        self.activities = 0
        self.campaigns = {country: _campaigns(country) for country in SEASONAL}

    def write(self, person: Person, purchases: Sequence[Purchase]) -> None:
        r = self.rng.random
        if r() >= self.ctx.coverage:
            return
        self._subscriber(person, [])
        if r() < self.rates.duplicate:  # subscribed a second time with another address
            self._subscriber(person, ["duplicate"])

    def _subscriber(self, person: Person, tags: list[str]) -> None:
        r = self.rng.random
        email = self.corrupt.email(person, tags)
        bounces = "typo_email" in tags or "placeholder" in tags
        joined = person.since + int(r() * 60 * 86400)
        for campaign_id, name, sent in self.campaigns[person.country]:
            if sent < joined or r() >= 0.35:
                continue
            self._row(person, email, campaign_id, name, "sent", sent + int(r() * 3600), tags)
            if bounces:
                self._row(person, email, campaign_id, name, "bounced", sent + 3700, tags)
                return
            if r() < 0.35:
                opened = sent + int(r() * 3 * 86400)
                self._row(person, email, campaign_id, name, "opened", opened, tags)
                if r() < 0.3:
                    self._row(
                        person, email, campaign_id, name, "clicked", opened + int(r() * 600), tags
                    )
            if r() < 0.01:
                self._row(person, email, campaign_id, name, "unsubscribed", sent + 86400, tags)
                return

    def _row(
        self,
        person: Person,
        email: str,
        campaign_id: str,
        name: str,
        action: str,
        ts: int,
        tags: list[str],
    ) -> None:
        self.activities += 1
        activity_id = f"EA{self.activities:010d}"
        row = (
            activity_id,
            email,
            campaign_id,
            name,
            action,
            format_datetime(self.rng, ts, person.country, self.rates),
        )
        if self.sink.write(row):
            self.truth.record(self.source, activity_id, person.person_id, tags)
            if self.rng.random() < self.rates.duplicate / 3:  # a webhook delivered twice
                self.sink.write(row)
