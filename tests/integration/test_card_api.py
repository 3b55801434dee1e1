"""The card's JavaScript is served and loaded; its library commands follow the engine."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest
from homeassistant.components.frontend import DATA_EXTRA_MODULE_URL
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import issue_registry as ir

from custom_components.haul.card import CARD_URL
from custom_components.haul.const import DOMAIN
from tests.fakes.arr import API_KEY as ARR_KEY
from tests.fakes.arr import FakeArr, Library
from tests.integration.conftest import entry_for, load, wait_for
from tests.integration.test_surface import act

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


async def test_the_gap_browser_reset_gaps_and_a_failing_sync(
    hass: HomeAssistant, hass_ws_client: WebSocketGenerator, own_engine: EngineProcess
) -> None:
    entry = await load(hass, entry_for(own_engine))
    fired: list[dict[str, Any]] = []
    hass.bus.async_listen(f"{DOMAIN}_event", lambda event: fired.append(dict(event.data)))
    library = Library.generate(3, series=2, seasons=1, episodes_per_season=4, have=0.25)
    with FakeArr("sonarr", library) as arr:
        status, answer = await hass.async_add_executor_job(
            own_engine.request, "POST", "/api/v1/connectors",
            {"kind": "sonarr", "name": "Shows", "url": arr.url, "api_key": ARR_KEY,
             "settings": {"scheduled_sweeps": False}},
        )  # fmt: skip
        assert status == 200, answer
        connector_id = answer["id"]
        coordinator = entry.runtime_data.coordinator
        await wait_for(
            lambda: bool(
                (lib := coordinator.data.views.library.get(connector_id)) and lib.last_sync
            )
        )

        client = await hass_ws_client(hass)

        async def ask(kind: str, **fields: Any) -> dict[str, Any]:  # noqa: ANN401
            await client.send_json_auto_id({"type": f"haul/library/{kind}", **fields})
            return dict(await client.receive_json())

        page = await ask("gaps", connector_id=connector_id, query="series 2", sort="title")
        records = page["result"]["records"]
        assert records
        assert {r["series"] for r in records} == {"Series 2"}
        assert [r["title"] for r in records] == sorted((r["title"] for r in records), reverse=True)
        first = records[0]["id"]
        searched = await act(hass, entry, "search_gap", item_id=first)
        assert searched["search"]["command"] == "EpisodeSearch"
        await wait_for(lambda: bool(arr.commands))
        cooling: list[dict[str, Any]] = []
        while not cooling:
            answer = await ask("gaps", connector_id=connector_id, state="cooldown")
            cooling = answer["result"]["records"]
        assert [r["id"] for r in cooling] == [first]
        boosted = await act(hass, entry, "boost_gap", item_id=first)
        assert boosted == {"boost": {"item_id": first, "boost": 10}}
        series_id = records[0]["series_id"]
        boosted = await act(hass, entry, "boost_gap", series_id=series_id, boost=-5)
        assert boosted == {"boost": {"series_id": series_id, "boost": -5}}
        with pytest.raises(ServiceValidationError) as both:
            await act(hass, entry, "boost_gap", item_id=first, series_id=series_id)
        assert both.value.translation_key == "one_gap_or_series"
        reset = await act(hass, entry, "reset_gaps", connector_id=connector_id, item_id=first)
        assert reset == {"reset": {connector_id: 1}, "total": 1}
        with pytest.raises(ServiceValidationError) as missing:
            await act(hass, entry, "search_gap", item_id=9999)
        assert missing.value.translation_key == "not_found"
        wrong = await ask("gaps", connector_id=connector_id, sort="size")
        assert wrong["error"]["code"] == "invalid_format"

        assert await act(hass, entry, "reset_gaps") == {"reset": {connector_id: 0}, "total": 0}

        await _three_failed_syncs_raise_a_repair(hass, entry, arr, connector_id)
    assert [e["sync"]["failures"] for e in fired if e["type"] == "sync_failed"] == [1, 2, 3]


async def _three_failed_syncs_raise_a_repair(
    hass: HomeAssistant, entry: MockConfigEntry, arr: FakeArr, connector_id: str
) -> None:
    """Three syncs in a row fail: a repair issue; the next one works: it goes."""
    sync = {"config_entry_id": entry.entry_id, "connector_id": connector_id}
    issue_id = f"sync_failing_{connector_id}"
    arr.fail_next(*["500"] * 9, path="/series")  # three syncs fail (three tries each)
    for _ in range(3):
        assert ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is None
        with pytest.raises(HomeAssistantError):
            await hass.services.async_call(DOMAIN, "sync_library", sync, blocking=True)
    await wait_for(lambda: ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is not None)
    issue = ir.async_get(hass).async_get_issue(DOMAIN, issue_id)
    assert issue is not None
    assert issue.translation_key == "sync_failing"
    assert issue.translation_placeholders is not None
    assert issue.translation_placeholders["failures"] == "3"
    await hass.services.async_call(DOMAIN, "sync_library", sync, blocking=True)
    await wait_for(lambda: ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is None)
