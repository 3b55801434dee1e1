"""Radarr v3 to v5: one list of movies, searched by movie ids; wanted lists since v5."""

from dataclasses import replace

from haul_engine.arr.app import App, Library, Searches

LIBRARY = Library("movie", "/movie", Searches("MoviesSearch", "movieIds"), wanted=False)
V5 = replace(LIBRARY, wanted=True, wanted_needs_year=True)  # 5.9 left out movies without a year
RADARR = App(
    "radarr", "Radarr", {3: LIBRARY, 4: LIBRARY, 5: V5}, "http://localhost:7878",
    ("On Import", "On Upgrade", "On Movie Added", "On Movie Delete", "On Movie File Delete",
     "On Health Issue"),
)  # fmt: skip
