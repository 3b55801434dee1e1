"""Category folders and the alternative-speed schedule from the add-on's options."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import pytest

from haul_engine.settings import SettingsError, load_settings
from tests.support.peers import webapi_call

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from tests.support.engine import EngineProcess


def test_options_set_categories_and_schedule_at_every_start(
    engine_factory: Callable[..., EngineProcess],
) -> None:
    engine = engine_factory()
    engine.data_dir.mkdir(parents=True)
    options = {"categories": ["tv-sonarr=tv", "radarr=movies/hd"], "alt_schedule": "23:30-06:00",
               "alt_schedule_days": ["sat", "sun"]}  # fmt: skip
    (engine.data_dir / "options.json").write_text(json.dumps(options))
    engine.start()
    auth = {"Authorization": f"Bearer {engine.token}"}
    status, body = webapi_call(engine, "GET", "torrents/categories", **auth)
    assert status == 200
    downloads = engine.data_dir / "downloads"
    assert {name: item["savePath"] for name, item in json.loads(body).items()} == {
        "tv-sonarr": str(downloads / "tv"),
        "radarr": str(downloads / "movies" / "hd"),
    }
    schedule = engine.request("GET", "/api/v1/transfer")[1]["limits"]["alt_schedule"]
    assert schedule == {"enabled": True, "start": "23:30:00", "end": "06:00:00", "days": [5, 6]}

    options["categories"] = ["radarr=films"]
    (engine.data_dir / "options.json").write_text(json.dumps(options))
    engine.restart()
    status, body = webapi_call(engine, "GET", "torrents/categories", **auth)
    assert {name: item["savePath"] for name, item in json.loads(body).items()} == {
        "tv-sonarr": str(downloads / "tv"),
        "radarr": str(downloads / "films"),
    }


def test_a_category_folder_outside_the_downloads_is_refused(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="invalid setting 'categories' from environment"):
        load_settings({"data_dir": str(tmp_path)}, {"HAUL_CATEGORIES": '["tv=../../etc"]'})
