"""Comradarr's search discipline, the clock moved by hand: fallback, outcomes, retention, zones."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import pytest

from haul_engine.arr.kinds import ArrSettings, ThrottleLimits
from haul_engine.cron import Cron
from haul_engine.library import registry
from haul_engine.library.dispatch import Dispatcher, classify
from haul_engine.library.models import SEARCH_HISTORY, SEARCHES, Search, SearchHistory
from haul_engine.library.planner import after_attempt, allowance, spent_today
from haul_engine.library.sweep import Sweeper
from haul_engine.settings import Settings, SettingsError, load_settings
from tests.engine.library.conftest import FakeClock, add_connector, arr_config, synced
from tests.fakes.arr import FakeArr, Library

if TYPE_CHECKING:
    from haul_engine.arr.apps import AppClient
    from haul_engine.arr.client import Flavor
    from haul_engine.db.database import Database

PACE = {"searches_per_minute": 100, "searches_per_day": 1000, "batch_size": 10,
        "cooldown_minutes": 60, "max_attempts": 3, "backoff_multiplier": 3}  # fmt: skip


def settings(**changes: object) -> ArrSettings:
    return ArrSettings.model_validate(
        {"throttle": "custom", "custom_throttle": PACE, "search_upgrades": False, **changes}
    )


def sweeper(database: Database, client: AppClient, flavor: Flavor, clock: FakeClock) -> Sweeper:
    dispatcher = Dispatcher(database, client, "c1", clock, poll_interval=1.0)
    return Sweeper(database, client, dispatcher, "c1", flavor, clock)


async def entries(database: Database) -> dict[int, Search]:
    async with database.session() as tx:
        rows = await tx.fetch_all(
            f"SELECT i.arr_id, s.{', s.'.join(SEARCHES.columns)}"
            " FROM library_searches s JOIN library_items i ON i.id = s.item_id"
        )
        return {row[0]: SEARCHES.from_row(row[1:]) for row in rows}


async def test_a_season_pack_that_finds_nothing_falls_back_to_episodes(database: Database) -> None:
    clock = FakeClock()
    library = Library.generate(4, series=1, seasons=1, episodes_per_season=6, have=0.0)
    with FakeArr("sonarr", library) as sonarr:
        client = await add_connector(database, arr_config(sonarr))
        flavor = await synced(database, client, clock)

        first = await sweeper(database, client, flavor, clock).run(settings())
        assert [c["name"] for c in sonarr.commands] == ["SeasonSearch"]
        assert first.outcomes["no_results"] == 1
        after_pack = await entries(database)
        assert {(e.state, e.attempts, e.pack_attempts) for e in after_pack.values()} == {
            ("pending", 0, 1)
        }

        second = await sweeper(database, client, flavor, clock).run(settings())  # at once
        names = [c["name"] for c in sonarr.commands[1:]]
        assert set(names) == {"EpisodeSearch"}
        assert sorted(i for c in sonarr.commands[1:] for i in c["body"]["episodeIds"]) == sorted(
            library.episodes
        )
        assert second.outcomes["no_results"] == len(names)
        episodes = await entries(database)
        assert {(e.state, e.attempts) for e in episodes.values()} == {("cooldown", 1)}

        # an hour on, the pack's own cooldown is over too: the season is tried whole again
        clock.moment += timedelta(minutes=61)
        sonarr.grabs = lambda body: 1 if "seasonNumber" in body else 0
        third = await sweeper(database, client, flavor, clock).run(settings())
        assert [c["name"] for c in sonarr.commands[1 + len(names) :]] == ["SeasonSearch"]
        assert third.outcomes["grabbed"] == 1
        grabbed = await entries(database)
        assert {
            (e.state, e.attempts, e.pack_attempts, e.outcome, e.failure) for e in grabbed.values()
        } == {("cooldown", 2, 1, "grabbed", None)}


async def test_outcomes_are_classified_and_counted(database: Database) -> None:
    clock = FakeClock()
    with FakeArr("radarr", Library.generate(2, movies=5, have=0.0)) as radarr:
        client = await add_connector(database, arr_config(radarr))
        flavor = await synced(database, client, clock)
        radarr.grabs = lambda body: int(body["movieIds"][0] == 1)
        radarr.command_ends = ["completed", "completed", "failed"]
        report = await sweeper(database, client, flavor, clock).run(settings(
            custom_throttle={**PACE, "batch_size": 1}
        ))  # fmt: skip
        assert report.outcomes == {"grabbed": 1, "no_results": 3, "rate_limited": 0,
                                   "timed_out": 0, "arr_error": 1}  # fmt: skip
        assert (report.completed, report.failed) == (4, 1)

        clock.moment += timedelta(hours=2)  # the 429s: nothing searched, retried when asked
        radarr.retry_after = "1"  # and at least a minute
        radarr.fail_next("429", "429", "429", path="/command")
        limited = await sweeper(database, client, flavor, clock).run(settings())
        assert (limited.stopped, limited.outcomes["rate_limited"]) == ("rate_limited", 1)
        waiting = [e for e in (await entries(database)).values() if e.outcome == "rate_limited"]
        assert waiting
        assert {(e.state, e.next_eligible_at) for e in waiting} == {
            ("cooldown", clock.now() + timedelta(seconds=60))
        }
        async with database.session() as tx:
            counted = await registry.outcomes_since(tx, "c1", clock.now() - timedelta(days=1))
            history = [h.outcome for h in await SEARCH_HISTORY.all(tx)]
            assert sorted(filter(None, history)) == sorted(
                o for o, n in counted.items() for _ in range(n)
            )
    assert counted == {"grabbed": 1, "no_results": 3, "rate_limited": 1, "timed_out": 0,
                       "arr_error": 1}  # fmt: skip


def test_command_messages_name_their_outcome() -> None:
    assert classify("completed", "Episode search completed. 2 reports downloaded.") == "grabbed"
    assert classify("completed", "Season search completed. 0 reports downloaded.") == "no_results"
    assert classify("completed", "") == "no_results"
    assert classify("timeout", "the command did not finish in time") == "timed_out"
    assert classify("lost", "") == "timed_out"
    assert classify("failed", "Indexer error") == "arr_error"
    assert classify("aborted", "") == "arr_error"


async def mirrored(database: Database, library: Library) -> FakeClock:
    """Mirror a Sonarr library with nothing on disk; return the clock it was mirrored at."""
    clock = FakeClock()
    with FakeArr("sonarr", library) as sonarr:
        client = await add_connector(database, arr_config(sonarr))
        await synced(database, client, clock)
    return clock


async def test_exhausted_items_wait_out_the_retention_and_can_be_reset(database: Database) -> None:
    clock = await mirrored(
        database, Library.generate(3, series=2, seasons=1, episodes_per_season=4, have=0.0)
    )
    limits = ThrottleLimits(max_attempts=1)
    async with database.session() as tx:
        items = {
            row[0]: row[1] for row in await tx.fetch_all("SELECT arr_id, id FROM library_items")
        }
        await SEARCH_HISTORY.insert(tx, SearchHistory(
            id=7, connector_id="c1", command="EpisodeSearch", body={},
            item_ids=list(items.values()), cost=1, status="completed", started_at=clock.now(),
        ))  # fmt: skip
        await tx.execute("UPDATE library_searches SET state = 'searching', history_id = 7")
        exhausted = await registry.settle(tx, 7, limits, clock.now(), outcome="no_results")
    assert sorted(exhausted) == sorted(items.values())

    async def states() -> dict[int, str]:
        return {arr_id: entry.state for arr_id, entry in (await entries(database)).items()}

    async with database.session() as tx:  # a day later, 30 days kept
        kept = timedelta(days=30)
        await registry.release_exhausted(tx, "c1", clock.now() + timedelta(days=1), kept)
        assert set((await states()).values()) == {"exhausted"}
        assert await registry.reset(tx, "c1", item_id=items[1]) == 1
        series_two = await tx.fetch_value("SELECT id FROM library_series WHERE arr_id = 2")
        assert await registry.reset(tx, "c1", series_id=series_two) == 4
    after = await states()
    assert after[1] == "pending"
    assert [after[i] for i in (2, 3, 4)] == ["exhausted"] * 3
    assert {after[i] for i in range(5, 9)} == {"pending"}

    async with database.session() as tx:  # 31 days on: released
        await registry.release_exhausted(tx, "c1", clock.now() + timedelta(days=31), kept)
    released = await entries(database)
    assert {(e.state, e.attempts, e.exhausted_at) for e in released.values()} == {
        ("pending", 0, None)
    }

    async with database.session() as tx:  # given up by an older engine
        await tx.execute("UPDATE library_searches SET state = 'exhausted', exhausted_at = NULL")
        await registry.release_exhausted(tx, "c1", clock.now(), kept)
    assert {e.exhausted_at for e in (await entries(database)).values()} == {clock.now()}
    async with database.session() as tx:
        await registry.release_exhausted(tx, "c1", clock.now() + timedelta(days=30), kept)
    assert {e.state for e in (await entries(database)).values()} == {"pending"}
    async with database.session() as tx:
        assert await registry.reset(tx, "c1") == 0  # nothing given up or cooling down


async def test_a_series_boost_is_inherited_by_its_episodes(database: Database) -> None:
    library = Library.generate(5, series=3, seasons=1, episodes_per_season=2, have=0.0)
    clock = await mirrored(database, library)
    async with database.session() as tx:
        await tx.execute("UPDATE library_series SET boost = 5 WHERE arr_id = 2")
        await tx.execute(
            "UPDATE library_searches SET boost = 2"
            " WHERE item_id IN (SELECT id FROM library_items WHERE arr_id = 1)"
        )
        found = await registry.candidates(tx, "c1", clock.now(), set())
    boosts = {c.arr_id: c.boost for c in found}
    by_series = {e["id"]: e["seriesId"] for e in library.episodes.values()}
    assert boosts == {
        arr_id: (5 if by_series[arr_id] == 2 else 0) + (2 if arr_id == 1 else 0)
        for arr_id in by_series
    }


def test_the_backoff_multiplier_stretches_each_cooldown() -> None:
    now = datetime(2026, 3, 1, tzinfo=UTC)
    limits = ThrottleLimits(cooldown_minutes=10, backoff_multiplier=3, max_attempts=4)
    assert [after_attempt(limits, n, now)[1] for n in (1, 2, 3)] == [
        now + timedelta(minutes=minutes) for minutes in (10, 30, 90)
    ]
    assert after_attempt(limits, 4, now) == ("exhausted", None)
    flat = ThrottleLimits(cooldown_minutes=10, backoff_multiplier=1)
    assert after_attempt(flat, 5, now)[1] == now + timedelta(minutes=10)
    with pytest.raises(ValueError, match="backoff_multiplier"):
        ThrottleLimits(backoff_multiplier=0.5)


def test_the_daily_budget_and_schedules_follow_the_local_zone() -> None:
    zone = ZoneInfo("America/New_York")  # UTC-5 in December
    limits = ThrottleLimits(searches_per_minute=100, searches_per_day=10)
    # 22:00 in New York on 6 December is 03:00 UTC on the 7th: a new UTC day, not a local one
    evening = datetime(2026, 12, 7, 3, 0, tzinfo=UTC)
    spent = [(datetime(2026, 12, 6, 20, 0, tzinfo=UTC), 8)]  # 15:00 local, the same local day
    assert spent_today(spent, evening, zone) == 8
    assert spent_today(spent, evening) == 0  # in UTC it was yesterday
    assert allowance(limits, spent, evening, zone) == 2
    after_midnight = datetime(2026, 12, 7, 5, 1, tzinfo=UTC)  # 00:01 local
    assert allowance(limits, spent, after_midnight, zone) == 10

    daily = Cron.parse("0 3 * * *")  # at 03:00 local time
    run = daily.next_after(evening.astimezone(zone))
    assert run.astimezone(UTC) == datetime(2026, 12, 7, 8, 0, tzinfo=UTC)
    # the night clocks go forward (8 March 2026): 01:30 local, then 03:00 is an hour later
    spring = datetime(2026, 3, 8, 6, 30, tzinfo=UTC).astimezone(zone)
    assert (daily.next_after(spring).astimezone(UTC) - spring).total_seconds() == 30 * 60


def test_the_engine_learns_its_time_zone(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TZ", "Europe/Paris")  # what the Supervisor gives every add-on
    assert Settings().zone == ZoneInfo("Europe/Paris")
    assert Settings(time_zone="Asia/Tokyo").zone == ZoneInfo("Asia/Tokyo")
    monkeypatch.setenv("TZ", "Not/AZone")
    assert Settings().zone == UTC
    monkeypatch.delenv("TZ")
    assert Settings().zone == UTC
    with pytest.raises(SettingsError, match="time_zone"):
        load_settings({}, {"HAUL_TIME_ZONE": "Mars/Olympus"})
