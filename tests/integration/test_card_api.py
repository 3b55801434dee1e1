"""The card's JavaScript is served and loaded; its library command follows the engine."""

from __future__ import annotations

from typing import TYPE_CHECKING

from homeassistant.components.frontend import DATA_EXTRA_MODULE_URL

from custom_components.haul.card import CARD_URL
from tests.fakes.arr import API_KEY as ARR_KEY
from tests.fakes.arr import FakeArr, Library
from tests.integration.conftest import entry_for, load

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant
    from pytest_homeassistant_custom_component.common import MockConfigEntry
    from pytest_homeassistant_custom_component.typing import (
        ClientSessionGenerator,
        WebSocketGenerator,
    )

    from tests.support.engine import EngineProcess


async def test_the_card_is_served_to_every_dashboard(
    hass: HomeAssistant, hass_client: ClientSessionGenerator, loaded_entry: MockConfigEntry
) -> None:
    (url,) = [url for url in hass.data[DATA_EXTRA_MODULE_URL].urls if url.startswith(CARD_URL)]
    assert url.startswith(f"{CARD_URL}?v=")
    client = await hass_client()
    answer = await client.get(url)
    assert answer.status == 200
    assert answer.content_type == "text/javascript"
    assert 'customElements.define("haul-card", HaulCard)' in await answer.text()


async def test_library_subscription(
    hass: HomeAssistant, hass_ws_client: WebSocketGenerator, own_engine: EngineProcess
) -> None:
    entry = await load(hass, entry_for(own_engine))
    client = await hass_ws_client(hass)
    await client.send_json_auto_id(
        {"type": "haul/library/subscribe", "config_entry_id": entry.entry_id}
    )
    assert (await client.receive_json())["success"]
    first = (await client.receive_json())["event"]
    assert first == {"connectors": [], "sweeps_paused": False, "search_queue": 0}

    with FakeArr("sonarr", Library.generate(2, series=1, seasons=1, episodes_per_season=4)) as arr:
        status, answer = await hass.async_add_executor_job(
            own_engine.request, "POST", "/api/v1/connectors",
            {"kind": "sonarr", "name": "Shows", "url": arr.url, "api_key": ARR_KEY},
        )  # fmt: skip
        assert status == 200, answer
        update = first
        while not update["connectors"]:
            update = (await client.receive_json())["event"]
    (shown,) = update["connectors"]
    assert shown | {"id": answer["id"], "name": "Shows", "kind": "sonarr", "enabled": True} == shown
    assert {"completion", "missing", "cutoff_unmet", "queued", "health"} <= set(shown)

    await client.send_json_auto_id({"type": "haul/library/subscribe", "config_entry_id": "nope"})
    assert (await client.receive_json())["error"]["code"] == "not_found"
