"""The built-in torrent client: libtorrent session, persistence, guards, events and commands."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import itertools
import json
import logging
import os
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import Field, ValidationError

from haul_engine.commands import ExactlyOne, api_command
from haul_engine.controller import Controller
from haul_engine.errors import Conflict, InvalidInput, NotFound
from haul_engine.events import EventName
from haul_engine.files import write_atomic
from haul_engine.torrents.fetch import MAX_TORRENT_BYTES, fetch_torrent
from haul_engine.torrents.folders import Category, Folders
from haul_engine.torrents.guards import DiskGuard, VpnGuard, share_limits, share_limits_reached
from haul_engine.torrents.models import (
    CATEGORIES,
    GLOBAL_LIMIT,
    TORRENT_METADATA,
    TORRENTS,
    CategoryRecord,
    TorrentMetadata,
    TorrentRecord,
)
from haul_engine.torrents.preferences import Preferences, server_context
from haul_engine.torrents.session import (
    AddRequest,
    FileEntry,
    PeerEntry,
    SessionConfig,
    Snapshot,
    TorrentAlert,
    TorrentDataError,
    TorrentMeta,
    TorrentSession,
    TrackerEntry,
    laid_out,
    read_magnet,
    read_torrent,
    root_folder,
)
from haul_engine.torrents.transfer import (
    AltSchedule,
    LimitsPatch,
    SessionStatistics,
    TransferInfo,
    TransferLimits,
    TransferTotals,
)
from haul_engine.torrents.views import (
    COMPLETED_STATES,
    DOWNLOADING_STATES,
    QUEUED_STATES,
    AddOptions,
    ContentLayout,
    FileInfo,
    FilePriority,
    TorrentInfo,
    TorrentView,
    parse_peer,
)

if TYPE_CHECKING:
    import ssl
    from collections.abc import Mapping

    from haul_engine.engine import Engine
    from haul_engine.torrents.session import QueueMove

_LOGGER = logging.getLogger(__name__)
HTTPS_PREFERENCES = {"use_https", "https_cert_path", "https_key_path"}
TICK_SECONDS = 1.0
# torrents whose resume data changed (libtorrent's need_save_resume, read from the status
# updates) are saved this often; events that matter are saved at once (see _handle_alert)
RESUME_SWEEP_SECONDS = 300.0
RESTORE_BATCH = 100  # torrents whose metadata is read from the database at once at start
SHARE_LIMIT_SECONDS = 10.0
DISK_CHECK_SECONDS = 5.0
TOTALS_SAVE_SECONDS = 60.0
PROGRESS_EVENT_SECONDS = 2.0
SHUTDOWN_SAVE_SECONDS = 5.0
InfoHash = Annotated[str, Field(pattern=r"^[0-9a-fA-F]{40}([0-9a-fA-F]{24})?$")]
PeerAddress = Annotated[str, Field(pattern=r"^[^ \t\n\r\f\v:\x00]+:[0-9]{1,5}$")]
Source = Annotated[str, Field(min_length=1)]


class TorrentsController(Controller):
    """Runs libtorrent for Haul and serves the torrent commands and the qBittorrent WebAPI."""

    feature = "torrents"

    def __init__(self, engine: Engine) -> None:
        """Nothing runs until setup."""
        super().__init__(engine)
        settings = engine.settings
        self.folder = settings.data_dir / "torrents"
        self.resume_folder = self.folder / "resume"
        self._folders = Folders(settings.download_roots)
        self.records: dict[str, TorrentRecord] = {}
        self._categories: dict[str, Category] = {}
        self.tags: set[str] = set()
        self.snapshots: dict[str, Snapshot] = {}
        self.paths: dict[str, list[str]] = {}
        self.refused: dict[str, str] = {}
        self._resumed: set[str] = set()  # restored at start: libtorrent checks their resume data
        # a torrent's revision changes with its record: from one counter, so that a torrent
        # removed and added again never meets what was kept of its former self
        self.revisions: dict[str, int] = {}
        self._revision = itertools.count(1)
        self._limits = TransferLimits()
        self._preferences = Preferences.from_settings(settings)
        self.totals = TransferTotals()
        self.stats: dict[str, int] = {}
        self._totals_saved: tuple[int, int] | None = None
        self.vpn = VpnGuard(self)
        self.disk = DiskGuard(self)
        self._tls: ssl.SSLContext | None = None  # while the WebUI's use_https is on
        self.https_failed = ""  # why the WebUI's use_https could not apply at start
        self._session: TorrentSession | None = None
        self._alert_pipe: tuple[int, int] | None = None
        self._writer = ThreadPoolExecutor(1, thread_name_prefix="resume-writer")
        self._awaiting_resume: set[str] = set()
        self._unsaved: set[str] = set()  # resume data changed since it was last saved
        self._resume_drained = asyncio.Event()
        self._progress_sent: dict[str, float] = {}
        self._transfer_sent: tuple[int, int, TransferLimits] | None = None
        self._transfer_sent_at = 0.0
        self._background: set[asyncio.Task[Any]] = set()
        self._store_lock = asyncio.Lock()  # one write at a time, each of the record as it is then
        self._ticker: asyncio.Task[None] | None = None
        self._applied_rates: tuple[int, int] | None = None
        self._scheduled: bool | None = None  # what the schedule wanted at the last look

    # ----- life cycle

    @property
    def session(self) -> TorrentSession:
        """The running libtorrent session."""
        if self._session is None:
            msg = "the torrent session is not running"
            raise RuntimeError(msg)
        return self._session

    @property
    def roots(self) -> list[Path]:
        """Every folder torrents may write to, the download folder first."""
        return self.folders.roots

    @property
    def folders(self) -> Folders:
        """The folders torrents may write to, and the check every path goes through."""
        return self._folders

    @property
    def preferences(self) -> Preferences:
        """What a client changed at run time (over the add-on's options), in force now."""
        return self._preferences

    @property
    def limits(self) -> TransferLimits:
        """The global and alternative limits, the alternative mode and its schedule."""
        return self._limits

    @property
    def categories(self) -> Mapping[str, Category]:
        """Every category by name."""
        return self._categories

    @property
    def tls(self) -> ssl.SSLContext | None:
        """The TLS context the API server serves the WebUI with while use_https is on."""
        return self._tls

    def _config(self) -> SessionConfig:
        settings = self.engine.settings
        preferences = self.preferences
        download, upload = self.limits.effective()
        return SessionConfig(
            # the VPN's forwarded port, while it forwards one; it changes no preference
            listen_port=self.engine.vpn.forwarded_port or preferences.listen_port,
            interface=settings.vpn_interface,
            download_limit=download,
            upload_limit=upload,
            queueing=preferences.queueing,
            max_active_downloads=preferences.max_active_downloads,
            max_active_uploads=preferences.max_active_uploads,
            max_active_torrents=preferences.max_active_torrents,
            dht=preferences.dht,
            pex=preferences.pex,
            lsd=preferences.lsd,
            utp=preferences.utp,
            encryption=preferences.encryption,
        )

    def reconfigure(self) -> None:
        """Apply the session settings again (the VPN forwards another port), once started."""
        if self._session is not None:
            self.session.configure(self._config())

    async def setup(self) -> None:
        """Start libtorrent, restore every stored torrent and start the timers."""
        settings = self.engine.settings
        self.resume_folder.mkdir(parents=True, exist_ok=True)
        for root in self.roots:
            root.mkdir(parents=True, exist_ok=True)
        clean_marker = self.folder / "clean-shutdown"
        clean = clean_marker.exists()
        clean_marker.unlink(missing_ok=True)
        self._limits = TransferLimits.load(self.folder / "transfer.json", settings)
        if settings.alt_schedule:
            self.limits.alt_schedule = AltSchedule.from_settings(settings)
        self._scheduled = self.limits.scheduled(datetime.now().astimezone())
        if self._scheduled is not None:  # at start the schedule decides, as in qBittorrent
            self.limits.alt_mode = self._scheduled
        self._preferences = Preferences.load(self.folder / "preferences.json", settings)
        self._serve_https()
        self.totals = TransferTotals.load(self.folder / "totals.json")
        self._totals_saved = self.totals.all_time({})
        self.tags = set(_read_json(self.folder / "tags.json", []))
        read_fd, write_fd = os.pipe2(os.O_NONBLOCK | os.O_CLOEXEC)
        self._alert_pipe = (read_fd, write_fd)
        self._session = TorrentSession(self._config(), write_fd)
        self.session.ban(self.preferences.banned_ips)
        asyncio.get_running_loop().add_reader(read_fd, self._on_alert_signal)
        self.vpn.watch()
        async with self.engine.database.session() as tx:
            self._categories = {
                row.name: Category(row.save_path, row.download_path_enabled, row.download_path)
                for row in await CATEGORIES.all(tx)
            }
            records = await TORRENTS.all(tx, "ORDER BY added_on")
            with_metadata = {
                row[0] for row in await tx.fetch_all("SELECT info_hash FROM torrent_metadata")
            }
        for name, folder in settings.category_folders().items():
            if name not in self.categories or self.categories[name].save_path != folder:
                await self.set_category(name, folder)
        for start in range(0, len(records), RESTORE_BATCH):
            batch = records[start : start + RESTORE_BATCH]
            metadata = await self._metadata_of(
                [record.info_hash for record in batch if record.info_hash in with_metadata]
            )
            for record in batch:
                self._restore(record, metadata.get(record.info_hash, b""), clean=clean)
        for info_hash in set(self.records) - with_metadata:
            # resume data of earlier versions carried the metadata: keep it once, apart
            if (data := self.session.export(info_hash)) is not None:
                await self._store(self.records[info_hash], data)
        _LOGGER.info(
            "restored %d torrents (%s shutdown)", len(self.records), "clean" if clean else "unclean"
        )
        self._ticker = asyncio.create_task(self._tick(), name="torrents tick")

    async def _metadata_of(self, hashes: list[str]) -> dict[str, bytes]:
        """Read these torrents' .torrent files from the database."""
        if not hashes:
            return {}
        async with self.engine.database.session() as tx:
            rows = await tx.fetch_all(
                "SELECT info_hash, data FROM torrent_metadata WHERE info_hash IN :hashes",
                {"hashes": hashes},
            )
        return {row[0]: row[1] for row in rows}

    def _restore(self, record: TorrentRecord, metadata: bytes, *, clean: bool) -> None:
        """Add a stored torrent back: from its resume data, else from its .torrent or magnet."""
        resume_path = self.resume_folder / f"{record.info_hash}.fastresume"
        request = self._request_for(record, metadata)
        try:
            request.resume_data = resume_path.read_bytes()
        except FileNotFoundError:
            pass
        else:
            # a crash may have damaged unfinished torrents' partial files; libtorrent trusts them
            request.recheck = not clean and record.completed_on is None
        problem = ""

        def check(paths: list[str]) -> None:
            nonlocal problem
            try:
                self.folders.check_files(request.save_path, paths)
            except InvalidInput as err:
                problem = str(err)
                request.stopped = True

        try:
            info_hash = self.session.add(request, check)
        except TorrentDataError as err:
            if not request.resume_data:
                _LOGGER.error("cannot restore torrent %s: %s", record.info_hash, err)  # noqa: TRY400
                return
            _LOGGER.warning(
                "resume data of %s unusable (%s); adding it afresh", record.info_hash, err
            )
            request = self._request_for(record, metadata)
            request.recheck = True
            info_hash = self.session.add(request, check)
        self._track(record, info_hash)
        self._resumed.add(info_hash)
        if problem:
            self._refuse(info_hash, problem)
        elif self.paths[info_hash]:
            self.session.release(info_hash)

    def _request_for(self, record: TorrentRecord, metadata: bytes) -> AddRequest:
        unfinished = record.completed_on is None
        return AddRequest(
            save_path=Path(
                record.download_path if record.download_path and unfinished else record.save_path
            ),
            magnet=record.magnet,
            torrent=metadata,
            stopped=record.stopped,
            sequential=record.sequential,
            first_last_piece=record.first_last_piece,
            super_seeding=record.super_seeding,
            pex=self.preferences.pex,
            layout=record.content_layout,
            download_limit=record.download_limit,
            upload_limit=record.upload_limit,
        )

    def _track(self, record: TorrentRecord, info_hash: str) -> None:
        self.records[info_hash] = record
        self.snapshots[info_hash] = self.session.snapshot(info_hash)
        self.paths[info_hash] = self.session.file_paths(info_hash)
        if record.forced and not record.stopped:
            self.session.start(info_hash, forced=True)

    async def close(self) -> None:
        """Save every torrent's resume data, mark the shutdown clean and stop libtorrent."""
        if self._ticker is not None:
            self._ticker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._ticker
        if self._session is None:
            return
        self.totals.save(self.folder / "totals.json", self.stats)
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
        """VPN down, disk low, or the WebUI's HTTPS files unusable."""
        https = [self.https_failed] if self.https_failed else []
        return [*self.vpn.problems(), *self.disk.problems(), *https]

    # ----- reading

    def views(self) -> list[TorrentView]:
        """Every torrent with its latest status."""
        return [self._view(info_hash) for info_hash in self.records]

    def _view(self, info_hash: str) -> TorrentView:
        status = self.snapshots[info_hash]
        if not self.vpn.up:  # a paused session stops updating rates: they would stay frozen
            status = replace(status, download_rate=0, upload_rate=0)
        return TorrentView(
            self.records[info_hash],
            status,
            info_hash in self.disk.held,
            self.paths[info_hash],
            self.refused.get(info_hash, ""),
            resumed=info_hash in self._resumed,
            revision=self.engine.events.revision("torrent", info_hash),
        )

    def hashes(self) -> list[str]:
        """Every torrent's hash, in the order they were added."""
        return list(self.records)

    def resolve(self, spelling: str) -> str | None:
        """Return the canonical hash of a torrent for any spelling of its hash, else None."""
        found = self._session.resolve(spelling) if self._session else None
        return found if found in self.records else None

    def find(self, info_hash: str) -> str:
        """Return the canonical hash for any spelling, or NotFound."""
        found = self.resolve(info_hash)
        if found is None:
            msg = f"no torrent with hash {info_hash}"
            raise NotFound(msg)
        return found

    def view(self, info_hash: str) -> TorrentView:
        """One torrent, refreshed now."""
        found = self.find(info_hash)
        self.snapshots[found] = self.session.snapshot(found)
        return self._view(found)

    def record(self, info_hash: str) -> TorrentRecord:
        """Return a torrent's stored options, to read (update, stop, start... change them)."""
        return self.records[info_hash]

    def revision(self, info_hash: str) -> int:
        """Return a number that changes with the torrent's record or trackers (0: none yet)."""
        return self.revisions.get(info_hash, 0)

    def finished(self, info_hash: str) -> bool:
        """Whether the torrent has every piece it wants, as of its latest status."""
        return self.snapshots[info_hash].finished

    @property
    def free_space(self) -> int | None:
        """Bytes free in the download folder at the disk guard's latest look (None before it)."""
        return self.disk.free

    def known_tags(self) -> list[str]:
        """Every tag created or given to a torrent, sorted."""
        return sorted(self.tags)

    def statistics(self) -> SessionStatistics:
        """Say what the session moved, this run and in all, its DHT nodes, peers, connection."""
        stats = self.stats
        all_time_downloaded, all_time_uploaded = self.totals.all_time(stats)
        if not self.vpn.up or not self.session.listening():
            connection: Literal["connected", "firewalled", "disconnected"] = "disconnected"
        else:
            connection = "connected" if stats.get("net.has_incoming_connections") else "firewalled"
        return SessionStatistics(
            downloaded=stats.get("net.recv_payload_bytes", 0),
            uploaded=stats.get("net.sent_payload_bytes", 0),
            all_time_downloaded=all_time_downloaded,
            all_time_uploaded=all_time_uploaded,
            dht_nodes=stats.get("dht.dht_nodes", 0),
            peers=stats.get("peer.num_peers_connected", 0),
            connection=connection,
        )

    # ----- what libtorrent knows of one torrent (by its canonical hash)

    def metadata(self, info_hash: str) -> TorrentMeta:
        """Its info-hashes, size, pieces, creator, comment and private flag."""
        return self.session.metadata(info_hash)

    def magnet(self, info_hash: str) -> str:
        """Its magnet link, with its trackers."""
        return self.session.magnet(info_hash)

    def trackers(self, info_hash: str) -> list[TrackerEntry]:
        """Its trackers with their tiers and what each answered."""
        return self.session.trackers(info_hash)

    def web_seeds(self, info_hash: str) -> list[str]:
        """Its web seeds' URLs."""
        return self.session.web_seeds(info_hash)

    def files(self, info_hash: str) -> list[FileEntry]:
        """Its files (pad files left out) with progress, priority and pieces."""
        return self.session.files(info_hash)

    def piece_hashes(self, info_hash: str) -> list[str]:
        """Each piece's hash in hex."""
        return self.session.piece_hashes(info_hash)

    def piece_states(self, info_hash: str) -> list[int]:
        """Each piece: 0 missing, 1 downloading, 2 have."""
        return self.session.piece_states(info_hash)

    def export(self, info_hash: str) -> bytes | None:
        """Its .torrent file (None until the metadata is there)."""
        return self.session.export(info_hash)

    def peers(self, info_hash: str) -> list[PeerEntry]:
        """List the peers it is connected to."""
        return self.session.peers(info_hash)

    def connect_peer(self, info_hash: str, host: str, port: int) -> bool:
        """Connect it to a peer by IP address and port; whether libtorrent took it."""
        return self.session.connect_peer(info_hash, host, port)

    @staticmethod
    def is_torrent_file(data: bytes) -> bool:
        """Whether data is a .torrent file libtorrent can read."""
        try:
            read_torrent(data)
        except TorrentDataError:
            return False
        return True

    # ----- adding

    async def add_torrent(
        self, source: str | bytes, options: AddOptions | None = None
    ) -> TorrentInfo:
        """Add a torrent from a magnet, http(s) URL or .torrent bytes; listed before this returns.

        Adding a torrent that is already present returns it unchanged.
        """
        options = options or AddOptions()
        if isinstance(source, str) and source.startswith(("http://", "https://")):
            source = await fetch_torrent(self.engine.http.session, source)
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
        save_path, download_path = await self._folders_for(options)
        preferences = self.preferences
        stopped = preferences.add_stopped if options.stopped is None else options.stopped
        layout = options.content_layout or preferences.content_layout
        record = TorrentRecord(
            info_hash=metadata.info_hash,
            name=metadata.name,
            magnet=source if isinstance(source, str) else "",
            category=options.category,
            tags=_clean_tags(options.tags),
            save_path=str(save_path),
            download_path=str(download_path or ""),
            custom_name=options.name.replace("\n", " ").strip(),
            stopped=stopped,
            forced=options.forced,
            sequential=options.sequential,
            first_last_piece=options.first_last_piece,
            content_layout=layout,
            auto_tmm=options.auto_tmm,
            ratio_limit=options.ratio_limit,
            seeding_time_limit=options.seeding_time_limit,
            inactive_seeding_time_limit=options.inactive_seeding_time_limit,
            download_limit=options.download_limit,
            upload_limit=options.upload_limit,
            request_id=options.request_id,
            added_on=datetime.now(UTC),
        )
        if metadata.file_paths and not record.custom_name:
            record.custom_name = _content_name(metadata.file_paths, layout, metadata.name)
        metadata_bytes = source if isinstance(source, bytes) else b""
        request = self._request_for(record, metadata_bytes)
        try:
            info_hash = self.session.add(
                request, lambda paths: self.folders.check_files(request.save_path, paths)
            )
        except TorrentDataError as err:
            raise InvalidInput(str(err)) from None
        record.info_hash = info_hash
        self.tags.update(record.tags)
        self._track(record, info_hash)
        if self.paths[info_hash]:
            self.session.release(info_hash)
        if not self.disk.may_run(info_hash) and not stopped:
            self.disk.hold(info_hash)
        # published before anything awaits, so that no other event of this torrent precedes it
        self._publish(EventName.TORRENT_ADDED, self._view(info_hash))
        await self._store(record, metadata_bytes or None)
        self.session.request_resume_data(info_hash, only_if_modified=False)
        return self._view(info_hash).info()

    async def _folders_for(self, options: AddOptions) -> tuple[Path, Path | None]:
        """Return the save path and incomplete folder of a torrent being added."""
        if options.category and options.category not in self.categories:
            await self.set_category(options.category, "")
        save_path = (
            self.folders.confine(options.save_path)
            if options.save_path and not options.auto_tmm
            else self.category_path(options.category)
        )
        if options.download_path is not None:
            download_path = (
                self.folders.confine(options.download_path, self._incomplete_base())
                if options.download_path
                else None
            )
        else:
            download_path = self.category_download_path(options.category)
        return save_path, download_path

    def _incomplete_base(self) -> Path:
        """Return the folder relative incomplete folders start from."""
        folder = self.preferences.incomplete_folder
        return Path(folder) if folder else self.folders.downloads

    def category_path(self, category: str) -> Path:
        """Where a category's torrents are saved (its folder, else the download folder)."""
        entry = self.categories.get(category)
        return (
            self.folders.confine(entry.save_path)
            if entry and entry.save_path
            else self.folders.downloads
        )

    def category_download_path(self, category: str) -> Path | None:
        """Return the incomplete folder of a category's torrents (None: they have none)."""
        entry = self.categories.get(category)
        enabled = entry.download_path_enabled if entry else None
        if enabled is False:
            return None
        if enabled and entry is not None:
            return self.folders.confine(entry.download_path or ".", self._incomplete_base())
        preferences = self.preferences
        if not preferences.incomplete_enabled or not preferences.incomplete_folder:
            return None
        return self.folders.confine(preferences.incomplete_folder)

    # ----- categories and tags

    async def set_category(
        self,
        name: str,
        save_path: str,
        *,
        download_path_enabled: bool | None = None,
        download_path: str = "",
    ) -> None:
        """Create or change a category; its folders must be inside the allowed folders."""
        if not name.strip() or len(name) > 255 or "\\" in name or name != name.strip():  # noqa: PLR2004
            msg = f"invalid category name {name!r}"
            raise InvalidInput(msg)
        if save_path:  # an absolute folder is kept resolved, a relative one as given
            resolved = self.folders.confine(save_path)
            save_path = str(resolved) if Path(save_path).is_absolute() else save_path
        if download_path_enabled and download_path:
            self.folders.confine(download_path, self._incomplete_base())
        category = CategoryRecord(name, save_path, download_path_enabled, download_path)
        async with self.engine.database.session() as tx:
            await CATEGORIES.upsert(tx, category)
        self._categories[name] = Category(save_path, download_path_enabled, download_path)
        for info_hash, record in self.records.items():
            if record.auto_tmm and record.category == name:
                await self._follow_category(info_hash)

    async def remove_categories(self, names: list[str]) -> None:
        """Delete categories; their torrents keep their files and lose the category."""
        async with self.engine.database.session() as tx:
            await tx.execute(
                "DELETE FROM torrent_categories WHERE name IN :names", {"names": names}
            )
        for name in names:
            self._categories.pop(name, None)
        changed = [record for record in self.records.values() if record.category in names]
        for record in changed:
            record.category = ""
        await self._store_all(changed, "category")

    async def create_tags(self, tags: list[str]) -> None:
        """Remember tags not yet given to any torrent."""
        self.tags.update(_clean_tags(tags))
        await self._save_tags()

    async def delete_tags(self, tags: list[str]) -> None:
        """Forget tags and take them off every torrent."""
        gone = set(tags)
        self.tags -= gone
        changed = [record for record in self.records.values() if gone & set(record.tags)]
        for record in changed:
            record.tags = [tag for tag in record.tags if tag not in gone]
        await self._store_all(changed, "tags")
        await self._save_tags()

    async def _save_tags(self) -> None:
        document = json.dumps(sorted(self.tags)).encode()
        await asyncio.to_thread(write_atomic, self.folder / "tags.json", document)

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
        if "tags" in changes:
            self.tags.update(changes["tags"])
        for info_hash in hashes:
            record = self.records[info_hash]
            for key, value in changes.items():
                setattr(record, key, value)
            self._apply(info_hash, changes)
            if "category" in changes and record.auto_tmm:
                await self._follow_category(info_hash)
            await self._store(record)
        if "tags" in changes:
            await self._save_tags()

    def _apply(self, info_hash: str, changes: dict[str, Any]) -> None:
        """Hand the changed options libtorrent acts on to the session."""
        record = self.records[info_hash]
        if "download_limit" in changes or "upload_limit" in changes:
            self.session.set_limits(info_hash, record.download_limit, record.upload_limit)
        for flag, key in (
            ("sequential_download", "sequential"),
            ("super_seeding", "super_seeding"),
        ):
            if key in changes:
                self.session.set_flag(info_hash, flag, enabled=changes[key])
        if "first_last_piece" in changes:
            self.session.prioritize_first_last(info_hash, enabled=record.first_last_piece)

    async def stop(self, hashes: list[str]) -> None:
        """Stop torrents until started again (persisted)."""
        hashes = [self.find(info_hash) for info_hash in hashes]
        before = self._states(hashes)
        for info_hash in hashes:
            self.session.stop(info_hash)
            self.disk.held.discard(info_hash)
        await self.update(hashes, stopped=True)
        self.refresh(hashes)
        self._publish_states(before)

    async def start(self, hashes: list[str], *, forced: bool = False) -> None:
        """Start torrents (the queue decides when, unless forced)."""
        hashes = [self.find(info_hash) for info_hash in hashes]
        before = self._states(hashes)
        await self.update(hashes, stopped=False, forced=forced)
        for info_hash in hashes:
            if info_hash in self.refused:
                continue
            if self.disk.may_run(info_hash):
                self.session.start(info_hash, forced=forced)
            else:
                self.disk.hold(info_hash)
        self.refresh(hashes)
        self._publish_states(before)

    async def remove(self, hashes: list[str], *, delete_files: bool) -> None:
        """Remove torrents (and their files when asked); nothing else in the folder is touched."""
        hashes = [self.find(info_hash) for info_hash in hashes]
        for info_hash in hashes:
            view = self._view(info_hash)
            self.session.remove(info_hash, delete_files=delete_files)
            del self.records[info_hash], self.snapshots[info_hash], self.paths[info_hash]
            self.revisions.pop(info_hash, None)
            self.disk.held.discard(info_hash)
            self.refused.pop(info_hash, None)
            self._resumed.discard(info_hash)
            self._progress_sent.pop(info_hash, None)
            self._unsaved.discard(info_hash)
            resume_path = self.resume_folder / f"{info_hash}.fastresume"
            self._writer.submit(resume_path.unlink, missing_ok=True)
            self._publish(EventName.TORRENT_REMOVED, view, delete_files=delete_files)
        async with self.engine.database.session() as tx:  # their metadata goes by cascade
            await tx.execute("DELETE FROM torrents WHERE info_hash IN :hashes", {"hashes": hashes})

    def recheck(self, hashes: list[str]) -> None:
        """Verify the downloaded data again."""
        for info_hash in [self.find(info_hash) for info_hash in hashes]:
            self.session.recheck(info_hash)

    def reannounce(self, hashes: list[str]) -> None:
        """Announce to the trackers (and DHT) now."""
        for info_hash in [self.find(info_hash) for info_hash in hashes]:
            self.session.reannounce(info_hash)

    def queue(self, hashes: list[str], move: QueueMove) -> None:
        """Move torrents in the download queue (409 when queueing is off, as qBittorrent)."""
        if not self.preferences.queueing:
            msg = "Torrent queueing must be enabled"
            raise Conflict(msg)
        found = [self.find(info_hash) for info_hash in hashes]
        # qBittorrent moves the one nearest the destination first so that order is kept
        found.sort(
            key=lambda h: self.session.snapshot(h).queue_position, reverse=move in {"down", "top"}
        )
        for info_hash in found:
            self.session.queue(info_hash, move)
        self.refresh(found)

    def connect_peers(self, info_hash: str, peers: list[str]) -> int:
        """Connect a torrent to peers given as ip:port; return how many were accepted."""
        added = 0
        for peer in peers:
            address = parse_peer(peer)
            if address is None:
                msg = f"invalid peer {peer!r}: expected ip:port"
                raise InvalidInput(msg)
            added += self.connect_peer(info_hash, *address)
        return added

    async def rename(self, info_hash: str, name: str) -> None:
        """Give a torrent a name of its own (line breaks become spaces, as in qBittorrent)."""
        await self.update([info_hash], custom_name=" ".join(name.splitlines()).strip())

    async def set_save_path(self, hashes: list[str], folder: str, *, manual: bool) -> None:
        """Move torrents to folder (manual: also turn automatic management off)."""
        target = self.folders.confine(folder)
        for info_hash in [self.find(info_hash) for info_hash in hashes]:
            record = self.records[info_hash]
            if record.auto_tmm and not manual:
                continue
            record.auto_tmm = False
            record.save_path = str(target)
            self._place(info_hash)
            await self._store(record)

    async def set_download_path(self, hashes: list[str], folder: str) -> None:
        """Change torrents' incomplete folder ("" = none)."""
        target = str(self.folders.confine(folder, self._incomplete_base())) if folder else ""
        for info_hash in [self.find(info_hash) for info_hash in hashes]:
            record = self.records[info_hash]
            if record.auto_tmm:
                continue
            record.download_path = target
            self._place(info_hash)
            await self._store(record)

    async def set_auto_management(self, hashes: list[str], *, enabled: bool) -> None:
        """Turn automatic torrent management on (folders follow the category) or off."""
        for info_hash in [self.find(info_hash) for info_hash in hashes]:
            record = self.records[info_hash]
            record.auto_tmm = enabled
            if enabled:
                await self._follow_category(info_hash)
            await self._store(record)

    async def _follow_category(self, info_hash: str) -> None:
        record = self.records[info_hash]
        record.save_path = str(self.category_path(record.category))
        record.download_path = str(self.category_download_path(record.category) or "")
        self._place(info_hash)
        await self._store(record)

    def _place(self, info_hash: str) -> None:
        """Move the data where it belongs now, after checking every file's new path.

        That is the incomplete folder until the torrent is finished, then the save path
        (qBittorrent's rule).
        """
        record, status = self.records[info_hash], self.snapshots[info_hash]
        finished = status.finished and status.has_metadata
        target = record.download_path if record.download_path and not finished else record.save_path
        if Path(target) == Path(status.save_path):
            return
        self.folders.check_files(target, self.paths[info_hash])
        Path(target).mkdir(parents=True, exist_ok=True)
        self.session.move(info_hash, Path(target))
        self.refresh([info_hash])

    def set_file_priorities(self, info_hash: str, indexes: list[int], priority: int) -> None:
        """Give files (by index, pad files not counted) a priority: 0 skips them."""
        found = self.find(info_hash)
        if not self.paths[found]:
            msg = "Torrent's metadata has not yet downloaded"
            raise Conflict(msg)
        if any(not 0 <= index < len(self.paths[found]) for index in indexes):
            msg = "File ID is not valid"
            raise Conflict(msg)
        self.session.set_file_priorities(found, dict.fromkeys(indexes, priority))
        if self.records[found].first_last_piece:
            self.session.prioritize_first_last(found, enabled=True)
        self.refresh([found])

    def rename_path(self, info_hash: str, old: str, new: str, *, folder: bool) -> None:
        """Rename a file (folder=False) or every file under a folder, as qBittorrent does."""
        found = self.find(info_hash)
        paths = self.paths[found]
        old, new = _clean_relative(old), _clean_relative(new)
        if not old or not new:
            msg = "Invalid path"
            raise Conflict(msg)
        if folder:
            prefix = f"{old}/"
            moves = {
                index: f"{new}/{path.removeprefix(prefix)}"
                for index, path in enumerate(paths)
                if path.startswith(prefix)
            }
            if not moves:
                msg = "No such folder"
                raise Conflict(msg)
        else:
            if old not in paths:
                msg = "No such file"
                raise Conflict(msg)
            moves = {paths.index(old): new}
        renamed = list(paths)
        for index, path in moves.items():
            if path in paths and path != paths[index]:
                msg = "The file already exists"
                raise Conflict(msg)
            renamed[index] = path
        try:
            self.folders.check_files(self._view(found).location, list(moves.values()))
        except InvalidInput as err:
            raise Conflict(str(err)) from None
        for index, path in moves.items():
            self.session.rename_file(found, index, path)
        self.paths[found] = renamed

    def set_trackers(self, info_hash: str, trackers: list[tuple[str, int]]) -> None:
        """Replace a torrent's trackers with (url, tier) pairs and announce when running."""
        found = self.find(info_hash)
        self.session.set_trackers(found, trackers)
        self.session.request_resume_data(found, only_if_modified=False)  # kept only there
        self.revisions[found] = next(self._revision)  # its magnet link changed
        if not self.records[found].stopped:
            self.session.reannounce(found)

    async def set_limits(self, limits: TransferLimits) -> None:
        """Change the global limits and the alternative mode; kept first, then applied."""
        await asyncio.to_thread(limits.save, self.folder / "transfer.json")
        self._limits = limits
        self._apply_rates()
        self._publish_transfer()

    async def set_preferences(
        self, preferences: Preferences, *, reread_https: bool = False
    ) -> None:
        """Apply changed preferences to the session at once and keep them.

        The WebUI's certificate and key are read when the HTTPS preferences change (or
        reread_https: a client set them again, perhaps after renewing the files). InvalidInput,
        with nothing changed, for an incomplete folder outside the roots or use_https with files
        that cannot serve.
        """
        if preferences.incomplete_folder:
            self.folders.confine(preferences.incomplete_folder)
        https_before = self.preferences.model_dump(include=HTTPS_PREFERENCES)
        https = reread_https or preferences.model_dump(include=HTTPS_PREFERENCES) != https_before
        tls = None
        if https and preferences.use_https:
            tls = await asyncio.to_thread(
                server_context, preferences.https_cert_path, preferences.https_key_path
            )
        await asyncio.to_thread(
            preferences.save, self.folder / "preferences.json", self.engine.settings
        )
        self._preferences = preferences
        if https:
            self._tls = tls
            self.https_failed = ""
        self.session.configure(self._config())
        self.session.ban(preferences.banned_ips)
        self._applied_rates = None
        self._apply_rates()

    def transfer(self) -> TransferInfo:
        """Speeds and totals summed over the torrents, with the limits in force."""
        snapshots = list(self.snapshots.values())
        return TransferInfo(
            download_rate=sum(item.download_rate for item in snapshots),
            upload_rate=sum(item.upload_rate for item in snapshots),
            downloaded=sum(item.downloaded for item in snapshots),
            uploaded=sum(item.uploaded for item in snapshots),
            alt_active=self.limits.alt_mode,
            limits=self.limits,
            revision=self.engine.events.revision("transfer"),
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

    @api_command(
        "torrents/add",
        method="POST",
        path="/torrents",
        rules=(ExactlyOne(("magnet", "url", "torrent_base64")),),
    )
    async def add_command(  # noqa: PLR0913 - every parameter is a field of the API
        self,
        *,
        magnet: Source | None = None,
        url: Source | None = None,
        torrent_base64: Source | None = None,
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
        source: str | bytes = magnet or url or ""
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

    @api_command("torrents/pause_all", method="POST", path="/torrents/pause")
    async def pause_all_command(self, hashes: list[InfoHash] | None = None) -> list[TorrentInfo]:
        """Stop the given torrents (every torrent when none are given) until they are resumed."""
        found = self._each(hashes)
        await self.stop([info_hash for info_hash in found if not self.records[info_hash].stopped])
        return [self._view(info_hash).info() for info_hash in found]

    @api_command("torrents/resume_all", method="POST", path="/torrents/resume")
    async def resume_all_command(self, hashes: list[InfoHash] | None = None) -> list[TorrentInfo]:
        """Start the given stopped torrents (every stopped torrent when none are given)."""
        found = self._each(hashes)
        await self.start([info_hash for info_hash in found if self.records[info_hash].stopped])
        return [self._view(info_hash).info() for info_hash in found]

    def _each(self, hashes: list[str] | None) -> list[str]:
        """Resolve the hashes given (NotFound for an unknown one), or every torrent for None."""
        return list(self.records) if hashes is None else [self.find(h) for h in hashes]

    @api_command("torrents/recheck", method="POST", path="/torrents/{info_hash}/recheck")
    async def recheck_command(self, info_hash: InfoHash) -> TorrentInfo:
        """Verify a torrent's data on disk again."""
        found = self.find(info_hash)
        self.recheck([found])
        return self._view(found).info()

    @api_command("torrents/peers", method="POST", path="/torrents/{info_hash}/peers")
    async def peers_command(self, info_hash: InfoHash, peers: list[PeerAddress]) -> None:
        """Connect a torrent to peers, for swarms without trackers or DHT.

        Each peer is an IP address with its port: `1.2.3.4:6881` or `[::1]:6881` (else 400).
        """
        self.connect_peers(self.find(info_hash), peers)

    @api_command("torrents/files", path="/torrents/{info_hash}/files")
    async def files_command(self, info_hash: InfoHash) -> list[FileInfo]:
        """List a torrent's files with their progress and priority (none until metadata)."""
        return [FileInfo.of(entry) for entry in self.files(self.find(info_hash))]

    @api_command("torrents/file_priority", method="POST", path="/torrents/{info_hash}/files")
    async def file_priority_command(
        self,
        info_hash: InfoHash,
        indexes: Annotated[list[int], Field(min_length=1)],
        priority: FilePriority,
    ) -> list[FileInfo]:
        """Choose which files download: priority 0 skips them, 1 normal, 6 high, 7 maximum."""
        self.set_file_priorities(info_hash, indexes, priority)
        return await self.files_command(info_hash)

    @api_command("transfer/get", path="/transfer")
    async def transfer_command(self) -> TransferInfo:
        """Speeds now, totals, limits and whether the alternative limits apply."""
        return self.transfer()

    @api_command("transfer/set", method="PUT", path="/transfer")
    async def set_transfer_command(self, limits: TransferLimits) -> TransferInfo:
        """Change the global limits (KiB/s), the alternative mode and its schedule."""
        await self.set_limits(limits)
        return self.transfer()

    @api_command("transfer/update", method="PATCH", path="/transfer")
    async def update_transfer_command(self, limits: LimitsPatch) -> TransferInfo:
        """Change only the limits given (KiB/s), the alternative mode or parts of its schedule."""
        await self.set_limits(limits.applied(self.limits))
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
        if alert.kind == "stats":
            self.stats = alert.stats
            return
        info_hash = alert.info_hash
        if info_hash not in self.records:
            return
        if alert.kind == "resume":
            self._write_resume(info_hash, alert.resume_data)
            return
        self._update_snapshot(self.session.snapshot(info_hash))
        if alert.kind == "metadata":
            self._on_metadata(info_hash)
        elif alert.kind in {"finished", "moved", "changed"}:
            self.session.request_resume_data(info_hash, only_if_modified=False)
        elif alert.kind == "state":  # checked, paused, resumed, finished...: saved if it changed
            self.session.request_resume_data(info_hash, only_if_modified=True)
        elif alert.kind in {"error", "move_failed"}:
            _LOGGER.warning("torrent %s: %s", info_hash, alert.message)
            self._publish(EventName.TORRENT_ERROR, self._view(info_hash), message=alert.message)

    def _write_resume(self, info_hash: str, resume_data: bytes) -> None:
        """Write a torrent's resume data on the writer thread (what shutdown waits for)."""
        path = self.resume_folder / f"{info_hash}.fastresume"
        self._writer.submit(write_atomic, path, resume_data)
        self._awaiting_resume.discard(info_hash)
        if not self._awaiting_resume:
            self._resume_drained.set()

    def _update_snapshot(self, snapshot: Snapshot) -> None:
        info_hash = snapshot.info_hash
        if info_hash not in self.records:
            return
        if (
            snapshot.finished
            and snapshot.has_metadata
            and self.records[info_hash].completed_on is None
        ):
            # a finish alert is not posted when a check finds the data complete: watch statuses
            self.snapshots[info_hash] = snapshot
            self._on_finished(info_hash)
        if snapshot.need_save_resume:
            self._unsaved.add(info_hash)
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
        """Lay the files out, check where each would be written, then let the torrent write."""
        record = self.records[info_hash]
        record.name = self.snapshots[info_hash].name or record.name
        original = self.session.file_paths(info_hash)
        paths = laid_out(original, record.content_layout)
        if not record.custom_name:
            record.custom_name = _content_name(original, record.content_layout, record.name)
        try:
            self.folders.check_files(self._view(info_hash).location, paths)
        except InvalidInput as err:
            self.paths[info_hash] = original
            self._refuse(info_hash, str(err))
        else:
            self.session.relayout(info_hash, record.content_layout)
            self.paths[info_hash] = paths
            if record.first_last_piece:
                self.session.prioritize_first_last(info_hash, enabled=True)
            self.session.release(info_hash)
        self.session.request_resume_data(info_hash, only_if_modified=False)
        self._spawn(self._store(record, self.session.export(info_hash)))
        self._publish(EventName.TORRENT_METADATA, self._view(info_hash))

    def _refuse(self, info_hash: str, problem: str) -> None:
        """Keep a torrent that would write outside the roots stopped, in error, writing nothing."""
        _LOGGER.warning("torrent %s stopped: %s", info_hash, problem)
        self.refused[info_hash] = problem
        self.session.stop(info_hash)
        self.refresh([info_hash])
        self._publish(EventName.TORRENT_ERROR, self._view(info_hash), message=problem)

    def _on_finished(self, info_hash: str) -> None:
        record = self.records[info_hash]
        self.session.request_resume_data(info_hash, only_if_modified=False)
        record.completed_on = datetime.now(UTC)
        if record.download_path:
            try:
                self._place(info_hash)
            except InvalidInput as err:
                self._refuse(info_hash, str(err))
        self._spawn(self._store(record))
        self._publish(EventName.TORRENT_COMPLETED, self._view(info_hash))

    # ----- timers and guards

    async def _tick(self) -> None:
        """Each second: statuses, guards, schedule; share limits, disk, resume data less often."""
        ticks = 0
        while True:
            await asyncio.sleep(TICK_SECONDS)
            ticks += 1
            try:
                self.session.post_updates()
                self.session.post_stats()
                self.vpn.watch()
                await self._follow_schedule()
                self._publish_transfer()
                if ticks % int(RESUME_SWEEP_SECONDS / TICK_SECONDS) == 0:
                    self._save_changed()
                if ticks % int(SHARE_LIMIT_SECONDS / TICK_SECONDS) == 0:
                    reached = share_limits_reached(self.views(), self.preferences)
                    if reached:
                        _LOGGER.info("share limits reached, stopping %s", ", ".join(reached))
                        await self.stop(reached)
                if ticks % int(DISK_CHECK_SECONDS / TICK_SECONDS) == 1:
                    await self.disk.watch()
                if ticks % int(TOTALS_SAVE_SECONDS / TICK_SECONDS) == 0:
                    await self._save_totals()
            except Exception:
                _LOGGER.exception("torrent housekeeping failed")

    async def _follow_schedule(self) -> None:
        """Switch the alternative limits when the schedule's window opens or closes."""
        wanted = self.limits.scheduled(datetime.now().astimezone())
        changed = wanted is not None and wanted != self._scheduled
        self._scheduled = wanted
        if changed and self.limits.alt_mode != wanted:
            await self.set_limits(self.limits.model_copy(update={"alt_mode": wanted}))

    async def _save_totals(self) -> None:
        """Keep the all-time totals if they grew since they were last kept (idle: no write)."""
        totals = self.totals.all_time(self.stats)
        if totals != self._totals_saved:
            await asyncio.to_thread(self.totals.save, self.folder / "totals.json", dict(self.stats))
            self._totals_saved = totals

    def _save_changed(self) -> None:
        """Save the resume data of torrents whose status said it changed since the last sweep."""
        unsaved, self._unsaved = self._unsaved, set()
        for info_hash in unsaved:
            self.session.request_resume_data(info_hash, only_if_modified=True)

    def _apply_rates(self) -> None:
        rates = self.limits.effective()
        if rates != self._applied_rates:
            self._applied_rates = rates
            self.session.set_rate_limits(*rates)

    def _serve_https(self) -> None:
        """Give the API server the WebUI's TLS context if use_https is on (else plain HTTP only)."""
        preferences = self.preferences
        if not preferences.use_https:
            return
        try:
            self._tls = server_context(preferences.https_cert_path, preferences.https_key_path)
        except InvalidInput as err:  # the files changed since: HTTP only, said in /health
            self.https_failed = str(err)
            _LOGGER.warning("%s", err)

    def share_limits(self, record: TorrentRecord) -> tuple[float, int, int]:
        """Return the ratio, seeding minutes and inactive minutes that apply (-1 = none)."""
        return share_limits(record, self.preferences)

    def resume_held(self, info_hash: str) -> None:
        """Start a torrent a guard held, unless its user stopped it or it was refused."""
        record = self.records.get(info_hash)
        if record is not None and not record.stopped and info_hash not in self.refused:
            self.session.start(info_hash, forced=record.forced)

    # ----- helpers

    def _states(self, hashes: list[str]) -> dict[str, str]:
        return {h: self._view(h).state for h in hashes if h in self.records}

    def _publish_states(self, before: dict[str, str]) -> None:
        """Publish torrent_state for torrents a command (not a status update) moved."""
        for info_hash, previous in before.items():
            if info_hash in self.records and (view := self._view(info_hash)).state != previous:
                self._publish(EventName.TORRENT_STATE, view, previous=previous)

    def refresh(self, hashes: list[str]) -> None:
        """Read these torrents' status now, publishing what changed."""
        for info_hash in hashes:
            if info_hash in self.records:
                self._update_snapshot(self.session.snapshot(info_hash))

    async def _store(self, record: TorrentRecord, metadata: bytes | None = None) -> None:
        """Persist a record, every column, with its .torrent when given (and let caches know).

        Callers change the record in memory first: this is where those changes are written.
        """
        self.revisions[record.info_hash] = next(self._revision)
        async with self._store_lock, self.engine.database.session() as tx:
            await TORRENTS.upsert(tx, record)
            if metadata is not None:
                await TORRENT_METADATA.upsert(tx, TorrentMetadata(record.info_hash, metadata))

    async def _store_all(self, records: list[TorrentRecord], column: str) -> None:
        """Persist one changed column of records in one transaction (one write to an SD card)."""
        for record in records:
            self.revisions[record.info_hash] = next(self._revision)
        if records:
            rows = [
                {"value": getattr(record, column), "hash": record.info_hash} for record in records
            ]
            async with self._store_lock, self.engine.database.session() as tx:
                await tx.execute_many(
                    f"UPDATE torrents SET {column} = :value WHERE info_hash = :hash", rows
                )

    def _spawn(self, work: Any) -> None:  # noqa: ANN401 - a coroutine
        task = asyncio.create_task(work)
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    def _publish(self, name: EventName, view: TorrentView, **extra: Any) -> None:  # noqa: ANN401
        """Publish an event carrying the torrent's view (and what else the event tells)."""
        data = {**view.info().model_dump(mode="json"), **extra}
        self.engine.events.publish(name, data, view.record.info_hash)

    def _publish_transfer(self) -> None:
        """Publish transfer_updated: a change of the limits at once, of the speeds every 2 s."""
        transfer = self.transfer()
        shown = (transfer.download_rate, transfer.upload_rate, transfer.limits)
        sent = self._transfer_sent
        now = time.monotonic()
        due = now - self._transfer_sent_at >= PROGRESS_EVENT_SECONDS
        if shown == sent or not (due or sent is None or sent[2] != transfer.limits):
            return
        self._transfer_sent, self._transfer_sent_at = shown, now
        self.engine.events.publish(EventName.TRANSFER_UPDATED, transfer.model_dump(mode="json"))


def _content_name(paths: list[str], layout: str, name: str) -> str:
    """Return the name qBittorrent gives a torrent whose layout changed its root.

    That is the new root folder (or single file); "" when the torrent keeps its own name.
    """
    laid = laid_out(paths, layout)
    if laid == paths:
        return ""
    content = root_folder(laid) or (PurePosixPath(laid[0]).name if len(laid) == 1 else "")
    return content if content and content != name else ""


def _clean_relative(path: str) -> str:
    """Return path relative, with `/` separators and no empty parts."""
    return "/".join(part for part in path.replace("\\", "/").split("/") if part)


def _clean_tags(tags: list[str]) -> list[str]:
    """Tags trimmed, without empties and duplicates, in order."""
    return list(dict.fromkeys(tag.strip() for tag in tags if tag.strip()))


def _read_json(path: Path, default: Any) -> Any:  # noqa: ANN401 - any JSON value
    try:
        return json.loads(path.read_bytes())
    except FileNotFoundError:
        return default
    except ValueError as err:
        _LOGGER.warning("ignoring unreadable %s: %s", path, err)
        return default
