"""Every blueprint validates in real Home Assistant; the phone flows do what their buttons say."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from homeassistant.components.blueprint import models
from homeassistant.components.blueprint.schemas import BLUEPRINT_SCHEMA
from homeassistant.helpers import device_registry as dr
from homeassistant.setup import async_setup_component
from homeassistant.util.yaml import load_yaml
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_mock_service

if TYPE_CHECKING:
    from collections.abc import Callable

    from homeassistant.core import HomeAssistant, ServiceCall

ROOT = Path(__file__).parents[2]
AUTOMATIONS = sorted((ROOT / "blueprints" / "automation" / "haul").glob("*.yaml"))
HAUL_ENTRY = "haul-entry-id"


@pytest.fixture
async def phone(hass: HomeAssistant, tmp_path: Path) -> str:
    """A companion-app device named "Pixel 9" and the blueprints in HA's config folder."""
    hass.config.config_dir = str(tmp_path)
    shutil.copytree(ROOT / "blueprints", tmp_path / "blueprints")
    mobile_app = MockConfigEntry(domain="mobile_app")
    mobile_app.add_to_hass(hass)
    device = dr.async_get(hass).async_get_or_create(
        config_entry_id=mobile_app.entry_id, identifiers={("mobile_app", "pixel")}, name="Pixel 9"
    )
    return device.id


def _inputs(name: str, phone: str) -> dict[str, Any]:
    """Inputs a user would pick for each blueprint."""
    common = {"notify_devices": [phone]}
    return {
        "request_approval_notification": {**common, "haul_entry": HAUL_ENTRY},
        "release_pick_notification": {**common, "haul_entry": HAUL_ENTRY},
        "download_complete_notification": {**common, "haul_entry": HAUL_ENTRY},
        "vpn_down_alert": {**common, "haul_entry": HAUL_ENTRY},
        "disk_low_alert": {**common, "haul_entry": HAUL_ENTRY},
        "gap_digest": {
            **common,
            "missing_sensor": "sensor.haul_missing",
            "upgradable_sensor": "sensor.haul_upgradable",
            "searches_sensor": "sensor.haul_searches_today",
        },
        "pause_while_streaming": {
            "media_players": ["media_player.living_room"],
            "haul_switch": "switch.haul_alternative_speed_limits",
        },
    }[name]


async def _automation(hass: HomeAssistant, name: str, inputs: dict[str, Any]) -> str:
    """Create an automation from a blueprint and return its entity id."""
    assert await async_setup_component(
        hass,
        "automation",
        {
            "automation": {
                "id": name,
                "alias": name,
                "use_blueprint": {"path": f"haul/{name}.yaml", "input": inputs},
            }
        },
    )
    await hass.async_block_till_done()
    return f"automation.{name}"


@pytest.mark.parametrize("path", AUTOMATIONS, ids=lambda path: path.stem)
async def test_blueprint_validates_and_instantiates(
    hass: HomeAssistant, phone: str, path: Path
) -> None:
    blueprint = models.Blueprint(
        load_yaml(path), path=str(path), expected_domain="automation", schema=BLUEPRINT_SCHEMA
    )
    assert blueprint.metadata["source_url"].endswith(f"blueprints/automation/haul/{path.name}")
    entity_id = await _automation(hass, path.stem, _inputs(path.stem, phone))
    state = hass.states.get(entity_id)
    assert state is not None
    assert state.state == "on", state.attributes
    await hass.services.async_call(
        "automation", "turn_off", {"entity_id": entity_id}, blocking=True
    )


def _request_event(**extra: object) -> dict[str, object]:
    return {
        "type": "request_received",
        "config_entry_id": HAUL_ENTRY,
        "request_id": 42,
        "title": "Dune",
        "year": 2021,
        "poster_url": "https://image.example/dune.jpg",
        "requester": "alice",
        **extra,
    }


async def _until(condition: Callable[[], bool]) -> None:
    """Let the automation run until condition holds (it may be parked in wait_for_trigger)."""
    async with asyncio.timeout(5):
        while not condition():  # noqa: ASYNC110 - a mocked service's call list has no event to await
            await asyncio.sleep(0.01)


async def _press(hass: HomeAssistant, sent: list[ServiceCall], title: str) -> None:
    """Press the notification button with this title and wait for the follow-up notification."""
    [button] = [b for b in sent[-1].data["data"]["actions"] if b["title"].startswith(title)]
    count = len(sent)
    hass.bus.async_fire("mobile_app_notification_action", {"action": button["action"]})
    await _until(lambda: len(sent) > count)


async def test_approve_from_the_notification(hass: HomeAssistant, phone: str) -> None:
    sent = async_mock_service(hass, "notify", "mobile_app_pixel_9")
    approved = async_mock_service(hass, "haul", "approve_request")
    await _automation(
        hass, "request_approval_notification", _inputs("request_approval_notification", phone)
    )

    hass.bus.async_fire("haul_event", _request_event())
    await _until(lambda: len(sent) == 1)
    [notification] = sent
    assert notification.data["title"] == "New request: Dune (2021)"
    assert "alice asked for Dune (2021)" in notification.data["message"]
    assert notification.data["data"]["image"] == "https://image.example/dune.jpg"
    assert [b["title"] for b in notification.data["data"]["actions"]] == ["Approve", "Decline"]

    hass.bus.async_fire("mobile_app_notification_action", {"action": "HAUL_APPROVE_someone_else"})
    await asyncio.sleep(0.05)
    assert approved == []
    await _press(hass, sent, "Approve")
    [call] = approved
    assert call.data == {"config_entry_id": HAUL_ENTRY, "request_id": 42}
    assert sent[-1].data["message"] == "Approved Dune (2021): Haul is looking for releases."


async def test_events_of_another_engine_are_ignored(hass: HomeAssistant, phone: str) -> None:
    sent = async_mock_service(hass, "notify", "mobile_app_pixel_9")
    await _automation(
        hass, "request_approval_notification", _inputs("request_approval_notification", phone)
    )
    hass.bus.async_fire("haul_event", _request_event(config_entry_id="another-engine"))
    await hass.async_block_till_done()
    assert sent == []


async def test_pick_the_top_release_from_the_notification(hass: HomeAssistant, phone: str) -> None:
    sent = async_mock_service(hass, "notify", "mobile_app_pixel_9")
    selected = async_mock_service(hass, "haul", "select_release")
    await _automation(
        hass, "release_pick_notification", _inputs("release_pick_notification", phone)
    )
    candidates = [
        {"id": "c1", "summary": "1080p WEB-DL · 6.2 GB · 140 seeders · AMZN"},
        {"id": "c2", "summary": "2160p BluRay · 58 GB · 12 seeders"},
        {"id": "c3", "summary": "720p WEBRip · 1.1 GB · 300 seeders"},
        {"id": "c4", "summary": "never offered"},
    ]
    hass.bus.async_fire(
        "haul_event", _request_event(type="request_awaiting_selection", candidates=candidates)
    )
    await _until(lambda: len(sent) == 1)
    assert [b["title"] for b in sent[-1].data["data"]["actions"]] == [
        c["summary"] for c in candidates[:3]
    ]
    await _press(hass, sent, "2160p")
    [call] = selected
    assert call.data == {"config_entry_id": HAUL_ENTRY, "request_id": 42, "candidate_id": "c2"}
    assert sent[-1].data["message"] == "Grabbing 2160p BluRay · 58 GB · 12 seeders."
