"""qBittorrent WebAPI v2 on the engine's port: Sonarr, Radarr and dashboards see a qBittorrent."""

from __future__ import annotations

import base64
import binascii
import hmac
import logging
import secrets
import shutil
import time
from datetime import datetime
from typing import TYPE_CHECKING, Any

from aiohttp import web
from multidict import MultiDict

from haul_engine.api.auth import bearer, token_matches
from haul_engine.api.jsonio import json_response
from haul_engine.errors import Conflict, EngineError, InvalidInput
from haul_engine.torrents.models import GLOBAL_LIMIT
from haul_engine.torrents.views import DOWNLOADING_STATES, AddOptions

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from haul_engine.torrents.controller import TorrentsController
    from haul_engine.torrents.models import TorrentRecord
    from haul_engine.torrents.views import TorrentView

_LOGGER = logging.getLogger(__name__)
PREFIX = "/api/v2"
WEBAPI_VERSION = "2.11.2"
APP_VERSION = "v5.0.0"
SESSION_SECONDS = 3600.0
MAX_FAILED_LOGINS = 5
BAN_SECONDS = 300.0
_ENCRYPTION = {"prefer": 0, "require": 1, "disable": 2}
_LAYOUTS = {"original": "Original", "subfolder": "Subfolder", "nosubfolder": "NoSubfolder"}
type Params = MultiDict[Any]
type Handler = Callable[[Params], Awaitable[object]]
_FILTERS: dict[str, Callable[[TorrentView], bool]] = {
    "all": lambda _view: True,
    "downloading": lambda view: (
        view.state in DOWNLOADING_STATES or view.state in {"queuedDL", "stoppedDL"}
    ),
    "seeding": lambda view: view.state in {"uploading", "forcedUP", "stalledUP", "queuedUP"},
    "completed": lambda view: view.status.finished,
    "stopped": lambda view: view.record.stopped,
    "paused": lambda view: view.record.stopped,
    "running": lambda view: not view.record.stopped,
    "resumed": lambda view: not view.record.stopped,
    "active": lambda view: view.status.download_rate > 0 or view.status.upload_rate > 0,
    "inactive": lambda view: view.status.download_rate == 0 and view.status.upload_rate == 0,
    "stalled": lambda view: view.state in {"stalledUP", "stalledDL"},
    "stalled_uploading": lambda view: view.state == "stalledUP",
    "stalled_downloading": lambda view: view.state == "stalledDL",
    "checking": lambda view: view.state.startswith("checking"),
    "errored": lambda view: view.state in {"error", "missingFiles"},
}


def _flag(value: str | None) -> bool:
    return (value or "").strip().lower() == "true"


def _number(params: Params, key: str, default: float) -> float:
    raw = params.get(key)
    if raw is None or raw == "":
        return default
    try:
        return float(raw)
    except ValueError:
        msg = f"{key} must be a number"
        raise InvalidInput(msg) from None


class QbittorrentApi:
    """The routes and the login sessions of the compatibility layer."""

    def __init__(self, torrents: TorrentsController) -> None:
        """Serve the given controller."""
        self.torrents = torrents
        self.settings = torrents.engine.settings
        self.sessions: dict[str, float] = {}
        self.failures: dict[str, list[float]] = {}
        self._record_parts: dict[str, tuple[int, dict[str, Any]]] = {}
        self.tags: set[str] = set()
        self.rid = 0

    def routes(self) -> list[web.RouteDef]:
        """Every endpoint with its method."""
        reads: dict[str, Handler] = {
            "app/version": self.app_version,
            "app/buildInfo": self.build_info,
            "app/preferences": self.preferences,
            "app/defaultSavePath": self.default_save_path,
            "torrents/info": self.info,
            "torrents/properties": self.properties,
            "torrents/files": self.files,
            "torrents/trackers": self.trackers,
            "torrents/categories": self.categories,
            "torrents/tags": self.list_tags,
            "transfer/info": self.transfer_info,
            "transfer/speedLimitsMode": self.speed_limits_mode,
            "sync/maindata": self.maindata,
        }
        writes: dict[str, Handler] = {
            "app/setPreferences": self.ignore,
            "torrents/add": self.add,
            "torrents/delete": self.delete,
            "torrents/stop": self.stop,
            "torrents/pause": self.stop,
            "torrents/start": self.start,
            "torrents/resume": self.start,
            "torrents/recheck": self.recheck,
            "torrents/reannounce": self.ignore_hashes,
            "torrents/setCategory": self.set_category,
            "torrents/createCategory": self.create_category,
            "torrents/editCategory": self.edit_category,
            "torrents/removeCategories": self.remove_categories,
            "torrents/setShareLimits": self.set_share_limits,
            "torrents/topPrio": self.top_priority,
            "torrents/bottomPrio": self.ignore_hashes,
            "torrents/increasePrio": self.ignore_hashes,
            "torrents/decreasePrio": self.ignore_hashes,
            "torrents/setForceStart": self.set_force_start,
            "torrents/addTags": self.add_tags,
            "torrents/removeTags": self.remove_tags,
            "torrents/createTags": self.create_tags,
            "torrents/deleteTags": self.delete_tags,
            "torrents/setDownloadLimit": self.set_download_limit,
            "torrents/setUploadLimit": self.set_upload_limit,
            "torrents/toggleSequentialDownload": self.toggle_sequential,
            "torrents/addPeers": self.add_peers,
            "transfer/toggleSpeedLimitsMode": self.toggle_speed_limits_mode,
        }
        # reads answer GET and POST (client libraries use both); mutations only POST
        return [
            web.get(f"{PREFIX}/app/webapiVersion", self._webapi_version),
            web.post(f"{PREFIX}/app/webapiVersion", self._webapi_version),
            web.post(f"{PREFIX}/auth/login", self._login),
            web.post(f"{PREFIX}/auth/logout", self._logout),
            *(web.get(f"{PREFIX}/{path}", self._endpoint(call)) for path, call in reads.items()),
            *(web.post(f"{PREFIX}/{path}", self._endpoint(call)) for path, call in reads.items()),
            *(web.post(f"{PREFIX}/{path}", self._endpoint(call)) for path, call in writes.items()),
        ]

    # ----- auth

    def _credentials_match(self, username: str, password: str) -> bool:
        expected = self.settings.qbittorrent_password
        if not expected:
            return False
        user_ok = hmac.compare_digest(
            username.encode(), self.settings.qbittorrent_username.encode()
        )
        password_ok = hmac.compare_digest(password.encode(), expected.encode())
        return user_ok and password_ok

    def _authorized(self, request: web.Request) -> bool:
        sid = request.cookies.get("SID")
        now = time.monotonic()
        if sid is not None:
            for known, expiry in list(self.sessions.items()):
                if expiry < now:
                    del self.sessions[known]
                elif hmac.compare_digest(known.encode(), sid.encode()):
                    self.sessions[known] = now + SESSION_SECONDS
                    return True
        header = request.headers.get("Authorization", "")
        if header[:6].lower() == "basic ":
            try:
                decoded = base64.b64decode(header[6:].strip(), validate=True).decode()
            except (binascii.Error, UnicodeDecodeError):
                return False
            username, _, password = decoded.partition(":")
            return self._credentials_match(username, password)
        return token_matches(bearer(header), self.torrents.engine.token)

    async def _webapi_version(self, _request: web.Request) -> web.Response:
        return web.Response(text=WEBAPI_VERSION)

    async def _login(self, request: web.Request) -> web.Response:
        form = await request.post()
        remote = request.remote or ""
        now = time.monotonic()
        recent = [moment for moment in self.failures.get(remote, []) if now - moment < BAN_SECONDS]
        if len(recent) >= MAX_FAILED_LOGINS:
            return web.Response(status=403, text="Too many failed logins: try again later.")
        if not self._credentials_match(
            str(form.get("username", "")), str(form.get("password", ""))
        ):
            self.failures[remote] = [*recent, now]
            _LOGGER.warning("qBittorrent API: failed login from %s", remote)
            return web.Response(text="Fails.")
        self.failures.pop(remote, None)
        sid = secrets.token_urlsafe(24)
        self.sessions[sid] = time.monotonic() + SESSION_SECONDS
        response = web.Response(text="Ok.")
        response.set_cookie("SID", sid, path="/", httponly=True, samesite="Strict")
        return response

    async def _logout(self, request: web.Request) -> web.Response:
        sid = request.cookies.get("SID", "")
        for known in list(self.sessions):
            if hmac.compare_digest(known.encode(), sid.encode()):
                del self.sessions[known]
        return web.Response(text="Ok.")

    def _endpoint(self, handler: Handler) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
        async def handle(request: web.Request) -> web.StreamResponse:
            if not self._authorized(request):
                return web.Response(status=403, text="Forbidden")
            params: Params = MultiDict(request.query)
            if request.method == "POST":
                params.extend(await request.post())
            try:
                result = await handler(params)
            except EngineError as err:  # NotFound 404 and Conflict 409 are what callers check
                return web.Response(status=err.status, text=str(err))
            if isinstance(result, web.StreamResponse):
                return result
            if result is None:
                return web.Response(text="Ok.")
            if isinstance(result, str):
                return web.Response(text=result)
            return json_response(result)

        return handle

    # ----- helpers

    def _hashes(self, params: Params) -> list[str]:
        """Return the hashes named by `hashes` (`a|b|…` or `all`), skipping unknown ones."""
        raw = str(params.get("hashes", ""))
        if raw.strip().lower() == "all":
            return list(self.torrents.records)
        found = []
        for spelling in raw.split("|"):
            resolved = self.torrents.session.resolve(spelling.strip())
            if resolved is not None and resolved in self.torrents.records:
                found.append(resolved)
        return found

    def _one(self, params: Params) -> str:
        return self.torrents.find(str(params.get("hash", "")).strip())

    def _item(self, view: TorrentView) -> dict[str, Any]:
        """Return a torrents/info entry."""
        status = view.status
        return self._record_part(view.record) | {
            "amount_left": max(status.total_size - status.total_done, 0),
            "completed": status.total_done,
            "content_path": view.content_path,
            "dlspeed": status.download_rate,
            "downloaded": status.downloaded,
            "downloaded_session": status.downloaded,
            "eta": view.eta,
            "force_start": not status.auto_managed and not status.paused,
            "last_activity": status.last_activity,
            "name": status.name or view.record.name,
            "num_complete": status.num_complete,
            "num_incomplete": status.num_incomplete,
            "num_leechs": status.num_peers - status.num_seeds,
            "num_seeds": status.num_seeds,
            "priority": status.queue_position + 1 if status.queue_position >= 0 else 0,
            "progress": status.progress,
            "ratio": view.ratio,
            "save_path": status.save_path or view.record.save_path,
            "seeding_time": status.seeding_seconds,
            "seq_dl": status.sequential,
            "size": status.total_size,
            "state": view.state,
            "time_active": status.active_seconds,
            "total_size": status.total_size,
            "uploaded": status.uploaded,
            "uploaded_session": status.uploaded,
            "upspeed": status.upload_rate,
        }

    def _record_part(self, record: TorrentRecord) -> dict[str, Any]:
        """Return the fields that change only with the record, cached until it is stored again."""
        revision = self.torrents.revisions.get(record.info_hash, 0)
        cached = self._record_parts.get(record.info_hash)
        if cached is not None and cached[0] == revision:
            return cached[1]
        part = {
            "added_on": int(record.added_on.timestamp()),
            "auto_tmm": False,
            "availability": -1,
            "category": record.category,
            "completion_on": int(record.completed_on.timestamp()) if record.completed_on else -1,
            "dl_limit": record.download_limit,
            "download_path": "",
            "f_l_piece_prio": record.first_last_piece,
            "hash": record.info_hash,
            "infohash_v1": record.info_hash,
            "infohash_v2": "",
            "inactive_seeding_time_limit": record.inactive_seeding_time_limit,
            "label": record.category,
            "magnet_uri": record.magnet,
            "max_inactive_seeding_time": -1,
            "max_ratio": self.settings.seed_ratio_limit,
            "max_seeding_time": self.settings.seed_time_limit,
            "ratio_limit": record.ratio_limit,
            "seeding_time_limit": record.seeding_time_limit,
            "seen_complete": -1,
            "super_seeding": False,
            "tags": ", ".join(record.tags),
            "tracker": "",
            "trackers_count": 0,
            "up_limit": record.upload_limit,
        }
        self._record_parts[record.info_hash] = (revision, part)
        return part

    # ----- app

    async def app_version(self, _params: Params) -> str:
        """Return the qBittorrent version Haul answers as."""
        return APP_VERSION

    async def build_info(self, _params: Params) -> dict[str, Any]:
        """Library versions (as far as callers care)."""
        return {"qt": "", "libtorrent": "2.1.1.0", "boost": "", "openssl": "", "bitness": 64}

    async def default_save_path(self, _params: Params) -> str:
        """Return the download folder."""
        return str(self.torrents.roots[0])

    async def preferences(self, _params: Params) -> dict[str, Any]:
        """Return the preferences the callers read (share limits, queueing, DHT, folders)."""
        settings = self.settings
        limits = self.torrents.limits
        return {
            "save_path": str(self.torrents.roots[0]),
            "temp_path_enabled": False,
            "max_ratio_enabled": settings.seed_ratio_limit >= 0,
            "max_ratio": settings.seed_ratio_limit,
            "max_seeding_time_enabled": settings.seed_time_limit >= 0,
            "max_seeding_time": settings.seed_time_limit,
            "max_inactive_seeding_time_enabled": False,
            "max_inactive_seeding_time": -1,
            "max_ratio_act": 0,
            "queueing_enabled": True,
            "max_active_downloads": settings.max_active_downloads,
            "max_active_uploads": settings.max_active_uploads,
            "max_active_torrents": settings.max_active_downloads + settings.max_active_uploads,
            # Sonarr refuses tracker-less magnets unless DHT is reported on
            "dht": True,
            "pex": settings.pex,
            "lsd": settings.lsd,
            "encryption": _ENCRYPTION[settings.encryption],
            "listen_port": settings.listen_port,
            "current_network_interface": settings.vpn_interface,
            "dl_limit": limits.download_limit * 1024,
            "up_limit": limits.upload_limit * 1024,
            "alt_dl_limit": limits.alt_download_limit * 1024,
            "alt_up_limit": limits.alt_upload_limit * 1024,
            "scheduler_enabled": limits.alt_schedule.enabled,
            "web_ui_username": settings.qbittorrent_username,
        }

    async def ignore(self, _params: Params) -> None:
        """Accept and ignore: Haul's options come from its own settings."""

    async def ignore_hashes(self, params: Params) -> None:
        """Accept for known torrents; nothing to do."""
        self._hashes(params)

    # ----- torrents: reading

    async def info(self, params: Params) -> list[dict[str, Any]]:
        """torrents/info with filter, category, tag, hashes, sort, reverse, limit and offset."""
        keep = _FILTERS.get(str(params.get("filter", "all")))
        if keep is None:
            msg = f"unknown filter {params.get('filter')!r}"
            raise InvalidInput(msg)
        views = [view for view in self.torrents.views() if keep(view)]
        if "category" in params:
            views = [view for view in views if view.record.category == params["category"]]
        if "tag" in params:
            tag = str(params["tag"])
            views = [
                view for view in views if (tag in view.record.tags if tag else not view.record.tags)
            ]
        if "hashes" in params:
            wanted = set(self._hashes(params))
            views = [view for view in views if view.record.info_hash in wanted]
        items = [self._item(view) for view in views]
        sort = params.get("sort")
        if sort:
            items.sort(
                key=lambda item: (item.get(sort) is None, item.get(sort) or 0),
                reverse=_flag(params.get("reverse")),
            )
        offset = int(_number(params, "offset", 0))
        if offset < 0:
            offset = max(len(items) + offset, 0)
        limit = int(_number(params, "limit", 0))
        return items[offset : offset + limit] if limit > 0 else items[offset:]

    async def properties(self, params: Params) -> dict[str, Any]:
        """torrents/properties (404 for unknown hashes)."""
        view = self.torrents.view(self._one(params))
        record, status = view.record, view.status
        return {
            "hash": record.info_hash,
            "infohash_v1": record.info_hash,
            "infohash_v2": "",
            "name": status.name or record.name,
            "save_path": status.save_path or record.save_path,
            "download_path": "",
            "seeding_time": status.seeding_seconds,
            "time_elapsed": status.active_seconds,
            "addition_date": int(record.added_on.timestamp()),
            "completion_date": int(record.completed_on.timestamp()) if record.completed_on else -1,
            "creation_date": -1,
            "comment": "",
            "dl_limit": record.download_limit or -1,
            "up_limit": record.upload_limit or -1,
            "dl_speed": status.download_rate,
            "up_speed": status.upload_rate,
            "eta": view.eta,
            "nb_connections": status.num_peers,
            "peers": status.num_peers - status.num_seeds,
            "seeds": status.num_seeds,
            "share_ratio": view.ratio,
            "total_downloaded": status.downloaded,
            "total_uploaded": status.uploaded,
            "total_size": status.total_size,
            "is_private": False,
        }

    async def files(self, params: Params) -> list[dict[str, Any]]:
        """torrents/files (404 for unknown hashes)."""
        return [
            {
                "index": entry.index,
                "name": entry.path,
                "size": entry.size,
                "progress": entry.done / entry.size if entry.size else 1.0,
                "priority": entry.priority,
                "is_seed": entry.done == entry.size,
                "availability": -1,
            }
            for entry in self.torrents.files(self._one(params))
        ]

    async def trackers(self, params: Params) -> list[dict[str, Any]]:
        """torrents/trackers (404 for unknown hashes)."""
        return [
            {
                "url": entry.url,
                "tier": entry.tier,
                "status": 2 if entry.working else 1,
                "msg": entry.message,
                "num_peers": -1,
                "num_seeds": -1,
                "num_leeches": -1,
                "num_downloaded": -1,
            }
            for entry in self.torrents.trackers(self._one(params))
        ]

    async def categories(self, _params: Params) -> dict[str, Any]:
        """Categories as {name: {name, savePath}}."""
        return {
            name: {"name": name, "savePath": str(self.torrents.category_path(name))}
            for name in self.torrents.categories
        }

    async def list_tags(self, _params: Params) -> list[str]:
        """Every tag created or in use."""
        in_use = {tag for record in self.torrents.records.values() for tag in record.tags}
        return sorted(self.tags | in_use)

    # ----- torrents: changing

    async def add(self, params: Params) -> web.Response | None:
        """Add URLs and/or .torrent file parts; the torrents are listed before this returns."""
        options = self._add_options(params)
        sources: list[str | bytes] = [
            line.strip() for line in str(params.get("urls", "")).splitlines() if line.strip()
        ]
        # qBittorrent takes every file part whatever its field name ("torrents" or the client's own)
        sources += [part.file.read() for part in params.values() if isinstance(part, web.FileField)]
        if not sources:
            return web.Response(text="Fails.")
        failures = []
        for source in sources:
            try:
                await self.torrents.add_torrent(source, options)
            except InvalidInput as err:
                failures.append(str(err))
        if failures:
            _LOGGER.warning("qBittorrent API: add failed: %s", "; ".join(failures))
            return web.Response(text="Fails.")
        return None

    def _add_options(self, params: Params) -> AddOptions:
        layout = str(params.get("contentLayout", "Original")).lower()
        if "root_folder" in params and "contentLayout" not in params:
            layout = "subfolder" if _flag(params.get("root_folder")) else "nosubfolder"
        stopped = _flag(params.get("stopped")) or _flag(params.get("paused"))
        tags = [tag for tag in str(params.get("tags", "")).split(",") if tag.strip()]
        try:
            return AddOptions(
                category=str(params.get("category", "")),
                tags=tags,
                save_path=str(params.get("savepath", "")),
                stopped=stopped,
                sequential=_flag(params.get("sequentialDownload")),
                first_last_piece=_flag(params.get("firstLastPiecePrio")),
                content_layout=_LAYOUTS.get(layout, "Original"),
                ratio_limit=_number(params, "ratioLimit", GLOBAL_LIMIT),
                seeding_time_limit=int(_number(params, "seedingTimeLimit", GLOBAL_LIMIT)),
                inactive_seeding_time_limit=int(
                    _number(params, "inactiveSeedingTimeLimit", GLOBAL_LIMIT)
                ),
                download_limit=max(int(_number(params, "dlLimit", 0)), 0),
                upload_limit=max(int(_number(params, "upLimit", 0)), 0),
            )
        except ValueError as err:
            raise InvalidInput(str(err)) from None

    async def delete(self, params: Params) -> None:
        """torrents/delete with deleteFiles."""
        await self.torrents.remove(
            self._hashes(params), delete_files=_flag(params.get("deleteFiles"))
        )

    async def stop(self, params: Params) -> None:
        """torrents/stop and torrents/pause."""
        await self.torrents.stop(self._hashes(params))

    async def start(self, params: Params) -> None:
        """torrents/start and torrents/resume."""
        await self.torrents.start(self._hashes(params))

    async def recheck(self, params: Params) -> None:
        """torrents/recheck."""
        self.torrents.recheck(self._hashes(params))

    async def set_category(self, params: Params) -> None:
        """torrents/setCategory: 409 when the category does not exist."""
        await self.torrents.update(self._hashes(params), category=str(params.get("category", "")))

    async def create_category(self, params: Params) -> None:
        """torrents/createCategory (idempotent)."""
        await self.torrents.set_category(
            str(params.get("category", "")), str(params.get("savePath", ""))
        )

    async def edit_category(self, params: Params) -> None:
        """torrents/editCategory: 409 when the category does not exist."""
        name = str(params.get("category", ""))
        if name not in self.torrents.categories:
            msg = f"category {name!r} does not exist"
            raise Conflict(msg)
        await self.torrents.set_category(name, str(params.get("savePath", "")))

    async def remove_categories(self, params: Params) -> None:
        """torrents/removeCategories (newline separated)."""
        names = [name for name in str(params.get("categories", "")).splitlines() if name]
        await self.torrents.remove_categories(names)

    async def set_share_limits(self, params: Params) -> None:
        """torrents/setShareLimits (-2 global, -1 none)."""
        changes = {
            "ratio_limit": _number(params, "ratioLimit", GLOBAL_LIMIT),
            "seeding_time_limit": int(_number(params, "seedingTimeLimit", GLOBAL_LIMIT)),
            "inactive_seeding_time_limit": int(
                _number(params, "inactiveSeedingTimeLimit", GLOBAL_LIMIT)
            ),
        }
        if any(value < GLOBAL_LIMIT for value in changes.values()):
            msg = "share limits are -2 (global), -1 (none) or positive"
            raise InvalidInput(msg)
        await self.torrents.update(self._hashes(params), **changes)

    async def top_priority(self, params: Params) -> None:
        """torrents/topPrio."""
        self.torrents.top_priority(self._hashes(params))

    async def set_force_start(self, params: Params) -> None:
        """torrents/setForceStart: true runs outside the queue."""
        await self.torrents.start(self._hashes(params), forced=_flag(params.get("value")))

    def _tag_list(self, params: Params) -> list[str]:
        return [tag.strip() for tag in str(params.get("tags", "")).split(",") if tag.strip()]

    async def add_tags(self, params: Params) -> None:
        """torrents/addTags."""
        tags = self._tag_list(params)
        self.tags.update(tags)
        for info_hash in self._hashes(params):
            merged = list(dict.fromkeys([*self.torrents.records[info_hash].tags, *tags]))
            await self.torrents.update([info_hash], tags=merged)

    async def remove_tags(self, params: Params) -> None:
        """torrents/removeTags (no tags = all)."""
        tags = set(self._tag_list(params))
        for info_hash in self._hashes(params):
            kept = [
                tag for tag in self.torrents.records[info_hash].tags if tags and tag not in tags
            ]
            await self.torrents.update([info_hash], tags=kept)

    async def create_tags(self, params: Params) -> None:
        """torrents/createTags."""
        self.tags.update(self._tag_list(params))

    async def delete_tags(self, params: Params) -> None:
        """torrents/deleteTags: removed from every torrent too."""
        tags = set(self._tag_list(params))
        self.tags -= tags
        for info_hash, record in self.torrents.records.items():
            if tags & set(record.tags):
                await self.torrents.update(
                    [info_hash], tags=[tag for tag in record.tags if tag not in tags]
                )

    async def set_download_limit(self, params: Params) -> None:
        """torrents/setDownloadLimit (bytes/s)."""
        limit = max(int(_number(params, "limit", 0)), 0)
        await self.torrents.update(self._hashes(params), download_limit=limit)

    async def set_upload_limit(self, params: Params) -> None:
        """torrents/setUploadLimit (bytes/s)."""
        limit = max(int(_number(params, "limit", 0)), 0)
        await self.torrents.update(self._hashes(params), upload_limit=limit)

    async def toggle_sequential(self, params: Params) -> None:
        """torrents/toggleSequentialDownload."""
        for info_hash in self._hashes(params):
            await self.torrents.update(
                [info_hash], sequential=not self.torrents.records[info_hash].sequential
            )

    async def add_peers(self, params: Params) -> None:
        """torrents/addPeers: peers `host:port|host:port`."""
        peers = [peer for peer in str(params.get("peers", "")).split("|") if peer]
        for info_hash in self._hashes(params):
            self.torrents.connect_peers(info_hash, peers)

    # ----- transfer and sync

    def _server_state(self) -> dict[str, Any]:
        transfer = self.torrents.transfer()
        download, upload = transfer.limits.effective(datetime.now().astimezone())
        return {
            "dl_info_speed": transfer.download_rate,
            "dl_info_data": transfer.downloaded,
            "up_info_speed": transfer.upload_rate,
            "up_info_data": transfer.uploaded,
            "dl_rate_limit": download,
            "up_rate_limit": upload,
            "dht_nodes": 0,
            "connection_status": "connected" if self.torrents.vpn_up else "disconnected",
            "use_alt_speed_limits": transfer.alt_active,
            "queueing": True,
        }

    async def transfer_info(self, _params: Params) -> dict[str, Any]:
        """transfer/info."""
        return self._server_state()

    async def speed_limits_mode(self, _params: Params) -> str:
        """transfer/speedLimitsMode: 1 when the alternative limits apply."""
        return "1" if self.torrents.transfer().alt_active else "0"

    async def toggle_speed_limits_mode(self, _params: Params) -> None:
        """transfer/toggleSpeedLimitsMode."""
        limits = self.torrents.limits
        await self.torrents.set_limits(limits.model_copy(update={"alt_mode": not limits.alt_mode}))

    async def maindata(self, _params: Params) -> dict[str, Any]:
        """sync/maindata, always as a full update."""
        self.rid += 1
        usage = shutil.disk_usage(self.torrents.roots[0])
        state = self._server_state() | {"free_space_on_disk": usage.free}
        return {
            "rid": self.rid,
            "full_update": True,
            "torrents": {view.record.info_hash: self._item(view) for view in self.torrents.views()},
            "categories": await self.categories(MultiDict()),
            "tags": await self.list_tags(MultiDict()),
            "server_state": state,
        }
