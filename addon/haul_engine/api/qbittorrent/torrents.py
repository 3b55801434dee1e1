"""torrents/*: listing, adding and changing torrents with qBittorrent 5.0's semantics."""

from __future__ import annotations

import logging
import ssl
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aiohttp import web
from pydantic import ValidationError

from haul_engine.api.qbittorrent.params import (
    INT32,
    ApiError,
    Params,
    Scope,
    action,
    bad_params,
    conflict,
    invalid,
    not_found,
)
from haul_engine.api.qbittorrent.serialize import Serializer
from haul_engine.errors import InvalidInput
from haul_engine.torrents.models import GLOBAL_LIMIT
from haul_engine.torrents.views import DOWNLOADING_STATES, AddOptions, parse_peer

if TYPE_CHECKING:
    from collections.abc import Callable

    from haul_engine.api.qbittorrent.params import Endpoints
    from haul_engine.settings import Settings
    from haul_engine.torrents.controller import TorrentsController
    from haul_engine.torrents.session import QueueMove
    from haul_engine.torrents.views import TorrentView

_LOGGER = logging.getLogger(__name__)
_LAYOUTS = {"original": "Original", "subfolder": "Subfolder", "nosubfolder": "NoSubfolder"}
_MINUTES = 525_600_000
_STALLED = {"stalledUP", "stalledDL"}
_RUNNING_STATES = {"uploading", "stalledUP", "forcedUP", "queuedUP", "checkingUP"}
_FILTERS: dict[str, Callable[[TorrentView], bool]] = {
    "downloading": lambda view: (
        view.state in DOWNLOADING_STATES | {"queuedDL", "stoppedDL", "checkingDL", "moving"}
    ),
    "seeding": lambda view: (
        view.state in {"uploading", "forcedUP", "stalledUP", "queuedUP", "checkingUP"}
    ),
    "completed": lambda view: view.status.finished and view.status.has_metadata,
    "stopped": lambda view: view.record.stopped,
    "running": lambda view: not view.record.stopped,
    "active": lambda view: view.status.download_rate > 0 or view.status.upload_rate > 0,
    "inactive": lambda view: view.status.download_rate == 0 and view.status.upload_rate == 0,
    "stalled": lambda view: view.state in _STALLED,
    "stalled_uploading": lambda view: view.state == "stalledUP",
    "stalled_downloading": lambda view: view.state == "stalledDL",
    "checking": lambda view: view.state in {"checkingUP", "checkingDL", "checkingResumeData"},
    "moving": lambda view: view.state == "moving",
    "errored": lambda view: view.state in {"error", "missingFiles", "unknown"},
}
_FILTERS["paused"] = _FILTERS["stopped"]  # the names before qBittorrent 5.0
_FILTERS["resumed"] = _FILTERS["running"]
_VALID_PRIORITIES = {0, 1, 6, 7}


class TorrentsApi(Scope):
    """The torrents/ scope."""

    def __init__(self, torrents: TorrentsController, settings: Settings) -> None:
        """Serve the given controller, with the engine's settings."""
        super().__init__(torrents, settings)
        self.serializer = Serializer(torrents)

    def endpoints(self) -> Endpoints:
        """Every action, the queue moves and super seeding included."""
        moves: dict[str, QueueMove] = {
            "increasePrio": "up",
            "decreasePrio": "down",
            "topPrio": "top",
            "bottomPrio": "bottom",
        }
        queue = {name: (partial(self._queue, move=move), True) for name, move in moves.items()}
        super_seeding = partial(self._set_switch, option="super_seeding")
        return super().endpoints() | queue | {"setSuperSeeding": (super_seeding, True)}

    # ----- helpers

    def _hashes(self, params: Params, key: str = "hashes") -> list[str]:
        """Return the torrents named by `a|b|…` or `all`; unknown ones are skipped."""
        params.require(key)
        spellings = params.ids(key)
        if spellings == ["all"]:
            return self.torrents.hashes()
        found = []
        for spelling in spellings:
            resolved = self.torrents.resolve(spelling)
            if resolved is not None and resolved not in found:
                found.append(resolved)
        return found

    def _switch(self, params: Params) -> tuple[list[str], bool]:
        """Return the torrents and the `value` (true/false) an on/off action names."""
        params.require("hashes", "value")
        return self._hashes(params), params.flag("value") is True

    def _one(self, params: Params) -> str:
        """Return the torrent named by `hash`: 404 when there is none."""
        params.require("hash")
        resolved = self.torrents.resolve(params.text("hash").strip())
        if resolved is None:
            raise not_found()
        return resolved

    def _view(self, params: Params) -> TorrentView:
        return self.torrents.view(self._one(params))

    # ----- reading

    @action("count")
    async def count(self, _params: Params) -> str:
        """How many torrents there are."""
        return str(len(self.torrents.hashes()))

    @action("info")
    async def info(self, params: Params) -> list[dict[str, Any]]:
        """List torrents.

        Parameters: filter (unknown = all), category, tag, hashes, private, sort, reverse, limit
        and offset.
        """
        keep = _FILTERS.get(params.text("filter"))
        limit = params.integer("limit", 0)
        offset = params.integer("offset", 0)
        views = self.torrents.views()
        if keep is not None:
            views = [view for view in views if keep(view)]
        if "category" in params:
            category = params.text("category")
            views = [view for view in views if view.record.category == category]
        if "tag" in params:
            tag = params.text("tag")
            views = [
                view for view in views if (tag in view.record.tags if tag else not view.record.tags)
            ]
        if params.ids("hashes"):
            wanted = set(self._hashes(params))
            views = [view for view in views if view.record.info_hash in wanted]
        private = params.flag("private")
        items = [self.serializer.item(view) for view in views]
        if private is not None:
            items = [item for item in items if item["private"] is private]
        sort = params.text("sort")
        if sort and items:
            if sort not in items[0]:
                msg = "'sort' parameter is invalid"
                raise bad_params(msg)
            items.sort(
                key=lambda item: _sort_key(item[sort]), reverse=params.flag("reverse") is True
            )
        if offset < 0:
            offset += len(items)
        if not 0 <= offset < len(items):
            offset = 0
        return items[offset : offset + limit] if limit > 0 else items[offset:]

    @action("properties")
    async def properties(self, params: Params) -> dict[str, Any]:
        """torrents/properties (404 for unknown hashes)."""
        return self.serializer.properties(self._view(params))

    @action("trackers")
    async def trackers(self, params: Params) -> list[dict[str, Any]]:
        """List the DHT, PeX and LSD rows qBittorrent always shows, then the trackers."""
        info_hash = self._one(params)
        preferences = self.torrents.preferences
        private = bool(self.torrents.metadata(info_hash).private)
        message = "This torrent is private" if private else ""
        rows: list[dict[str, Any]] = [
            {
                "url": f"** [{name}] **",
                "tier": -1,
                "status": 2 if enabled and not private else 0,
                "msg": message,
                "num_peers": 0,
                "num_seeds": 0,
                "num_leeches": 0,
                "num_downloaded": 0,
            }
            for name, enabled in (
                ("DHT", preferences.dht),
                ("PeX", preferences.pex),
                ("LSD", preferences.lsd),
            )
        ]
        rows += [
            {
                "url": entry.url,
                "tier": entry.tier,
                "status": entry.status,
                "msg": entry.message,
                "num_peers": entry.peers,
                "num_seeds": entry.seeds,
                "num_leeches": entry.leeches,
                "num_downloaded": entry.downloaded,
            }
            for entry in self.torrents.trackers(info_hash)
        ]
        return rows

    @action("webseeds")
    async def webseeds(self, params: Params) -> list[dict[str, str]]:
        """List the torrent's web seeds."""
        return [{"url": url} for url in self.torrents.web_seeds(self._one(params))]

    @action("files")
    async def files(self, params: Params) -> list[dict[str, Any]]:
        """torrents/files (pad files left out), optionally only the `indexes` asked for."""
        info_hash = self._one(params)
        entries = self.torrents.files(info_hash)
        indexes = list(range(len(entries)))
        if "indexes" in params:
            indexes = []
            for text in params.text("indexes").split("|"):
                index = params.whole_number(text)
                if index is None or index < 0:
                    msg = f'"{text}" is not a valid file index.'
                    raise conflict(msg)
                if index >= len(entries):
                    msg = f"Index {text} is out of bounds."
                    raise conflict(msg)
                indexes.append(index)
        finished = self.torrents.finished(info_hash)
        files = []
        for index in indexes:
            entry = entries[index]
            item = {
                "index": entry.index,
                "name": entry.path,
                "size": entry.size,
                "progress": entry.done / entry.size if entry.size else 1.0,
                "priority": entry.priority,
                "piece_range": [entry.first_piece, entry.last_piece],
                "availability": entry.availability,
            }
            if index == 0:
                item["is_seed"] = finished
            files.append(item)
        return files

    @action("pieceHashes")
    async def piece_hashes(self, params: Params) -> list[str]:
        """Each piece's hash in hex."""
        return self.torrents.piece_hashes(self._one(params))

    @action("pieceStates")
    async def piece_states(self, params: Params) -> list[int]:
        """0 missing, 1 downloading, 2 have, per piece."""
        return self.torrents.piece_states(self._one(params))

    @action("categories")
    async def categories(self, _params: Params) -> dict[str, Any]:
        """List categories as {name: {name, savePath, download_path}}.

        savePath "" = no folder of its own; download_path None = the global incomplete folder,
        False = none.
        """
        torrents = self.torrents
        answer = {}
        for name, category in torrents.categories.items():
            save_path = str(torrents.category_path(name)) if category.save_path else ""
            download_path: str | bool | None = None
            if category.download_path_enabled is not None:
                download_path = category.download_path if category.download_path_enabled else False
            answer[name] = {"name": name, "savePath": save_path, "download_path": download_path}
        return answer

    @action("tags")
    async def tags(self, _params: Params) -> list[str]:
        """Every tag created or in use."""
        return self.torrents.known_tags()

    @action("downloadLimit")
    async def download_limits(self, params: Params) -> dict[str, int]:
        """{hash: bytes/s} (-1 = none or unknown torrent)."""
        return self._limits(params, lambda h: self.torrents.record(h).download_limit)

    @action("uploadLimit")
    async def upload_limits(self, params: Params) -> dict[str, int]:
        """{hash: bytes/s} (-1 = none or unknown torrent)."""
        return self._limits(params, lambda h: self.torrents.record(h).upload_limit)

    def _limits(self, params: Params, read: Callable[[str], int]) -> dict[str, int]:
        params.require("hashes")
        answer = {}
        for spelling in params.ids("hashes"):
            resolved = self.torrents.resolve(spelling)
            answer[spelling] = (read(resolved) or -1) if resolved else -1
        return answer

    @action("export")
    async def export(self, params: Params) -> web.Response:
        """Send the torrent as a .torrent file (409 until its metadata is there)."""
        info_hash = self._one(params)
        data = self.torrents.export(info_hash)
        if data is None:
            msg = "Unable to export torrent file. Error: no metadata"
            raise conflict(msg)
        return web.Response(
            body=data,
            content_type="application/x-bittorrent",
            headers={"Content-Disposition": f'attachment; filename="{info_hash}.torrent"'},
        )

    @action("SSLParameters")
    async def ssl_parameters(self, params: Params) -> dict[str, str]:
        """Return the SSL torrent certificate, key and DH parameters ("" when none)."""
        stored = self.torrents.record(self._one(params)).ssl_parameters or {}
        return {
            key: stored.get(key, "")
            for key in ("ssl_certificate", "ssl_private_key", "ssl_dh_params")
        }

    # ----- adding and removing

    @action("add", changes=True)
    async def add(self, params: Params) -> str:
        """Add URLs and/or .torrent files; they are listed before this returns.

        415 for a file that is not a torrent (nothing is added then); Fails. when none could be
        added.
        """
        options = self._add_options(params)
        sources: list[str | bytes] = [
            line.strip() for line in params.text("urls").split("\n") if line.strip()
        ]
        for part in params.files():
            data = part.file.read()
            if not self.torrents.is_torrent_file(data):
                raise ApiError(415, f"Error: '{part.filename}' is not a valid torrent file.")
            sources.append(data)
        added = 0
        for source in sources:
            try:
                await self.torrents.add_torrent(source, options)
            except InvalidInput as err:
                _LOGGER.warning("qBittorrent API: add failed: %s", err)
            else:
                added += 1
        return "Ok." if added else "Fails."

    def _add_options(self, params: Params) -> AddOptions:
        layout = params.text("contentLayout").lower()
        if not layout and "root_folder" in params:  # WebAPI before 2.7 (qBittorrent 4.3.2)
            layout = "original" if params.flag("root_folder") else "nosubfolder"
        stopped = params.flag("stopped")
        if stopped is None:
            stopped = params.flag("paused")
        use_download_path = params.flag("useDownloadPath")
        download_path: str | None = params.text("downloadPath").strip() or None
        if use_download_path is False:
            download_path = ""
        savepath = params.text("savepath").strip()
        for key, value in (("savepath", savepath), ("downloadPath", download_path or "")):
            if "\x00" in value:
                raise invalid(key)
        try:
            return AddOptions(
                category=params.text("category"),
                tags=params.text("tags").split(","),
                save_path=savepath,
                download_path=download_path,
                name=params.text("rename").strip(),
                stopped=stopped,
                sequential=params.flag("sequentialDownload") is True,
                first_last_piece=params.flag("firstLastPiecePrio") is True,
                content_layout=_LAYOUTS.get(layout),
                auto_tmm=params.flag("autoTMM") is True,
                ratio_limit=params.number("ratioLimit", GLOBAL_LIMIT, GLOBAL_LIMIT, 1_000_000),
                seeding_time_limit=params.integer(
                    "seedingTimeLimit", GLOBAL_LIMIT, GLOBAL_LIMIT, _MINUTES
                ),
                inactive_seeding_time_limit=params.integer(
                    "inactiveSeedingTimeLimit", GLOBAL_LIMIT, GLOBAL_LIMIT, _MINUTES
                ),
                download_limit=max(params.integer("dlLimit", 0, -1, INT32), 0),
                upload_limit=max(params.integer("upLimit", 0, -1, INT32), 0),
            )
        except ValidationError as err:
            location = err.errors()[0]["loc"]
            raise invalid(str(location[0]) if location else "add") from None

    @action("delete", changes=True)
    async def delete(self, params: Params) -> None:
        """torrents/delete with deleteFiles."""
        params.require("hashes")
        await self.torrents.remove(
            self._hashes(params), delete_files=params.flag("deleteFiles") is True
        )

    @action("stop", "pause", changes=True)
    async def stop(self, params: Params) -> None:
        """torrents/stop and torrents/pause."""
        await self.torrents.stop(self._hashes(params))

    @action("start", "resume", changes=True)
    async def start(self, params: Params) -> None:
        """torrents/start and torrents/resume."""
        await self.torrents.start(self._hashes(params))

    @action("recheck", changes=True)
    async def recheck(self, params: Params) -> None:
        """torrents/recheck."""
        self.torrents.recheck(self._hashes(params))

    @action("reannounce", changes=True)
    async def reannounce(self, params: Params) -> None:
        """torrents/reannounce."""
        self.torrents.reannounce(self._hashes(params))

    @action("setForceStart", changes=True)
    async def set_force_start(self, params: Params) -> None:
        """torrents/setForceStart: true runs the torrents outside the queue."""
        hashes, value = self._switch(params)
        await self.torrents.start(hashes, forced=value)

    # ----- names, folders and files

    @action("rename", changes=True)
    async def rename(self, params: Params) -> None:
        """Give a torrent a name of its own."""
        params.require("hash", "name")
        name = params.text("name").strip()
        if not name:
            msg = "Incorrect torrent name"
            raise conflict(msg)
        await self.torrents.rename(self._one(params), name)

    def _folder(self, params: Params, key: str) -> str:
        """Return the folder named by key, made if missing.

        403 when it exists outside the allowed folders, 409 when it cannot be made there
        (qBittorrent's answers for a folder it cannot write or create).
        """
        folder = params.text(key).strip()
        if "\x00" in folder:
            raise invalid(key)
        folders = self.torrents.folders
        if folder and not folders.inside(folder):
            if folders.existing_outside(folder):
                raise ApiError(403, "Cannot write to directory")
            msg = "Cannot create target directory"
            raise conflict(msg)
        if folder:
            Path(folders.confine(folder)).mkdir(parents=True, exist_ok=True)
        return folder

    @action("setLocation", changes=True)
    async def set_location(self, params: Params) -> None:
        """Move torrents to location (automatic management goes off)."""
        await self._move(params, "hashes", "location", manual=True)

    @action("setSavePath", changes=True)
    async def set_save_path(self, params: Params) -> None:
        """Change the save path of torrents not under automatic management."""
        await self._move(params, "id", "path", manual=False)

    async def _move(self, params: Params, hashes: str, key: str, *, manual: bool) -> None:
        params.require(hashes, key)
        if not params.text(key).strip():
            msg = "Save path cannot be empty"
            raise bad_params(msg)
        folder = self._folder(params, key)
        await self.torrents.set_save_path(self._hashes(params, hashes), folder, manual=manual)

    @action("setDownloadPath", changes=True)
    async def set_download_path(self, params: Params) -> None:
        """Change the incomplete folder of torrents not under automatic management ("" = none)."""
        params.require("id", "path")
        folder = self._folder(params, "path")
        await self.torrents.set_download_path(self._hashes(params, "id"), folder)

    @action("setAutoManagement", changes=True)
    async def set_auto_management(self, params: Params) -> None:
        """Folders follow the category (true) or stay as they are (false)."""
        params.require("hashes", "enable")
        await self.torrents.set_auto_management(
            self._hashes(params), enabled=params.flag("enable") is True
        )

    @action("filePrio", changes=True)
    async def file_priority(self, params: Params) -> None:
        """Set file priorities (0 skip, 1 normal, 6 high, 7 maximum) by file index."""
        params.require("hash", "id", "priority")
        try:
            priority = int(params.text("priority"))
        except ValueError:
            msg = "Priority must be an integer"
            raise bad_params(msg) from None
        if priority not in _VALID_PRIORITIES:
            msg = "Priority is not valid"
            raise bad_params(msg)
        info_hash = self._one(params)
        indexes = []
        for text in params.text("id").split("|"):
            try:
                indexes.append(int(text))
            except ValueError:
                msg = "File IDs must be integers"
                raise bad_params(msg) from None
        self.torrents.set_file_priorities(info_hash, indexes, priority)

    @action("renameFile", changes=True)
    async def rename_file(self, params: Params) -> None:
        """Give one file a new path (409 when there is no such file, or the new one exists)."""
        params.require("hash", "oldPath", "newPath")
        self.torrents.rename_path(
            self._one(params), params.text("oldPath"), params.text("newPath"), folder=False
        )

    @action("renameFolder", changes=True)
    async def rename_folder(self, params: Params) -> None:
        """Rename a folder: every file under it moves."""
        params.require("hash", "oldPath", "newPath")
        self.torrents.rename_path(
            self._one(params), params.text("oldPath"), params.text("newPath"), folder=True
        )

    # ----- categories and tags

    @action("setCategory", changes=True)
    async def set_category(self, params: Params) -> None:
        """torrents/setCategory: 409 when the category does not exist."""
        params.require("hashes", "category")
        category = params.text("category")
        if category and category not in self.torrents.categories:
            msg = "Incorrect category name"
            raise conflict(msg)
        await self.torrents.update(self._hashes(params), category=category)

    def _category_folders(self, params: Params) -> tuple[str, bool | None, str]:
        enabled = params.flag("downloadPathEnabled")
        for key in ("savePath", "downloadPath"):
            if "\x00" in params.text(key):
                raise invalid(key)
        return params.text("savePath"), enabled, params.text("downloadPath") if enabled else ""

    @action("createCategory", changes=True)
    async def create_category(self, params: Params) -> None:
        """Create a category (Sonarr calls this before every add: an existing one is kept)."""
        params.require("category")
        name = params.text("category")
        if not name:
            msg = "Category cannot be empty"
            raise bad_params(msg)
        save_path, enabled, download_path = self._category_folders(params)
        await self._save_category(name, save_path, enabled=enabled, download_path=download_path)

    @action("editCategory", changes=True)
    async def edit_category(self, params: Params) -> None:
        """Change a category's folders: 409 when it does not exist."""
        params.require("category", "savePath")
        name = params.text("category")
        if not name:
            msg = "Category cannot be empty"
            raise bad_params(msg)
        if name not in self.torrents.categories:
            msg = "Unable to edit category"
            raise conflict(msg)
        save_path, enabled, download_path = self._category_folders(params)
        await self._save_category(name, save_path, enabled=enabled, download_path=download_path)

    async def _save_category(
        self, name: str, save_path: str, *, enabled: bool | None, download_path: str
    ) -> None:
        try:
            await self.torrents.set_category(
                name, save_path, download_path_enabled=enabled, download_path=download_path
            )
        except InvalidInput as err:
            if "category name" in str(err):
                msg = "Incorrect category name"
                raise conflict(msg) from None
            raise

    @action("removeCategories", changes=True)
    async def remove_categories(self, params: Params) -> None:
        """torrents/removeCategories (newline separated)."""
        params.require("categories")
        names = [name for name in params.text("categories").split("\n") if name]
        await self.torrents.remove_categories(names)

    def _tag_list(self, params: Params) -> list[str]:
        return [tag.strip() for tag in params.text("tags").split(",") if tag.strip()]

    @action("addTags", changes=True)
    async def add_tags(self, params: Params) -> None:
        """torrents/addTags."""
        params.require("hashes", "tags")
        tags = self._tag_list(params)
        for info_hash in self._hashes(params):
            merged = list(dict.fromkeys([*self.torrents.record(info_hash).tags, *tags]))
            await self.torrents.update([info_hash], tags=merged)
        await self.torrents.create_tags(tags)

    @action("removeTags", changes=True)
    async def remove_tags(self, params: Params) -> None:
        """torrents/removeTags (no tags = all of them)."""
        params.require("hashes")
        tags = set(self._tag_list(params))
        for info_hash in self._hashes(params):
            kept = [tag for tag in self.torrents.record(info_hash).tags if tags and tag not in tags]
            await self.torrents.update([info_hash], tags=kept)

    @action("createTags", changes=True)
    async def create_tags(self, params: Params) -> None:
        """torrents/createTags."""
        params.require("tags")
        await self.torrents.create_tags(self._tag_list(params))

    @action("deleteTags", changes=True)
    async def delete_tags(self, params: Params) -> None:
        """torrents/deleteTags: taken off every torrent too."""
        params.require("tags")
        await self.torrents.delete_tags(self._tag_list(params))

    # ----- trackers and peers

    @action("addTrackers", changes=True)
    async def add_trackers(self, params: Params) -> None:
        """Add trackers (one URL a line; an empty line starts the next tier)."""
        params.require("hash", "urls")
        info_hash = self._one(params)
        current = [(entry.url, entry.tier) for entry in self.torrents.trackers(info_hash)]
        known = {url for url, _tier in current}
        tier = max((tier for _url, tier in current), default=-1) + 1
        for line in params.text("urls").split("\n"):
            url = line.strip()
            if not url:
                tier += 1
            elif url not in known:
                current.append((url, tier))
                known.add(url)
        self.torrents.set_trackers(info_hash, current)

    @action("editTracker", "editTrackers", changes=True)
    async def edit_tracker(self, params: Params) -> None:
        """Replace one tracker URL (409 when it is not there or the new one already is)."""
        params.require("hash", "newUrl")
        info_hash = self._one(params)
        original = params.text("origUrl") or params.text("url")
        replacement = params.text("newUrl")
        if original == replacement:
            return
        if not replacement.strip():
            msg = "New tracker URL is invalid"
            raise bad_params(msg)
        current = [(entry.url, entry.tier) for entry in self.torrents.trackers(info_hash)]
        if any(url == replacement for url, _tier in current):
            msg = "New tracker URL already exists"
            raise conflict(msg)
        if all(url != original for url, _tier in current):
            msg = "Tracker not found"
            raise conflict(msg)
        self.torrents.set_trackers(
            info_hash, [(replacement if url == original else url, tier) for url, tier in current]
        )

    @action("removeTrackers", changes=True)
    async def remove_trackers(self, params: Params) -> None:
        """Remove trackers (`|` separated URLs)."""
        params.require("hash", "urls")
        info_hash = self._one(params)
        gone = set(params.ids("urls"))
        current = [(entry.url, entry.tier) for entry in self.torrents.trackers(info_hash)]
        kept = [(url, tier) for url, tier in current if url not in gone]
        if len(kept) != len(current):
            self.torrents.set_trackers(info_hash, kept)

    @action("addPeers", changes=True)
    async def add_peers(self, params: Params) -> dict[str, dict[str, int]]:
        """Connect peers (`ip:port|[ipv6]:port`); answer {hash: {added, failed}}.

        400 when no peer is an IP address with a port.
        """
        params.require("hashes", "peers")
        given = params.text("peers").split("|")
        addresses = [address for peer in given if (address := parse_peer(peer)) is not None]
        if not addresses:
            msg = "No valid peers were specified"
            raise bad_params(msg)
        results = {}
        for info_hash in self._hashes(params):
            added = sum(self.torrents.connect_peer(info_hash, *address) for address in addresses)
            results[info_hash] = {"added": added, "failed": len(given) - added}
        return results

    # ----- limits, queue and flags

    @action("setDownloadLimit", changes=True)
    async def set_download_limit(self, params: Params) -> None:
        """torrents/setDownloadLimit (bytes/s; 0 or -1 = none)."""
        params.require("hashes", "limit")
        limit = max(params.integer("limit", 0, -1, INT32), 0)
        await self.torrents.update(self._hashes(params), download_limit=limit)

    @action("setUploadLimit", changes=True)
    async def set_upload_limit(self, params: Params) -> None:
        """torrents/setUploadLimit (bytes/s; 0 or -1 = none)."""
        params.require("hashes", "limit")
        limit = max(params.integer("limit", 0, -1, INT32), 0)
        await self.torrents.update(self._hashes(params), upload_limit=limit)

    @action("setShareLimits", changes=True)
    async def set_share_limits(self, params: Params) -> None:
        """torrents/setShareLimits (-2 global, -1 none; a limit not sent stays -2, leniently)."""
        params.require("hashes")
        changes = {
            "ratio_limit": params.number("ratioLimit", GLOBAL_LIMIT, GLOBAL_LIMIT, 1_000_000),
            "seeding_time_limit": params.integer(
                "seedingTimeLimit", GLOBAL_LIMIT, GLOBAL_LIMIT, _MINUTES
            ),
            "inactive_seeding_time_limit": params.integer(
                "inactiveSeedingTimeLimit", GLOBAL_LIMIT, GLOBAL_LIMIT, _MINUTES
            ),
        }
        await self.torrents.update(self._hashes(params), **changes)

    async def _set_switch(self, params: Params, option: str) -> None:
        """Turn a torrent option on or off (`value`)."""
        hashes, value = self._switch(params)
        await self.torrents.update(hashes, **{option: value})

    async def _queue(self, params: Params, move: QueueMove) -> None:
        """Move torrents in the queue (409 when queueing is off)."""
        params.require("hashes")
        self.torrents.queue(self._hashes(params), move)

    @action("toggleSequentialDownload", changes=True)
    async def toggle_sequential(self, params: Params) -> None:
        """torrents/toggleSequentialDownload."""
        for info_hash in self._hashes(params):
            record = self.torrents.record(info_hash)
            await self.torrents.update([info_hash], sequential=not record.sequential)

    @action("toggleFirstLastPiecePrio", changes=True)
    async def toggle_first_last(self, params: Params) -> None:
        """torrents/toggleFirstLastPiecePrio."""
        for info_hash in self._hashes(params):
            record = self.torrents.record(info_hash)
            await self.torrents.update([info_hash], first_last_piece=not record.first_last_piece)

    @action("setSSLParameters", changes=True)
    async def set_ssl_parameters(self, params: Params) -> None:
        """Keep an SSL torrent's certificate, key and DH parameters (415 when they do not parse)."""
        keys = ("ssl_certificate", "ssl_private_key", "ssl_dh_params")
        params.require("hash", *keys)
        info_hash = self._one(params)
        given = {key: params.text(key) for key in keys}
        if (
            not _pem_certificate(given["ssl_certificate"])
            or "PRIVATE KEY-----" not in given["ssl_private_key"]
            or "DH PARAMETERS-----" not in given["ssl_dh_params"]
        ):
            raise ApiError(415, "Unsupported Media Type")
        await self.torrents.update([info_hash], ssl_parameters=given)


def _sort_key(value: object) -> tuple[int, Any]:
    """Order like qBittorrent: by type, None (a private flag before metadata) first."""
    if value is None:
        return (0, 0)
    if isinstance(value, str):
        return (2, value)
    return (1, value)


def _pem_certificate(text: str) -> bool:
    try:
        ssl.PEM_cert_to_DER_cert(text)
    except ValueError:
        return False
    return True
