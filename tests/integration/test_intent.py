"""Assist: Haul's intents via the conversation agent with the shipped sentences, and directly."""

from __future__ import annotations

import asyncio
import re
import shutil
import time
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from homeassistant.components import conversation
from homeassistant.core import Context
from homeassistant.helpers import intent
from homeassistant.setup import async_setup_component

from custom_components.haul.const import DOMAIN
from tests.engine.library.test_library_api import synced
from tests.engine.requests.conftest import DUNES, FAST, WEBHOOK_SECRET, add_overseerr
from tests.engine.requests.test_search import MATRIX_LOOKUP
from tests.engine.torrents.test_lifecycle import place_content
from tests.fakes.arr import API_KEY as ARR_KEY
from tests.fakes.arr import FakeArr, Library
from tests.fakes.arr_releases import ReleaseArr
from tests.fakes.overseerr import OverseerrRequest
from tests.integration.conftest import entry_for, load
from tests.support.peers import engine_env, make_torrent, wait_for_torrent
from tests.support.webhooks import send_webhook

if TYPE_CHECKING:
    from collections.abc import Callable

    from homeassistant.core import HomeAssistant

    from tests.fakes.overseerr import FakeOverseerr
    from tests.support.engine import EngineProcess
    from tests.support.peers import MadeTorrent

ROOT = Path(__file__).parents[2]
DUNE = "magnet:?xt=urn:btih:" + "d" * 40 + "&dn=Dune.2021.1080p.WEB-DL"


async def converse_with(hass: HomeAssistant, engine: EngineProcess, config_dir: Path) -> None:
    """Connect the engine; set up the conversation agent with the shipped sentences installed."""
    hass.config.config_dir = str(config_dir)
    shutil.copytree(ROOT / "custom_sentences", config_dir / "custom_sentences")
    await load(hass, entry_for(engine))
    assert await async_setup_component(hass, "homeassistant", {})
    assert await async_setup_component(hass, "conversation", {})
    assert await async_setup_component(hass, "intent", {})


@pytest.fixture
async def assist(hass: HomeAssistant, own_engine: EngineProcess, tmp_path: Path) -> EngineProcess:
    """A connected engine, the conversation agent, and the shipped sentences installed."""
    await converse_with(hass, own_engine, tmp_path)
    return own_engine


def wait_for_state(engine: EngineProcess, state: str) -> None:
    """Wait until some request in the engine is in this state."""
    deadline = time.monotonic() + 15
    while not any(r["state"] == state for r in engine.request("GET", "/api/v1/requests")[1]):
        assert time.monotonic() < deadline, engine.log[-2000:]
        time.sleep(0.1)


async def _converse(
    hass: HomeAssistant, sentence: str, conversation_id: str | None = None
) -> conversation.ConversationResult:
    result = await conversation.async_converse(
        hass, sentence, conversation_id, Context(), language="en"
    )
    speech = result.response.speech["plain"]["speech"]
    assert result.response.response_type is intent.IntentResponseType.ACTION_DONE, speech
    return result


async def _say(hass: HomeAssistant, sentence: str) -> str:
    return str((await _converse(hass, sentence)).response.speech["plain"]["speech"])


async def test_download_status_pause_and_resume_by_voice(
    hass: HomeAssistant, assist: EngineProcess
) -> None:
    assert await _say(hass, "what is downloading") == "Nothing is downloading."
    assert await _say(hass, "pause the downloads") == "Nothing was downloading."
    assert await _say(hass, "resume the downloads") == "No download was paused."
    assert assist.request("POST", "/api/v1/torrents", {"magnet": DUNE})[0] == 200
    assert (await _say(hass, "what's downloading")).startswith("1 download: ")
    assert await _say(hass, "how long until Dune is done") == "Dune is 0 percent done."
    assert (
        await _say(hass, "how long until Alien is done") == "Nothing called Alien is downloading."
    )
    assert await _say(hass, "pause the downloads") == "Paused 1 download."
    assert assist.request("GET", "/api/v1/torrents")[1][0]["stopped"] is True
    assert await _say(hass, "resume the downloads") == "Resumed 1 download."
    assert assist.request("GET", "/api/v1/torrents")[1][0]["stopped"] is False
    await asyncio.to_thread(assist.stop)
    assert await _say(hass, "what is downloading") == "I could not reach Haul."


async def test_requests_and_gaps_by_voice(hass: HomeAssistant, assist: EngineProcess) -> None:
    assert await _say(hass, "are there any requests waiting") == "No requests are waiting."
    assert await _say(hass, "approve the latest request") == "No request is waiting for approval."
    assert await _say(hass, "how many episodes are missing") == "No library is connected to Haul."
    answer = await _say(hass, "download the film Dune")
    assert answer.startswith("Haul could not do that"), answer
    with FakeArr("radarr", Library.generate(9, movies=20, have=0.5, upcoming=0.2)) as radarr:
        assist.add_connector("radarr", radarr.url, ARR_KEY)
        row = await asyncio.to_thread(synced, assist)
        assert row["missing"]
        assert row["upcoming"]
        assert await _say(hass, "how many films are missing") == (
            f"{row['missing']} items missing and {row['cutoff_unmet']} that could be upgraded;"
            f" {row['upcoming']} more are upcoming."
        )


async def test_intents_directly_as_llm_tools_call_them(
    hass: HomeAssistant, assist: EngineProcess
) -> None:
    handlers = {handler.intent_type: handler for handler in intent.async_get(hass)}
    names = ["HaulRequestMedia", "HaulChooseTitle", "HaulDownloadStatus", "HaulPendingRequests"]
    names += ["HaulApproveRequest"]
    names += ["HaulPauseDownloads", "HaulResumeDownloads", "HaulLibraryGaps"]
    for name in names:
        assert handlers[name].description, name
    response = await intent.async_handle(hass, DOMAIN, "HaulDownloadStatus", {})
    assert response.speech["plain"]["speech"] == "Nothing is downloading."
    with pytest.raises(intent.InvalidSlotInfo):
        await intent.async_handle(
            hass,
            DOMAIN,
            "HaulRequestMedia",
            {"title": {"value": "Dune"}, "media_type": {"value": "book"}},
        )


async def test_without_a_connected_engine(hass: HomeAssistant) -> None:
    assert await async_setup_component(hass, "intent", {})
    await async_setup_component(hass, DOMAIN, {})
    response = await intent.async_handle(hass, "test", "HaulPendingRequests", {})
    assert response.speech["plain"]["speech"] == "Haul is not connected."


async def test_request_and_approve_by_voice_reach_the_arr_and_overseerr(
    hass: HomeAssistant,
    tmp_path: Path,
    engine_factory: Callable[..., EngineProcess],
    overseerr: FakeOverseerr,
) -> None:
    with ReleaseArr("radarr", tmp_path / "library") as radarr:
        radarr.metadata.append(MATRIX_LOOKUP)
        engine = engine_factory(env=FAST).start()
        engine.add_connector("radarr", radarr.url, ARR_KEY)
        connector = add_overseerr(engine, overseerr, reconcile=False)
        await converse_with(hass, engine, tmp_path)

        answer = await _say(hass, "download the film the matrix")
        assert answer.startswith("I asked for the film The Matrix (1999); it is approved")
        assert radarr.library.movies

        webhook = f"{engine.url}/api/v1/webhooks/overseerr/{connector}"
        pending = OverseerrRequest(
            id=8, media_type="movie", title="Hackers", year=1995, tmdb_id=10428
        )
        body = overseerr.add(pending).webhook("MEDIA_PENDING")
        assert (await asyncio.to_thread(send_webhook, webhook, body, WEBHOOK_SECRET))[0] == 200
        await asyncio.to_thread(wait_for_state, engine, "pending")
        assert (await _say(hass, "are there any requests waiting")).startswith(
            "1 request waiting for approval: Hackers"
        )
        assert (await _say(hass, "approve hackers")).startswith("Approved Hackers")
        assert (8, "approve") in overseerr.decisions


async def test_an_ambiguous_title_is_asked_back_and_the_answer_requests_it(
    hass: HomeAssistant, tmp_path: Path, engine_factory: Callable[..., EngineProcess]
) -> None:
    with ReleaseArr("radarr", tmp_path / "library") as radarr:
        radarr.metadata.extend(DUNES)
        engine = engine_factory(env=FAST).start()
        engine.add_connector("radarr", radarr.url, ARR_KEY)
        await converse_with(hass, engine, tmp_path)

        assert await _say(hass, "the second one") == (
            "I did not ask which title you meant; say what to download."
        )
        asked = await _converse(hass, "download the film Dune")
        assert asked.response.speech["plain"]["speech"] == "Dune from 2021 or from 1984?"
        assert not radarr.library.movies
        wrong = await _converse(hass, "from 1990", asked.conversation_id)
        assert wrong.response.speech["plain"]["speech"] == (
            "That is none of them. Dune from 2021 or from 1984?"
        )
        answer = await _converse(hass, "the one from 1984", asked.conversation_id)
        said = answer.response.speech["plain"]["speech"]
        assert said.startswith("I asked for the film Dune (1984); it is approved"), said
        assert [movie["tmdbId"] for movie in radarr.library.movies.values()] == [841]
        # the question is answered: a year alone means nothing now
        assert (await _say(hass, "1984")).startswith("I did not ask")

        said = await _say(hass, "download the film Dune from 2021")
        assert said.startswith("I asked for the film Dune (2021)"), said
        await _say(hass, "download the film dune")
        said = await _say(hass, "the first one")
        assert said.startswith("I asked for the film Dune (2021); it is"), said  # the same one
        requests = await asyncio.to_thread(engine.call, "GET", "/requests")
        assert sorted((r["year"], r["requested_by"]) for r in requests) == [
            (1984, "voice"), (2021, "voice"),
        ]  # fmt: skip


def seeding(engine_factory: Callable[..., EngineProcess], parent: Path) -> tuple[str, MadeTorrent]:
    """Start an engine seeding an 8 MiB film; its peer address and the torrent."""
    made = make_torrent(parent / "source", "Ready", {"Ready.mkv": 8 * 1024 * 1024})
    seeder = engine_factory("seeder", env=engine_env()).start()
    place_content(made, seeder.data_dir / "downloads")
    seeder.call("POST", "/torrents", {"torrent_base64": made.base64})
    wait_for_torrent(seeder, made.info_hash, lambda torrent: torrent["progress"] == 1)
    return f"127.0.0.1:{seeder.env['HAUL_LISTEN_PORT']}", made


async def test_how_long_a_download_has_left_by_voice(
    hass: HomeAssistant, tmp_path: Path, engine_factory: Callable[..., EngineProcess]
) -> None:
    peer, made = await asyncio.to_thread(seeding, engine_factory, tmp_path)
    engine = engine_factory(env=engine_env(HAUL_DOWNLOAD_LIMIT="1")).start()  # KiB/s
    await converse_with(hass, engine, tmp_path)
    engine.call("POST", "/torrents", {"torrent_base64": made.base64})
    engine.call("POST", f"/torrents/{made.info_hash}/peers", {"peers": [peer]})
    # A trickle: the download takes hours.
    await asyncio.to_thread(
        wait_for_torrent, engine, made.info_hash, lambda torrent: 3600 <= torrent["eta"] < 86400
    )
    answer = await _say(hass, "how long until Ready is done")
    assert re.fullmatch(r"Ready is \d+ percent done, about \d+ hours? left\.", answer), answer

    limits = engine.call("GET", "/transfer")["limits"] | {"download_limit": 512}
    engine.call("PUT", "/transfer", {"limits": limits})
    await asyncio.to_thread(
        wait_for_torrent, engine, made.info_hash, lambda torrent: 0 < torrent["eta"] < 80
    )
    answer = await _say(hass, "how long until Ready is done")
    assert re.fullmatch(r"Ready is \d+ percent done, about 1 minute left\.", answer), answer
