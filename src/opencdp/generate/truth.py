"""The ground truth: which record, message and identifier belongs to which real person.

Identity resolution is scored against it (pairwise and cluster precision/recall/F1), and the
`corruptions` column says what was done to each record, so misses can be explained.
`people.csv` holds each person's true, clean values for scoring golden records.
"""

from __future__ import annotations

from pathlib import Path

from opencdp.generate.formats import e164, iso_date
from opencdp.generate.people import Person
from opencdp.generate.sinks import CsvSink

TRUTH_FILE = "ground_truth.csv"
PEOPLE_FILE = "people.csv"
TRUTH_HEADER = ("source", "record_type", "record_id", "person_id", "corruptions")
PEOPLE_HEADER = (
    "person_id",
    "household_id",
    "locale",
    "gender",
    "first_name",
    "last_name",
    "first_name_kana",
    "last_name_kana",
    "first_name_latin",
    "last_name_latin",
    "nickname",
    "birth_date",
    "email",
    "phone",
    "street",
    "city",
    "region",
    "postcode",
    "country",
    "old_street",
    "old_city",
    "old_postcode",
    "family_email",
    "customer_id",
    "shop_customer_id",
    "user_id",
    "company",
    "job_title",
)


class GroundTruth:
    """Streams truth rows; when disabled every call is a no-op (for pure speed runs)."""

    def __init__(self, out_dir: Path, enabled: bool = True) -> None:
        self.enabled = enabled
        self.records: CsvSink | None = None
        self.people: CsvSink | None = None
        if enabled:
            self.records = CsvSink(out_dir / TRUTH_FILE, TRUTH_HEADER)
            self.people = CsvSink(out_dir / PEOPLE_FILE, PEOPLE_HEADER)

    def record(self, source: str, record_id: str, person_id: str, tags: list[str]) -> None:
        """One record (row or message) of `source` belongs to `person_id`."""
        if self.records is not None:
            corruptions = ";".join(sorted(set(tags))) if tags else ""
            self.records.write((source, "record", record_id, person_id, corruptions))

    def identifier(self, source: str, kind: str, value: str, person_id: str) -> None:
        """An identifier seen in `source` (anonymous_id, user_id, handle) was used by the person;
        a shared device gets one row per person who used it."""
        if self.records is not None:
            self.records.write((source, kind, value, person_id, ""))

    def person(self, p: Person) -> None:
        if self.people is None:
            return
        old = p.old_address
        self.people.write(
            (
                p.person_id,
                p.household_id,
                p.locale,
                p.gender,
                p.first.native,
                p.last.native,
                p.first.kana,
                p.last.kana,
                p.first.roman,
                p.last.roman,
                p.nickname.native if p.nickname else "",
                iso_date(p.birth),
                p.email,
                e164(p.country, p.phone),
                p.address.street,
                p.address.city,
                p.address.region,
                p.address.postcode,
                p.country,
                old.street if old else "",
                old.city if old else "",
                old.postcode if old else "",
                p.family_email or "",
                p.customer_id,
                p.shop_id,
                p.user_id or "",
                p.company,
                p.job,
            )
        )

    @property
    def rows(self) -> dict[str, int]:
        if self.records is None or self.people is None:
            return {}
        return {TRUTH_FILE: self.records.rows, PEOPLE_FILE: self.people.rows}

    def close(self) -> None:
        for sink in (self.records, self.people):
            if sink is not None:
                sink.close()
