"""The request gate's durable jobs: a step cut off by a kill -9 runs again after the restart."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from tests.engine.requests.conftest import FAST, MATRIX_LOOKUP, OFFER, wait_for_request
from tests.fakes.arr import API_KEY as ARR_KEY
from tests.fakes.arr_releases import ReleaseArr

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from tests.support.engine import EngineProcess

SEARCH = ("GET", "/api/v3/release?movieId=1")


def test_a_search_cut_off_by_a_kill_runs_again_after_the_restart(
    tmp_path: Path, engine_factory: Callable[..., EngineProcess]
) -> None:
    """Killed while Radarr's interactive search is under way, the request searches again."""
    with ReleaseArr("radarr", tmp_path / "library") as radarr:
        radarr.metadata.append(MATRIX_LOOKUP)
        radarr.offers[1] = [OFFER]
        radarr.hang_seconds = 5.0  # longer than the kill takes; shorter than stopping waits
        radarr.fail_next("hang", path="/release")  # the search's answer never comes in time
        engine = engine_factory(env=FAST).start()
        engine.add_connector("radarr", radarr.url, ARR_KEY)
        request = engine.call("POST", "/requests", {"media_type": "movie", "query": "matrix"})
        deadline = time.monotonic() + 20
        while SEARCH not in radarr.requests:
            assert time.monotonic() < deadline, engine.log[-3000:]
            time.sleep(0.05)
        assert engine.call("GET", f"/requests/{request['id']}")["state"] == "searching"
        engine.kill()  # mid-step: the search is still waiting for Radarr

        engine.start()
        detail = wait_for_request(engine, request["id"], "awaiting_selection")
        assert radarr.requests.count(SEARCH) == 2
        assert [c["title"] for c in detail["candidates"]] == [OFFER.title]
        assert [move["to_state"] for move in detail["history"]] == [
            "approved", "searching", "awaiting_selection",
        ]  # fmt: skip
