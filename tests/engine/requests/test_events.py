"""The request gate follows its download through the engine's torrent events, not by polling."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from tests.engine.requests.conftest import (
    WEBHOOK_SECRET,
    add_overseerr,
    only_request,
    wait_for_request,
)
from tests.fakes.overseerr import OverseerrRequest
from tests.fakes.torznab import FakeRelease, FakeTorznab
from tests.support.peers import QbittorrentPeer, engine_env, make_torrent, wait_for_torrent
from tests.support.webhooks import send_webhook

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from tests.fakes.overseerr import FakeOverseerr
    from tests.support.engine import EngineProcess

GOOD = "The.Matrix.1999.1080p.AMZN.WEB-DL.DDP5.1.H.264-FLUX"
SIZE = 3 * 1024 * 1024
HOUR = "3600"  # the longest poll interval: a request that moves sooner was told, not polling


def test_a_finished_download_moves_its_request_at_once(
    tmp_path: Path, engine_factory: Callable[..., EngineProcess], overseerr: FakeOverseerr
) -> None:
    """Haul's own download of a request: available within a second of the torrent completing."""
    torrent = make_torrent(tmp_path / "content", GOOD, {f"{GOOD}.mkv": SIZE})
    seeder = QbittorrentPeer(tmp_path / "seeder").start()
    release = FakeRelease(GOOD, size=SIZE, info_hash=torrent.info_hash, link="magnet_attr")
    try:
        seeder.seed(torrent)
        engine = engine_factory(env=engine_env(HAUL_REQUEST_POLL_INTERVAL=HOUR)).start()
        with FakeTorznab([release]) as torznab:
            engine.add_connector("torznab", torznab.url, torznab.api_key)
            connector = add_overseerr(engine, overseerr, reconcile=False)
            matrix = OverseerrRequest(
                id=21, media_type="movie", title="The Matrix", year=1999, tmdb_id=603, status=2
            )
            hook = f"{engine.url}/api/v1/webhooks/overseerr/{connector}"
            webhook = overseerr.add(matrix).webhook("MEDIA_AUTO_APPROVED")
            assert send_webhook(hook, webhook, WEBHOOK_SECRET)[0] == 200
            request_id = only_request(engine)["id"]
            detail = wait_for_request(engine, request_id, "awaiting_selection")
        chosen = {"candidate_id": detail["candidates"][0]["id"]}
        engine.call("POST", f"/requests/{request_id}/select", chosen)
        wait_for_request(engine, request_id, "downloading")
        time.sleep(0.5)  # the step has looked at the unfinished torrent and sleeps for an hour
        peer = {"peers": [f"127.0.0.1:{seeder.listen_port}"]}
        engine.call("POST", f"/torrents/{torrent.info_hash}/peers", peer)
        wait_for_torrent(engine, torrent.info_hash, lambda found: found["progress"] == 1.0)
        finished = time.monotonic()
        request = wait_for_request(engine, request_id, "available", timeout=5)
        assert time.monotonic() - finished < 1.0
        assert request["imported_path"]
    finally:
        seeder.stop()
