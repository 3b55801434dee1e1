"""What the request gate asks of Radarr and Sonarr: route, lookup, add, search, grab, follow."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from haul_engine.arr.apps import AppClient
from haul_engine.arr.client import ArrError
from haul_engine.errors import Ambiguous, Conflict, InvalidInput, NotFound
from haul_engine.requests.overseerr import read_poster
from haul_engine.requests.views import TitleMatch

if TYPE_CHECKING:
    from collections.abc import Sequence
    from datetime import datetime

    from haul_engine.connectors.kinds import ConnectorConfig

QUEUE_PAGE = 200
KIND_FOR_MEDIA = {"movie": "radarr", "tv": "sonarr", "album": "lidarr", "artist": "lidarr"}
# how the arrs' releases, queue and history records name a request's item
ITEM_KEYS = {"movie": "movieId", "tv": "seriesId", "album": "albumId", "artist": "artistId"}
LOOKUPS = {"movie": "movie", "tv": "series", "album": "album", "artist": "artist"}
MUSIC = frozenset({"album", "artist"})
MAX_CHOICES = 8  # works offered when a query is ambiguous


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


@dataclass(frozen=True, slots=True)
class Wanted:
    """The title a request asks for, by the ids the arrs know it by."""

    media_type: str
    query: str = ""
    year: int | None = None  # narrows a query
    tmdb_id: int | None = None
    tvdb_id: int | None = None
    foreign_id: str | None = None  # a MusicBrainz id: the artist's or the album's
    seasons: list[int] = field(default_factory=list)


class RequestArr(AppClient):
    """An AppClient with the endpoints the request gate needs (Radarr, Sonarr, Lidarr)."""

    @property
    def movies(self) -> bool:
        """Whether this arr holds movies (Radarr)."""
        return self.config.kind == "radarr"

    @property
    def music(self) -> bool:
        """Whether this arr holds music (Lidarr)."""
        return self.config.kind == "lidarr"

    async def find(self, wanted: Wanted) -> dict[str, Any] | None:
        """Return the library item with the wanted id, if the arr has it."""
        where: tuple[str, str, str, str | int] | None = None  # path, filter, item key, value
        if self.movies and wanted.tmdb_id is not None:
            where = ("/movie", "tmdbId", "tmdbId", wanted.tmdb_id)
        elif self.music and wanted.foreign_id and wanted.media_type == "artist":
            where = ("/artist", "mbId", "foreignArtistId", wanted.foreign_id)
        elif self.music and wanted.foreign_id:
            where = ("/album", "foreignAlbumId", "foreignAlbumId", wanted.foreign_id)
        elif self.config.kind == "sonarr" and wanted.tvdb_id is not None:
            where = ("/series", "tvdbId", "tvdbId", wanted.tvdb_id)
        if where is None:
            return None
        path, name, key, value = where
        answer = await self.get(path, **{name: value})
        items: list[dict[str, Any]] = answer if isinstance(answer, list) else []
        # older versions ignore the filter and list the whole library
        return next((item for item in items if item.get(key) == value), None)

    async def lookup(self, term: str, media_type: str) -> list[dict[str, Any]]:
        """Titles the arr's metadata source knows for a search term (or tmdb:/tvdb:/lidarr: id)."""
        answer = await self.get(f"/{LOOKUPS[media_type]}/lookup", term=term)
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
        self, item: dict[str, Any], wanted: Wanted, placement: Placement
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
        where = {"qualityProfileId": profile, "rootFolderPath": folder, "monitored": True}
        if self.music:
            return await self._add_music(item, wanted, where)
        body = {**item, **where}
        if placement.tags:
            body["tags"] = sorted({*(item.get("tags") or []), *placement.tags})
        if placement.language_profile_id is not None and not self.movies:
            body["languageProfileId"] = placement.language_profile_id
        if self.movies:
            body["addOptions"] = {"searchForMovie": False, "monitor": "movieOnly"}
        else:
            body["seasons"] = [
                {
                    **season,
                    "monitored": not wanted.seasons or season["seasonNumber"] in wanted.seasons,
                }
                for season in item.get("seasons") or []
            ]
            body["addOptions"] = {"searchForMissingEpisodes": False, "monitor": "none"}
        added: dict[str, Any] = await self.request(
            "POST", "/movie" if self.movies else "/series", body=body
        )
        return added

    async def _add_music(
        self, item: dict[str, Any], wanted: Wanted, where: dict[str, Any]
    ) -> dict[str, Any]:
        """Add an artist (its albums monitored, none searched) or one album (with its artist)."""
        profiles = await self.get("/metadataprofile")
        if not isinstance(profiles, list) or not profiles:
            msg = f"{self.config.name}: needs a metadata profile to add music"
            raise ArrError(msg)
        where = {**where, "metadataProfileId": profiles[0]["id"]}
        if wanted.media_type == "artist":
            options = {"monitor": "all", "searchForMissingAlbums": False}
            body = {**item, **where, "addOptions": options}
            path = "/artist"
        else:  # the album's artist comes along, watching nothing else
            quiet = {"monitor": "none", "searchForMissingAlbums": False}
            artist = {**(item.get("artist") or {}), **where, "monitorNewItems": "none",
                      "addOptions": quiet}  # fmt: skip
            body = {**item, "artist": artist, "monitored": True,
                    "addOptions": {"searchForNewAlbum": False}}  # fmt: skip
            path = "/album"
        added: dict[str, Any] = await self.request("POST", path, body=body)
        return added

    async def releases(
        self, media_type: str, item_id: int, season: int | None
    ) -> list[dict[str, Any]]:
        """Run the arr's interactive search: every release with its own verdict."""
        if media_type == "tv":
            answer = await self.get("/release", seriesId=item_id, seasonNumber=season or 1)
        else:
            answer = await self.get("/release", **{ITEM_KEYS[media_type]: item_id})
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

    async def history_since(self, since: datetime) -> list[dict[str, Any]]:
        """Fetch the arr's history records since a moment, oldest first."""
        answer = await self.get("/history/since", date=since.isoformat())
        return answer if isinstance(answer, list) else []

    async def blocklist(self, queue_id: int) -> None:
        """Remove a download from the queue and its client, and blocklist the release."""
        await self.request(
            "DELETE",
            f"/queue/{queue_id}",
            params={"removeFromClient": "true", "blocklist": "true"},
        )


async def lookup_and_add(arr: RequestArr, wanted: Wanted, placement: Placement) -> dict[str, Any]:
    """Return the arr's item for the title: already there, else looked up and added."""
    existing = await arr.find(wanted)
    if existing is not None:
        return existing
    if arr.movies and wanted.tmdb_id is not None:
        term = f"tmdb:{wanted.tmdb_id}"
    elif arr.music and wanted.foreign_id:
        term = f"lidarr:{wanted.foreign_id}"
    elif not arr.movies and not arr.music and wanted.tvdb_id is not None:
        term = f"tvdb:{wanted.tvdb_id}"
    elif wanted.query.strip():
        term = wanted.query.strip()
    else:
        msg = "give a query, or a tmdb_id (movie), tvdb_id (tv) or musicbrainz_id (album, artist)"
        raise InvalidInput(msg)
    found = await arr.lookup(term, wanted.media_type)
    if not found:
        msg = f"{arr.config.name} found no title for {term!r}"
        raise NotFound(msg)
    item = found[0] if term != wanted.query.strip() else choose_title(arr, found, wanted)
    if item.get("id"):
        return item
    # found by name: the arr may have it already without its lookup saying so
    facts = described(item, wanted.media_type)
    same = Wanted(
        media_type=wanted.media_type, tmdb_id=facts["tmdb_id"], tvdb_id=facts["tvdb_id"],
        foreign_id=facts["foreign_id"],
    )  # fmt: skip
    if term == wanted.query.strip() and (existing := await arr.find(same)) is not None:
        return existing
    return await arr.add(item, wanted, placement)


def choose_title(arr: RequestArr, found: list[dict[str, Any]], wanted: Wanted) -> dict[str, Any]:
    """Return the one work a query means: of that year, titled as asked, else the only one.

    Several left (two films called Dune) is `Ambiguous`, listing them to choose from.
    """
    query, year = wanted.query.strip(), wanted.year
    shown = [(item, described(item, wanted.media_type)) for item in found]
    if year is not None:
        shown = [(item, facts) for item, facts in shown if facts["year"] == year]
        if not shown:
            msg = f"{arr.config.name} found no title for {query!r} from {year}"
            raise NotFound(msg)
    exact = [(item, facts) for item, facts in shown if _words(facts["title"]) == _words(query)]
    matches = exact or shown
    if len(matches) == 1:
        return matches[0][0]
    choices = [title_match(item, wanted.media_type) for item, _ in matches[:MAX_CHOICES]]
    named = " or ".join(f"{c.title} ({c.year})" if c.year else c.title for c in choices)
    msg = f"{query!r} matches several titles: {named}; give the year or an id"
    raise Ambiguous(msg, candidates=[choice.model_dump(mode="json") for choice in choices])


def title_match(item: dict[str, Any], media_type: str) -> TitleMatch:
    """Show a work of an arr's lookup as one to choose from."""
    facts = described(item, media_type)
    return TitleMatch(
        title=facts["title"], year=facts["year"], overview=facts["overview"] or "",
        poster_url=facts["poster_url"], tmdb_id=facts["tmdb_id"], tvdb_id=facts["tvdb_id"],
        imdb_id=item.get("imdbId") or None, musicbrainz_id=facts["foreign_id"],
        in_library=bool(item.get("id")),
    )  # fmt: skip


def _words(text: str) -> str:
    """Reduce a title to what is compared: lower-case letters and digits, single spaces."""
    return " ".join("".join(c if c.isalnum() else " " for c in text.lower()).split())


def described(item: dict[str, Any], media_type: str) -> dict[str, Any]:
    """Read what an arr's item tells of a request: title, year, ids, overview, poster."""
    if media_type in MUSIC:
        artist = item.get("artist") or {}
        name = str(item.get("artistName") or artist.get("artistName") or "")
        title = (
            name
            if media_type == "artist"
            else " - ".join(part for part in (name, str(item.get("title") or "")) if part)
        )
        released = str(item.get("releaseDate") or "")
        year = int(released[:4]) if released[:4].isdigit() else None
        foreign = item.get("foreignArtistId" if media_type == "artist" else "foreignAlbumId")
    else:
        title, year, foreign = str(item.get("title") or ""), item.get("year") or None, None
    return {
        "title": title, "year": year, "tmdb_id": item.get("tmdbId") or None,
        "tvdb_id": item.get("tvdbId") or None, "foreign_id": str(foreign) if foreign else None,
        "overview": str(item.get("overview") or "") or None, "poster_url": poster(item),
    }  # fmt: skip


def poster(item: dict[str, Any]) -> str | None:
    """Return the poster an arr's item shows (its metadata source's URL), if it has one."""
    if item.get("remotePoster"):  # a lookup's
        return read_poster(item["remotePoster"])
    for image in item.get("images") or []:
        if isinstance(image, dict) and image.get("coverType") in {"poster", "cover"}:
            return read_poster(image.get("remoteUrl") or image.get("url"))
    return None
