"""The Engine: owns the database, the controllers, the event bus and the web server."""

from __future__ import annotations

import logging
import uuid
from typing import TYPE_CHECKING

from haul_engine.api.server import ApiServer
from haul_engine.commands import CommandRegistry
from haul_engine.connectors.controller import ConnectorsController
from haul_engine.db.database import Database
from haul_engine.events import EventBus
from haul_engine.http import Http
from haul_engine.indexers.controller import IndexersController
from haul_engine.library.controller import LibraryController
from haul_engine.mediaservers.controller import MediaServersController
from haul_engine.options import OptionsController
from haul_engine.postprocessing.controller import PostProcessingController
from haul_engine.releases.controller import ReleasesController
from haul_engine.requests.controller import RequestsController
from haul_engine.secrets_store import load_or_create_token
from haul_engine.system import SystemController
from haul_engine.torrents.controller import TorrentsController
from haul_engine.vpn.controller import VpnController
from haul_engine.widget import WidgetController

if TYPE_CHECKING:
    from haul_engine.controller import Controller
    from haul_engine.settings import Settings

_LOGGER = logging.getLogger(__name__)


class Engine:
    """One running Haul engine."""

    def __init__(self, settings: Settings) -> None:
        """Build every part; nothing runs until setup."""
        self.settings = settings
        self.events = EventBus()
        self.http = Http()
        self.commands = CommandRegistry()
        self.database = Database(settings.effective_database_url)
        self.system = SystemController(self)
        self.options = OptionsController(self)
        self.connectors = ConnectorsController(self)
        self.vpn = VpnController(self)
        self.torrents = TorrentsController(self)
        self.indexers = IndexersController(self)
        self.releases = ReleasesController(self)
        self.mediaservers = MediaServersController(self)
        self.library = LibraryController(self)
        self.requests = RequestsController(self)
        self.postprocessing = PostProcessingController(self)
        self.controllers: list[Controller] = [
            self.system,
            self.options,
            self.connectors,
            self.library,
            self.vpn,  # the tunnel is up before the torrent session opens
            self.torrents,
            self.indexers,
            self.releases,
            self.mediaservers,
            self.requests,
            self.postprocessing,
            WidgetController(self),
        ]
        for controller in self.controllers:
            self.commands.register(controller)
        self.api = ApiServer(self)
        self.token = ""
        self.server_id = ""
        self._started: list[Controller] = []

    async def setup(self) -> None:
        """Migrate the database, start the controllers, then open the API."""
        self.settings.data_dir.mkdir(parents=True, exist_ok=True)
        self.settings.effective_download_dir.mkdir(parents=True, exist_ok=True)
        self.token = load_or_create_token(self.settings.data_dir)
        await self.http.setup()
        await self.database.setup()
        self.server_id = await self.database.meta_value("server_id", lambda: uuid.uuid4().hex)
        for controller in self.controllers:
            await controller.setup()
            self._started.append(controller)
        await self.api.start()

    async def close(self) -> None:
        """Stop taking work, close controllers (last first), their listeners, the database."""
        await self.api.stop()
        while self._started:
            controller = self._started.pop()
            try:
                await controller.close()
            except Exception:
                _LOGGER.exception("closing %s failed", controller.feature)
        await self.events.close()
        await self.http.close()
        await self.database.close()

    def problems(self) -> list[str]:
        """Every controller's current problems."""
        return [problem for controller in self.controllers for problem in controller.problems()]
