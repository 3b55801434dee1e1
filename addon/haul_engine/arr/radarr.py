"""Radarr v3 to v5: one list of movies, searched by movie ids."""

from haul_engine.arr.app import App, Library, Searches

LIBRARY = Library("movie", "/movie", Searches("MoviesSearch", "movieIds"))
RADARR = App(
    "radarr", "Radarr", {3: LIBRARY, 4: LIBRARY, 5: LIBRARY}, "http://localhost:7878",
    ("On Import", "On Upgrade", "On Movie Added", "On Movie Delete", "On Movie File Delete",
     "On Health Issue"),
)  # fmt: skip
