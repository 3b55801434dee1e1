"""The Prowlarr client against a fake: query tokens, result fields, proxy links, failures."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from haul_engine.indexers.base import IndexerError, RateLimitedError, SearchQuery
from haul_engine.indexers.prowlarr import ProwlarrClient, ProwlarrOptions
from tests.fakes.prowlarr import FakeProwlarr
from tests.fakes.torznab import FakeRelease

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from tests.engine.indexers.conftest import Captured

type MakeClient = Callable[..., ProwlarrClient]
MAGNET = FakeRelease(
    "Dune.Part.Two.2024.2160p.WEB-DL.DV.HDR10.HEVC-GRP",
    imdb=15239678,
    freeleech=True,
    tags=("internal",),
)
TORRENT = FakeRelease("Dune.Part.Two.2024.1080p.BluRay.x264-GRP", link="torrent", imdb=15239678)


@pytest.fixture
def prowlarr() -> Iterator[FakeProwlarr]:
    with FakeProwlarr({1: [MAGNET], 2: [TORRENT]}) as fake:
        yield fake


async def test_search_sends_tokens_and_reads_results(
    prowlarr: FakeProwlarr, prowlarr_client: MakeClient
) -> None:
    client = prowlarr_client(prowlarr, indexer_ids=[1, 2], categories=[2000])
    found = await client.search(
        SearchQuery(kind="movie", text="Dune", imdb_id="tt15239678", year=2024)
    )
    [request] = prowlarr.requests
    assert request == {
        "query": "Dune {ImdbId:tt15239678} {Year:2024}",
        "type": "movie",
        "limit": "100",
        "offset": "0",
        "indexerIds": "1,2",
        "categories": "2000",
    }
    by_title = {result.title: result for result in found}
    uhd, hd = by_title[MAGNET.title], by_title[TORRENT.title]
    assert uhd.indexer == "prowlarr: Tracker1"
    assert uhd.info_hash == MAGNET.info_hash
    assert uhd.download_factor == 0.0
    assert uhd.tags == {"freeleech", "internal"}
    assert uhd.magnet_url is None  # Prowlarr's magnetUrl is a proxy link, fetched like a download
    assert uhd.download_url is not None
    assert uhd.imdb_id == "tt15239678"
    assert uhd.categories == (2040,)
    assert hd.info_hash is None
    assert hd.published == TORRENT.published


async def test_tv_tokens(prowlarr: FakeProwlarr, prowlarr_client: MakeClient) -> None:
    await prowlarr_client(prowlarr).search(
        SearchQuery(kind="tv", text="Show", tvdb_id=81189, season=3, episode=7)
    )
    assert prowlarr.requests[0]["query"] == "Show {TvdbId:81189} {Season:3} {Episode:7}"
    assert prowlarr.requests[0]["type"] == "tvsearch"


async def test_proxy_links_resolve_to_magnet_or_torrent(
    prowlarr: FakeProwlarr, prowlarr_client: MakeClient
) -> None:
    client = prowlarr_client(prowlarr)
    by_title = {result.title: result for result in await client.search(SearchQuery(text="Dune"))}
    assert await client.fetch_link(str(by_title[MAGNET.title].download_url)) == MAGNET.magnet
    assert await client.fetch_link(str(by_title[TORRENT.title].download_url)) == TORRENT.torrent


@pytest.mark.parametrize(
    ("failure", "message"),
    [
        ("429", r"rate limited \(429\), retry after 120 s"),
        ("500", "HTTP 500"),
        ("garbage", "answered with invalid JSON"),
    ],
)
async def test_failures_are_clear_and_keep_the_key_secret(
    prowlarr: FakeProwlarr,
    prowlarr_client: MakeClient,
    captured_logs: Captured,
    failure: str,
    message: str,
) -> None:
    prowlarr.behaviour.failure = failure  # type: ignore[assignment]
    client = prowlarr_client(prowlarr)
    with pytest.raises(IndexerError, match=message) as raised:
        await client.search(SearchQuery(text="Dune"))
    assert isinstance(raised.value, RateLimitedError) == (failure == "429")
    assert prowlarr.api_key not in str(raised.value)
    assert prowlarr.api_key not in captured_logs.text


async def test_wrong_key(prowlarr: FakeProwlarr, prowlarr_client: MakeClient) -> None:
    client = prowlarr_client(prowlarr)
    prowlarr.api_key = "another-key-entirely"
    with pytest.raises(IndexerError, match="HTTP 401"):
        await client.search(SearchQuery(text="Dune"))


JSON_VALUES = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=20)),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=6,
)
FIELDS = ["title", "downloadUrl", "magnetUrl", "infoHash", "indexerFlags", "categories", "size",
          "seeders", "publishDate", "imdbId", "guid", "indexer", "protocol"]  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(row=st.dictionaries(st.sampled_from(FIELDS), JSON_VALUES))
def test_any_row_shape_parses_or_is_skipped(row: dict[str, object]) -> None:
    client = ProwlarrClient("p", "http://127.0.0.1:1", "key-123456", ProwlarrOptions(), None)  # type: ignore[arg-type]
    result = client._result({"title": "A.Title", "downloadUrl": "http://127.0.0.1/x", **row})
    if result is not None:
        assert result.title
        assert result.download_url is None or isinstance(result.download_url, str)
