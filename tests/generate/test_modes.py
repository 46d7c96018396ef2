"""Row mode, locale choice, the click command and input checks."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from opencdp.generate import generate
from opencdp.generate.command import generate as generate_command
from tests.generate.conftest import read_csv


def test_row_mode_writes_exact_row_counts(tmp_path: Path) -> None:
    summary = generate(tmp_path, 0, 1, contacts=700, orders=1500)
    assert summary.files["crm_contacts.csv"] == 700
    assert summary.files["orders.csv"] == 1500
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "crm_contacts.csv",
        "ground_truth.csv",
        "manifest.json",
        "orders.csv",
        "people.csv",
    ]
    assert len(read_csv(tmp_path / "orders.csv")) == 1500


def test_row_mode_without_truth(tmp_path: Path) -> None:
    summary = generate(tmp_path, 0, 1, contacts=300, truth=False)
    assert summary.files == {"crm_contacts.csv": 300}
    assert not (tmp_path / "ground_truth.csv").exists()


def test_one_locale(tmp_path: Path) -> None:
    generate(tmp_path, 100, 2, locales=["ja"], sources=["crm"])
    assert {p["locale"] for p in read_csv(tmp_path / "people.csv")} == {"ja_JP"}


def test_unknown_source_or_locale_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="unknown source"):
        generate(tmp_path, 10, 1, sources=["fax"])
    with pytest.raises(ValueError, match="locales"):
        generate(tmp_path, 10, 1, locales=["de"])


def test_command(tmp_path: Path) -> None:
    runner = CliRunner()
    args = ["--out", str(tmp_path / "d"), "--people", "60", "--seed", "4", "--locales", "en,th"]
    result = runner.invoke(generate_command, [*args, "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert summary["people"] == 60 and summary["files"]["crm_contacts.csv"] > 0
    assert (tmp_path / "d" / "ground_truth.csv").exists()
    result = runner.invoke(
        generate_command, ["--out", str(tmp_path / "e"), "--contacts", "50", "--sources", "crm"]
    )
    assert result.exit_code == 0, result.output
    assert "crm_contacts.csv" in result.output


def test_command_rejects_unknown_locale(tmp_path: Path) -> None:
    result = CliRunner().invoke(generate_command, ["--out", str(tmp_path), "--locales", "fr"])
    assert result.exit_code == 2
    assert "unknown value" in result.output


def test_progress_adds_up(tmp_path: Path) -> None:
    steps: list[int] = []
    generate(tmp_path / "p", 2500, 1, sources=["crm"], progress=steps.append)
    assert sum(steps) == 2500 and len(steps) >= 3
    steps.clear()
    generate(tmp_path / "r", 0, 1, contacts=1200, orders=900, progress=steps.append)
    assert sum(steps) == 2100
