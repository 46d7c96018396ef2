"""Survey answers (CSV): NPS 0–10, a 1–5 rating and a comment, by e-mail or phone.

Each person has a steady attitude, so their scores and comments agree with each other and
across repeated answers — useful for the later prediction and sentiment stages.
"""

from __future__ import annotations

from collections.abc import Sequence

from opencdp.generate.config import PERIOD_END
from opencdp.generate.formats import format_datetime, format_phone
from opencdp.generate.people import Person
from opencdp.generate.purchases import CATALOG, Purchase
from opencdp.generate.texts import SURVEY_COMMENTS
from opencdp.generate.writer import CsvSourceWriter, WriterContext

HEADER = ("response_id", "survey", "email", "phone", "nps", "rating", "comment", "submitted_at")
SURVEYS = ("Post-purchase survey", "Quarterly NPS", "Delivery feedback")


class SurveysWriter(CsvSourceWriter):
    header = HEADER
    source = "surveys"
    file_name = "surveys.csv"
    record_id = "response_id"

    def __init__(self, ctx: WriterContext) -> None:
        super().__init__(ctx)
        self.responses = 0

    def write(self, person: Person, purchases: Sequence[Purchase]) -> None:
        r = self.rng.random
        if r() >= self.ctx.coverage:
            return
        mood = r()  # this person's attitude, steady across answers
        for _ in range(1 + int(r() * 2)):
            row = self._answer(person, purchases, mood)
            if row is not None and r() < self.rates.duplicate:  # submitted twice
                self._answer(person, purchases, mood, ["duplicate"])

    def _answer(
        self,
        person: Person,
        purchases: Sequence[Purchase],
        mood: float,
        tags: list[str] | None = None,
    ) -> tuple[str, ...] | None:
        rng, r, rates, corrupt = self.rng, self.rng.random, self.rates, self.corrupt
        tags = list(tags or [])
        email = phone = ""
        if r() < 0.75:
            email = corrupt.email(person, tags)
        if not email or r() < 0.15:
            phone = corrupt.phone_placeholder(tags) or format_phone(
                rng, person.country, person.phone, rates
            )
        nps = max(0, min(10, round(mood * 11 + (r() - 0.5) * 3 - 0.5)))
        rating = max(1, min(5, round(nps / 2.2) + (1 if r() < 0.2 else 0)))
        sentiment = 0 if nps <= 6 else (1 if nps <= 8 else 2)
        comment = ""
        if r() < 0.55:
            options = SURVEY_COMMENTS[person.lang][sentiment]
            product = (purchases[0].product if purchases else CATALOG[int(r() * len(CATALOG))]).name
            comment = options[int(r() * len(options))].format(product=product)
        when = (purchases[-1].ts if purchases else person.since) + int(r() * 20 * 86400)
        self.responses += 1
        response_id = f"R{self.responses:08d}"
        row = (
            response_id,
            SURVEYS[int(r() * len(SURVEYS))],
            email,
            phone,
            str(nps),
            corrupt.blank(str(rating), tags),
            comment,
            format_datetime(rng, min(when, PERIOD_END - 1), person.country, rates),
        )
        if not self.sink.write(row):
            return None
        self.truth.record(self.source, response_id, person.person_id, tags)
        return row
