"""What is wanted is what the *arr wants: counts against each fake's own wanted lists, and searches.

Each library has unmonitored series, seasons, episodes, movies, artists and albums, episodes not
aired yet and movies and albums not out yet, specials, an episode monitored by hand in an
unmonitored season, a movie without a year and albums with some of their tracks; the user changes
monitoring between syncs. Haul's gaps are the *arr's wanted lists read by Haul's rules: a movie
Radarr lists as missing before it is available is not searched (Radarr skips its availability check
for a command sent through its API), and an album Lidarr lists both as missing and below the cutoff
is one gap, a missing one. What is monitored and not out yet is counted apart as upcoming (Radarr's
missing list total is Haul's missing plus upcoming) and never searched.
"""

from __future__ import annotations

import contextlib
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import aiohttp
import pytest

from haul_engine.arr.kinds import ArrSettings
from haul_engine.db.database import Database
from haul_engine.library import registry
from haul_engine.library.dispatch import Dispatcher
from haul_engine.library.sweep import Sweeper
from haul_engine.library.sync import LibrarySync
from tests.engine.library.conftest import FakeClock, add_connector, arr_config
from tests.fakes.arr import API_KEY, NOW, FakeArr, Library, movie_available, track_files

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Callable

    from haul_engine.arr.apps import AppClient

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


async def arr_list(fake: FakeArr, client: AppClient, reason: str) -> list[dict[str, Any]]:
    """Every record of the *arr's own wanted list (Whisparr v3 has none: what its searches take)."""
    if not fake.has_wanted_lists:
        return [
            {"id": m["id"], "isAvailable": movie_available(m, fake.now, fake.availability_delay)}
            for m in fake.wanted("missing" if reason == "missing" else "cutoff")
        ]
    first = await client.get(f"/wanted/{reason}", page=1, pageSize=1, monitored="true")
    records = [r async for page in client.pages(f"/wanted/{reason}") for r in page]
    assert len(records) == len({r["id"] for r in records}) == first["totalRecords"]
    return records


async def arr_totals(fake: FakeArr, client: AppClient) -> tuple[int, int, int]:
    """The missing, upgrade and upcoming counts Haul must show, read from the *arr's own lists.

    Radarr's missing list holds monitored movies not available yet: Haul counts them apart, as
    upcoming (its missing and upcoming add up to the list's total). Sonarr's and Lidarr's list only
    what is out: their upcoming are the monitored episodes and albums not out yet, without a file.
    Lidarr's cutoff list holds incomplete albums that its missing list holds too: Haul counts them
    once.
    """
    listed = await arr_list(fake, client, "missing")
    cutoff = await arr_list(fake, client, "cutoff")
    missing = [r for r in listed if r["isAvailable"]] if fake.flavor == "movie" else listed
    upcoming = len(listed) - len(missing) if fake.flavor == "movie" else not_out(fake)
    gaps = {record["id"] for record in missing}
    return len(missing), sum(record["id"] not in gaps for record in cutoff), upcoming


def not_out(fake: FakeArr) -> int:
    """Monitored episodes or albums without their files that are not out yet (in no *arr list)."""
    lib, listed = fake.library, {item["id"] for item in fake.wanted("missing")}
    if fake.flavor == "series":
        return sum(
            e["monitored"] and lib.series[e["seriesId"]]["monitored"] and not e["hasFile"]
            and e["id"] not in listed
            for e in lib.episodes.values()
        )  # fmt: skip
    return sum(
        a["monitored"] and lib.artists[a["artistId"]]["monitored"] and a["id"] not in listed
        and track_files(a) < a["trackCount"]
        for a in lib.albums.values()
    )  # fmt: skip


async def haul_totals(database: Database, clock: FakeClock) -> tuple[int, int, int]:
    """Haul's counts after a sync, checked against the search registry too."""
    async with database.session() as tx:
        await registry.refresh(tx, "c1", clock.now(), upgrades=True)
        counts = await registry.counts(tx, "c1", clock.now())
        rows = await tx.fetch_all("SELECT reason, count(*) FROM library_searches GROUP BY reason")
        waiting = {row[0]: row[1] for row in rows}
    assert (waiting.get("missing", 0), waiting.get("upgrade", 0)) == (
        counts.missing,
        counts.upgrades,
    )
    return counts.missing, counts.upgrades, counts.upcoming


def quiet_upgrade(fake: FakeArr) -> dict[str, Any]:
    """An episode below the cutoff whose unmonitoring changes none of Sonarr's season statistics.

    It has a file (counted in episodeCount either way) and a later monitored episode of its
    season has aired (previousAiring stays): only the episode itself says it is not wanted. The
    last such one: the other changes touch the first series.
    """
    below = {record["id"] for record in fake.wanted("cutoff")}
    episodes = fake.library.episodes.values()
    return next(
        e for e in reversed(episodes)
        if e["id"] in below and any(
            o["seriesId"] == e["seriesId"] and o["seasonNumber"] == e["seasonNumber"]
            and o["monitored"] and e["airDateUtc"] < o["airDateUtc"] < fake.now
            for o in episodes
        )
    )  # fmt: skip


def changes(fake: FakeArr) -> list[Callable[[], None]]:
    """What a user does in the *arr between syncs, for this kind of library."""
    lib = fake.library
    if fake.flavor == "series":
        watched = [s for s in lib.series.values() if s["monitored"]]
        ignored = [s for s in lib.series.values() if not s["monitored"]]
        gap = next(iter(fake.wanted("missing")))
        season = next(iter(lib.unmonitored_seasons))
        ignored_season = next(
            s for s in sorted(lib.unmonitored_seasons)
            if s[1] and s != season and lib.series[s[0]]["monitored"]
        )  # fmt: skip
        series_id, number = ignored_season
        by_hand = next(e for e in lib.series_episodes(series_id)
                       if e["seasonNumber"] == number and not e["monitored"])  # fmt: skip
        return [
            lambda: quiet_upgrade(fake).update(monitored=False),
            lambda: by_hand.update(monitored=True),
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
        assert first[2] > 0  # monitored, not out yet: upcoming
        listed = await arr_list(fake, client, "missing")
        if kind == "radarr":  # Radarr lists monitored movies before they are available
            assert any(not movie["isAvailable"] for movie in listed)
            assert first[0] + first[2] == len(listed)  # its total: Haul's missing and upcoming
            assert any(not m["year"] for m in fake.library.movies.values())  # in neither
        elif fake.has_wanted_lists:  # Sonarr and Lidarr list only what is out
            assert first[0] == len(listed)
        if fake.flavor == "series":  # Sonarr lists specials as missing, never below the cutoff
            assert any(record["seasonNumber"] == 0 for record in listed)
            below = await arr_list(fake, client, "cutoff")
            assert below
            assert all(record["seasonNumber"] for record in below)

        for change in changes(fake):  # each change alone, then an incremental sync
            change()
            await sync.run(full=False)
            assert await haul_totals(database, clock) == await arr_totals(fake, client)

        # time passes: episodes air and movies and albums come out, with no sync in between
        clock.moment = fake.now = NOW + timedelta(days=45)
        later = await arr_totals(fake, client)
        assert later != first
        assert later[2] < first[2]  # some came out: missing now, without a sync
        assert await haul_totals(database, clock) == later
        await sync.run(full=True)
        assert await haul_totals(database, clock) == later


@pytest.mark.parametrize(("kind", "version"), [app for app in APPS if app[0] != "radarr"][:3])
async def test_an_episode_unmonitored_before_it_airs_is_never_wanted(
    database: Database, kind: str, version: str
) -> None:
    """Unmonitoring an episode not aired yet, not its season's next, moves no season statistic.

    The mirror learns it by the time it airs: the monitored episode airing before it moves them.
    Until then it is still counted upcoming (a full sync, daily, sees it sooner).
    """
    clock, fake = FakeClock(), FakeArr(kind, library(), version=version)
    lib = fake.library
    series = next(s for s in lib.series.values() if s["monitored"])
    *_, earlier, last = (e for e in lib.series_episodes(series["id"]) if e["seasonNumber"] == 1)
    for days, episode in enumerate((earlier, last), start=2):
        episode.update(airDateUtc=NOW + timedelta(days=days), monitored=True, hasFile=False,
                       cutoffNotMet=False)  # fmt: skip
    async with mirrored(database, clock, fake) as (client, sync):
        last["monitored"] = False
        await sync.run(full=False)
        missing, upgrades, upcoming = await arr_totals(fake, client)
        assert await haul_totals(database, clock) == (missing, upgrades, upcoming + 1)
        clock.moment = fake.now = last["airDateUtc"] + timedelta(days=1)
        await sync.run(full=False)  # as a sweep and a search now do before searching
        assert await haul_totals(database, clock) == await arr_totals(fake, client)
        async with database.session() as tx:
            found = await registry.candidates(tx, "c1", clock.now(), set())
        assert last["id"] not in {candidate.arr_id for candidate in found}


@pytest.mark.parametrize("kind", ["sonarr", "radarr", "lidarr"])
async def test_counts_equal_the_arr_s_wanted_lists_on_postgresql(
    postgres_database: str, kind: str
) -> None:
    """The counts' SQL (booleans, dates unknown, out or not yet) reads the same on PostgreSQL."""
    database = Database(postgres_database)
    await database.setup()
    clock, fake = FakeClock(), FakeArr(kind, library())
    try:
        async with mirrored(database, clock, fake) as (client, _):
            totals = await arr_totals(fake, client)
            assert totals[2] > 0
            assert await haul_totals(database, clock) == totals
    finally:
        await database.close()


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


async def test_a_movie_out_moves_from_upcoming_to_missing_at_the_next_sync(
    database: Database,
) -> None:
    clock, fake = FakeClock(), FakeArr("radarr", library())
    held = next(m for m in fake.library.movies.values()
                if m["monitored"] and m["year"] and not movie_available(m))  # fmt: skip
    async with mirrored(database, clock, fake) as (client, sync):
        missing, upgrades, upcoming = await haul_totals(database, clock)
        assert upcoming > 0
        held.update(minimumAvailability="announced")  # Radarr counts it available now
        await sync.run(full=False)
        assert await haul_totals(database, clock) == (missing + 1, upgrades, upcoming - 1)
        assert await haul_totals(database, clock) == await arr_totals(fake, client)
        listed = await client.get("/wanted/missing", page=1, pageSize=1, monitored="true")
        assert missing + upcoming == listed["totalRecords"]


def season_wanted(fake: FakeArr, series_id: int, season: int, wanted: list[dict[str, Any]]) -> bool:
    """Whether a season search asks for wanted episodes only: a pack it grabs holds them all.

    Sonarr searches the season's monitored episodes, but a season pack brings every aired one.
    """
    episodes = [e for e in fake.library.series_episodes(series_id) if e["seasonNumber"] == season]
    aired = [e for e in episodes if e["airDateUtc"] <= fake.now]
    return any(e in wanted for e in episodes) and all(e["monitored"] for e in aired)


def targets(fake: FakeArr, command: dict[str, Any]) -> list[bool]:
    """Whether each thing a search command names is monitored (all the way up) and out."""
    lib, body = fake.library, command["body"]
    missing, cutoff = fake.wanted("missing"), fake.wanted("cutoff")
    if "movieIds" in body:  # a movie missing is searched only once it is available
        available = [m for m in missing if movie_available(m, fake.now, fake.availability_delay)]
        return [lib.movies[i] in [*available, *cutoff] for i in body["movieIds"]]
    wanted = [*missing, *cutoff]
    if "episodeIds" in body:
        return [lib.episodes[i] in wanted for i in body["episodeIds"]]
    if "seasonNumber" in body:
        return [season_wanted(fake, body["seriesId"], body["seasonNumber"], wanted)]
    if "seriesId" in body:  # Sonarr searches each monitored season
        series_id = body["seriesId"]
        seasons = {e["seasonNumber"] for e in lib.series_episodes(series_id)}
        return [lib.series[series_id]["monitored"], *(
            season_wanted(fake, series_id, season, wanted) for season in seasons
            if (series_id, season) not in lib.unmonitored_seasons
        )]  # fmt: skip
    return [lib.albums[i] in wanted for i in body["albumIds"]]


@pytest.mark.parametrize(("kind", "version"), APPS)
async def test_sweeps_never_search_what_the_user_does_not_want(
    database: Database, kind: str, version: str
) -> None:
    clock, fake = FakeClock(), FakeArr(kind, library(), version=version)
    async with mirrored(database, clock, fake) as (client, sync):

        async def resync() -> None:
            await sync.run(full=False)
            async with database.session() as tx:
                await registry.refresh(tx, "c1", clock.now(), upgrades=True)

        await resync()
        for change in changes(fake):  # the user changes monitoring after the last sync
            change()
        dispatcher = Dispatcher(database, client, "c1", clock, poll_interval=1.0)
        sweeper = Sweeper(database, client, dispatcher, "c1", sync.flavor, clock, refresh=resync)
        upcoming = not_out_ids(fake)
        report = await sweeper.run(GREEDY)
    assert report.dispatched == len(fake.commands) >= 3
    verdicts = {str(c["body"]): targets(fake, c) for c in fake.commands}
    assert all(all(v) for v in verdicts.values()), verdicts
    # upcoming (monitored, not out yet): listed as missing by Radarr, never searched
    key = {"movie": "movieIds", "series": "episodeIds"}.get(fake.flavor, "albumIds")
    searched = {i for c in fake.commands for i in c["body"].get(key, [])}
    assert searched
    assert upcoming
    assert not upcoming & searched


def not_out_ids(fake: FakeArr) -> set[int]:
    """The ids of what is monitored, without a file and not out yet at the fake's clock."""
    lib, now = fake.library, fake.now
    if fake.flavor == "movie":
        return {m["id"] for m in fake.wanted("missing")
                if not movie_available(m, now, fake.availability_delay)}  # fmt: skip
    if fake.flavor == "series":
        return {e["id"] for e in lib.episodes.values() if e["monitored"] and not e["hasFile"]
                and (e["airDateUtc"] is None or e["airDateUtc"] > now)}  # fmt: skip
    return {a["id"] for a in lib.albums.values() if a["monitored"] and a["released"] > now}


async def ask(fake: FakeArr, path: str, **params: str) -> tuple[int, Any]:
    """GET one of the fake's API paths with its key: the status and the decoded answer."""
    headers = {"X-Api-Key": API_KEY}
    url = f"{fake.url}{fake.api_base}{path}"
    async with (
        aiohttp.ClientSession(headers=headers) as session,
        session.get(url, params=params) as answer,
    ):
        found = answer.status != 404
        return answer.status, await answer.json(content_type=None) if found else None


# the default sort key of each app's wanted/missing list (Sonarr v3 spells it unprefixed)
DEFAULT_SORTS = {
    ("sonarr", 4): "episodes.airDateUtc", ("sonarr", 3): "airDateUtc", ("whisparr", 2): None,
    ("radarr", 5): "movieMetadata.sortTitle", ("lidarr", 2): "releaseDate",
}  # fmt: skip


@pytest.mark.parametrize(("kind", "version"), [*APPS, ("radarr", "4.7.5.7809")])
async def test_the_fake_s_wanted_lists_answer_as_the_arr_s_do(kind: str, version: str) -> None:
    with FakeArr(kind, library(), version=version) as fake:
        status, answer = await ask(fake, "/wanted/missing")
        if not fake.has_wanted_lists:  # Radarr before v5 and Whisparr v3 have none
            assert status == 404
            return
        assert (status, answer["page"], answer["pageSize"]) == (200, 1, 10)
        assert answer["sortKey"] == DEFAULT_SORTS[kind, fake.major]
        assert answer["sortDirection"] == "descending"  # PagingResource's, not the controller's
        for reason in ("missing", "cutoff"):
            wanted = {r["id"] for r in fake.wanted(reason)}  # type: ignore[arg-type]
            rest = {r["id"] for r in fake.wanted(reason, monitored=False)}  # type: ignore[arg-type]
            assert wanted
            assert rest or reason == "cutoff"
            assert not wanted & rest
            for monitored, ids in (("true", wanted), ("false", rest)):
                _, answer = await ask(fake, f"/wanted/{reason}", monitored=monitored,
                                      pageSize=str(len(ids)))  # fmt: skip
                assert answer["totalRecords"] == len(ids)
                assert {r["id"] for r in answer["records"]} == ids
        status, _ = await ask(fake, "/wanted/missing", monitored="yes")
        assert status == 400
        if fake.flavor == "series":
            _, answer = await ask(
                fake, "/wanted/missing", includeSeries="true", sortKey="series.sortTitle",
                sortDirection="ascending",
            )  # fmt: skip
            assert all(r["series"]["id"] == r["seriesId"] for r in answer["records"])
            assert answer["sortDirection"] == "ascending"
        if kind == "radarr":
            _, answer = await ask(fake, "/wanted/missing", pageSize="1000", sortKey="nonsense")
            titles = [r["sortTitle"] for r in answer["records"]]
            assert answer["sortKey"] == "movieMetadata.sortTitle"  # an unknown key: the default
            assert titles == sorted(titles, reverse=True)
