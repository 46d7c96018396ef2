"""Where the master key lives: a key file beside the data it protects is warned about."""

from __future__ import annotations

import logging
from dataclasses import replace

from opencdp.crypto.keys import key_exposure, key_file, load_master_key, warn_key_exposure


def test_the_default_key_file_in_the_data_directory_is_named_as_exposed(settings, caplog):
    assert key_file(settings) == settings.data_dir / "master.key"
    problem = key_exposure(settings)
    assert problem is not None and "inside the data directory" in problem
    assert "OPENCDP_MASTER_KEY" in problem and "master_key_file" in problem
    with caplog.at_level(logging.WARNING, logger="opencdp.crypto.keys"):
        warn_key_exposure(settings)
    assert [r.levelno for r in caplog.records] == [logging.WARNING]
    assert "master key file" in caplog.records[0].getMessage()


def test_a_key_kept_elsewhere_or_in_the_environment_is_not(settings, tmp_path, caplog):
    apart = replace(settings, master_key_file=tmp_path / "secrets" / "opencdp.key")
    assert key_exposure(apart) is None
    load_master_key(apart)  # created there, not in the data directory
    assert (tmp_path / "secrets" / "opencdp.key").exists()
    assert not (settings.data_dir / "master.key").exists()
    assert key_exposure(replace(settings, master_key="00" * 32)) is None
    with caplog.at_level(logging.WARNING, logger="opencdp.crypto.keys"):
        warn_key_exposure(apart)
    assert caplog.records == []


def test_a_key_file_in_the_backup_directory_is_exposed_too(settings, tmp_path):
    backups = tmp_path / "backups"
    exposed = replace(settings, backup_dir=backups, master_key_file=backups / "master.key")
    problem = key_exposure(exposed)
    assert problem is not None and "inside the backup directory" in problem
