"""Sonarr v3 and v4: series of episodes, searched by episode, season or whole series."""

from haul_engine.arr.app import App, Library, Searches

LIBRARY = Library(
    "series", "/episode", Searches("EpisodeSearch", "episodeIds", "SeasonSearch", "SeriesSearch"),
    containers="/series", files="/episodefile",
)  # fmt: skip
SONARR = App(
    "sonarr", "Sonarr", {3: LIBRARY, 4: LIBRARY}, "http://localhost:8989",
    ("On Import", "On Upgrade", "On Series Add", "On Series Delete", "On Episode File Delete",
     "On Health Issue"),
)  # fmt: skip
