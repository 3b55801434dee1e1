"""Whisparr: v2 forks Sonarr (series-like), v3 forks Radarr (movie-like) without wanted lists."""

from dataclasses import replace

from haul_engine.arr import radarr, sonarr
from haul_engine.arr.app import App

WHISPARR = App(
    "whisparr", "Whisparr", {2: sonarr.LIBRARY, 3: replace(radarr.LIBRARY, wanted=False)},
    "http://localhost:6969",
    ("On Import", "On Upgrade", "the add and delete triggers", "On Health Issue"),
)  # fmt: skip
