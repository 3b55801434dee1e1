"""What the request gate asks of Radarr and Sonarr: lookup, add, search, grab, follow."""

from __future__ import annotations

from typing import Any

from haul_engine.arr.apps import AppClient
from haul_engine.arr.client import ArrError

QUEUE_PAGE = 200
KIND_FOR_MEDIA = {"movie": "radarr", "tv": "sonarr"}


class RequestArr(AppClient):
    """An AppClient with the endpoints the request gate needs."""

    @property
    def movies(self) -> bool:
        """Whether this arr holds movies (Radarr) rather than series (Sonarr)."""
        return self.config.kind == "radarr"

    async def find(self, tmdb_id: int | None, tvdb_id: int | None) -> dict[str, Any] | None:
        """Return the library item with this id, if the arr has it."""
        if self.movies and tmdb_id is not None:
            key, wanted, answer = "tmdbId", tmdb_id, await self.get("/movie", tmdbId=tmdb_id)
        elif not self.movies and tvdb_id is not None:
            key, wanted, answer = "tvdbId", tvdb_id, await self.get("/series", tvdbId=tvdb_id)
        else:
            return None
        items: list[dict[str, Any]] = answer if isinstance(answer, list) else []
        # older versions ignore the filter and list the whole library
        return next((item for item in items if item.get(key) == wanted), None)

    async def lookup(self, term: str) -> list[dict[str, Any]]:
        """Titles the arr's metadata source knows for a search term (or tmdb:/tvdb: id)."""
        answer = await self.get("/movie/lookup" if self.movies else "/series/lookup", term=term)
        return answer if isinstance(answer, list) else []

    async def add(self, item: dict[str, Any], seasons: list[int]) -> dict[str, Any]:
        """Add a looked-up title to the arr, monitored, without searching."""
        profiles = await self.get("/qualityprofile")
        folders = await self.get("/rootfolder")
        if not profiles or not folders:
            msg = f"{self.config.name}: needs a quality profile and a root folder to add titles"
            raise ArrError(msg)
        body = {
            **item,
            "qualityProfileId": profiles[0]["id"],
            "rootFolderPath": folders[0]["path"],
            "monitored": True,
        }
        if self.movies:
            body["addOptions"] = {"searchForMovie": False, "monitor": "movieOnly"}
        else:
            body["seasons"] = [
                {**season, "monitored": not seasons or season["seasonNumber"] in seasons}
                for season in item.get("seasons") or []
            ]
            body["addOptions"] = {"searchForMissingEpisodes": False, "monitor": "none"}
        added: dict[str, Any] = await self.request(
            "POST", "/movie" if self.movies else "/series", body=body
        )
        return added

    async def releases(self, item_id: int, season: int | None) -> list[dict[str, Any]]:
        """Run the arr's interactive search: every release with its own verdict."""
        if self.movies:
            answer = await self.get("/release", movieId=item_id)
        else:
            answer = await self.get("/release", seriesId=item_id, seasonNumber=season or 1)
        return answer if isinstance(answer, list) else []

    async def grab(self, guid: str, indexer_id: int) -> None:
        """Grab a release from the arr's last interactive search; the arr sends it to its client."""
        await self.request("POST", "/release", body={"guid": guid, "indexerId": indexer_id})

    async def push(self, title: str, link: str, published: str) -> list[dict[str, Any]]:
        """Offer an outside release; the arr judges it, then grabs it if its profile allows."""
        body = {"title": title, "protocol": "torrent", "publishDate": published}
        body["magnetUrl" if link.startswith("magnet:") else "downloadUrl"] = link
        answer = await self.request("POST", "/release/push", body=body)
        return answer if isinstance(answer, list) else [answer]

    async def queue_records(self) -> list[dict[str, Any]]:
        """Every record of the arr's download queue."""
        records: list[dict[str, Any]] = []
        async for page in self.pages("/queue"):
            records += page
        return records

    async def history(self, download_id: str) -> list[dict[str, Any]]:
        """Fetch the arr's history records of one download, newest first."""
        answer = await self.get("/history", downloadId=download_id, pageSize=QUEUE_PAGE)
        records = answer.get("records") if isinstance(answer, dict) else answer
        return records if isinstance(records, list) else []

    async def blocklist(self, queue_id: int) -> None:
        """Remove a download from the queue and its client, and blocklist the release."""
        await self.request(
            "DELETE",
            f"/queue/{queue_id}",
            params={"removeFromClient": "true", "blocklist": "true"},
        )
