"""Sweeps in-process against fake *arrs with a clock the test moves: budgets, batching, recovery."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import TYPE_CHECKING

from haul_engine.arr.kinds import ArrSettings
from haul_engine.library import registry
from haul_engine.library.dispatch import Dispatcher
from haul_engine.library.models import SEARCH_HISTORY, SearchHistory
from haul_engine.library.sweep import Sweeper
from haul_engine.library.sync import LibrarySync
from tests.engine.library.conftest import FakeClock, add_connector, arr_config, synced
from tests.fakes.arr import FakeArr, Library

if TYPE_CHECKING:
    from haul_engine.arr.apps import AppClient
    from haul_engine.arr.client import Flavor
    from haul_engine.db.database import Database

LIMITS = {"searches_per_minute": 2, "searches_per_day": 7, "batch_size": 2,
          "cooldown_minutes": 60, "max_attempts": 2}  # fmt: skip


def settings(**changes: object) -> ArrSettings:
    return ArrSettings.model_validate(
        {"throttle": "custom", "custom_throttle": LIMITS, "search_upgrades": False, **changes}
    )


def sweeper(database: Database, client: AppClient, flavor: Flavor, clock: FakeClock) -> Sweeper:
    dispatcher = Dispatcher(database, client, client.config.id, clock, poll_interval=1.0)
    return Sweeper(database, client, dispatcher, client.config.id, flavor, clock)


def searched_ids(fake: FakeArr) -> list[int]:
    return [i for command in fake.commands for i in command["body"].get("movieIds", [])]


async def states(database: Database) -> dict[int, tuple[str, int]]:
    async with database.session() as tx:
        rows = await tx.fetch_all(
            "SELECT i.arr_id, s.state, s.attempts"
            " FROM library_items i JOIN library_searches s ON s.item_id = i.id"
        )
        return {arr_id: (state, attempts) for arr_id, state, attempts in rows}


async def test_budget_and_rate_are_never_exceeded(database: Database) -> None:
    clock = FakeClock()
    with FakeArr("radarr", Library.generate(2, movies=60, have=0.0)) as radarr:
        client = await add_connector(database, arr_config(radarr))
        flavor = await synced(database, client, clock)
        first = await sweeper(database, client, flavor, clock).run(settings())
        again = await sweeper(database, client, flavor, clock).run(settings())
        await client.close()
    assert (first.cost, first.stopped) == (7, "daily_budget")
    assert (again.dispatched, again.stopped) == (0, "daily_budget")
    async with database.session() as tx:
        sent = [(h.started_at, h.cost) for h in await SEARCH_HISTORY.all(tx)]
    assert sum(cost for _, cost in sent) == 7
    for at, _ in sent:
        assert sum(c for t, c in sent if at - timedelta(minutes=1) < t <= at) <= 2
    assert len(searched_ids(radarr)) == len(set(searched_ids(radarr))) == 7
    assert all(command["name"] == "MoviesSearch" for command in radarr.commands)


async def test_exhausted_items_stop_and_acquired_items_leave(database: Database) -> None:
    clock = FakeClock()
    library = Library.generate(2, movies=2, have=0.0)
    for movie in library.movies.values():
        movie["isAvailable"] = True
    with FakeArr("radarr", library) as radarr:
        client = await add_connector(database, arr_config(radarr))
        flavor = await synced(database, client, clock)
        sync = LibrarySync(database, client, "c1", flavor)
        for _ in range(3):
            await sweeper(database, client, flavor, clock).run(settings())
            clock.moment += timedelta(days=1)
        assert await states(database) == {1: ("exhausted", 2), 2: ("exhausted", 2)}
        assert searched_ids(radarr) == [1, 2, 1, 2]

        library.movies[1]["hasFile"] = True
        report = await sync.run(full=False)
        async with database.session() as tx:
            await registry.refresh(tx, "c1", clock.now(), upgrades=False)
        await client.close()
    assert len(report.acquired) == 1
    assert await states(database) == {2: ("exhausted", 2)}


async def test_back_pressure_and_items_in_the_queue(database: Database) -> None:
    clock = FakeClock()
    with FakeArr("radarr", Library.generate(2, movies=4, have=0.0)) as radarr:
        for movie in radarr.library.movies.values():
            movie["isAvailable"] = True
        client = await add_connector(database, arr_config(radarr))
        flavor = await synced(database, client, clock)
        radarr.library.queue = [{"id": n, "movieId": 1, "downloadId": "AB" * 20} for n in range(3)]
        full = await sweeper(database, client, flavor, clock).run(settings(queue_limit=2))
        assert (full.stopped, radarr.commands) == ("queue_full", [])
        await sweeper(database, client, flavor, clock).run(settings(queue_limit=5))
        await client.close()
    assert sorted(searched_ids(radarr)) == [2, 3, 4]


async def test_sonarr_sweep_batches_by_season(database: Database) -> None:
    clock = FakeClock()
    library = Library.generate(4, series=2, seasons=4, episodes_per_season=6, have=1.0)
    for episode in library.episodes.values():
        if episode["seriesId"] == 1 or (
            episode["seasonNumber"] == 1 and episode["episodeNumber"] <= 2
        ):
            episode["hasFile"] = False
    with FakeArr("sonarr", library) as sonarr:
        client = await add_connector(database, arr_config(sonarr))
        flavor = await synced(database, client, clock)
        limits = {**LIMITS, "searches_per_minute": 10, "searches_per_day": 100, "batch_size": 5}
        await sweeper(database, client, flavor, clock).run(settings(custom_throttle=limits))
        await client.close()
    sent = {c["name"]: c["body"] for c in sonarr.commands}
    assert len(sonarr.commands) == len(sent) == 2
    assert sent["SeriesSearch"]["seriesId"] == 1
    assert sorted(sent["EpisodeSearch"]["episodeIds"]) == [25, 26]  # series 2, season 1, 1-2


async def test_restart_mid_sweep_loses_nothing_and_repeats_nothing(database: Database) -> None:
    clock = FakeClock()
    with FakeArr("radarr", Library.generate(2, movies=6, have=0.0)) as radarr:
        for movie in radarr.library.movies.values():
            movie["isAvailable"] = True
        client = await add_connector(database, arr_config(radarr))
        flavor = await synced(database, client, clock)
        wide = settings(custom_throttle={**LIMITS, "searches_per_day": 100})
        radarr.hang_seconds = 1.5
        radarr.fail_next(
            "hang", path="/command"
        )  # the command reaches the *arr, then the engine dies
        sweep = asyncio.create_task(sweeper(database, client, flavor, clock).run(wide))
        while not radarr.requests or "/command" not in radarr.requests[-1][1]:  # noqa: ASYNC110 - the fake runs in another thread
            await asyncio.sleep(0.01)
        sweep.cancel()  # like a stop in the middle of sending
        async with asyncio.timeout(10):  # the *arr finishes handling the command
            while not radarr.commands:  # noqa: ASYNC110 - the fake runs in another thread
                await asyncio.sleep(0.05)
        left = {state for state, _ in (await states(database)).values()}
        assert "searching" in left

        async with database.session() as tx:
            assert await registry.recover(tx, "c1", wide.limits, clock.now()) == []
        recovered = await states(database)
        maybe_sent = radarr.commands[0]["body"]["movieIds"]
        assert {recovered[n] for n in maybe_sent} == {("cooldown", 1)}
        assert {state for n, state in recovered.items() if n not in maybe_sent} == {("pending", 0)}
        await sweeper(database, client, flavor, clock).run(wide)
        await client.close()
    assert sorted(searched_ids(radarr)) == [1, 2, 3, 4, 5, 6]


async def test_old_history_is_pruned_but_running_commands_stay(database: Database) -> None:
    clock = FakeClock()
    with FakeArr("radarr") as radarr:
        client = await add_connector(database, arr_config(radarr))
        await client.close()
    now = clock.now()
    ages = {"old ended": (91, "completed"), "old running": (91, "started"),
            "old sending": (91, "sending"), "recent": (89, "failed")}  # fmt: skip
    async with database.session() as tx:
        for name, (days, status) in ages.items():
            await SEARCH_HISTORY.insert(tx, SearchHistory(
                connector_id="c1", command=name, body={}, item_ids=[], cost=1, status=status,
                started_at=now - timedelta(days=days),
            ))  # fmt: skip
    async with database.session() as tx:
        assert await registry.prune_history(tx, "c1", now - timedelta(days=90)) == 1
    async with database.session() as tx:
        left = {h.command for h in await SEARCH_HISTORY.all(tx)}
    assert left == {"old running", "old sending", "recent"}
