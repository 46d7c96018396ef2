"""CRM contacts and shop orders from the project's generator, cleaned as an import would.

The generator writes values as people type them (081-234-5678, 14 มี.ค. 2528, "Ms Tammy
Johnson"); matching expects them normalised, so each row goes through the hygiene rules with
the options of its country: from the CRM's country column (else the language) and from the
order's currency.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from opencdp.hygiene import HygieneOptions, normalize_value

REGION_OF_CURRENCY = {"THB": "TH", "JPY": "JP", "USD": "US", "GBP": "GB"}
REGION_OF_LANGUAGE = {"th": "TH", "ja": "JP", "en": "US"}
LANGUAGE_OF_REGION = {"TH": "th", "JP": "ja", "US": "en", "GB": "en"}


def options_for(region: str) -> HygieneOptions:
    return HygieneOptions(
        default_region=region,
        locale=LANGUAGE_OF_REGION[region],
        day_first=region in ("GB", "TH"),
        name_strip_titles=True,
    )


OPTIONS = {region: options_for(region) for region in LANGUAGE_OF_REGION}


def clean(kind: str, value: str, region: str) -> str | None:
    result = normalize_value(kind, value, options=OPTIONS[region]).value if value else None
    return None if result is None else str(result)


def _rows(path: Path) -> Iterator[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        yield from csv.DictReader(handle)


def crm_records(path: Path) -> list[dict[str, Any]]:
    out = []
    for row in _rows(path / "crm_contacts.csv"):
        country = normalize_value("country", row["country"]).value
        region = country if country in OPTIONS else REGION_OF_LANGUAGE[row["preferred_language"]]
        out.append(
            {
                "record_id": row["customer_id"],
                "source": "crm",
                "first_name": clean("name", row["first_name"], region),
                "last_name": clean("name", row["last_name"], region),
                "birth_date": clean("birth_date", row["birth_date"], region),
                "email": clean("email", row["email"], region),
                "phone": clean("phone", row["phone"], region),
                "postcode": clean("postcode", row["postcode"], region),
                "city": clean("name", row["city"], region),
                "address": row["address"] or None,
                "gender": clean("gender", row["gender"], region),
            }
        )
    return out


def order_records(path: Path) -> list[dict[str, Any]]:
    """One record per order (re-exported duplicate rows, same order id, counted once)."""
    out: dict[str, dict[str, Any]] = {}
    for row in _rows(path / "orders.csv"):
        currency = normalize_value("currency", row["currency"]).value
        region = REGION_OF_CURRENCY.get(str(currency), "US")
        out[row["order_id"]] = {
            "record_id": row["order_id"],
            "source": "orders",
            "full_name": clean("name", row["customer_name"], region),
            "email": clean("email", row["email"], region),
            "phone": clean("phone", row["phone"], region),
            "postcode": clean("postcode", row["ship_postcode"], region),
            "city": clean("name", row["ship_city"], region),
        }
    return list(out.values())


def truth(path: Path) -> dict[str, str]:
    """Record id → person id, for records."""
    return {
        r["record_id"]: r["person_id"]
        for r in _rows(path / "ground_truth.csv")
        if r["record_type"] == "record"
    }


@dataclass(frozen=True)
class Scores:
    precision: float
    recall: float
    f1: float
    predicted: int
    true_pairs: int


def true_pairs_within(ids: Iterable[str], person: dict[str, str]) -> set[tuple[str, str]]:
    """All pairs of records (of one source) of the same person."""
    by_person = defaultdict(list)
    for record_id in ids:
        by_person[person[record_id]].append(record_id)
    return {(a, b) for group in by_person.values() for a in group for b in group if a < b}


def true_cross_pairs(
    left: Iterable[str], right: Iterable[str], person: dict[str, str]
) -> set[tuple[str, str]]:
    """All (left, right) record pairs of the same person; ids ordered within each pair."""
    by_person = defaultdict(list)
    for record_id in right:
        by_person[person[record_id]].append(record_id)
    return {tuple(sorted((a, b))) for a in left for b in by_person.get(person[a], [])}  # type: ignore[misc]


def score(predicted: set[tuple[str, str]], actual: set[tuple[str, str]]) -> Scores:
    hits = len(predicted & actual)
    precision = hits / len(predicted) if predicted else 1.0
    recall = hits / len(actual) if actual else 1.0
    f1 = 2 * precision * recall / (precision + recall) if hits else 0.0
    return Scores(precision, recall, f1, len(predicted), len(actual))


def exact_identifier_pairs(
    left: list[dict[str, Any]], right: list[dict[str, Any]]
) -> set[tuple[str, str]]:
    """The deterministic baseline: same normalised e-mail or same phone."""
    index: dict[tuple[str, str], list[str]] = defaultdict(list)
    for record in right:
        for key in ("email", "phone"):
            if record[key]:
                index[key, record[key]].append(record["record_id"])
    pairs = set()
    for record in left:
        for key in ("email", "phone"):
            for other in index.get((key, record[key]), []) if record[key] else []:
                if other != record["record_id"]:
                    pairs.add(tuple(sorted((record["record_id"], other))))
    return pairs  # type: ignore[return-value]
