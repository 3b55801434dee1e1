"""transfer/* and sync/*: speeds, limits, the alternative mode, totals and peers."""

from __future__ import annotations

import asyncio
import shutil
from typing import TYPE_CHECKING, Any

from haul_engine.api.qbittorrent.params import INT32, Params, Scope, action, not_found
from haul_engine.torrents.views import parse_peer

if TYPE_CHECKING:
    from haul_engine.api.qbittorrent.torrents import TorrentsApi
    from haul_engine.torrents.controller import TorrentsController

REFRESH_MILLISECONDS = 1500


def server_state(torrents: TorrentsController) -> dict[str, Any]:
    """QBittorrent's transfer info and server_state (sync/maindata adds the free space)."""
    transfer = torrents.transfer()
    download, upload = transfer.limits.effective()
    moved = torrents.statistics()
    alltime_dl, alltime_ul = moved.all_time_downloaded, moved.all_time_uploaded
    # qBittorrent writes "-" while nothing moved; 0.00 keeps the value numeric for dashboards
    ratio = f"{alltime_ul / alltime_dl:.2f}" if alltime_dl else "0.00"
    return {
        "dl_info_speed": transfer.download_rate,
        "dl_info_data": moved.downloaded,
        "up_info_speed": transfer.upload_rate,
        "up_info_data": moved.uploaded,
        "dl_rate_limit": download,
        "up_rate_limit": upload,
        "dht_nodes": moved.dht_nodes,
        "connection_status": moved.connection,
        "alltime_dl": alltime_dl,
        "alltime_ul": alltime_ul,
        "global_ratio": ratio,
        "total_wasted_session": 0,
        "total_peer_connections": moved.peers,
        "total_buffers_size": 0,
        "total_queued_size": 0,
        "queued_io_jobs": 0,
        "average_time_queue": 0,
        "read_cache_hits": "0",
        "read_cache_overload": "0",
        "write_cache_overload": "0",
        "queueing": torrents.preferences.queueing,
        "use_alt_speed_limits": transfer.alt_active,
        "refresh_interval": REFRESH_MILLISECONDS,
        "use_subcategories": False,
    }


class TransferApi(Scope):
    """The transfer/ scope."""

    @action("info")
    async def info(self, _params: Params) -> dict[str, Any]:
        """Speeds, session totals, limits in force, DHT nodes, connection status."""
        return server_state(self.torrents)

    @action("speedLimitsMode")
    async def speed_limits_mode(self, _params: Params) -> str:
        """1 when the alternative limits apply."""
        return "1" if self.torrents.transfer().alt_active else "0"

    @action("toggleSpeedLimitsMode", changes=True)
    async def toggle_speed_limits_mode(self, _params: Params) -> None:
        """Switch the alternative limits on or off."""
        await self._alternative(on=not self.torrents.transfer().alt_active)

    @action("setSpeedLimitsMode", changes=True)
    async def set_speed_limits_mode(self, params: Params) -> None:
        """Mode 0: normal limits; any other number: the alternative ones."""
        params.require("mode")
        await self._alternative(on=params.integer("mode", 0) != 0)

    async def _alternative(self, *, on: bool) -> None:
        limits = self.torrents.limits
        await self.torrents.set_limits(limits.model_copy(update={"alt_mode": on}))

    @action("downloadLimit")
    async def download_limit(self, _params: Params) -> str:
        """Return the download limit in force now (bytes/s, 0 = none)."""
        return str(self.torrents.limits.effective()[0])

    @action("uploadLimit")
    async def upload_limit(self, _params: Params) -> str:
        """Return the upload limit in force now (bytes/s, 0 = none)."""
        return str(self.torrents.limits.effective()[1])

    @action("setDownloadLimit", changes=True)
    async def set_download_limit(self, params: Params) -> None:
        """Set the download limit of the mode in force (bytes/s, kept in whole KiB/s)."""
        await self._set_limit(params, "download")

    @action("setUploadLimit", changes=True)
    async def set_upload_limit(self, params: Params) -> None:
        """Set the upload limit of the mode in force (bytes/s, kept in whole KiB/s)."""
        await self._set_limit(params, "upload")

    async def _set_limit(self, params: Params, direction: str) -> None:
        params.require("limit")
        limit = params.integer("limit", 0, -1, INT32)
        kib = max(-(-limit // 1024), 0)
        torrents = self.torrents
        prefix = "alt_" if torrents.transfer().alt_active else ""
        await torrents.set_limits(
            torrents.limits.model_copy(update={f"{prefix}{direction}_limit": kib})
        )

    @action("banPeers", changes=True)
    async def ban_peers(self, params: Params) -> None:
        """Ban peers' IP addresses (`ip:port|…`) at once and from now on."""
        params.require("peers")
        addresses = [
            address[0]
            for peer in params.text("peers").split("|")
            if (address := parse_peer(peer)) is not None
        ]
        torrents = self.torrents
        banned = list(dict.fromkeys([*torrents.preferences.banned_ips, *addresses]))
        if banned != torrents.preferences.banned_ips:
            await torrents.set_preferences(
                torrents.preferences.model_copy(update={"banned_ips": banned})
            )


class SyncApi(Scope):
    """The sync/ scope: always full updates (which every client handles), rid counted."""

    def __init__(self, listing: TorrentsApi) -> None:
        """Serve listing's controller; torrents and categories are listed as torrents/ does."""
        super().__init__(listing.torrents, listing.settings)
        self.listing = listing
        self.rid = 0

    def _next_rid(self, params: Params) -> int:
        params.integer("rid", 0)  # an invalid rid is refused like any other number
        self.rid = self.rid % 1_000_000 + 1
        return self.rid

    @action("maindata")
    async def maindata(self, params: Params) -> dict[str, Any]:
        """Torrents, categories, tags and the server state."""
        torrents = self.torrents
        items = {}
        for view in torrents.views():
            item = self.listing.serializer.item(view)
            items[item.pop("hash")] = item
        state = server_state(torrents)
        free = torrents.free_space  # clients poll this every second or two: the guard's look
        if free is None:
            free = (await asyncio.to_thread(shutil.disk_usage, torrents.folders.downloads)).free
        state["free_space_on_disk"] = free
        return {
            "rid": self._next_rid(params),
            "full_update": True,
            "torrents": items,
            "categories": await self.listing.categories(params),
            "tags": torrents.known_tags(),
            "trackers": {},
            "server_state": state,
        }

    @action("torrentPeers")
    async def torrent_peers(self, params: Params) -> dict[str, Any]:
        """List the peers of one torrent, keyed ip:port (404 for an unknown hash)."""
        resolved = self.torrents.resolve(params.text("hash").strip())
        if resolved is None:
            raise not_found()
        peers = {
            peer.address: {
                "ip": peer.ip,
                "port": peer.port,
                "client": peer.client,
                "peer_id_client": "",
                "progress": peer.progress,
                "dl_speed": peer.download_rate,
                "up_speed": peer.upload_rate,
                "downloaded": peer.downloaded,
                "uploaded": peer.uploaded,
                "connection": peer.connection,
                "flags": peer.flags,
                "flags_desc": "",
                "relevance": 0,
                "files": "\n".join(peer.files),
            }
            for peer in self.torrents.peers(resolved)
        }
        return {
            "rid": self._next_rid(params),
            "full_update": True,
            "show_flags": False,
            "peers": peers,
        }
