"""Web and app events (Segment-spec JSON Lines): anonymous visits that turn into known users.

Each person browses in sessions on their own and shared devices; a sign-up emits identify
(+ alias), later logins identify again, orders from the web and app appear as
`Order Completed` with the shop's order id. Lines are time-sorted within blocks of people
(bounded memory) and SDK retries leave the odd duplicate message.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import orjson

from opencdp.generate.config import PERIOD_END
from opencdp.generate.devices import Device, ip_address, make_device
from opencdp.generate.people import Person
from opencdp.generate.purchases import Purchase
from opencdp.generate.session import Session
from opencdp.generate.sinks import JsonlSink
from opencdp.generate.writer import SourceWriter, WriterContext

BLOCK_PEOPLE = 2000
CAFES_PER_COUNTRY = 12
COUNTRIES = ("US", "GB", "TH", "JP")


class EventsWriter(SourceWriter[JsonlSink]):
    source = "events"
    file_name = "events.jsonl"
    record_id = "messageId"

    def __init__(self, ctx: WriterContext) -> None:
        super().__init__(ctx)
        rng = self.rng
        self.cafes = {
            c: [
                make_device(rng, "web", "cafe", ip_address(rng, c))
                for _ in range(CAFES_PER_COUNTRY)
            ]
            for c in COUNTRIES
        }
        self.kiosks = {c: make_device(rng, "app", "kiosk", ip_address(rng, c)) for c in COUNTRIES}
        self.household = ""
        self.family_device: Device | None = None
        self.buffer: list[tuple[int, int, bytes]] = []
        self.block_people = 0
        self.seq = 0

    def open(self, path: Path, limit: int | None) -> JsonlSink:
        return JsonlSink(path, limit)

    def write(self, person: Person, purchases: Sequence[Purchase]) -> None:
        r = self.rng.random
        if person.household_id != self.household:
            self.household = person.household_id
            self.family_device = None
            if person.household_size > 1 and r() < self.rates.shared_device:
                kind = "web" if r() < 0.6 else "app"
                self.family_device = make_device(
                    self.rng, kind, "family", ip_address(self.rng, person.country), 0.3
                )
        if r() < self.ctx.coverage:
            self._person(person, purchases)
        self.block_people += 1
        if self.block_people >= BLOCK_PEOPLE:
            self.flush()

    def _person(self, person: Person, purchases: Sequence[Purchase]) -> None:
        rng, r, rates = self.rng, self.rng.random, self.rates
        home_ip = ip_address(rng, person.country)
        own = [make_device(rng, "web", "personal", home_ip)]
        if r() < 0.3:
            own.append(make_device(rng, "web", "personal", ip_address(rng, person.country)))
        app = (
            make_device(rng, "app", "personal", ip_address(rng, person.country), 0.3)
            if r() < 0.4
            else None
        )
        plan: list[tuple[int, Purchase | None, Device]] = []
        for p in purchases:
            if p.channel == "app" and app is not None:
                plan.append((p.ts, p, app))
            elif p.channel in ("web", "app"):
                plan.append((p.ts, p, self._pick(own, app)))
        span = PERIOD_END - person.since
        browse = 1
        while r() < 0.5 and browse < 12:
            browse += 1
        plan.extend(
            (person.since + int(r() * span), None, self._pick(own, app)) for _ in range(browse)
        )
        if r() < rates.cafe:
            cafe = rng.choice(self.cafes[person.country])
            plan.extend(
                (person.since + int(r() * span), None, cafe) for _ in range(1 + int(r() * 2))
            )
        if r() < rates.kiosk:
            plan.append((person.since + int(r() * span), None, self.kiosks[person.country]))
        plan.sort(key=lambda item: item[0])
        session = Session(self.rng, self.corrupt, self.emit, self.truth, person)
        for ts, purchase, device in plan:
            session.run(ts * 1000 + int(r() * 1000), device, purchase)
        if person.user_id is not None and r() < 0.5:
            session.server_emails(1 + int(r() * 3))
        session.finish()

    def _pick(self, own: list[Device], app: Device | None) -> Device:
        r = self.rng.random
        if self.family_device is not None and r() < 0.25:
            return self.family_device
        if app is not None and r() < 0.35:
            return app
        return own[int(r() * len(own))]

    def emit(self, ms: int, message: dict[str, Any], person_id: str, tags: list[str]) -> None:
        """Queue one message; the truth row is written at once, the line at the next flush."""
        line = orjson.dumps(message) + b"\n"
        self.seq += 1
        self.buffer.append((ms, self.seq, line))
        if self.rng.random() < self.rates.duplicate / 3:  # an SDK retry: the same message again
            self.seq += 1
            self.buffer.append((ms, self.seq, line))
        self.truth.record(self.source, message["messageId"], person_id, tags)

    def flush(self) -> None:
        self.buffer.sort(key=lambda item: (item[0], item[1]))
        for _, _, line in self.buffer:
            self.sink.write_line(line)
        self.buffer.clear()
        self.block_people = 0

    def close(self) -> None:
        self.flush()
        super().close()
