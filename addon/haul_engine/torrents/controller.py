"""The built-in torrent client: libtorrent session, persistence, guards, events and commands."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import logging
import os
import shutil
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Annotated, Any

from pydantic import Field, ValidationError
from sqlalchemy import delete, select

from haul_engine.commands import api_command
from haul_engine.controller import Controller
from haul_engine.errors import Conflict, InvalidInput, NotFound
from haul_engine.events import EventName
from haul_engine.files import confine, write_atomic
from haul_engine.logs import SecretFilter
from haul_engine.torrents.fetch import MAX_TORRENT_BYTES, fetch_torrent
from haul_engine.torrents.models import GLOBAL_LIMIT, NO_LIMIT, CategoryRecord, TorrentRecord
from haul_engine.torrents.qbittorrent import QbittorrentApi
from haul_engine.torrents.session import (
    AddRequest,
    FileEntry,
    SessionConfig,
    Snapshot,
    TorrentAlert,
    TorrentDataError,
    TorrentSession,
    TrackerEntry,
    read_magnet,
    read_torrent,
)
from haul_engine.torrents.transfer import AltSchedule, TransferInfo, TransferLimits
from haul_engine.torrents.views import (
    COMPLETED_STATES,
    DOWNLOADING_STATES,
    QUEUED_STATES,
    AddOptions,
    ContentLayout,
    TorrentInfo,
    TorrentView,
)

if TYPE_CHECKING:
    from aiohttp import web

    from haul_engine.engine import Engine

_LOGGER = logging.getLogger(__name__)
TICK_SECONDS = 1.0
RESUME_SAVE_SECONDS = 2.0
SHARE_LIMIT_SECONDS = 10.0
DISK_CHECK_SECONDS = 5.0
PROGRESS_EVENT_SECONDS = 2.0
SHUTDOWN_SAVE_SECONDS = 5.0
InfoHash = Annotated[str, Field(pattern=r"^[0-9a-fA-F]{40}([0-9a-fA-F]{24})?$")]
PeerAddress = Annotated[str, Field(pattern=r"^[^\s:]+:\d{1,5}$")]


class TorrentsController(Controller):
    """Runs libtorrent for Haul and serves the torrent commands and the qBittorrent WebAPI."""

    feature = "torrents"

    def __init__(self, engine: Engine) -> None:
        """Nothing runs until setup."""
        super().__init__(engine)
        settings = engine.settings
        self.folder = settings.data_dir / "torrents"
        self.resume_folder = self.folder / "resume"
        self.roots = [settings.effective_download_dir]
        self.records: dict[str, TorrentRecord] = {}
        self.categories: dict[str, str] = {}
        self.snapshots: dict[str, Snapshot] = {}
        self.held: set[str] = set()
        self.contents: dict[str, str] = {}
        self.revisions: dict[str, int] = {}
        self.limits = TransferLimits()
        self.vpn_up = True
        self.disk_low = False
        self._session: TorrentSession | None = None
        self._alert_pipe: tuple[int, int] | None = None
        self._writer = ThreadPoolExecutor(1, thread_name_prefix="resume-writer")
        self._awaiting_resume: set[str] = set()
        self._resume_drained = asyncio.Event()
        self._progress_sent: dict[str, float] = {}
        self._background: set[asyncio.Task[Any]] = set()
        self._store_lock = asyncio.Lock()  # merges of one new record must not both INSERT it
        self._ticker: asyncio.Task[None] | None = None
        self._applied_rates: tuple[int, int] | None = None
        if settings.qbittorrent_password:
            SecretFilter.register(settings.qbittorrent_password)

    # ----- life cycle

    @property
    def session(self) -> TorrentSession:
        """The running libtorrent session."""
        if self._session is None:
            msg = "the torrent session is not running"
            raise RuntimeError(msg)
        return self._session

    def _config(self) -> SessionConfig:
        settings = self.engine.settings
        download, upload = self.limits.effective(datetime.now().astimezone())
        return SessionConfig(
            listen_port=settings.listen_port,
            interface=settings.vpn_interface,
            download_limit=download,
            upload_limit=upload,
            max_active_downloads=settings.max_active_downloads,
            max_active_uploads=settings.max_active_uploads,
            dht=settings.dht,
            pex=settings.pex,
            lsd=settings.lsd,
            utp=settings.utp,
            encryption=settings.encryption,
        )

    async def setup(self) -> None:
        """Start libtorrent, restore every stored torrent and start the timers."""
        self.resume_folder.mkdir(parents=True, exist_ok=True)
        clean_marker = self.folder / "clean-shutdown"
        clean = clean_marker.exists()
        clean_marker.unlink(missing_ok=True)
        self.limits = TransferLimits.load(self.folder / "transfer.json", self.engine.settings)
        if self.engine.settings.alt_schedule:
            self.limits.alt_schedule = AltSchedule.from_settings(self.engine.settings)
        read_fd, write_fd = os.pipe2(os.O_NONBLOCK | os.O_CLOEXEC)
        self._alert_pipe = (read_fd, write_fd)
        self._session = TorrentSession(self._config(), write_fd)
        asyncio.get_running_loop().add_reader(read_fd, self._on_alert_signal)
        if self.engine.settings.vpn_interface and not self._vpn_present():
            self._vpn_lost()
        async with self.engine.database.session() as db:
            self.categories = {
                row.name: row.save_path for row in await db.scalars(select(CategoryRecord))
            }
            records = list(await db.scalars(select(TorrentRecord).order_by(TorrentRecord.added_on)))
        for name, folder in self.engine.settings.category_folders().items():
            if self.categories.get(name) != folder:
                await self.set_category(name, folder)
        for record in records:
            self._restore(record, clean=clean)
        _LOGGER.info(
            "restored %d torrents (%s shutdown)", len(self.records), "clean" if clean else "unclean"
        )
        self._ticker = asyncio.create_task(self._tick(), name="torrents tick")

    def _restore(self, record: TorrentRecord, *, clean: bool) -> None:
        """Add a stored torrent back: from its resume data, else from its .torrent or magnet."""
        resume_path = self.resume_folder / f"{record.info_hash}.fastresume"
        request = self._request_for(record)
        try:
            request.resume_data = resume_path.read_bytes()
        except FileNotFoundError:
            pass
        else:
            # a crash may have damaged unfinished torrents' partial files; libtorrent trusts them
            request.recheck = not clean and record.completed_on is None
        try:
            info_hash = self.session.add(request)
        except TorrentDataError as err:
            if not request.resume_data:
                _LOGGER.error("cannot restore torrent %s: %s", record.info_hash, err)  # noqa: TRY400
                return
            _LOGGER.warning(
                "resume data of %s unusable (%s); adding it afresh", record.info_hash, err
            )
            request = self._request_for(record)
            request.recheck = True
            info_hash = self.session.add(request)
        self._track(record, info_hash)

    def _request_for(self, record: TorrentRecord) -> AddRequest:
        return AddRequest(
            save_path=Path(record.save_path),
            magnet=record.magnet,
            torrent=record.torrent or b"",
            stopped=record.stopped,
            sequential=record.sequential,
            first_last_piece=record.first_last_piece,
            subfolder=_subfolder(record.content_layout, record.name),
            download_limit=record.download_limit,
            upload_limit=record.upload_limit,
        )

    def _track(self, record: TorrentRecord, info_hash: str) -> None:
        self.records[info_hash] = record
        self.snapshots[info_hash] = self.session.snapshot(info_hash)
        self.contents[info_hash] = self._content_of(info_hash, record)

    async def close(self) -> None:
        """Save every torrent's resume data, mark the shutdown clean and stop libtorrent."""
        if self._ticker is not None:
            self._ticker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._ticker
        if self._session is None:
            return
        # unchanged torrents' resume data is on disk already (saved at add and on every change)
        self._awaiting_resume = {
            info_hash
            for info_hash in self.records
            if self.session.request_resume_data(info_hash, only_if_modified=True)
        }
        self._resume_drained.clear()
        if self._awaiting_resume:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._resume_drained.wait(), SHUTDOWN_SAVE_SECONDS)
        for task in list(self._background):
            with contextlib.suppress(Exception):
                await task
        clean = not self._awaiting_resume
        await asyncio.get_running_loop().run_in_executor(self._writer, lambda: None)
        self._writer.shutdown(wait=True)
        if self._alert_pipe is not None:
            asyncio.get_running_loop().remove_reader(self._alert_pipe[0])
        self.session.close()
        self._session = None
        if self._alert_pipe is not None:
            for fd in self._alert_pipe:
                os.close(fd)
        if clean:
            write_atomic(self.folder / "clean-shutdown", b"")

    # ----- summary hooks

    def counts(self) -> dict[str, int]:
        """Torrents by what they are doing."""
        states = [view.state for view in self.views()]
        return {
            "torrents": len(states),
            "torrents_active": sum(state in DOWNLOADING_STATES for state in states),
            "torrents_queued": sum(state in QUEUED_STATES for state in states),
            "torrents_seeding": sum(state in COMPLETED_STATES - {"stoppedUP"} for state in states),
        }

    def problems(self) -> list[str]:
        """VPN down or disk low."""
        problems = []
        if not self.vpn_up:
            problems.append(
                f"VPN interface {self.engine.settings.vpn_interface} is down: torrents are paused"
            )
        if self.disk_low:
            problems.append(
                f"less than {self.engine.settings.min_free_space_mb} MiB free in "
                f"{self.engine.settings.effective_download_dir}: downloads are paused"
            )
        return problems

    def http_routes(self) -> list[web.RouteDef]:
        """Return the qBittorrent WebAPI v2 compatibility layer."""
        return QbittorrentApi(self).routes()

    # ----- reading

    def views(self) -> list[TorrentView]:
        """Every torrent with its latest status."""
        return [self._view(info_hash) for info_hash in self.records]

    def _view(self, info_hash: str) -> TorrentView:
        status = self.snapshots[info_hash]
        if not self.vpn_up:  # a paused session stops updating rates: they would stay frozen
            status = replace(status, download_rate=0, upload_rate=0)
        return TorrentView(
            self.records[info_hash], status, info_hash in self.held, self.contents[info_hash]
        )

    def find(self, info_hash: str) -> str:
        """Return the canonical hash for any spelling, or NotFound."""
        found = self._session.resolve(info_hash) if self._session else None
        if found is None or found not in self.records:
            msg = f"no torrent with hash {info_hash}"
            raise NotFound(msg)
        return found

    def view(self, info_hash: str) -> TorrentView:
        """One torrent, refreshed now."""
        found = self.find(info_hash)
        self.snapshots[found] = self.session.snapshot(found)
        return self._view(found)

    def files(self, info_hash: str) -> list[FileEntry]:
        """Return a torrent's files."""
        return self.session.files(self.find(info_hash))

    def trackers(self, info_hash: str) -> list[TrackerEntry]:
        """Return a torrent's trackers."""
        return self.session.trackers(self.find(info_hash))

    # ----- adding

    async def add_torrent(
        self, source: str | bytes, options: AddOptions | None = None
    ) -> TorrentInfo:
        """Add a torrent from a magnet, http(s) URL or .torrent bytes; listed before this returns.

        Adding a torrent that is already present returns it unchanged.
        """
        options = options or AddOptions()
        if isinstance(source, str) and source.startswith(("http://", "https://")):
            source = await fetch_torrent(source)
        if isinstance(source, bytes) and len(source) > MAX_TORRENT_BYTES:
            msg = f"the .torrent file is larger than {MAX_TORRENT_BYTES // 1024 // 1024} MiB"
            raise InvalidInput(msg)
        if isinstance(source, str) and not source.startswith("magnet:"):
            msg = "expected a magnet link, an http(s) URL or a .torrent file"
            raise InvalidInput(msg)
        try:
            metadata = read_torrent(source) if isinstance(source, bytes) else read_magnet(source)
        except TorrentDataError as err:
            raise InvalidInput(str(err)) from None
        existing = self.session.resolve(metadata.info_hash)
        if existing is not None and existing in self.records:
            return self._view(existing).info()
        save_path = await self._save_path_for(options)
        record = TorrentRecord(
            info_hash=metadata.info_hash,
            name=metadata.name,
            magnet=source if isinstance(source, str) else "",
            torrent=source if isinstance(source, bytes) else None,
            category=options.category,
            tags=_clean_tags(options.tags),
            save_path=str(save_path),
            stopped=options.stopped,
            sequential=options.sequential,
            first_last_piece=options.first_last_piece,
            content_layout=options.content_layout,
            ratio_limit=options.ratio_limit,
            seeding_time_limit=options.seeding_time_limit,
            inactive_seeding_time_limit=options.inactive_seeding_time_limit,
            download_limit=options.download_limit,
            upload_limit=options.upload_limit,
            request_id=options.request_id,
            added_on=datetime.now(UTC),
        )
        try:
            info_hash = self.session.add(self._request_for(record))
        except TorrentDataError as err:
            raise InvalidInput(str(err)) from None
        record.info_hash = info_hash
        self._track(record, info_hash)
        if not self._may_run(info_hash) and not options.stopped:
            self._hold(info_hash)
        # published before anything awaits, so that no other event of this torrent precedes it
        self._publish(EventName.TORRENT_ADDED, self._view(info_hash))
        await self._store(record)
        self.session.request_resume_data(info_hash, only_if_modified=False)
        return self._view(info_hash).info()

    async def _save_path_for(self, options: AddOptions) -> Path:
        if options.category and options.category not in self.categories:
            await self.set_category(options.category, "")
        if options.save_path:
            return confine(options.save_path, self.roots)
        return self.category_path(options.category)

    def category_path(self, category: str) -> Path:
        """Where a category's torrents are saved (its folder, else the download folder)."""
        folder = self.categories.get(category, "")
        return confine(folder, self.roots) if folder else self.roots[0]

    async def set_category(self, name: str, save_path: str) -> None:
        """Create or change a category; its folder must be inside the download folder."""
        if not name.strip() or len(name) > 255 or "\\" in name or name != name.strip():  # noqa: PLR2004
            msg = f"invalid category name {name!r}"
            raise InvalidInput(msg)
        if save_path:
            confine(save_path, self.roots)
        async with self.engine.database.session() as db, db.begin():
            await db.merge(CategoryRecord(name=name, save_path=save_path))
        self.categories[name] = save_path

    async def remove_categories(self, names: list[str]) -> None:
        """Delete categories; their torrents keep their files and lose the category."""
        async with self.engine.database.session() as db, db.begin():
            await db.execute(delete(CategoryRecord).where(CategoryRecord.name.in_(names)))
        for name in names:
            self.categories.pop(name, None)
        for record in self.records.values():
            if record.category in names:
                record.category = ""
                await self._store(record)

    # ----- changing torrents

    async def update(self, hashes: list[str], **changes: Any) -> None:  # noqa: ANN401
        """Change stored options of torrents (category, tags, limits) and persist them."""
        hashes = [self.find(info_hash) for info_hash in hashes]
        if (
            "category" in changes
            and changes["category"]
            and changes["category"] not in self.categories
        ):
            msg = f"category {changes['category']!r} does not exist"
            raise Conflict(msg)
        for info_hash in hashes:
            record = self.records[info_hash]
            for key, value in changes.items():
                setattr(record, key, value)
            if "download_limit" in changes or "upload_limit" in changes:
                self.session.set_limits(info_hash, record.download_limit, record.upload_limit)
            if "sequential" in changes:
                self.session.set_sequential(info_hash, enabled=record.sequential)
            await self._store(record)

    async def stop(self, hashes: list[str]) -> None:
        """Stop torrents until started again (persisted)."""
        hashes = [self.find(info_hash) for info_hash in hashes]
        before = self._states(hashes)
        for info_hash in hashes:
            self.session.stop(info_hash)
            self.held.discard(info_hash)
        await self.update(hashes, stopped=True)
        self._refresh(hashes)
        self._publish_states(before)

    async def start(self, hashes: list[str], *, forced: bool = False) -> None:
        """Start torrents (the queue decides when, unless forced)."""
        hashes = [self.find(info_hash) for info_hash in hashes]
        before = self._states(hashes)
        await self.update(hashes, stopped=False)
        for info_hash in hashes:
            if self._may_run(info_hash):
                self.session.start(info_hash, forced=forced)
            else:
                self._hold(info_hash)
        self._refresh(hashes)
        self._publish_states(before)

    async def remove(self, hashes: list[str], *, delete_files: bool) -> None:
        """Remove torrents (and their files when asked); nothing else in the folder is touched."""
        hashes = [self.find(info_hash) for info_hash in hashes]
        for info_hash in hashes:
            self.session.remove(info_hash, delete_files=delete_files)
            view = self._view(info_hash)
            del self.records[info_hash], self.snapshots[info_hash], self.contents[info_hash]
            self.held.discard(info_hash)
            self._progress_sent.pop(info_hash, None)
            resume_path = self.resume_folder / f"{info_hash}.fastresume"
            self._writer.submit(resume_path.unlink, missing_ok=True)
            self._publish(EventName.TORRENT_REMOVED, view, delete_files=delete_files)
        async with self.engine.database.session() as db, db.begin():
            await db.execute(delete(TorrentRecord).where(TorrentRecord.info_hash.in_(hashes)))

    def recheck(self, hashes: list[str]) -> None:
        """Verify the downloaded data again."""
        hashes = [self.find(info_hash) for info_hash in hashes]
        for info_hash in hashes:
            self.session.recheck(info_hash)

    def top_priority(self, hashes: list[str]) -> None:
        """Move torrents to the top of the download queue."""
        hashes = [self.find(info_hash) for info_hash in hashes]
        for info_hash in hashes:
            self.session.queue_top(info_hash)

    def connect_peers(self, info_hash: str, peers: list[str]) -> None:
        """Connect a torrent to peers given as host:port."""
        for peer in peers:
            host, _, port = peer.rpartition(":")
            if not host or not port.isdigit() or not 0 < int(port) < 65536:  # noqa: PLR2004
                msg = f"invalid peer {peer!r}: expected host:port"
                raise InvalidInput(msg)
            self.session.connect_peer(info_hash, host.strip("[]"), int(port))

    async def set_limits(self, limits: TransferLimits) -> None:
        """Change the global limits and the alternative mode; persisted."""
        self.limits = limits
        await asyncio.to_thread(limits.save, self.folder / "transfer.json")
        self._apply_rates()

    def transfer(self) -> TransferInfo:
        """Speeds and totals summed over the torrents, with the limits in force."""
        snapshots = list(self.snapshots.values())
        return TransferInfo(
            download_rate=sum(item.download_rate for item in snapshots),
            upload_rate=sum(item.upload_rate for item in snapshots),
            downloaded=sum(item.downloaded for item in snapshots),
            uploaded=sum(item.uploaded for item in snapshots),
            alt_active=self.limits.alt_active(datetime.now().astimezone()),
            limits=self.limits,
        )

    # ----- engine API commands

    @api_command("torrents/list", path="/torrents")
    async def list_torrents(self, category: str | None = None) -> list[TorrentInfo]:
        """Every torrent, optionally only those of one category."""
        return [
            view.info()
            for view in self.views()
            if category is None or view.record.category == category
        ]

    @api_command("torrents/add", method="POST", path="/torrents")
    async def add_command(  # noqa: PLR0913 - every parameter is a field of the API
        self,
        *,
        magnet: str = "",
        url: str = "",
        torrent_base64: str = "",
        category: str = "",
        tags: list[str] | None = None,
        save_path: str = "",
        stopped: bool = False,
        sequential: bool = False,
        first_last_piece: bool = False,
        content_layout: ContentLayout = "Original",
        ratio_limit: float = GLOBAL_LIMIT,
        seeding_time_limit: int = GLOBAL_LIMIT,
        request_id: str | None = None,
    ) -> TorrentInfo:
        """Add a torrent from exactly one of magnet, url or torrent_base64 (a .torrent file)."""
        given = [source for source in (magnet, url, torrent_base64) if source]
        if len(given) != 1:
            msg = "give exactly one of magnet, url or torrent_base64"
            raise InvalidInput(msg)
        source: str | bytes = magnet or url
        if torrent_base64:
            if len(torrent_base64) > MAX_TORRENT_BYTES * 4 // 3 + 4:
                msg = f"the .torrent file is larger than {MAX_TORRENT_BYTES // 1024 // 1024} MiB"
                raise InvalidInput(msg)
            try:
                source = base64.b64decode(torrent_base64, validate=True)
            except ValueError:  # bad base64, or non-ASCII text (binascii.Error is a ValueError)
                msg = "torrent_base64 is not valid base64"
                raise InvalidInput(msg) from None
        try:
            options = AddOptions.model_validate(
                {
                    "category": category,
                    "tags": tags or [],
                    "save_path": save_path,
                    "stopped": stopped,
                    "sequential": sequential,
                    "first_last_piece": first_last_piece,
                    "content_layout": content_layout,
                    "ratio_limit": ratio_limit,
                    "seeding_time_limit": seeding_time_limit,
                    "request_id": request_id,
                }
            )
        except ValidationError as err:
            first = err.errors()[0]
            msg = f"{'.'.join(map(str, first['loc']))}: {first['msg']}"
            raise InvalidInput(msg) from None
        return await self.add_torrent(source, options)

    @api_command("torrents/get", path="/torrents/{info_hash}")
    async def get_command(self, info_hash: InfoHash) -> TorrentInfo:
        """One torrent."""
        return self.view(info_hash).info()

    @api_command("torrents/remove", method="DELETE", path="/torrents/{info_hash}")
    async def remove_command(self, info_hash: InfoHash, *, delete_files: bool = False) -> None:
        """Remove a torrent, and its downloaded files when delete_files is true."""
        await self.remove([self.find(info_hash)], delete_files=delete_files)

    @api_command("torrents/pause", method="POST", path="/torrents/{info_hash}/pause")
    async def pause_command(self, info_hash: InfoHash) -> TorrentInfo:
        """Stop a torrent until it is resumed."""
        found = self.find(info_hash)
        await self.stop([found])
        return self._view(found).info()

    @api_command("torrents/resume", method="POST", path="/torrents/{info_hash}/resume")
    async def resume_command(self, info_hash: InfoHash) -> TorrentInfo:
        """Start a stopped torrent."""
        found = self.find(info_hash)
        await self.start([found])
        return self._view(found).info()

    @api_command("torrents/recheck", method="POST", path="/torrents/{info_hash}/recheck")
    async def recheck_command(self, info_hash: InfoHash) -> TorrentInfo:
        """Verify a torrent's data on disk again."""
        found = self.find(info_hash)
        self.recheck([found])
        return self._view(found).info()

    @api_command("torrents/peers", method="POST", path="/torrents/{info_hash}/peers")
    async def peers_command(self, info_hash: InfoHash, peers: list[PeerAddress]) -> None:
        """Connect a torrent to peers (host:port), for swarms without trackers or DHT."""
        self.connect_peers(self.find(info_hash), peers)

    @api_command("transfer/get", path="/transfer")
    async def transfer_command(self) -> TransferInfo:
        """Speeds now, totals, limits and whether the alternative limits apply."""
        return self.transfer()

    @api_command("transfer/set", method="PUT", path="/transfer")
    async def set_transfer_command(self, limits: TransferLimits) -> TransferInfo:
        """Change the global limits (KiB/s), the alternative mode and its schedule."""
        await self.set_limits(limits)
        return self.transfer()

    # ----- alerts

    def _on_alert_signal(self) -> None:
        """Drain the alert pipe libtorrent wrote to, then handle every queued alert."""
        if self._alert_pipe is None or self._session is None:
            return
        with contextlib.suppress(BlockingIOError):
            while os.read(self._alert_pipe[0], 4096):
                pass
        for alert in self._session.pop_alerts():
            try:
                self._handle_alert(alert)
            except Exception:
                _LOGGER.exception("handling a %s alert failed", alert.kind)

    def _handle_alert(self, alert: TorrentAlert) -> None:
        if alert.kind == "statuses":
            for snapshot in alert.snapshots:
                self._update_snapshot(snapshot)
            return
        info_hash = alert.info_hash
        if info_hash not in self.records:
            return
        if alert.kind == "resume":
            path = self.resume_folder / f"{info_hash}.fastresume"
            self._writer.submit(write_atomic, path, alert.resume_data)
            self._awaiting_resume.discard(info_hash)
            if not self._awaiting_resume:
                self._resume_drained.set()
            return
        self._update_snapshot(self.session.snapshot(info_hash))
        if alert.kind == "metadata":
            self._on_metadata(info_hash)
        elif alert.kind == "finished":
            self.session.request_resume_data(info_hash, only_if_modified=False)
        elif alert.kind == "error":
            _LOGGER.warning("torrent %s: %s", info_hash, alert.message)
            self._publish(EventName.TORRENT_ERROR, self._view(info_hash), message=alert.message)

    def _update_snapshot(self, snapshot: Snapshot) -> None:
        info_hash = snapshot.info_hash
        if info_hash not in self.records:
            return
        if snapshot.finished and self.records[info_hash].completed_on is None:
            # a finish alert is not posted when a check finds the data complete: watch statuses
            self.snapshots[info_hash] = snapshot
            self._on_finished(info_hash)
        before = self._view(info_hash).state
        self.snapshots[info_hash] = snapshot
        view = self._view(info_hash)
        if view.state != before:
            self._publish(EventName.TORRENT_STATE, view, previous=before)
        now = time.monotonic()
        if (
            not snapshot.finished
            and snapshot.download_rate > 0
            and now - self._progress_sent.get(info_hash, 0) >= PROGRESS_EVENT_SECONDS
        ):
            self._progress_sent[info_hash] = now
            self._publish(EventName.TORRENT_PROGRESS, view)

    def _on_metadata(self, info_hash: str) -> None:
        record = self.records[info_hash]
        record.name = self.snapshots[info_hash].name or record.name
        subfolder = _subfolder(record.content_layout, record.name)
        if subfolder:
            self.session.nest_single_file(info_hash, subfolder)
        self.contents[info_hash] = self._content_of(info_hash, record)
        if record.first_last_piece:
            self.session.prioritize_first_last(info_hash)
        self.session.request_resume_data(info_hash, only_if_modified=False)
        self._spawn(self._store(record))
        self._publish(EventName.TORRENT_METADATA, self._view(info_hash))

    def _on_finished(self, info_hash: str) -> None:
        record = self.records[info_hash]
        self.session.request_resume_data(info_hash, only_if_modified=False)
        record.completed_on = datetime.now(UTC)
        self._spawn(self._store(record))
        self._publish(EventName.TORRENT_COMPLETED, self._view(info_hash))

    def _content_of(self, info_hash: str, record: TorrentRecord) -> str:
        """Return the torrent's top-level entry inside its save path: root folder or single file."""
        files = self.session.files(info_hash)
        if not files:
            return record.name or info_hash
        return PurePosixPath(files[0].path).parts[0]

    # ----- timers and guards

    async def _tick(self) -> None:
        """Each second: statuses, guards, schedule; resume data, share limits, disk less often."""
        ticks = 0
        while True:
            await asyncio.sleep(TICK_SECONDS)
            ticks += 1
            try:
                self.session.post_updates()
                self._watch_vpn()
                self._apply_rates()
                if ticks % int(RESUME_SAVE_SECONDS / TICK_SECONDS) == 0:
                    for info_hash in self.records:
                        self.session.request_resume_data(info_hash, only_if_modified=True)
                if ticks % int(SHARE_LIMIT_SECONDS / TICK_SECONDS) == 0:
                    await self._enforce_share_limits()
                if ticks % int(DISK_CHECK_SECONDS / TICK_SECONDS) == 1:
                    await self._watch_disk()
            except Exception:
                _LOGGER.exception("torrent housekeeping failed")

    def _apply_rates(self) -> None:
        rates = self.limits.effective(datetime.now().astimezone())
        if rates != self._applied_rates:
            self._applied_rates = rates
            self.session.set_rate_limits(*rates)

    def _vpn_present(self) -> bool:
        """Whether the VPN interface exists and is administratively up."""
        flags = Path("/sys/class/net") / self.engine.settings.vpn_interface / "flags"
        try:
            return bool(int(flags.read_text(), 16) & 1)
        except (OSError, ValueError):
            return False

    def _watch_vpn(self) -> None:
        if not self.engine.settings.vpn_interface:
            return
        present = self._vpn_present()
        if present and not self.vpn_up:
            self.vpn_up = True
            self.session.resume_all(reopen_sockets=True)
            _LOGGER.info(
                "VPN interface %s is back: torrents resume", self.engine.settings.vpn_interface
            )
            self.engine.events.publish(
                EventName.TORRENTS_VPN_UP, {"interface": self.engine.settings.vpn_interface}
            )
        elif not present and self.vpn_up:
            self._vpn_lost()

    def _vpn_lost(self) -> None:
        self.vpn_up = False
        self.session.pause_all()
        interface = self.engine.settings.vpn_interface
        _LOGGER.warning("VPN interface %s is gone: every torrent is paused", interface)
        self.engine.events.publish(EventName.TORRENTS_VPN_DOWN, {"interface": interface})

    async def _watch_disk(self) -> None:
        usage = await asyncio.to_thread(shutil.disk_usage, self.roots[0])
        threshold = self.engine.settings.min_free_space_mb * 1024 * 1024
        low = usage.free < threshold
        if low == self.disk_low:
            return
        self.disk_low = low
        data = {
            "free_bytes": usage.free,
            "threshold_bytes": threshold,
            "folder": str(self.roots[0]),
        }
        if low:
            for info_hash in self.records:
                if not self.records[info_hash].stopped and not self.snapshots[info_hash].finished:
                    self._hold(info_hash)
            _LOGGER.warning(
                "free space below %d MiB: downloads paused", self.engine.settings.min_free_space_mb
            )
            self.engine.events.publish(EventName.TORRENTS_DISK_LOW, data)
        else:
            for info_hash in list(self.held):
                self.held.discard(info_hash)
                if info_hash in self.records and not self.records[info_hash].stopped:
                    self.session.start(info_hash)
            _LOGGER.info("free space is back: downloads resume")
            self.engine.events.publish(EventName.TORRENTS_DISK_OK, data)
        self._refresh(list(self.records))

    def _may_run(self, info_hash: str) -> bool:
        return not self.disk_low or self.snapshots[info_hash].finished

    def _hold(self, info_hash: str) -> None:
        """Pause a torrent for a guard (not the user's stop: it resumes by itself)."""
        self.held.add(info_hash)
        self.session.stop(info_hash)

    async def _enforce_share_limits(self) -> None:
        """Stop seeding torrents that reached their ratio, seeding time or inactive time limit."""
        settings = self.engine.settings
        now = int(time.time())
        reached = []
        for view in self.views():
            record, status = view.record, view.status
            if record.stopped or not status.finished:
                continue
            ratio = (
                settings.seed_ratio_limit
                if record.ratio_limit == GLOBAL_LIMIT
                else record.ratio_limit
            )
            minutes = (
                settings.seed_time_limit
                if record.seeding_time_limit == GLOBAL_LIMIT
                else record.seeding_time_limit
            )
            inactive = record.inactive_seeding_time_limit
            if (
                (ratio != NO_LIMIT and view.ratio >= ratio)
                or (minutes != NO_LIMIT and status.seeding_seconds >= minutes * 60)
                or (inactive >= 0 and now - status.last_activity >= inactive * 60)
            ):
                reached.append(record.info_hash)
        if reached:
            _LOGGER.info("share limits reached, stopping %s", ", ".join(reached))
            await self.stop(reached)

    # ----- helpers

    def _states(self, hashes: list[str]) -> dict[str, str]:
        return {h: self._view(h).state for h in hashes if h in self.records}

    def _publish_states(self, before: dict[str, str]) -> None:
        """Publish torrent_state for torrents a command (not a status update) moved."""
        for info_hash, previous in before.items():
            if info_hash in self.records and (view := self._view(info_hash)).state != previous:
                self._publish(EventName.TORRENT_STATE, view, previous=previous)

    def _refresh(self, hashes: list[str]) -> None:
        for info_hash in hashes:
            if info_hash in self.records:
                self._update_snapshot(self.session.snapshot(info_hash))

    async def _store(self, record: TorrentRecord) -> None:
        """Persist a changed record (and let caches of it know)."""
        self.revisions[record.info_hash] = self.revisions.get(record.info_hash, 0) + 1
        async with self._store_lock, self.engine.database.session() as db, db.begin():
            await db.merge(record)

    def _spawn(self, work: Any) -> None:  # noqa: ANN401 - a coroutine
        task = asyncio.create_task(work)
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    def _publish(self, name: EventName, view: TorrentView, **extra: Any) -> None:  # noqa: ANN401
        data = {
            "hash": view.record.info_hash,
            "name": view.status.name or view.record.name,
            "state": view.state,
            "progress": round(view.status.progress, 4),
            "category": view.record.category,
            "request_id": view.record.request_id,
            **extra,
        }
        self.engine.events.publish(name, data)


def _subfolder(layout: str, name: str) -> str:
    """Return the folder a single-file torrent is put in under the Subfolder layout."""
    return PurePosixPath(name).stem if layout == "Subfolder" and name else ""


def _clean_tags(tags: list[str]) -> list[str]:
    """Tags trimmed, without empties and duplicates, in order."""
    return list(dict.fromkeys(tag.strip() for tag in tags if tag.strip()))
