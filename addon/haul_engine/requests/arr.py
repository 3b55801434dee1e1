"""What the request gate asks of Radarr and Sonarr: route, lookup, add, search, grab, follow."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from haul_engine.arr.apps import AppClient
from haul_engine.arr.client import ArrError
from haul_engine.errors import Conflict, InvalidInput, NotFound
from haul_engine.requests.overseerr import image_url

if TYPE_CHECKING:
    from collections.abc import Sequence

    from haul_engine.connectors.kinds import ConnectorConfig

QUEUE_PAGE = 200
KIND_FOR_MEDIA = {"movie": "radarr", "tv": "sonarr"}


@dataclass(frozen=True, slots=True)
class Placement:
    """How a title is added to the arr: quality profile, root folder, language profile, tags.

    Empty values take the connector's request defaults, then the arr's first.
    """

    quality_profile_id: int | None = None
    root_folder: str | None = None
    language_profile_id: int | None = None
    tags: list[int] = field(default_factory=list)


def route(
    configs: Sequence[ConnectorConfig],
    media_type: str,
    *,
    connector_id: str | None = None,
    is4k: bool = False,
    server_id: int | None = None,
) -> ConnectorConfig | None:
    """Choose the arr connector that serves a request; None: no connector of its kind at all.

    The connector it is bound to; else the one holding Overseerr's server id; else one serving
    4K requests or not as asked, the default for requests first. A 4K request no connector
    serves is refused (a connector for HD would wait for a title that never comes).
    """
    kind = KIND_FOR_MEDIA.get(media_type, "")
    enabled = [config for config in configs if config.kind == kind and config.enabled]
    if not enabled:
        return None
    if connector_id is not None:
        bound = next((config for config in enabled if config.id == connector_id), None)
        if bound is not None:
            return bound
    if server_id is not None:
        claimed = [c for c in enabled if server_id in c.setting("request_servers")]
        if claimed:
            return claimed[0]
    alike = [c for c in enabled if bool(c.setting("request_4k")) == is4k]
    if not alike and is4k:
        msg = (
            f"no {kind} connector serves 4K requests: turn on 'Serves 4K requests' on the "
            "one for 4K"
        )
        raise Conflict(msg)
    chosen = alike or enabled
    return next((c for c in chosen if c.setting("request_default")), chosen[0])


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

    async def quality_profiles(self) -> list[dict[str, Any]]:
        """List the arr's quality profiles."""
        answer = await self.get("/qualityprofile")
        return answer if isinstance(answer, list) else []

    async def root_folders(self) -> list[dict[str, Any]]:
        """List the arr's root folders."""
        answer = await self.get("/rootfolder")
        return answer if isinstance(answer, list) else []

    async def check_placement(self, placement: Placement) -> None:
        """Refuse a quality profile or root folder the arr does not have, naming the ones it has."""
        if placement.quality_profile_id is not None:
            profiles = {p["id"]: p.get("name", "") for p in await self.quality_profiles()}
            if placement.quality_profile_id not in profiles:
                listed = ", ".join(f"{key} ({name})" for key, name in profiles.items())
                msg = (
                    f"quality_profile_id: {self.config.name} has no quality profile "
                    f"{placement.quality_profile_id} (it has: {listed or 'none'})"
                )
                raise InvalidInput(msg)
        if placement.root_folder is not None:
            folders = [f["path"] for f in await self.root_folders()]
            if placement.root_folder not in folders:
                msg = (
                    f"root_folder: {self.config.name} has no root folder "
                    f"{placement.root_folder!r} (it has: {', '.join(folders) or 'none'})"
                )
                raise InvalidInput(msg)

    async def add(
        self, item: dict[str, Any], seasons: list[int], placement: Placement
    ) -> dict[str, Any]:
        """Add a looked-up title to the arr, monitored, without searching, where it was asked."""
        profile = placement.quality_profile_id or self.config.setting("request_quality_profile")
        folder = placement.root_folder or self.config.setting("request_root_folder")
        if profile is None:
            profiles = await self.quality_profiles()
            profile = profiles[0]["id"] if profiles else None
        if folder is None:
            folders = await self.root_folders()
            folder = folders[0]["path"] if folders else None
        if profile is None or folder is None:
            msg = f"{self.config.name}: needs a quality profile and a root folder to add titles"
            raise ArrError(msg)
        body = {**item, "qualityProfileId": profile, "rootFolderPath": folder, "monitored": True}
        if placement.tags:
            body["tags"] = sorted({*(item.get("tags") or []), *placement.tags})
        if placement.language_profile_id is not None and not self.movies:
            body["languageProfileId"] = placement.language_profile_id
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


async def lookup_and_add(  # noqa: PLR0913 - what is looked up and where it goes
    arr: RequestArr,
    *,
    query: str,
    tmdb_id: int | None,
    tvdb_id: int | None,
    seasons: list[int] | None,
    placement: Placement,
) -> dict[str, Any]:
    """Return the arr's item for the title: already there, else looked up and added."""
    existing = await arr.find(tmdb_id, tvdb_id)
    if existing is not None:
        return existing
    if arr.movies and tmdb_id is not None:
        term = f"tmdb:{tmdb_id}"
    elif not arr.movies and tvdb_id is not None:
        term = f"tvdb:{tvdb_id}"
    elif query.strip():
        term = query.strip()
    else:
        msg = "give a query, or a tmdb_id (movie) or tvdb_id (tv)"
        raise InvalidInput(msg)
    found = await arr.lookup(term)
    if not found:
        msg = f"{arr.config.name} found no title for {term!r}"
        raise NotFound(msg)
    if found[0].get("id"):
        return found[0]
    return await arr.add(found[0], seasons or [], placement)


def poster(item: dict[str, Any]) -> str | None:
    """Return the poster an arr's item shows (its metadata source's URL), if it has one."""
    for image in item.get("images") or []:
        if isinstance(image, dict) and image.get("coverType") == "poster":
            return image_url(image.get("remoteUrl") or image.get("url"))
    return None
