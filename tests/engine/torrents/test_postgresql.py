"""The torrent client's rows on a real PostgreSQL server: written by each change, read at start."""

from __future__ import annotations

import asyncio
import base64
import json
from typing import TYPE_CHECKING

from haul_engine.db.database import Database
from haul_engine.torrents.models import CATEGORIES, TORRENTS
from tests.support.peers import engine_env, make_torrent, wait_for_torrent, webapi_call

if TYPE_CHECKING:
    from collections.abc import Callable

    from haul_engine.torrents.models import CategoryRecord, TorrentRecord
    from tests.support.engine import EngineProcess

MAGNET_HASH = "0123456789abcdef0123456789abcdef01234567"


async def _stored(url: str) -> tuple[dict[str, TorrentRecord], dict[str, CategoryRecord], int]:
    """Read the torrents, the categories and the count of kept .torrent files."""
    database = Database(url)
    await database.setup()
    try:
        async with database.session() as tx:
            torrents = {record.info_hash: record for record in await TORRENTS.all(tx)}
            categories = {record.name: record for record in await CATEGORIES.all(tx)}
            metadata = await tx.fetch_value("SELECT count(*) FROM torrent_metadata")
    finally:
        await database.close()
    return torrents, categories, metadata


def test_torrent_changes_are_stored_and_restored_on_postgresql(
    engine_factory: Callable[..., EngineProcess], postgres_database: str
) -> None:
    engine = engine_factory(env=engine_env(), args=["--database-url", postgres_database]).start()
    auth = {"Authorization": f"Bearer {engine.token}"}
    # data already in the download folder: the check finishes it (completed_on is written)
    made = make_torrent(engine.data_dir / "downloads", "Film.2024", {"film.mkv": 100_000})
    body = {"torrent_base64": base64.b64encode(made.data).decode(), "save_path": str(made.parent),
            "category": "movies", "tags": ["keep", "drop"], "ratio_limit": 1.5}  # fmt: skip
    assert engine.request("POST", "/api/v1/torrents", body)[0] == 200
    magnet = f"magnet:?xt=urn:btih:{MAGNET_HASH}&dn=Some.Show"
    body = {"magnet": magnet, "category": "tv", "tags": ["drop"], "stopped": True}
    assert engine.request("POST", "/api/v1/torrents", body)[0] == 200
    wait_for_torrent(engine, made.info_hash, lambda torrent: torrent["completed_on"] is not None)
    for path, form in [
        ("torrents/deleteTags", {"tags": "drop"}),  # every torrent, one transaction
        ("torrents/removeCategories", {"categories": "tv"}),
        ("torrents/rename", {"hash": MAGNET_HASH, "name": "Renamed"}),
        ("torrents/toggleSequentialDownload", {"hashes": MAGNET_HASH}),
        ("torrents/setUploadLimit", {"hashes": made.info_hash, "limit": "2048"}),
    ]:
        assert webapi_call(engine, "POST", path, form, **auth)[0] == 200, path
    engine.stop()

    torrents, categories, metadata = asyncio.run(_stored(postgres_database))
    film, show = torrents[made.info_hash], torrents[MAGNET_HASH]
    film_row = (film.category, film.tags, film.ratio_limit, film.upload_limit)
    assert film_row == ("movies", ["keep"], 1.5, 2048)
    assert film.completed_on is not None
    assert film.completed_on.tzinfo is not None
    show_row = (show.category, show.tags, show.custom_name, show.stopped, show.sequential)
    assert show_row == ("", [], "Renamed", True, True)
    assert show.completed_on is None
    assert set(categories) == {"movies"}
    assert metadata == 1  # the film's .torrent; the magnet has none yet

    engine.start()
    listed = json.loads(webapi_call(engine, "GET", "torrents/info", **auth)[1])
    shown = {torrent["hash"]: torrent for torrent in listed}
    assert shown[MAGNET_HASH]["name"] == "Renamed"
    assert shown[MAGNET_HASH]["seq_dl"] is True
    assert shown[made.info_hash]["tags"] == "keep"
    assert shown[made.info_hash]["up_limit"] == 2048
    assert engine.request("DELETE", f"/api/v1/torrents/{made.info_hash}")[0] == 200
    engine.stop()

    torrents, _, metadata = asyncio.run(_stored(postgres_database))
    assert set(torrents) == {MAGNET_HASH}
    assert metadata == 0  # gone with its torrent (the cascade)
