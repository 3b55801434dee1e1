"""What sets the apps apart: API base, supported versions and library flavour."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from haul_engine.arr.client import AppInfo, ArrClient, ArrError, RetryPolicy

if TYPE_CHECKING:
    from haul_engine.arr.client import Flavor
    from haul_engine.connectors.kinds import ConnectorConfig


@dataclass(frozen=True, slots=True)
class App:
    """One *arr application: its status name, API base and the majors Haul speaks to."""

    kind: str
    title: str
    api_base: str
    flavors: dict[int, Flavor]

    def flavor(self, info: AppInfo, name: str) -> Flavor:
        """Return the library flavour of this version, or refuse it clearly."""
        if info.app and info.app.lower() != self.kind:
            msg = f"{name}: this is {info.app}, not {self.title}"
            raise ArrError(msg)
        flavor = self.flavors.get(info.major)
        if flavor is None:
            supported = ", ".join(f"v{major}" for major in sorted(self.flavors))
            msg = f"{name}: {self.title} {info.version} is not supported (supported: {supported})"
            raise ArrError(msg)
        return flavor


APPS = {
    app.kind: app
    for app in (
        App("sonarr", "Sonarr", "/api/v3", {3: "series", 4: "series"}),
        App("radarr", "Radarr", "/api/v3", {3: "movie", 4: "movie", 5: "movie"}),
        App("whisparr", "Whisparr", "/api/v3", {2: "series", 3: "movie"}),
        App("lidarr", "Lidarr", "/api/v1", {1: "music", 2: "music"}),
    )
}


class AppClient(ArrClient):
    """A client for one of APPS; detect() learns the flavour of the other end."""

    def __init__(self, config: ConnectorConfig, retry: RetryPolicy | None = None) -> None:
        """Use the app's API base."""
        super().__init__(config, retry=retry)
        self.app = APPS[config.kind]
        self.api_base = self.app.api_base
        self.info: AppInfo | None = None

    async def detect(self) -> Flavor:
        """Ask system/status and refuse other apps and unsupported versions."""
        self.info = await self.status()
        return self.app.flavor(self.info, self.config.name)
