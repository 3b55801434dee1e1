"""The library's queries on PostgreSQL: sync, registry, gap browser, summary, history, pause."""

from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace
from typing import TYPE_CHECKING, NamedTuple, cast

import pytest

from haul_engine.arr.kinds import ThrottleLimits
from haul_engine.db.database import Database
from haul_engine.db.models import ENGINE_META
from haul_engine.events import EventBus
from haul_engine.library import registry
from haul_engine.library.controller import LibraryController, Runtime
from haul_engine.library.models import SEARCH_HISTORY, SEARCHES, SYNC_STATES, SearchHistory
from tests.engine.library.conftest import FakeClock, add_connector, arr_config
from tests.fakes.arr import FakeArr, Library

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from haul_engine.connectors.kinds import ConnectorConfig
    from haul_engine.engine import Engine


def controller_on(
    database: Database, config: ConnectorConfig, clock: FakeClock
) -> LibraryController:
    """A library controller over database alone: the connectors and events it reads, stood in."""

    async def configs(_kinds: object) -> list[ConnectorConfig]:
        return [config]

    engine = SimpleNamespace(
        database=database, settings=SimpleNamespace(zone=clock.zone), events=EventBus(),
        connectors=SimpleNamespace(configs=configs),
    )  # fmt: skip
    return LibraryController(cast("Engine", engine), clock)


class Mirrored(NamedTuple):
    """A synced Sonarr mirror on PostgreSQL and the controller over it."""

    database: Database
    controller: LibraryController
    clock: FakeClock


@pytest.fixture
async def mirrored(request: pytest.FixtureRequest) -> AsyncIterator[Mirrored]:
    """Sync a Sonarr library with gaps, upgrades and upcoming episodes into PostgreSQL."""
    # asked for here, once sockets are allowed: the server is session-wide
    database = Database(str(request.getfixturevalue("postgres_database")))
    await database.setup()
    clock = FakeClock()
    library = Library.generate(6, series=3, seasons=2, episodes_per_season=4, upcoming=0.2)
    try:
        with FakeArr("sonarr", library) as sonarr:
            config = arr_config(sonarr, search_upgrades=True)
            client = await add_connector(database, config)
            controller = controller_on(database, config, clock)
            runtime = Runtime(config, client, flavor=await client.detect())
            report = await controller._synchronise(runtime, full=True)
            assert report.items == len(library.episodes)
            yield Mirrored(database, controller, clock)
    finally:
        await database.close()


async def test_counts_gaps_and_boosts(mirrored: Mirrored) -> None:
    database, controller, clock = mirrored
    summary = await controller._summary(await controller._config("c1"))
    async with database.session() as tx:
        state = await SYNC_STATES.get(tx, "c1")
        counts = await registry.counts(tx, "c1", clock.now())
        entries = await SEARCHES.all(tx, "ORDER BY item_id")
    assert state is not None
    assert (state.flavor, state.last_full_sync_at) == ("series", clock.now())
    assert (summary.items, summary.missing, summary.cutoff_unmet, summary.upcoming) == (
        counts.items, counts.missing, counts.upgrades, counts.upcoming
    )  # fmt: skip
    assert 0 < counts.missing < counts.wanted <= counts.items
    assert counts.upcoming > 0
    assert len(entries) == counts.missing + counts.upgrades

    missing = await controller.gaps(
        connector_id="c1", kind="missing", page=1, state="pending", query="series 2",
        sort="title", descending=False,
    )  # fmt: skip
    assert missing.total == len(missing.records) > 0
    assert {gap.series for gap in missing.records} == {"Series 2"}
    assert [gap.title for gap in missing.records] == sorted(g.title for g in missing.records)
    upcoming = await controller.gaps(
        connector_id=None, kind="upcoming", page=1, state=None, query="", sort="boost",
        descending=True,
    )  # fmt: skip
    assert upcoming.total == counts.upcoming
    assert {gap.state for gap in upcoming.records} == {None}

    first = missing.records[0]
    assert first.series_id is not None
    await controller.boost(first.id, 7)
    await controller.boost_series(first.series_id, 3)
    async with database.session() as tx:
        found = {c.item_id: c for c in await registry.candidates(tx, "c1", clock.now(), set())}
    assert found[first.id].boost == 10
    assert all(isinstance(candidate.packable, bool) for candidate in found.values())
    assert (await controller.queue()).depth == len(entries)


async def test_recovery_retention_and_history(mirrored: Mirrored) -> None:
    database, controller, clock = mirrored
    async with database.session() as tx:
        entries = await SEARCHES.all(tx, "ORDER BY item_id")
        first, second = entries[0].item_id, entries[1].item_id
        # a search under way, one lost in the sending, one that ended, one that ended long ago
        sent: dict[str, int] = {}
        for status, items, days, outcome in (
            ("started", [first], 0, None), ("sending", [second], 0, None),
            ("old", [], 91, "no_results"), ("completed", [], 0, "grabbed"),
        ):  # fmt: skip
            history = await SEARCH_HISTORY.insert(tx, SearchHistory(
                connector_id="c1", command="EpisodeSearch", body={"episodeIds": items},
                item_ids=items, cost=1, status=status, outcome=outcome,
                started_at=clock.now() - timedelta(days=days), arr_command_id=5,
            ))  # fmt: skip
            sent[status] = history.id
            await tx.execute(
                "UPDATE library_searches SET state = 'searching', history_id = :id"
                " WHERE item_id IN :items",
                {"id": history.id, "items": items},
            )
    assert [search["items"] for search in (await controller.queue()).searching] == [1, 1]

    async with database.session() as tx:
        limits = ThrottleLimits(max_attempts=1)
        running = await registry.recover(tx, "c1", limits, clock.now())
        assert running == [(sent["started"], 5)]
        assert await registry.prune_history(tx, "c1", clock.now() - timedelta(days=90)) == 1
        lost = await SEARCHES.get(tx, second)
        assert lost is not None
        assert (lost.state, lost.outcome, lost.exhausted_at) == (
            "exhausted", "timed_out", clock.now()
        )  # fmt: skip
        outcomes = await registry.outcomes_since(tx, "c1", clock.now() - timedelta(days=1))
        assert (outcomes["grabbed"], sum(outcomes.values())) == (1, 1)
        later = clock.now() + timedelta(days=2)
        await registry.release_exhausted(tx, "c1", later, timedelta(days=1))
        assert (await SEARCHES.get(tx, second)).state == "pending"  # type: ignore[union-attr]
    assert (await controller.reset("c1")).reset == 0
    history_page = await controller.history(connector_id="c1", page=1)
    assert [record.id for record in history_page.records] == [
        sent["completed"],
        sent["sending"],
        sent["started"],
    ]  # newest first, then by id
    assert history_page.records[1].status == "lost"


async def test_the_pause_is_stored_once(mirrored: Mirrored) -> None:
    database, controller, _ = mirrored
    await controller._set_paused(paused=True)
    await controller._set_paused(paused=True)  # twice is once
    async with database.session() as tx:
        assert await ENGINE_META.get(tx, "library_paused") is not None
    await controller._set_paused(paused=False)
    async with database.session() as tx:
        assert await ENGINE_META.get(tx, "library_paused") is None
