"""qBittorrent WebAPI v2 (2.11.2, qBittorrent 5.0) on the engine's port."""

from haul_engine.api.qbittorrent.server import QbittorrentApi

__all__ = ["QbittorrentApi"]
