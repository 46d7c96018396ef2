"""CRM contacts (CSV): the richest profile source, and the one with stale and duplicate rows.

This is the hot path of `--contacts N` (a million rows in seconds), so it draws plain
`random()` numbers and avoids per-row allocations beyond the row itself.
"""

from __future__ import annotations

from collections.abc import Sequence

from opencdp.generate.config import PERIOD_END
from opencdp.generate.formats import (
    COUNTRY_NAMES,
    GENDER_NAMES,
    format_date,
    format_datetime,
    format_phone,
    pick,
)
from opencdp.generate.people import Person
from opencdp.generate.purchases import Purchase
from opencdp.generate.writer import CsvSourceWriter, WriterContext

HEADER = (
    "customer_id",
    "first_name",
    "last_name",
    "name_kana",
    "nickname",
    "email",
    "phone",
    "birth_date",
    "gender",
    "address",
    "city",
    "region",
    "postcode",
    "country",
    "company",
    "job_title",
    "marital_status",
    "household_size",
    "children",
    "interests",
    "preferred_language",
    "loyalty_tier",
    "email_opt_in",
    "updated_at",
)
# Columns a form may leave empty (kana, email, phone, birth date, gender, address, country).
OPTIONAL = (3, 5, 6, 7, 8, 9, 10, 11, 12, 13)
TIERS = ("Bronze", "Silver", "Gold", "Platinum")
OPT_IN = ("true", "false", "Y", "N", "1", "0")
DUPLICATE_IDS = 90_000_000


class CrmWriter(CsvSourceWriter):
    header = HEADER
    source = "crm"
    file_name = "crm_contacts.csv"
    record_id = "customer_id"

    def __init__(self, ctx: WriterContext) -> None:
        super().__init__(ctx)
        self.duplicates = 0

    def write(self, person: Person, purchases: Sequence[Purchase]) -> None:
        if self.rng.random() >= self.ctx.coverage:
            return
        self._contact(person, person.customer_id, [])
        if self.rng.random() < self.rates.duplicate:
            self.duplicates += 1
            self._contact(person, f"C{DUPLICATE_IDS + self.duplicates:08d}", ["duplicate"])

    def _contact(self, person: Person, customer_id: str, tags: list[str]) -> None:
        r = self.rng.random
        rates, corrupt, country = self.rates, self.corrupt, person.country
        first, last = corrupt.names(person, tags)
        address = person.address
        updated = person.since + int(r() * (PERIOD_END - person.since))
        if person.old_address is not None and r() < rates.stale_address:
            address = person.old_address
            updated = person.since
            tags.append("old_address")
        kana = f"{person.last.kana} {person.first.kana}" if person.lang == "ja" else ""
        nick = person.nickname.native if person.nickname and r() < 0.5 else ""
        rng = self.rng
        phone = corrupt.phone_placeholder(tags) or format_phone(rng, country, person.phone, rates)
        row = [
            customer_id,
            first,
            last,
            kana,
            nick,
            corrupt.email(person, tags),
            phone,
            format_date(rng, person.birth, country, rates),
            pick(rng, GENDER_NAMES[person.lang, person.gender], rates.value_variant),
            address.street,
            address.city,
            address.region,
            address.postcode,
            pick(rng, COUNTRY_NAMES[country], rates.value_variant),
            person.company if r() < 0.6 else "",
            person.job if r() < 0.6 else "",
            person.marital if r() < 0.7 else "",
            str(person.household_size),
            str(person.children),
            "|".join(person.interests) if r() < 0.6 else "",
            person.lang,
            TIERS[int(r() * r() * 4)],
            OPT_IN[int(r() * 6)],
            format_datetime(rng, updated, country, rates),
        ]
        for slot in corrupt.missing_slots(len(OPTIONAL)):
            if row[OPTIONAL[slot]]:
                row[OPTIONAL[slot]] = ""
                tags.append("missing")
        if self.sink.write(row):
            self.truth.record(self.source, customer_id, person.person_id, tags)
