"""Backup fixtures: generated people, and a populated store to back up."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from opencdp.admin import Admin
from opencdp.config import Settings, load_settings
from opencdp.workspace import Workspace
from tests.backup.store import generated, populate


@pytest.fixture(scope="module")
def people(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return generated(tmp_path_factory.mktemp("people"))


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory, people: Path) -> Path:
    """One populated data directory per module, closed; tests work on copies of it."""
    data_dir = tmp_path_factory.mktemp("template") / "data"
    with Workspace(load_settings(env={}, data_dir=data_dir)) as ws:
        populate(ws, people)
    return data_dir


@pytest.fixture
def store(settings: Settings, template: Path) -> Iterator[Admin]:
    shutil.copytree(template, settings.data_dir)
    with Workspace(settings) as ws:
        yield Admin(ws)


def sibling(settings: Settings, name: str) -> Settings:
    """Settings for another data directory sharing this one's master key (a new machine
    restoring the backup, with the key copied over as the docs say)."""
    other = load_settings(env={}, data_dir=settings.data_dir.parent / name)
    other.data_dir.mkdir(parents=True)
    (other.data_dir / "master.key").write_bytes((settings.data_dir / "master.key").read_bytes())
    return other
