"""Whisparr: v2 forks Sonarr (series-like), v3 forks Radarr (movie-like) without wanted lists."""

from haul_engine.arr import radarr, sonarr
from haul_engine.arr.app import App

WHISPARR = App(
    # v3 lays out its library as Radarr before v5: no wanted lists, movies with or without a year
    "whisparr", "Whisparr", {2: sonarr.LIBRARY, 3: radarr.LIBRARY},
    "http://localhost:6969",
    ("On Import", "On Upgrade", "the add and delete triggers", "On Health Issue"),
)  # fmt: skip
