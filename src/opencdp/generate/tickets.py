"""Support tickets (CSV): contact by e-mail or phone, a name as typed, and free text.

The text mentions orders and products and sometimes a phone number, as real tickets do,
so the PII flagging and masking have something to find.
"""

from __future__ import annotations

from collections.abc import Sequence

from opencdp.generate.config import PERIOD_END
from opencdp.generate.formats import format_datetime, format_phone
from opencdp.generate.people import Person
from opencdp.generate.purchases import CATALOG, Purchase
from opencdp.generate.texts import TICKETS
from opencdp.generate.writer import CsvSourceWriter, WriterContext

HEADER = (
    "ticket_id",
    "channel",
    "email",
    "phone",
    "name",
    "subject",
    "message",
    "created_at",
    "status",
    "satisfaction",
)
CHANNELS = ("email", "chat", "phone", "line")
STATUSES = ("closed", "closed", "solved", "open", "pending")
NO_ORDER = {lang: tuple(t for t in ts if "{order}" not in t[1]) for lang, ts in TICKETS.items()}


class TicketsWriter(CsvSourceWriter):
    header = HEADER
    source = "tickets"
    file_name = "support_tickets.csv"
    record_id = "ticket_id"

    def __init__(self, ctx: WriterContext) -> None:
        super().__init__(ctx)
        self.tickets = 0

    def write(self, person: Person, purchases: Sequence[Purchase]) -> None:
        r = self.rng.random
        if r() >= self.ctx.coverage:
            return
        count = 1
        while r() < 0.35 and count < 8:
            count += 1
        for _ in range(count):
            self._ticket(person, purchases)

    def _ticket(self, person: Person, purchases: Sequence[Purchase]) -> None:
        rng, r, rates, corrupt = self.rng, self.rng.random, self.rates, self.corrupt
        tags: list[str] = []
        channel = CHANNELS[int(r() * (4 if person.lang == "th" else 3))]
        phone_text = format_phone(rng, person.country, person.phone, rates)
        email = phone = ""
        if channel in ("email", "chat") or r() < 0.3:
            email = corrupt.email(person, tags)
        if channel in ("phone", "line") or r() < 0.2:
            phone = corrupt.phone_placeholder(tags) or phone_text
        name = corrupt.blank(corrupt.full_name(person, tags), tags)
        if purchases:
            bought = purchases[int(r() * len(purchases))]
            order, product, created = bought.order_id, bought.product.name, bought.ts
        else:
            order, product = "", CATALOG[int(r() * len(CATALOG))].name
            created = person.since
        created += int(r() * min(30 * 86400, max(PERIOD_END - created - 1, 1)))
        templates = TICKETS[person.lang] if purchases else NO_ORDER[person.lang]
        subject, body = templates[int(r() * len(templates))]
        contact = phone_text if r() < 0.5 else ""
        message = body.format(order=order, product=product, contact=contact).strip()
        self.tickets += 1
        ticket_id = f"T{self.tickets:08d}"
        satisfaction = str(1 + min(4, int(r() * 5.5))) if r() < 0.6 else ""
        row = (
            ticket_id,
            channel,
            email,
            phone,
            name,
            subject,
            message,
            format_datetime(rng, created, person.country, rates),
            STATUSES[int(r() * len(STATUSES))],
            satisfaction,
        )
        if self.sink.write(row):
            self.truth.record(self.source, ticket_id, person.person_id, tags)
