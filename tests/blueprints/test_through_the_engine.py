"""The approval blueprint end to end: a request reaches a phone and is approved in the engine."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from homeassistant.helpers import device_registry as dr
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_mock_service

from tests.engine.requests.conftest import FAST, WEBHOOK_SECRET, add_overseerr, only_request
from tests.fakes.overseerr import OverseerrRequest
from tests.integration.conftest import entry_for, load, wait_for
from tests.support.webhooks import send_webhook

if TYPE_CHECKING:
    from collections.abc import Callable

    from homeassistant.core import HomeAssistant

    from tests.fakes.overseerr import FakeOverseerr
    from tests.support.engine import EngineProcess

ROOT = Path(__file__).parents[2]


@pytest.fixture(autouse=True)
def _custom_integrations(enable_custom_integrations: None) -> None:
    """Let HA load custom_components/haul."""


async def test_approve_from_a_phone_reaches_the_engine_and_overseerr(
    hass: HomeAssistant,
    tmp_path: Path,
    engine_factory: Callable[..., EngineProcess],
    overseerr: FakeOverseerr,
) -> None:
    engine = engine_factory(env=FAST).start()
    connector = add_overseerr(engine, overseerr, reconcile=False)
    entry = await load(hass, entry_for(engine))

    hass.config.config_dir = str(tmp_path)
    shutil.copytree(ROOT / "blueprints", tmp_path / "blueprints")
    phone_app = MockConfigEntry(domain="mobile_app")
    phone_app.add_to_hass(hass)
    phone = dr.async_get(hass).async_get_or_create(
        config_entry_id=phone_app.entry_id, identifiers={("mobile_app", "p")}, name="Pixel 9"
    )
    sent = async_mock_service(hass, "notify", "mobile_app_pixel_9")
    assert await async_setup_component(
        hass,
        "automation",
        {
            "automation": {
                "id": "approval",
                "alias": "approval",
                "use_blueprint": {
                    "path": "haul/request_approval_notification.yaml",
                    "input": {"haul_entry": entry.entry_id, "notify_devices": [phone.id]},
                },
            }
        },
    )

    webhook = f"{engine.url}/api/v1/webhooks/overseerr/{connector}"
    body = overseerr.add(
        OverseerrRequest(id=7, media_type="movie", title="The Matrix", year=1999, tmdb_id=603)
    ).webhook("MEDIA_PENDING")
    assert (await asyncio.to_thread(send_webhook, webhook, body, WEBHOOK_SECRET))[0] == 200
    request = await asyncio.to_thread(only_request, engine)
    await wait_for(lambda: len(sent) == 1)
    assert sent[0].data["title"].startswith("New request: The Matrix")
    assert "alice asked for" in sent[0].data["message"]

    [approve] = [b for b in sent[0].data["data"]["actions"] if b["title"] == "Approve"]
    hass.bus.async_fire("mobile_app_notification_action", {"action": approve["action"]})
    await wait_for(lambda: len(sent) == 2)
    assert sent[1].data["message"].startswith("Approved The Matrix")

    status, detail = engine.request("GET", f"/api/v1/requests/{request['id']}")
    assert status == 200
    assert detail["state"] != "pending"
    assert any(step["to_state"] == "approved" for step in detail["history"])
    assert (7, "approve") in overseerr.decisions  # approved in Overseerr too
    await hass.services.async_call("automation", "turn_off", {"entity_id": "automation.approval"})
