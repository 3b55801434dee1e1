"""The card's library view over the WebSocket: each *arr connector's library, live, and its gaps.

They only read: what the card changes (search a gap now, boost it, reset it) goes through actions.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any

import probatio
from homeassistant.components.websocket_api import async_register_command
from homeassistant.components.websocket_api.const import ERR_HOME_ASSISTANT_ERROR
from homeassistant.components.websocket_api.decorators import async_response, websocket_command
from homeassistant.components.websocket_api.messages import event_message
from homeassistant.core import callback

from .api import HaulError
from .websocket_api import ENTRY, _entry, _not_loaded

if TYPE_CHECKING:
    from homeassistant.components.websocket_api.connection import ActiveConnection
    from homeassistant.core import HomeAssistant

    from .views import HaulViews


@callback
def async_setup_card_api(hass: HomeAssistant) -> None:
    """Register the card's library commands."""
    for command in (_subscribe_library, _gaps):
        async_register_command(hass, command)


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


ITEM_ID = probatio.All(int, probatio.Range(min=1))
GAP_REASONS = ("missing", "upgrade", "upcoming")
GAP_STATES = ("pending", "queued", "searching", "cooldown", "exhausted")
GAP_SORTS = ("released", "title", "attempts", "next_eligible", "boost")


@websocket_command(
    {
        probatio.Required("type"): "haul/library/gaps",
        probatio.Required("connector_id"): str,
        probatio.Optional("reason", default="missing"): probatio.In(GAP_REASONS),
        probatio.Optional("state"): probatio.In(GAP_STATES),
        probatio.Optional("query", default=""): probatio.All(str, probatio.Length(max=200)),
        probatio.Optional("sort", default="released"): probatio.In(GAP_SORTS),
        probatio.Optional("descending", default=True): bool,
        probatio.Optional("page", default=1): ITEM_ID,
        **ENTRY,
    }
)
@async_response
async def _gaps(hass: HomeAssistant, connection: ActiveConnection, msg: dict[str, Any]) -> None:
    """Send a page of one connector's gaps, filtered, searched and sorted as the card asks."""
    if (entry := _entry(hass, msg)) is None:
        _not_loaded(connection, msg)
        return
    client = entry.runtime_data.client
    try:
        page = await client.library_gaps(
            connector_id=msg["connector_id"], kind=msg["reason"], state=msg.get("state"),
            query=msg["query"], sort=msg["sort"], descending=msg["descending"], page=msg["page"],
        )  # fmt: skip
    except HaulError as err:
        connection.send_error(msg["id"], ERR_HOME_ASSISTANT_ERROR, str(err))
        return
    connection.send_result(msg["id"], page)
