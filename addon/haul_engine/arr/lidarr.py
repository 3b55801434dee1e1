"""Lidarr 1.x and 2.x (API v1): albums of artists, searched by album ids."""

from haul_engine.arr.app import App, Library, Searches

LIBRARY = Library("music", "/album", Searches("AlbumSearch", "albumIds"), containers="/artist")
LIDARR = App(
    "lidarr", "Lidarr", {1: LIBRARY, 2: LIBRARY}, "http://localhost:8686",
    ("On Release Import", "On Upgrade", "On Artist Add", "On Artist Delete", "On Album Delete",
     "On Health Issue"),
    api_base="/api/v1",
)  # fmt: skip
