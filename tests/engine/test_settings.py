"""Settings layers: defaults < options.json < HAUL_* environment < command line."""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING

import pytest

from haul_engine.settings import SettingsError, load_settings

if TYPE_CHECKING:
    from pathlib import Path


def test_each_layer_overrides_the_one_below(tmp_path: Path) -> None:
    (tmp_path / "options.json").write_text(
        json.dumps({"port": 9001, "log_level": "debug", "host": "10.0.0.1"})
    )
    settings = load_settings(
        {"data_dir": str(tmp_path), "port": 9003, "host": None},
        {"HAUL_PORT": "9002", "HAUL_HOST": "127.0.0.2", "OTHER": "x"},
    )
    assert settings.port == 9003
    assert settings.host == "127.0.0.2"
    assert settings.log_level == "debug"
    assert settings.effective_database_url == f"sqlite+aiosqlite:///{tmp_path / 'haul.db'}"
    assert settings.effective_download_dir == tmp_path / "downloads"


def test_defaults_without_any_layer(tmp_path: Path) -> None:
    settings = load_settings({"data_dir": str(tmp_path)}, {})
    assert (settings.port, settings.log_level, settings.heartbeat_interval) == (8765, "info", 30.0)


def test_plain_postgresql_url_is_made_async(tmp_path: Path) -> None:
    settings = load_settings({"data_dir": str(tmp_path), "database_url": "postgresql://u@h/db"}, {})
    assert settings.effective_database_url == "postgresql+asyncpg://u@h/db"


def test_error_names_key_and_source(tmp_path: Path) -> None:
    (tmp_path / "options.json").write_text(json.dumps({"heartbeat_interval": -1}))
    with pytest.raises(SettingsError, match=r"'heartbeat_interval' from .*options\.json"):
        load_settings({"data_dir": str(tmp_path)}, {})


def test_the_folders_torrents_may_write_to(tmp_path: Path) -> None:
    options = {"incomplete_dir": "", "extra_folders": []}  # the add-on's empty defaults
    (tmp_path / "options.json").write_text(json.dumps(options))
    settings = load_settings({"data_dir": str(tmp_path)}, {})
    assert settings.download_roots == [tmp_path / "downloads"]
    settings = load_settings(
        {"data_dir": str(tmp_path)},
        {"HAUL_INCOMPLETE_DIR": "/media/incomplete", "HAUL_EXTRA_FOLDERS": '["/media/movies"]'},
    )
    assert [str(root) for root in settings.download_roots] == [
        str(tmp_path / "downloads"),
        "/media/incomplete",
        "/media/movies",
    ]
    for variable, value in (("HAUL_INCOMPLETE_DIR", "incomplete"), ("HAUL_EXTRA_FOLDERS", '["a"]')):
        with pytest.raises(SettingsError, match="is not an absolute path"):
            load_settings({"data_dir": str(tmp_path)}, {variable: value})


def test_post_processing_rules_as_the_app_options_give_them(tmp_path: Path) -> None:
    rules = [
        {"category": "films", "action": "copy", "folder": "/media/movies"},
        {"category": "shows", "folder": "/media/tv", "media": "series", "pattern": "{title}.{ext}"},
    ]
    options = {"extra_folders": ["/media"], "post_processing": rules}
    (tmp_path / "options.json").write_text(json.dumps(options))
    settings = load_settings({"data_dir": str(tmp_path)}, {})
    assert [(rule.category, rule.action, rule.media) for rule in settings.post_processing] == [
        ("films", "copy", "auto"),
        ("shows", "hardlink", "series"),
    ]
    for broken, message in (
        ({**rules[0], "folder": "/etc"}, "'films': /etc is outside the download folder"),
        ({**rules[0], "folder": "movies"}, "'movies' is not an absolute path"),
        ({**rules[0], "action": "symlink"}, "Input should be 'move', 'copy' or 'hardlink'"),
        ({**rules[0], "pattern": "{name}.{ext}"}, "unknown field name"),
        (rules[1] | {"category": "films"}, "each category may have one rule"),
    ):
        options["post_processing"] = [rules[0], broken] if "category may" in message else [broken]
        (tmp_path / "options.json").write_text(json.dumps(options))
        with pytest.raises(SettingsError, match=f"'post_processing.*{re.escape(message)}"):
            load_settings({"data_dir": str(tmp_path)}, {})
