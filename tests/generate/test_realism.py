"""Locales, corruption, shared devices and placeholders are present at the configured rates."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest

from opencdp.generate import CorruptionRates, generate
from opencdp.generate.nametables import PLACEHOLDER_EMAILS, PLACEHOLDER_PHONES
from tests.generate.conftest import read_csv
from tests.generate.test_truth import truth_by_source

THAI = re.compile(r"[\u0e00-\u0e7f]")
JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")
FULL_WIDTH_DIGIT = re.compile(r"[０-９]")


def test_thai_and_japanese_people_and_formats(dataset: Path) -> None:
    crm = read_csv(dataset / "crm_contacts.csv")
    text = (dataset / "crm_contacts.csv").read_text(encoding="utf-8")
    assert THAI.search(text) and JAPANESE.search(text) and FULL_WIDTH_DIGIT.search(text)
    locales = Counter(row["locale"] for row in read_csv(dataset / "people.csv"))
    assert set(locales) == {"en_US", "en_GB", "th_TH", "ja_JP"}
    phones = " ".join(row["phone"] for row in crm)
    assert re.search(r"0[689]\d-\d{3}-\d{4}", phones)  # Thai national format
    assert re.search(r"0[789]0-\d{4}-\d{4}", phones)  # Japanese mobile
    assert "+66" in phones and "+81" in phones
    years = [int(m) for m in re.findall(r"\b(2[45]\d\d)\b", " ".join(r["birth_date"] for r in crm))]
    assert years, "some Thai birth dates use Buddhist-era years"
    japanese = [r for r in crm if r["preferred_language"] == "ja" and r["name_kana"]]
    assert japanese and all(JAPANESE.search(r["name_kana"]) for r in japanese)


def test_japanese_full_names_put_the_family_name_first(dataset: Path) -> None:
    people = {p["email"]: p for p in read_csv(dataset / "people.csv")}
    names = [
        (o["customer_name"], people[o["email"]])
        for o in read_csv(dataset / "orders.csv")
        if o["email"] in people and people[o["email"]]["locale"] == "ja_JP"
    ]
    assert names
    family_first = [n for n, p in names if n.replace("　", " ").startswith(p["last_name"])]
    assert len(family_first) > len(names) / 2


def test_shared_devices_and_family_emails(dataset: Path) -> None:
    anonymous = truth_by_source(dataset)["events", "anonymous_id"]
    shared = [ids for ids in anonymous.values() if len(ids) > 1]
    assert shared, "some anonymousIds are used by several people"
    crm = read_csv(dataset / "crm_contacts.csv")
    emails = Counter(row["email"].strip().lower() for row in crm if "family" in row["email"])
    assert emails, "some contacts give a shared family mailbox"


def test_placeholders_present(dataset: Path) -> None:
    names = ("crm_contacts.csv", "orders.csv", "surveys.csv", "email_activity.csv")
    text = "".join((dataset / n).read_text(encoding="utf-8") for n in names)
    assert any(p in text for p in PLACEHOLDER_EMAILS if "@" in p)
    assert any(p in text for p in PLACEHOLDER_PHONES if p[0].isdigit())


def test_duplicates_within_a_source(dataset: Path) -> None:
    crm = truth_by_source(dataset)["crm", "record"]
    per_person = Counter(next(iter(p)) for p in crm.values())
    assert max(per_person.values()) >= 2
    lines = (dataset / "orders.csv").read_text(encoding="utf-8").splitlines()
    assert len(lines) > len(set(lines))  # re-exported rows


@pytest.mark.parametrize("rate", [0.0, 0.2])
def test_corruption_rates_roughly_as_configured(tmp_path: Path, rate: float) -> None:
    rates = CorruptionRates(
        typo_name=rate,
        nickname=0.0,
        swapped_names=0.0,
        placeholder=0.0,
        missing=rate / 2,
        duplicate=0.0,
    )
    generate(tmp_path, 3000, 3, sources=["crm"], rates=rates)
    records = [r for r in read_csv(tmp_path / "ground_truth.csv") if r["source"] == "crm"]
    tags = [set(r["corruptions"].split(";")) for r in records]
    typos = sum("typo_name" in t for t in tags) / len(tags)
    assert typos == pytest.approx(rate, abs=0.025)
    people = {p["person_id"]: p for p in read_csv(tmp_path / "people.csv")}
    crm = read_csv(tmp_path / "crm_contacts.csv")
    for row, truth, tag in zip(crm, records, tags, strict=True):
        assert row["customer_id"] == truth["record_id"]
        true = people[truth["person_id"]]
        same = (row["first_name"], row["last_name"]) == (true["first_name"], true["last_name"])
        assert same != ("typo_name" in tag)
    empty_emails = sum(not row["email"] for row in crm) / len(crm)
    assert empty_emails == pytest.approx(rate / 2, abs=0.025)


def test_clean_rates_give_the_true_values(tmp_path: Path) -> None:
    generate(tmp_path, 300, 9, sources=["crm"], rates=CorruptionRates.clean())
    people = {p["customer_id"]: p for p in read_csv(tmp_path / "people.csv")}
    for row in read_csv(tmp_path / "crm_contacts.csv"):
        true = people[row["customer_id"]]
        assert (row["first_name"], row["last_name"], row["email"]) == (
            true["first_name"],
            true["last_name"],
            true["email"],
        )
        assert row["birth_date"] == true["birth_date"]
    truth = read_csv(tmp_path / "ground_truth.csv")
    assert all(r["corruptions"] == "" for r in truth)
