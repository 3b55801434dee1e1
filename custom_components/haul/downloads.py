"""A progress sensor per download: added when the engine has it, removed once it is gone."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from homeassistant.components.sensor import SensorEntity, SensorEntityDescription, SensorStateClass
from homeassistant.const import UnitOfRatio
from homeassistant.core import callback
from homeassistant.helpers import entity_registry as er

from .entity import HaulEntity, adding_entities

if TYPE_CHECKING:
    from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

    from .coordinator import HaulConfigEntry, HaulCoordinator
    from .views import Torrent

UNKNOWN_ETA = 8_640_000  # what the engine (like qBittorrent) reports when it cannot tell
PREFIX = "torrent_"


@callback
def async_setup_downloads(
    entry: HaulConfigEntry, async_add_entities: AddConfigEntryEntitiesCallback
) -> None:
    """Follow the engine's downloads: a sensor for each unfinished one, none for a removed one."""
    # Finished torrents (a seeding library holds hundreds) get no sensor; a download keeps its
    # sensor once finished, until it is removed from the engine.
    coordinator = entry.runtime_data.coordinator
    registry = er.async_get(coordinator.hass)
    prefix = f"{coordinator.data.info.server_id}_{PREFIX}"
    shown: set[str] = set()
    for entity in er.async_entries_for_config_entry(registry, entry.entry_id):
        if entity.unique_id.startswith(prefix):
            info_hash = entity.unique_id.removeprefix(prefix)
            if info_hash in coordinator.data.views.torrents:
                shown.add(info_hash)
            else:
                registry.async_remove(entity.entity_id)  # removed while HA was away
    if shown:
        async_add_entities(HaulDownloadSensor(coordinator, info_hash) for info_hash in shown)

    @callback
    def follow() -> None:
        if not adding_entities(entry):
            return
        torrents = coordinator.data.views.torrents
        for gone in shown - torrents.keys():
            if entity_id := registry.async_get_entity_id("sensor", entry.domain, prefix + gone):
                registry.async_remove(entity_id)
            shown.discard(gone)
        started = [h for h, torrent in torrents.items() if h not in shown and torrent.progress < 1]
        shown.update(started)
        if started:
            async_add_entities(HaulDownloadSensor(coordinator, info_hash) for info_hash in started)

    follow()
    entry.async_on_unload(coordinator.async_add_listener(follow))


class HaulDownloadSensor(HaulEntity, SensorEntity):
    """How far one download is, with its speeds, size, state and request."""

    _attr_native_unit_of_measurement = UnitOfRatio.PERCENTAGE
    _attr_state_class = SensorStateClass.MEASUREMENT
    _attr_suggested_display_precision = 1

    def __init__(self, coordinator: HaulCoordinator, info_hash: str) -> None:
        """Follow one torrent."""
        super().__init__(
            coordinator, SensorEntityDescription(key=PREFIX + info_hash, translation_key="download")
        )
        self.info_hash = info_hash
        self._attr_translation_placeholders = {"name": self._torrent.name if self._torrent else ""}

    @property
    def _torrent(self) -> Torrent | None:
        return self.coordinator.data.views.torrents.get(self.info_hash)

    @property
    def available(self) -> bool:
        """Unavailable once the engine no longer has the torrent."""
        return super().available and self._torrent is not None

    @property
    def native_value(self) -> float | None:
        """Progress in percent."""
        torrent = self._torrent
        return round(torrent.progress * 100, 2) if torrent else None

    @property
    def extra_state_attributes(self) -> dict[str, Any]:
        """What a download card shows."""
        torrent = self._torrent
        if torrent is None:
            return {}
        return {
            "info_hash": torrent.hash,
            "state": torrent.state,
            "eta": None if torrent.eta >= UNKNOWN_ETA else torrent.eta,
            "download_rate": torrent.download_rate,
            "upload_rate": torrent.upload_rate,
            "size": torrent.size,
            "category": torrent.category,
            "request_id": torrent.request_id,
        }
