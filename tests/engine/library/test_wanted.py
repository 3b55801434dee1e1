"""What is wanted is what the *arr wants: counts against each fake's own wanted lists, and searches.

Each library has unmonitored series, seasons, episodes, movies, artists and albums, episodes not
aired yet and movies and albums not out yet; the user changes monitoring between syncs.
"""

from __future__ import annotations

import contextlib
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import pytest
from sqlalchemy import func, select

from haul_engine.arr.kinds import ArrSettings
from haul_engine.library import registry
from haul_engine.library.dispatch import Dispatcher
from haul_engine.library.models import Search
from haul_engine.library.sweep import Sweeper
from haul_engine.library.sync import LibrarySync
from tests.engine.library.conftest import FakeClock, add_connector, arr_config
from tests.fakes.arr import NOW, FakeArr, Library, movie_available

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Callable

    from haul_engine.arr.apps import AppClient
    from haul_engine.db.database import Database

APPS = [
    ("sonarr", "4.0.14.2939"),
    ("sonarr", "3.0.10.1567"),
    ("whisparr", "2.0.0.1123"),
    ("radarr", "5.21.1.9799"),
    ("whisparr", "3.0.0.800"),
    ("lidarr", "2.9.6.4552"),
]
GREEDY = ArrSettings.model_validate({
    "throttle": "custom", "queue_limit": 1000,
    "custom_throttle": {"searches_per_minute": 1000, "searches_per_day": 100_000,
                        "batch_size": 10, "cooldown_minutes": 60, "max_attempts": 3},
})  # fmt: skip


def library() -> Library:
    return Library.generate(
        7, series=20, seasons=3, episodes_per_season=8, movies=150, artists=20,
        unmonitored=0.1, upcoming=0.2,
    )  # fmt: skip


async def arr_totals(fake: FakeArr, client: AppClient) -> tuple[int, int]:
    """The *arr's own wanted/missing and wanted/cutoff totals (Whisparr v3 has no such lists)."""
    if fake.kind == "whisparr" and fake.flavor == "movie":
        return tuple(len(fake.library.wanted("movie", r, fake.now)) for r in ("missing", "cutoff"))  # type: ignore[return-value]
    totals = []
    for reason in ("missing", "cutoff"):
        answer = await client.get(f"/wanted/{reason}", page=1, pageSize=1, monitored="true")
        totals.append(int(answer["totalRecords"]))
    return totals[0], totals[1]


async def haul_totals(database: Database, clock: FakeClock) -> tuple[int, int]:
    """Haul's counts after a sync, checked against the search registry too."""
    async with database.session() as session, session.begin():
        await registry.refresh(session, "c1", clock.now(), upgrades=True)
        counts = await registry.counts(session, "c1", clock.now())
        waiting = dict(
            (
                await session.execute(select(Search.reason, func.count()).group_by(Search.reason))
            ).all()
        )
    assert (waiting.get("missing", 0), waiting.get("upgrade", 0)) == (
        counts.missing,
        counts.upgrades,
    )
    return counts.missing, counts.upgrades


def changes(fake: FakeArr) -> list[Callable[[], None]]:
    """What a user does in the *arr between syncs, for this kind of library."""
    lib = fake.library
    if fake.flavor == "series":
        watched = [s for s in lib.series.values() if s["monitored"]]
        ignored = [s for s in lib.series.values() if not s["monitored"]]
        gap = next(iter(lib.wanted("series", "missing")))
        season = next(iter(lib.unmonitored_seasons))
        return [
            lambda: watched[0].update(monitored=False),
            lambda: ignored[0].update(monitored=True),
            lambda: lib.monitor_season(watched[1]["id"], 2, monitored=False),
            lambda: lib.monitor_season(*season, monitored=True),
            lambda: gap.update(monitored=False),
            lambda: next(e for e in lib.episodes.values() if not e["hasFile"]).update(hasFile=True),
        ]
    if fake.flavor == "movie":
        missing = [m for m in lib.movies.values() if m["monitored"] and not m["hasFile"]]
        held = next(m for m in lib.movies.values() if not movie_available(m))
        return [
            lambda: missing[0].update(monitored=False),
            lambda: next(m for m in lib.movies.values() if not m["monitored"]).update(
                monitored=True
            ),
            lambda: held.update(minimumAvailability="announced"),
            lambda: missing[1].update(hasFile=True, cutoffNotMet=True),
        ]
    watched = [a for a in lib.artists.values() if a["monitored"]]
    albums = [a for a in lib.albums.values() if a["monitored"] and not a["hasFile"]]
    return [
        lambda: watched[0].update(monitored=False),
        lambda: next(a for a in lib.artists.values() if not a["monitored"]).update(monitored=True),
        lambda: albums[-1].update(monitored=False),
        lambda: albums[-2].update(hasFile=True, cutoffNotMet=True),
    ]


@contextlib.asynccontextmanager
async def mirrored(
    database: Database, clock: FakeClock, fake: FakeArr
) -> AsyncIterator[tuple[AppClient, LibrarySync]]:
    """Serve the fake and mirror it fully; give its client and the sync to run again."""
    with fake:
        client = await add_connector(database, arr_config(fake))
        sync = LibrarySync(database, client, "c1", await client.detect(), clock)
        await sync.run(full=True)
        yield client, sync


@pytest.mark.parametrize(("kind", "version"), APPS)
async def test_counts_equal_the_arr_s_wanted_lists(
    database: Database, kind: str, version: str
) -> None:
    clock, fake = FakeClock(), FakeArr(kind, library(), version=version)
    async with mirrored(database, clock, fake) as (client, sync):
        first = await arr_totals(fake, client)
        assert first[0] > 0
        assert await haul_totals(database, clock) == first
        unmonitored = sum(not i["monitored"] for i in (
            *fake.library.episodes.values(), *fake.library.movies.values(),
            *fake.library.albums.values(),
        ))  # fmt: skip
        assert unmonitored > 0

        for change in changes(fake):  # each change alone, then an incremental sync
            change()
            await sync.run(full=False)
            assert await haul_totals(database, clock) == await arr_totals(fake, client)

        # time passes: episodes air and movies and albums come out, with no sync in between
        clock.moment = fake.now = NOW + timedelta(days=45)
        later = await arr_totals(fake, client)
        assert later != first
        assert await haul_totals(database, clock) == later
        await sync.run(full=True)
        assert await haul_totals(database, clock) == later


async def test_radarr_s_availability_delay_holds_movies_back(database: Database) -> None:
    clock, fake = FakeClock(), FakeArr("radarr", library())
    fake.availability_delay = 10  # days after the minimum availability
    # released from a week ago to a month ahead: some within the delay, now and later
    for number, movie in enumerate(fake.library.movies.values()):
        movie.update(released=NOW + timedelta(days=number % 40 - 7), minimumAvailability="released")
    async with mirrored(database, clock, fake) as (client, sync):
        first = await arr_totals(fake, client)
        assert await haul_totals(database, clock) == first
        clock.moment = fake.now = NOW + timedelta(days=20)
        await sync.run(full=False)
        later = await arr_totals(fake, client)
        assert later[0] > first[0]
        assert await haul_totals(database, clock) == later


def targets(fake: FakeArr, command: dict[str, Any]) -> list[bool]:
    """Whether each thing a search command names is monitored (all the way up) and out."""
    lib, body = fake.library, command["body"]
    if "episodeIds" in body:
        return [lib.episodes[i] in lib.wanted("series", "missing", fake.now)
                or lib.episodes[i] in lib.wanted("series", "cutoff", fake.now)
                for i in body["episodeIds"]]  # fmt: skip
    if "seasonNumber" in body:
        season = (body["seriesId"], body["seasonNumber"])
        return [lib.series[body["seriesId"]]["monitored"] and season not in lib.unmonitored_seasons]
    if "seriesId" in body:
        return [lib.series[body["seriesId"]]["monitored"]]
    key, flavor, table = (
        ("movieIds", "movie", lib.movies)
        if "movieIds" in body
        else ("albumIds", "music", lib.albums)
    )
    wanted = [*lib.wanted(flavor, "missing", fake.now), *lib.wanted(flavor, "cutoff", fake.now)]
    return [table[i] in wanted for i in body[key]]


@pytest.mark.parametrize(("kind", "version"), APPS)
async def test_sweeps_never_search_what_the_user_does_not_want(
    database: Database, kind: str, version: str
) -> None:
    clock, fake = FakeClock(), FakeArr(kind, library(), version=version)
    async with mirrored(database, clock, fake) as (client, sync):

        async def resync() -> None:
            await sync.run(full=False)
            async with database.session() as session, session.begin():
                await registry.refresh(session, "c1", clock.now(), upgrades=True)

        await resync()
        for change in changes(fake):  # the user changes monitoring after the last sync
            change()
        dispatcher = Dispatcher(database, client, "c1", clock, poll_interval=1.0)
        sweeper = Sweeper(database, client, dispatcher, "c1", sync.flavor, clock, refresh=resync)
        report = await sweeper.run(GREEDY)
    assert report.dispatched == len(fake.commands) >= 3
    verdicts = {str(c["body"]): targets(fake, c) for c in fake.commands}
    assert all(all(v) for v in verdicts.values()), verdicts
