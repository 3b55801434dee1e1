"""The Torznab client against a fake feed: caps, ids, items, paging, limits, links, redaction."""

from __future__ import annotations

import asyncio
import time
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from haul_engine.indexers.base import (
    IndexerError,
    IndexerResult,
    RateLimitedError,
    SearchQuery,
)
from haul_engine.indexers.torznab import TORZNAB_NS, TorznabClient, parse_items
from tests.fakes.torznab import Failure, FakeRelease, FakeTorznab

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from tests.engine.indexers.conftest import Captured

type MakeClient = Callable[..., TorznabClient]
MOVIE = FakeRelease(
    "The.Matrix.1999.1080p.BluRay.x264-GRP",
    imdb=133093,
    seeders=40,
    leechers=4,
    freeleech=True,
    tags=("internal",),
)


@pytest.fixture
def feed() -> Iterator[FakeTorznab]:
    releases = [
        MOVIE,
        *(
            FakeRelease(f"Show.Name.S01E0{n}.720p.HDTV.x264-LOL", category=5040)
            for n in range(1, 6)
        ),
    ]
    with FakeTorznab(releases) as fake:
        yield fake


def searches(fake: FakeTorznab) -> list[dict[str, str]]:
    return [request for request in fake.requests if request.get("t") not in {None, "caps"}]


async def test_caps_are_read_once_and_ids_are_used_when_advertised(
    feed: FakeTorznab, torznab_client: MakeClient
) -> None:
    client = torznab_client(feed)
    caps = await client.caps()
    assert caps.functions["movie-search"] == {"q", "imdbid", "tmdbid"}
    assert 2040 in caps.categories
    assert (caps.server, caps.version, caps.max_limit) == ("Fake", "1.1", 100)
    found = await client.search(SearchQuery(kind="movie", text="The Matrix", imdb_id="tt0133093"))
    await client.search(
        SearchQuery(kind="tv", text="Show Name", tvdb_id=81189, season=1, episode=2)
    )
    assert [r["t"] for r in feed.requests].count("caps") == 1
    movie, tv = searches(feed)
    assert movie["t"] == "movie"
    assert movie["imdbid"] == "0133093"
    assert "q" not in movie
    assert movie["cat"] == "2000"
    assert movie["apikey"] == feed.api_key
    assert (tv["t"], tv["tvdbid"], tv["season"], tv["ep"], tv["cat"]) == (
        "tvsearch",
        "81189",
        "1",
        "2",
        "5000",
    )
    [matrix] = found
    assert matrix.title == MOVIE.title
    assert (matrix.seeders, matrix.leechers, matrix.size) == (40, 4, MOVIE.size)
    assert matrix.info_hash == MOVIE.info_hash
    assert matrix.download_factor == 0.0
    assert matrix.tags == {"internal"}
    assert matrix.imdb_id == "tt0133093"
    assert matrix.categories == (2040,)
    assert matrix.published == MOVIE.published


async def test_words_replace_ids_the_feed_does_not_advertise(
    feed: FakeTorznab, torznab_client: MakeClient
) -> None:
    feed.behaviour.searching = {"search": "q", "tv-search": "q"}
    client = torznab_client(feed)
    found = await client.search(
        SearchQuery(kind="tv", text="Show Name", tvdb_id=81189, season=1, episode=2)
    )
    await client.search(SearchQuery(kind="movie", text="The Matrix", imdb_id="tt0133093"))
    tv, movie = searches(feed)
    assert tv == {
        "t": "tvsearch",
        "q": "Show Name S01E02",
        "cat": "5000",
        "extended": "1",
        "apikey": feed.api_key,
        "limit": "100",
        "offset": "0",
    }
    assert [result.title for result in found] == ["Show.Name.S01E02.720p.HDTV.x264-LOL"]
    assert (movie["t"], movie["q"]) == ("search", "The Matrix")
    assert "imdbid" not in movie


async def test_pages_until_a_short_page(feed: FakeTorznab, torznab_client: MakeClient) -> None:
    feed.behaviour.max_limit = 2
    client = torznab_client(feed, max_pages=5)
    found = await client.search(SearchQuery(kind="tv", text="Show Name"))
    assert len(found) == 5
    assert [(r["offset"], r["limit"]) for r in searches(feed)] == [
        ("0", "2"),
        ("2", "2"),
        ("4", "2"),
    ]


async def test_429_is_honoured_without_asking_again(
    feed: FakeTorznab, torznab_client: MakeClient
) -> None:
    client = torznab_client(feed)
    await client.caps()
    feed.behaviour.failure = "429"
    with pytest.raises(RateLimitedError, match=r"rate limited \(429\), retry after 120 s"):
        await client.search(SearchQuery(text="Matrix"))
    asked = len(feed.requests)
    with pytest.raises(IndexerError, match="rate limited by the indexer"):
        await client.search(SearchQuery(text="Matrix"))
    assert len(feed.requests) == asked
    assert client.health.paused_until is not None
    assert (
        timedelta(seconds=110)
        < client.health.paused_until - datetime.now(UTC)
        <= timedelta(seconds=120)
    )
    assert client.health.failures == 0  # being rate limited is not failing


async def test_concurrency_per_indexer(feed: FakeTorznab, torznab_client: MakeClient) -> None:
    client = torznab_client(feed, concurrency=1)
    await client.caps()
    feed.behaviour.delay = 0.3
    started = time.monotonic()
    await asyncio.gather(*(client.search(SearchQuery(text="Matrix")) for _ in range(3)))
    assert time.monotonic() - started >= 0.9  # one request at a time to this indexer


async def test_a_failing_feed_is_backed_off(feed: FakeTorznab, torznab_client: MakeClient) -> None:
    client = torznab_client(feed)
    feed.behaviour.failure = "500"
    for _ in range(3):
        with pytest.raises(IndexerError, match="HTTP 500"):
            await client.search(SearchQuery(text="Matrix"))
    asked = len(feed.requests)
    with pytest.raises(
        IndexerError, match="backed off after 3 failures in a row; next try in 60 s"
    ):
        await client.search(SearchQuery(text="Matrix"))
    assert len(feed.requests) == asked
    client.health.paused_until = None
    feed.behaviour.failure = None
    assert await client.search(SearchQuery(text="Matrix"))
    assert client.health.failures == 0


@pytest.mark.parametrize(
    ("failure", "message"),
    [
        ("garbage", "answered with invalid XML"),
        ("error", "error 900: Tracker login failed for apikey=\\*\\*REDACTED\\*\\*"),
    ],
)
async def test_bad_answers_are_clear_errors(
    feed: FakeTorznab, torznab_client: MakeClient, failure: str, message: str
) -> None:
    client = torznab_client(feed)
    await client.caps()
    feed.behaviour.failure = failure  # type: ignore[assignment]
    with pytest.raises(IndexerError, match=message):
        await client.search(SearchQuery(text="Matrix"))
    assert client.health.failures == 1


async def test_wrong_key_and_timeout(feed: FakeTorznab, torznab_client: MakeClient) -> None:
    wrong = TorznabClient(
        "feed",
        feed.url,
        "not-the-key-000",
        torznab_client(feed).options,
        torznab_client(feed).session,
    )
    with pytest.raises(IndexerError, match="error 100: Invalid API Key"):
        await wrong.caps()
    feed.behaviour.failure = "hang"
    slow = torznab_client(feed, timeout=0.3)
    with pytest.raises(IndexerError, match=r"feed: no answer within 0.3 s"):
        await slow.caps()


async def test_download_links_give_magnets_or_torrents(torznab_client: MakeClient) -> None:
    magnet = FakeRelease("Magnet.Movie.2020.1080p.WEB-DL.x264-GRP")
    torrent = FakeRelease("Torrent.Movie.2020.1080p.WEB-DL.x264-GRP", link="torrent")
    gone = FakeRelease("Gone.Movie.2020.1080p.WEB-DL.x264-GRP", link="gone")
    with FakeTorznab([magnet, torrent, gone]) as fake:
        client = torznab_client(fake)
        links = {r.title: r for r in await client.search(SearchQuery(text="Movie"))}
        assert links[torrent.title].info_hash is None  # learnt only from the .torrent itself
        assert await client.fetch_link(str(links[magnet.title].download_url)) == magnet.magnet
        assert await client.fetch_link(str(links[torrent.title].download_url)) == torrent.torrent
        with pytest.raises(IndexerError, match=r"the release is gone \(410\)"):
            await client.fetch_link(str(links[gone.title].download_url))
        with pytest.raises(IndexerError, match="neither http"):
            await client.fetch_link("file:///etc/passwd")


async def test_the_key_never_reaches_a_log_line_or_an_error(
    feed: FakeTorznab, torznab_client: MakeClient, captured_logs: Captured
) -> None:
    client = torznab_client(feed)
    errors = []
    failures: list[Failure | None] = ["500", "error", "garbage", "429", None]
    for failure in failures:
        feed.behaviour.failure = failure
        client.health.paused_until = None
        try:
            await client.search(SearchQuery(text="Matrix"))
        except IndexerError as err:
            errors.append(str(err))
    gone = FakeRelease("x", link="gone")
    feed.releases.append(gone)
    try:
        await client.fetch_link(f"{feed.url}/dl/{gone.info_hash}?apikey={feed.api_key}")
    except IndexerError as err:
        errors.append(str(err))
    assert len(errors) == 5
    assert "apikey=**REDACTED**" in captured_logs.text  # the URLs were logged, without the key
    assert feed.api_key not in captured_logs.text
    assert not [error for error in errors if feed.api_key in error]


XML_TEXT = st.characters(exclude_categories=("Cc", "Cs"))
ATTRIBUTE_NAMES = ["seeders", "peers", "infohash", "magneturl", "downloadvolumefactor", "imdbid",
                   "tmdbid", "tag", "category", "size", "Seeders", "IMDB"]  # fmt: skip


@settings(max_examples=200, deadline=None)
@given(
    items=st.lists(
        st.tuples(
            st.text(XML_TEXT, max_size=40),
            st.one_of(st.none(), st.text(XML_TEXT, max_size=30)),
            st.lists(
                st.tuples(st.sampled_from(ATTRIBUTE_NAMES), st.text(XML_TEXT, max_size=30)),
                max_size=8,
            ),
        ),
        max_size=5,
    )
)
def test_any_item_shape_parses_or_is_skipped(
    items: list[tuple[str, str | None, list[tuple[str, str]]]],
) -> None:
    rss = ET.Element("rss")
    channel = ET.SubElement(rss, "channel")
    for title, size, attributes in items:
        item = ET.SubElement(channel, "item")
        ET.SubElement(item, "title").text = title
        ET.SubElement(item, "link").text = "http://127.0.0.1/dl"
        if size is not None:
            ET.SubElement(item, "size").text = size
            ET.SubElement(item, "pubDate").text = size
        for name, value in attributes:
            ET.SubElement(item, f"{TORZNAB_NS}attr", name=name, value=value)
    for result in parse_items(ET.fromstring(ET.tostring(rss)), "feed"):  # noqa: S314 - built here
        assert result.title == result.title.strip()
        assert result.title
        assert result.info_hash is None or result.info_hash == result.info_hash.lower()


def test_only_well_formed_info_hashes_are_kept() -> None:
    magnet = "magnet:?xt=urn:btih:" + "D" * 40
    base32 = "magnet:?xt=urn:btih:" + "A" * 32
    assert IndexerResult("i", "t", "g", info_hash=" " + "AB" * 20 + " ").info_hash == "ab" * 20
    assert (
        IndexerResult("i", "t", "g", info_hash="not-a-hash", magnet_url=magnet).info_hash
        == "d" * 40
    )
    assert IndexerResult("i", "t", "g", magnet_url=base32).info_hash == "00" * 20
    assert IndexerResult("i", "t", "g", info_hash="12345").info_hash is None


async def test_ids_the_feed_does_not_take_and_no_words_ask_nothing(
    feed: FakeTorznab, torznab_client: MakeClient
) -> None:
    feed.behaviour.searching = {"search": "q", "tv-search": "q,season,ep"}
    client = torznab_client(feed)
    with pytest.raises(IndexerError, match="takes none of the given ids; give words to search for"):
        await client.search(SearchQuery(kind="tv", tvdb_id=81189, season=1, episode=2))
    assert searches(feed) == []
    assert client.health.failures == 0


async def test_music_uses_artist_and_album_or_words(
    feed: FakeTorznab, torznab_client: MakeClient
) -> None:
    query = SearchQuery(kind="music", artist="Daft Punk", album="Discovery")
    await torznab_client(feed).search(query)
    feed.behaviour.searching = {"search": "q"}
    await torznab_client(feed).search(query)
    music, words = searches(feed)
    assert (music["t"], music["artist"], music["album"], music["cat"]) == (
        "music",
        "Daft Punk",
        "Discovery",
        "3000",
    )
    assert "q" not in music
    assert (words["t"], words["q"], words["cat"]) == ("search", "Daft Punk Discovery", "3000")
