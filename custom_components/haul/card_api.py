"""The card's library view over the WebSocket: each *arr connector's library, live."""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any

import probatio
from homeassistant.components.websocket_api import async_register_command
from homeassistant.components.websocket_api.decorators import websocket_command
from homeassistant.components.websocket_api.messages import event_message
from homeassistant.core import callback

from .websocket_api import ENTRY, _entry, _not_loaded

if TYPE_CHECKING:
    from homeassistant.components.websocket_api.connection import ActiveConnection
    from homeassistant.core import HomeAssistant

    from .views import HaulViews


@callback
def async_setup_card_api(hass: HomeAssistant) -> None:
    """Register the card's library command."""
    async_register_command(hass, _subscribe_library)


def library_snapshot(views: HaulViews) -> dict[str, Any]:
    """Gather the library view: completion, gaps and health per connector, and the sweep queue."""
    return {
        "connectors": [
            {
                "id": connector.id,
                "name": connector.name,
                "kind": connector.kind,
                "health": connector.health,
                "enabled": connector.enabled,
                **dataclasses.asdict(library),
            }
            for connector_id, library in views.library.items()
            if (connector := views.connectors.get(connector_id)) is not None
        ],
        "sweeps_paused": views.sweeps_paused,
        "search_queue": views.search_queue,
    }


@websocket_command({probatio.Required("type"): "haul/library/subscribe", **ENTRY})
@callback
def _subscribe_library(
    hass: HomeAssistant, connection: ActiveConnection, msg: dict[str, Any]
) -> None:
    """Send the library view now and again whenever it changes."""
    if (entry := _entry(hass, msg)) is None:
        _not_loaded(connection, msg)
        return
    coordinator = entry.runtime_data.coordinator
    last: list[dict[str, Any]] = []

    @callback
    def send() -> None:
        snapshot = library_snapshot(coordinator.data.views)
        if last != [snapshot]:
            last[:] = [snapshot]
            connection.send_message(event_message(msg["id"], snapshot))

    connection.subscriptions[msg["id"]] = coordinator.async_add_listener(send)
    connection.send_result(msg["id"])
    send()
