"""WebSocket commands for the Lovelace card: requests, candidates, downloads and live updates."""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any

import probatio
from homeassistant.components.websocket_api import async_register_command
from homeassistant.components.websocket_api.const import ERR_HOME_ASSISTANT_ERROR, ERR_NOT_FOUND
from homeassistant.components.websocket_api.decorators import async_response, websocket_command
from homeassistant.components.websocket_api.messages import event_message
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import callback

from .api import HaulError
from .const import DOMAIN

if TYPE_CHECKING:
    from homeassistant.components.websocket_api.connection import ActiveConnection
    from homeassistant.core import HomeAssistant

    from .coordinator import HaulConfigEntry, HaulCoordinator

ENTRY: dict[str | probatio.Marker, Any] = {probatio.Optional("config_entry_id"): str}


@callback
def async_setup_websocket(hass: HomeAssistant) -> None:
    """Register the card's commands."""
    for command in (_requests, _candidates, _downloads, _files, _subscribe):
        async_register_command(hass, command)


def _entry(hass: HomeAssistant, msg: dict[str, Any]) -> HaulConfigEntry | None:
    """Find the named loaded entry, or the first one."""
    loaded: list[HaulConfigEntry] = hass.config_entries.async_loaded_entries(DOMAIN)
    if "config_entry_id" not in msg:
        return loaded[0] if loaded else None
    entry: HaulConfigEntry | None = hass.config_entries.async_get_entry(msg["config_entry_id"])
    if entry is None or entry.domain != DOMAIN or entry.state is not ConfigEntryState.LOADED:
        return None
    return entry


def _snapshot(coordinator: HaulCoordinator) -> dict[str, Any]:
    """Gather what the card shows: requests still under way (newest first), downloads, speeds.

    `engine` says whether this is live: while the engine is out of reach, the data is as it was
    when it went (`since`).
    """
    views = coordinator.data.views
    requests = sorted(views.requests.values(), key=lambda request: request.id, reverse=True)
    since = coordinator.unavailable_since
    return {
        "requests": [dataclasses.asdict(request) for request in requests],
        "downloads": [dataclasses.asdict(torrent) for torrent in views.torrents.values()],
        "transfer": dataclasses.asdict(views.transfer) if views.transfer else None,
        "engine": {
            "available": coordinator.last_update_success,
            "since": since.isoformat() if since else None,
        },
    }


def _not_loaded(connection: ActiveConnection, msg: dict[str, Any]) -> None:
    connection.send_error(msg["id"], ERR_NOT_FOUND, "no loaded Haul engine")


@websocket_command({probatio.Required("type"): "haul/requests", **ENTRY})
@callback
def _requests(hass: HomeAssistant, connection: ActiveConnection, msg: dict[str, Any]) -> None:
    """Send the requests still under way."""
    if (entry := _entry(hass, msg)) is None:
        _not_loaded(connection, msg)
        return
    connection.send_result(
        msg["id"], {"requests": _snapshot(entry.runtime_data.coordinator)["requests"]}
    )


@websocket_command({probatio.Required("type"): "haul/downloads", **ENTRY})
@callback
def _downloads(hass: HomeAssistant, connection: ActiveConnection, msg: dict[str, Any]) -> None:
    """Send the downloads and the speeds."""
    if (entry := _entry(hass, msg)) is None:
        _not_loaded(connection, msg)
        return
    snapshot = _snapshot(entry.runtime_data.coordinator)
    connection.send_result(
        msg["id"], {"downloads": snapshot["downloads"], "transfer": snapshot["transfer"]}
    )


@websocket_command(
    {probatio.Required("type"): "haul/candidates", probatio.Required("request_id"): int, **ENTRY}
)
@async_response
async def _candidates(
    hass: HomeAssistant, connection: ActiveConnection, msg: dict[str, Any]
) -> None:
    """Send a request's candidate releases, best first, and the one grabbed, to pick from."""
    if (entry := _entry(hass, msg)) is None:
        _not_loaded(connection, msg)
        return
    try:
        detail = await entry.runtime_data.client.requests_get(msg["request_id"])
    except HaulError as err:
        connection.send_error(msg["id"], ERR_HOME_ASSISTANT_ERROR, str(err))
        return
    candidates = sorted(detail["candidates"], key=lambda candidate: candidate["position"])
    connection.send_result(
        msg["id"],
        {
            "request_id": detail["id"],
            "state": detail["state"],
            "selected_candidate_id": detail["selected_candidate_id"],
            "candidates": candidates,
        },
    )


@websocket_command(
    {probatio.Required("type"): "haul/files", probatio.Required("info_hash"): str, **ENTRY}
)
@async_response
async def _files(hass: HomeAssistant, connection: ActiveConnection, msg: dict[str, Any]) -> None:
    """Send a download's files (progress, priority) for the card to choose from."""
    if (entry := _entry(hass, msg)) is None:
        _not_loaded(connection, msg)
        return
    try:
        files = await entry.runtime_data.client.torrents_files(msg["info_hash"].lower())
    except HaulError as err:
        connection.send_error(msg["id"], ERR_HOME_ASSISTANT_ERROR, str(err))
        return
    connection.send_result(msg["id"], {"info_hash": msg["info_hash"], "files": files})


@websocket_command({probatio.Required("type"): "haul/subscribe", **ENTRY})
@callback
def _subscribe(hass: HomeAssistant, connection: ActiveConnection, msg: dict[str, Any]) -> None:
    """Send the card's snapshot now and again whenever it changes."""
    if (entry := _entry(hass, msg)) is None:
        _not_loaded(connection, msg)
        return
    coordinator = entry.runtime_data.coordinator
    last: list[dict[str, Any]] = []

    @callback
    def send() -> None:
        snapshot = _snapshot(coordinator)
        if last and last[0] == snapshot:
            return
        last[:] = [snapshot]
        connection.send_message(event_message(msg["id"], snapshot))

    connection.subscriptions[msg["id"]] = coordinator.async_add_listener(send)
    connection.send_result(msg["id"])
    send()
