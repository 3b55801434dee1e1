"""Searching several indexers at once: one slow, one failing, one hanging; hashes merged."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from haul_engine.indexers.base import SearchQuery
from haul_engine.indexers.search import search_all
from tests.fakes.prowlarr import FakeProwlarr
from tests.fakes.torznab import FakeRelease, FakeTorznab

if TYPE_CHECKING:
    from collections.abc import Callable

    from haul_engine.indexers.prowlarr import ProwlarrClient
    from haul_engine.indexers.torznab import TorznabClient

SHARED = FakeRelease("Movie.Title.2020.1080p.WEB-DL.x264-GRP", seeders=30)
ONLY_SLOW = FakeRelease("Movie.Title.2020.720p.WEB-DL.x264-GRP", seeders=10)


async def test_one_slow_one_failing_one_hanging_and_merged_hashes(
    torznab_client: Callable[..., TorznabClient], prowlarr_client: Callable[..., ProwlarrClient]
) -> None:
    busier_copy = FakeRelease(SHARED.title, seeders=300)
    with (
        FakeTorznab([SHARED], title="fast") as fast,
        FakeTorznab([SHARED, ONLY_SLOW], title="slow") as slow,
        FakeTorznab([SHARED], title="failing") as failing,
        FakeTorznab([SHARED], title="hanging") as hanging,
        FakeProwlarr({7: [busier_copy]}) as prowlarr,
    ):
        slow.behaviour.delay = 0.4
        failing.behaviour.failure = "500"
        hanging.behaviour.failure = "hang"
        clients = [
            torznab_client(fast, "fast"),
            torznab_client(slow, "slow", timeout=5),
            torznab_client(failing, "failing"),
            torznab_client(hanging, "hanging", timeout=0.5),
            prowlarr_client(prowlarr, "prowlarr"),
        ]
        started = time.monotonic()
        outcome = await search_all(clients, SearchQuery(kind="movie", text="Movie Title"))
        elapsed = time.monotonic() - started
    assert elapsed < 2.5  # in parallel: the slow feed's caps and search, not the sum of all
    reports = {report.name: report for report in outcome.indexers}
    assert (reports["fast"].ok, reports["fast"].results) == (True, 1)
    assert (reports["slow"].ok, reports["slow"].results) == (True, 2)
    assert reports["slow"].elapsed_ms >= 800
    assert (reports["prowlarr"].ok, reports["prowlarr"].results) == (True, 1)
    assert not reports["failing"].ok
    assert reports["failing"].error == "failing: HTTP 500 Internal Server Error"
    assert not reports["hanging"].ok
    assert reports["hanging"].error == "hanging: no answer within 0.5 s"
    assert sorted(result.title for result in outcome.results) == [SHARED.title, ONLY_SLOW.title]
    [merged] = [result for result in outcome.results if result.info_hash == SHARED.info_hash]
    assert merged.indexer == "prowlarr: Tracker7"  # the copy with the most seeders stands for all
    assert sorted(merged.also_on) == ["fast", "slow"]
