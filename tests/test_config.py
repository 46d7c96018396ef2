"""Settings resolve env → file → default, and every setting is documented."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from opencdp.config import ConfigError, load_settings, setting_docs

DOCS = Path(__file__).parent.parent / "docs" / "configuration.md"


def test_every_setting_is_documented_in_docs():
    text = DOCS.read_text(encoding="utf-8")
    documented = set(re.findall(r"^\| `(\w+)` \|", text, flags=re.MULTILINE))
    assert documented == set(setting_docs()), "docs/configuration.md and config.py disagree"
    for name in setting_docs():
        assert f"`OPENCDP_{name.upper()}`" in text


def test_precedence_env_over_file_over_default(tmp_path):
    data = tmp_path / "d"
    data.mkdir()
    (data / "opencdp.toml").write_text('port = 9001\nlog_level = "DEBUG"\n')
    settings = load_settings(env={"OPENCDP_DATA_DIR": str(data), "OPENCDP_PORT": "9002"})
    assert settings.port == 9002
    assert settings.log_level == "DEBUG"
    assert settings.host == "127.0.0.1"
    assert load_settings(env={"OPENCDP_DATA_DIR": str(data)}, port=9003).port == 9003


def test_bad_values_are_reported(tmp_path):
    with pytest.raises(ConfigError, match="port"):
        load_settings(env={"OPENCDP_DATA_DIR": str(tmp_path), "OPENCDP_PORT": "eighty"})
    (tmp_path / "opencdp.toml").write_text("prot = 1\n")
    with pytest.raises(ConfigError, match="unknown settings"):
        load_settings(env={"OPENCDP_DATA_DIR": str(tmp_path)})


def test_boolean_settings_read_common_spellings_and_refuse_others(tmp_path):
    assert load_settings(env={"OPENCDP_RESOLVE_AFTER_IMPORT": "no"}).resolve_after_import is False
    assert load_settings(env={"OPENCDP_RESOLVE_AFTER_IMPORT": "ON"}).resolve_after_import is True
    with pytest.raises(ConfigError, match="resolve_after_import"):
        load_settings(env={"OPENCDP_RESOLVE_AFTER_IMPORT": "maybe"})
