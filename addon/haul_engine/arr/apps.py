"""Every supported app by kind, and the client that learns which one and which version answers."""

from __future__ import annotations

from typing import TYPE_CHECKING, Unpack

from haul_engine.arr.client import ArrClient, ArrError
from haul_engine.arr.lidarr import LIDARR
from haul_engine.arr.radarr import RADARR
from haul_engine.arr.sonarr import SONARR
from haul_engine.arr.whisparr import WHISPARR

if TYPE_CHECKING:
    from haul_engine.arr.app import Library, Searches
    from haul_engine.arr.client import AppInfo, ClientOptions, Flavor
    from haul_engine.connectors.kinds import ConnectorConfig

APPS = {app.kind: app for app in (SONARR, RADARR, WHISPARR, LIDARR)}
# every app searches a flavour the same way, so the planner needs only the flavour
SEARCHES: dict[Flavor, Searches] = {
    library.flavor: library.searches for app in APPS.values() for library in app.versions.values()
}


class AppClient(ArrClient):
    """A client for one of APPS; detect() learns the library layout of the other end."""

    def __init__(self, config: ConnectorConfig, **options: Unpack[ClientOptions]) -> None:
        """Use the app's API base."""
        super().__init__(config, **options)
        self.app = APPS[config.kind]
        self.api_base = self.app.api_base
        self.info: AppInfo | None = None
        self._library: Library | None = None

    @property
    def library(self) -> Library:
        """The library layout detect() found."""
        if self._library is None:
            msg = f"{self.config.name}: the app has not been detected yet"
            raise ArrError(msg)
        return self._library

    async def detect(self) -> Flavor:
        """Ask system/status and refuse other apps and unsupported versions."""
        self.info = await self.status()
        self._library = self.app.library(self.info, self.config.name)
        return self._library.flavor
