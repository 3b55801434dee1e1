"""Every entity of a connected engine, as the registry holds it, against a reviewed snapshot."""

from __future__ import annotations

from typing import TYPE_CHECKING

from homeassistant.helpers import entity_registry as er

from tests.integration.conftest import entry_for, load

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant
    from syrupy.assertion import SnapshotAssertion

    from tests.support.engine import EngineProcess


async def test_engine_entities(
    hass: HomeAssistant, own_engine: EngineProcess, snapshot: SnapshotAssertion
) -> None:
    entry = await load(hass, entry_for(own_engine))
    entries = er.async_entries_for_config_entry(er.async_get(hass), entry.entry_id)
    described = {
        registered.entity_id: {
            "translation_key": registered.translation_key,
            "device_class": registered.device_class or registered.original_device_class,
            "entity_category": registered.entity_category,
            "disabled_by": registered.disabled_by,
            "unit": registered.unit_of_measurement,
            "state": "present" if hass.states.get(registered.entity_id) else None,
        }
        for registered in entries
    }
    assert described == snapshot
