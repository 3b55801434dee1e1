"""Assist: Haul's intents via the conversation agent with the shipped sentences, and directly."""

from __future__ import annotations

import asyncio
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
from tests.engine.requests.conftest import FAST, WEBHOOK_SECRET, add_overseerr
from tests.engine.requests.test_search import MATRIX_LOOKUP
from tests.fakes.arr import API_KEY as ARR_KEY
from tests.fakes.arr_releases import ReleaseArr
from tests.fakes.overseerr import OverseerrRequest
from tests.integration.conftest import entry_for, load
from tests.support.webhooks import send_webhook

if TYPE_CHECKING:
    from collections.abc import Callable

    from homeassistant.core import HomeAssistant

    from tests.fakes.overseerr import FakeOverseerr
    from tests.support.engine import EngineProcess

ROOT = Path(__file__).parents[2]
DUNE = "magnet:?xt=urn:btih:" + "d" * 40 + "&dn=Dune.2021.1080p.WEB-DL"


@pytest.fixture
async def assist(hass: HomeAssistant, own_engine: EngineProcess, tmp_path: Path) -> EngineProcess:
    """A connected engine, the conversation agent, and the shipped sentences installed."""
    hass.config.config_dir = str(tmp_path)
    shutil.copytree(ROOT / "custom_sentences", tmp_path / "custom_sentences")
    await load(hass, entry_for(own_engine))
    assert await async_setup_component(hass, "homeassistant", {})
    assert await async_setup_component(hass, "conversation", {})
    assert await async_setup_component(hass, "intent", {})
    return own_engine


def wait_for_state(engine: EngineProcess, state: str) -> None:
    """Wait until some request in the engine is in this state."""
    deadline = time.monotonic() + 15
    while not any(r["state"] == state for r in engine.request("GET", "/api/v1/requests")[1]):
        assert time.monotonic() < deadline, engine.log[-2000:]
        time.sleep(0.1)


async def _say(hass: HomeAssistant, sentence: str) -> str:
    result = await conversation.async_converse(hass, sentence, None, Context(), language="en")
    speech = result.response.speech["plain"]["speech"]
    assert result.response.response_type is intent.IntentResponseType.ACTION_DONE, speech
    return str(speech)


async def test_download_status_pause_and_resume_by_voice(
    hass: HomeAssistant, assist: EngineProcess
) -> None:
    assert await _say(hass, "what is downloading") == "Nothing is downloading."
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


async def test_requests_and_gaps_by_voice(hass: HomeAssistant, assist: EngineProcess) -> None:
    assert await _say(hass, "are there any requests waiting") == "No requests are waiting."
    assert await _say(hass, "approve the latest request") == "No request is waiting for approval."
    assert await _say(hass, "how many episodes are missing") == "No library is connected to Haul."
    answer = await _say(hass, "download the film Dune")
    assert answer.startswith("Haul could not do that"), answer


async def test_intents_directly_as_llm_tools_call_them(
    hass: HomeAssistant, assist: EngineProcess
) -> None:
    handlers = {handler.intent_type: handler for handler in intent.async_get(hass)}
    names = ["HaulRequestMedia", "HaulDownloadStatus", "HaulPendingRequests", "HaulApproveRequest"]
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
        hass.config.config_dir = str(tmp_path)
        shutil.copytree(ROOT / "custom_sentences", tmp_path / "custom_sentences")
        await load(hass, entry_for(engine))
        assert await async_setup_component(hass, "homeassistant", {})
        assert await async_setup_component(hass, "conversation", {})

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
